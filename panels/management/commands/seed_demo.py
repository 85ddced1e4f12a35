"""``seed_demo [--seed N] [--scale N]``: the complete, deterministic demo (see
panels/demo/seed.py), and with ``--scale`` N synthetic PCTs on top for benchmarks (see
panels/demo/scale.py)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from competencies.reference import ReferenceDataError
from panels.demo.ratings import ShapeError
from panels.demo.scale import (
    MAX_COUNT,
    ScaleError,
    add_synthetic_pcts,
    check_count,
    remove_synthetic_pcts,
)
from panels.demo.seed import DEFAULT_SEED, demo_seed


class Command(BaseCommand):
    help = (
        "Replace the demo data with a complete, deterministic demo: reference data, both "
        "rounds (2008-09 published, 2009-10 in progress), panels, scores, moderation and "
        "the demo users (password: DEMO_PASSWORD, default wcc-demo). With --scale N, add N "
        "synthetic PCTs with complete ratings in both rounds, for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help=f"Random seed; the same seed always gives the same demo (default {DEFAULT_SEED}).",
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=0,
            help=(
                "Also add this many synthetic PCTs ('Synthetic PCT 00001', codes 000, 001 …), "
                f"spread over the ten SHAs; 0 to {MAX_COUNT:,} (default 0: the demo alone)."
            ),
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        scale = options["scale"]
        _refuse_a_real_site()
        try:
            check_count(scale)
            with transaction.atomic():
                # The demo's ratings are shaped for the real PCTs: earlier synthetic ones go first.
                remove_synthetic_pcts()
                summary = demo_seed(seed=options["seed"], password=settings.DEMO_PASSWORD)
                synthetic = add_synthetic_pcts(count=scale, seed=options["seed"]) if scale else {}
        except (ReferenceDataError, ShapeError, ScaleError) as exc:
            raise CommandError(f"Nothing was written. {exc}") from None
        # A bulk load leaves the query planner's statistics behind the data: SQLite keeps
        # none until ANALYZE (and then plans the members' scores of the few panels still
        # scoring by reading all 709,450 at 10,000 PCTs: 0.4 s instead of 2 ms), and
        # PostgreSQL's autovacuum comes round later. 1.5 s on the 10,000-PCT SQLite file.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        for kind, count in summary.counts.items():
            self.stdout.write(f"{count:>7} {kind}")
        if synthetic:
            self.stdout.write("Synthetic organisations added (--scale):")
            for kind, count in synthetic.items():
                self.stdout.write(f"{count:>9} {kind}")
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready (seed {options['seed']}"
                + (f", {scale} synthetic PCTs" if scale else "")
                + f") in {time.perf_counter() - started:.1f} s. "
                "Log in as national, moderator.q34, chair.q34 or board.5pg; "
                "`manage.py demo_advance --round 2009-10` moves 2009-10 on one stage."
            )
        )


def _refuse_a_real_site() -> None:
    """Refuse a database that a real year runs on, named by its national team accounts
    other than the demo's ``national`` (a real year starts with ``create_user --role
    national``): the demo replaces people who sit on no panel, with their accounts, and adds
    some 350 accounts sharing a published password, one of them national."""
    from assessments.models import Role

    others = list(
        Role.objects.filter(kind=Role.Kind.NATIONAL)
        .exclude(user__username="national")
        .order_by("user__username")
        .values_list("user__username", flat=True)[:4]
    )
    if others:
        named = ", ".join(others[:3]) + (" and others" if len(others) > 3 else "")
        raise CommandError(
            "Nothing was written. This database has national team accounts that are not the "
            f"demo's ({named}): it looks like a real site. seed_demo deletes the people who "
            "sit on no panel, with their accounts, and adds some 350 accounts that share a "
            "published password (DEMO_PASSWORD), one of them national. Run it on a database "
            "of its own (DATABASE_URL)."
        )
