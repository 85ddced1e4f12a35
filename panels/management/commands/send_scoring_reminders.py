"""``send_scoring_reminders``: e-mail panel members whose scores are due soon.

A scheduler (cron, a systemd timer) runs it once a day. It is not idempotent within a day:
run twice, it reminds twice. The reminders are queued for the task worker
(``assessments.mail``), which sends them and retries a failed send; the counts say
"queued", or "sent" when tasks run at once (the immediate backend).
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from assessments.mail import mail_outcome, mail_sent_at_once
from assessments.models import AssessmentRound, Stage
from panels.models import Seat
from panels.notifications import notify_scoring_reminder, recipient


class Command(BaseCommand):
    help = (
        "E-mail every panel member who has not submitted their scores, for assessments at "
        "scoring whose round's scoring deadline is today or within the next N days. Meant "
        "to be run once a day by a scheduler (cron or a systemd timer); running it twice "
        "on one day sends the reminders twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=3,
            help="Remind when the deadline is at most this many days away (default 3).",
        )
        parser.add_argument("--round", dest="round_slug", help="Only this round (its slug).")
        parser.add_argument(
            "--dry-run", action="store_true", help="List who would be reminded; send nothing."
        )

    def handle(self, *args, days: int, round_slug: str | None, dry_run: bool, **options):
        if days < 0:
            raise CommandError(f"--days must be 0 or more, not {days}.")
        today = timezone.localdate()
        seats = (
            Seat.objects.filter(
                person__isnull=False,
                submitted_at__isnull=True,
                absence_reason="",
                panel__assessment__stage=Stage.SCORING,
                panel__assessment__round__scoring_due__gte=today,
                panel__assessment__round__scoring_due__lte=today + timedelta(days=days),
            )
            .select_related(
                "seat_type", "person__user", "panel__assessment__round", "panel__assessment__pct"
            )
            .order_by(
                "panel__assessment__round__slug",
                "panel__assessment__pct__name",
                "seat_type__number",
            )
        )
        if round_slug is not None:
            if not AssessmentRound.objects.filter(slug=round_slug).exists():
                raise CommandError(f"No round {round_slug!r}.")
            seats = seats.filter(panel__assessment__round__slug=round_slug)

        done = "sent" if mail_sent_at_once() else "queued"
        reminded = 0
        for seat in seats:
            assessment = seat.panel.assessment
            to = recipient(seat)
            who = (
                f"{seat.person} <{to or 'no e-mail address'}>, seat {seat.seat_type.number}, "
                f"{assessment.pct.name} ({assessment.pct.ods_code}) {assessment.round.slug}, "
                f"due {assessment.round.scoring_due:%d %B %Y}"
            )
            if to is None:
                self.stdout.write(f"Skipped {who}")
                continue
            if dry_run:
                self.stdout.write(f"Would remind {who}")
            else:
                notify_scoring_reminder(seat=seat)
                self.stdout.write(f"Reminder {done} for {who}")
            reminded += 1
        if dry_run:
            self.stdout.write(self.style.SUCCESS(f"{reminded} member(s) would be reminded."))
        else:
            self.stdout.write(self.style.SUCCESS(mail_outcome(reminded, "reminder(s)")))
