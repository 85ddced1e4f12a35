"""``send_publication_notices [--round SLUG]``: tell the boards once their results are out.

The notices are queued for the task worker (``assessments.mail``), which sends them and
retries a failed send; the counts say "queued", or "sent" when tasks run at once (the
immediate backend).
"""

from django.core.management.base import BaseCommand, CommandError

from assessments.mail import mail_outcome
from assessments.models import AssessmentRound
from assessments.publication import publication_notices_send


class Command(BaseCommand):
    help = (
        "E-mail every PCT board of each round whose publication time has passed, once per "
        "round (a scheduler runs this every few minutes; running it again sends nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--round", help="Only this round (its slug).")

    def handle(self, *args, **options):
        rounds = AssessmentRound.objects.filter(published_at__isnull=False)
        if options["round"]:
            rounds = rounds.filter(slug=options["round"])
            if not rounds.exists():
                raise CommandError(f"No round {options['round']!r} with a publication time.")
        if not rounds.exists():  # a scheduler's log shows it ran
            self.stdout.write("No round has a publication time: no notices to send.")
        for round_ in rounds:
            count = publication_notices_send(round_=round_)
            self.stdout.write(f"{round_.slug}: {mail_outcome(count, 'notice(s) to boards')}")
