"""``send_publication_notices [--round SLUG]``: tell the boards once their results are out."""

from django.core.management.base import BaseCommand, CommandError

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
        for round_ in rounds:
            sent = publication_notices_send(round_=round_)
            self.stdout.write(f"{round_.slug}: {sent} board(s) told")
