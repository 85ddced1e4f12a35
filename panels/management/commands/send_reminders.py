"""``send_reminders``: the daily e-mail that chases (``send_scoring_reminders`` is its old
name, kept as an alias).

A scheduler (cron, a systemd timer) runs it once a day. It sends:

* each panel member one digest of the scores they owe: due within ``--days`` days, or
  overdue; from ``--chase-after`` days past the deadline the panel's chair is told too,
  naming who is late (``panels.reminders``);
* each board of a region whose factual-accuracy window has closed since the last run a
  notice that it has closed (``assessments.notices``).

Running it twice the same day sends nothing new: each digest is recorded
(``ReminderSent``) and each closed window too. The mail is queued for the task worker
(``assessments.mail``); the counts say "queued", or "sent" with the immediate backend.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assessments.mail import mail_outcome, mail_sent_at_once
from assessments.models import AssessmentRound
from assessments.notices import closed_windows, window_closed_notices_send
from panels.reminders import (
    DEFAULT_CHASE_AFTER,
    DEFAULT_DAYS,
    scoring_digest_send,
    scoring_digests,
)


class Command(BaseCommand):
    help = (
        "The daily reminders: one e-mail per panel member listing the scores they owe (due "
        "within N days, or overdue), the chair told of members late more than M days, and "
        "boards told when their factual-accuracy window has closed. Run once a day by a "
        "scheduler; a second run the same day sends nothing new."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=DEFAULT_DAYS,
            help=f"Remind when the deadline is at most this many days away (default {DEFAULT_DAYS}).",
        )
        parser.add_argument(
            "--chase-after",
            type=int,
            default=DEFAULT_CHASE_AFTER,
            help="Tell the chair who is late once the deadline is this many days past "
            f"(default {DEFAULT_CHASE_AFTER}).",
        )
        parser.add_argument("--round", dest="round_slug", help="Only this round (its slug).")
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be told; send nothing."
        )

    def handle(
        self,
        *args,
        days: int,
        chase_after: int,
        round_slug: str | None,
        dry_run: bool,
        **options,
    ):
        if days < 0:
            raise CommandError(f"--days must be 0 or more, not {days}.")
        if chase_after < 0:
            raise CommandError(f"--chase-after must be 0 or more, not {chase_after}.")
        if round_slug is not None and not AssessmentRound.objects.filter(slug=round_slug).exists():
            raise CommandError(f"No round {round_slug!r}.")
        today = timezone.localdate()
        done = "sent" if mail_sent_at_once() else "queued"

        reminded = 0
        for digest in scoring_digests(
            today=today, days=days, chase_after=chase_after, round_slug=round_slug
        ):
            who = f"{digest.person} <{digest.address or 'no e-mail address'}>: {digest.summary()}"
            if digest.address is None:
                self.stdout.write(f"Skipped {who}")
            elif dry_run:
                self.stdout.write(f"Would remind {who}")
                reminded += 1
            elif scoring_digest_send(digest=digest, today=today):
                self.stdout.write(f"Reminder {done} for {who}")
                reminded += 1

        notices = 0
        for review in closed_windows(now=timezone.now()):
            if round_slug is not None and review.round.slug != round_slug:
                continue
            what = f"{review.sha.name} {review.round.slug}: factual-accuracy window closed"
            if dry_run:
                self.stdout.write(f"Would tell the boards of {what}")
                continue
            count = window_closed_notices_send(review=review)
            notices += count
            self.stdout.write(f"{count} notice(s) {done} to the boards of {what}")

        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"{reminded} member(s) would be reminded."))
        else:
            self.stdout.write(self.style.SUCCESS(mail_outcome(reminded, "reminder(s)")))
            if notices:
                self.stdout.write(self.style.SUCCESS(mail_outcome(notices, "window notice(s)")))
