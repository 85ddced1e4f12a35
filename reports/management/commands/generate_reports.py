"""``generate_reports --round SLUG [--pct CODE …] [--workers N]``: every board's PDF, with progress.

Each report is stored as ``MEDIA_ROOT/reports/<round>/<ODS>.pdf`` (``-draft`` before
publication) through ``reports.storage``, the same code the report URL and the
background batches use: a report whose data have not changed since its file was
written is not rendered again. With more than one worker a pool of processes renders
them (each sets up Django and reuses one font configuration); with one, this process
does.
"""

import os
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from assessments.management.options import round_option
from assessments.models import Assessment, Stage
from reports.storage import reportable_assessments

# Each worker is a process of its own with Django loaded (about 150 MB): more than a machine
# has cores only waits longer, and 100,000 asked for hung.
WORKERS_MAX = 64


def render_one(assessment_id: int) -> tuple[str, bool]:
    """Store one report; returns (its storage name, whether it was rendered). Runs in a
    worker."""
    from reports.storage import stored_report_pdf

    assessment = Assessment.objects.select_related(
        "round__framework", "round__previous", "pct__sha"
    ).get(pk=assessment_id)
    stored = stored_report_pdf(assessment=assessment)
    return stored.name, stored.rendered


def _worker_setup() -> None:
    import django

    django.setup()


def _nothing_to_make(round_) -> str:
    """Why a round has no report yet: no PCT has agreed ratings, and where its PCTs are
    (walk M: such a run said "0 report(s) ... 0 rendered" and exited 0)."""
    stages = Counter(Assessment.objects.filter(round=round_).values_list("stage", flat=True))
    where = (
        "its PCTs' assessments are at "
        + ", ".join(f"{Stage(stage).label} ({count})" for stage, count in sorted(stages.items()))
        if stages
        else "the round has no PCTs yet"
    )
    return (
        f"No reports to make for {round_.slug}: no PCT of the round has agreed ratings yet "
        f"({where}). A report is made once a PCT's panel has agreed ratings."
    )


class Command(BaseCommand):
    help = "Render the PDF feedback reports of a round (or of some PCTs) into MEDIA_ROOT/reports/."

    def add_arguments(self, parser):
        parser.add_argument("--round", required=True, help="The round's slug, e.g. 2008-09.")
        parser.add_argument(
            "--pct",
            nargs="+",
            action="extend",
            default=[],
            help="Only these PCTs (ODS codes): --pct 5PG 5C4, or --pct 5PG --pct 5C4.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help=f"Processes, 1 to {WORKERS_MAX} (default: all cores).",
        )

    def handle(self, *args, **options):
        round_ = round_option(options["round"])
        if not 1 <= options["workers"] <= WORKERS_MAX:
            raise CommandError(f"--workers must be from 1 to {WORKERS_MAX}.")
        assessments = reportable_assessments(round_=round_)
        wanted = [code.strip().upper() for code in options["pct"]]
        if any(not code for code in wanted):
            raise CommandError("--pct: give ODS codes, such as --pct 5PG 5C4 (one was empty).")
        if wanted:
            found = set(
                assessments.filter(pct__ods_code__in=wanted).values_list("pct__ods_code", flat=True)
            )
            missing = [code for code in wanted if code not in found]
            if missing:
                raise CommandError(
                    f"No agreed ratings in {round_.slug} for: {', '.join(missing)} (unknown or not yet agreed)."
                )
            assessments = assessments.filter(pct__ods_code__in=wanted)
        ids = list(assessments.order_by("pct__name").values_list("pk", flat=True))
        if not ids:  # only a round-wide run: named PCTs were each found above
            raise CommandError(_nothing_to_make(round_))
        total = len(ids)
        done = rendered = 0
        self._progress(0, total)
        if options["workers"] == 1:
            for assessment_id in ids:
                rendered += render_one(assessment_id)[1]
                done += 1
                self._progress(done, total)
        else:
            connections.close_all()  # forked workers must not share this process's connection
            with ProcessPoolExecutor(
                max_workers=options["workers"], initializer=_worker_setup
            ) as pool:
                for future in as_completed(pool.submit(render_one, pk) for pk in ids):
                    rendered += future.result()[1]
                    done += 1
                    self._progress(done, total)
        self.stderr.write("")
        folder = Path(settings.MEDIA_ROOT) / "reports" / round_.slug
        self.stdout.write(
            self.style.SUCCESS(
                f"{done} report(s) in {folder}: {rendered} rendered, "
                f"{done - rendered} already up to date."
            )
        )

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        self.stderr.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {done}/{total}", ending="")
        self.stderr.flush()
