"""``load_reference_data``: SHAs, PCTs, frameworks, seats and other reference data."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from competencies.reference import ReferenceDataError
from panels.reference import FIXTURES_DIR, reference_data_load


class Command(BaseCommand):
    help = (
        "Load the reference data: the 10 SHAs and 152 PCTs of 2008-10, the framework versions "
        "with competencies and level descriptors, governance areas, the five panel seats, "
        "conflict rules, outcome indicators and (illustrative) suppliers. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fixtures",
            type=Path,
            default=None,
            help="Directory holding the reference files (default: the project's fixtures/).",
        )

    def handle(self, *args, **options):
        directory = options["fixtures"] or FIXTURES_DIR
        if not directory.is_dir():
            raise CommandError(
                f"Nothing was loaded. --fixtures {directory}: not a folder; give the folder "
                "that holds shas.csv, pcts_2009.csv and the other reference files."
            )
        try:
            counts = reference_data_load(directory=directory)
        except ReferenceDataError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from None
        for kind, count in counts.items():
            self.stdout.write(f"{count:>5} {kind}")
        self.stdout.write(self.style.SUCCESS("Reference data loaded."))
