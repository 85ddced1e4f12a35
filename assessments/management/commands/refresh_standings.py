"""``refresh_standings [--round SLUG …]``: rewrite the reports' read model from the ratings.

The services keep each assessment's standing (``assessments.standings``) as they change its
ratings; this command is for what went past them: a bulk load, a restore of the ratings
table, a repair by hand. It rewrites every standing of the rounds named (all rounds by
default) in one transaction and gives their figures a new version, so that every page
reads them again. An unknown slug is refused and nothing is written.
"""

from django.core.management.base import BaseCommand, CommandError

from assessments.models import AssessmentRound
from assessments.standings import standings_rebuild


class Command(BaseCommand):
    help = "Rewrite the league tables' read model (the standings) from the agreed ratings."

    def add_arguments(self, parser):
        parser.add_argument(
            "--round",
            nargs="+",
            action="extend",
            metavar="SLUG",
            help="Only these rounds (e.g. 2009-10); every round by default.",
        )

    def handle(self, *args, **options):
        slugs = options["round"]
        rounds = AssessmentRound.objects.order_by("pk")
        if slugs:
            rounds = rounds.filter(slug__in=slugs)
            unknown = sorted(set(slugs) - set(rounds.values_list("slug", flat=True)))
            if unknown:
                raise CommandError(
                    f"No round with the slug {', '.join(unknown)}. Nothing was written."
                )
        rounds = list(rounds)
        count = standings_rebuild(rounds=rounds)
        self.stdout.write(
            self.style.SUCCESS(
                f"{count} standings rewritten in {len(rounds)} round(s): "
                f"{', '.join(r.slug for r in rounds) or 'none'}."
            )
        )
