"""``seed_demo [--seed N]``: the complete, deterministic demo (see panels/demo/seed.py)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from competencies.reference import ReferenceDataError
from panels.demo.ratings import ShapeError
from panels.demo.seed import DEFAULT_SEED, demo_seed


class Command(BaseCommand):
    help = (
        "Replace the demo data with a complete, deterministic demo: reference data, both "
        "rounds (2008-09 published, 2009-10 in progress), panels, scores, moderation and "
        "the demo users (password: DEMO_PASSWORD, default wcc-demo)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed always gives the same demo (default {DEFAULT_SEED}).",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        try:
            summary = demo_seed(seed=options["seed"], password=settings.DEMO_PASSWORD)
        except (ReferenceDataError, ShapeError) as exc:
            raise CommandError(f"Nothing was written. {exc}") from None
        for kind, count in summary.counts.items():
            self.stdout.write(f"{count:>7} {kind}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready (seed {options['seed']}) in {time.perf_counter() - started:.1f} s. "
                "Log in as national, moderator.q34, chair.q34 or board.5pg; "
                "`manage.py demo_advance --round 2009-10` moves 2009-10 on one stage."
            )
        )
