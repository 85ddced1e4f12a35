"""``generate_reports --round SLUG [--pct CODE …] [--workers N]``: every board's PDF, with progress.

Each report is rendered from its data and stored as
``MEDIA_ROOT/reports/<round>/<ODS>.pdf`` (``-draft`` before publication), rewritten on
each run. With more than one worker a pool of processes renders them (each sets up Django
and reuses one font configuration); with one, this process does.
"""

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from assessments.models import Assessment, AssessmentRound


def render_one(assessment_id: int) -> tuple[str, int]:
    """Render and store one report; returns (its path, its size). Runs in a worker."""
    from reports.pct_report import pct_report
    from reports.pdf import render_pct_pdf

    assessment = Assessment.objects.select_related(
        "round__framework", "round__previous", "pct__sha"
    ).get(pk=assessment_id)
    report = pct_report(assessment=assessment)
    folder = Path(settings.MEDIA_ROOT) / "reports" / assessment.round.slug
    folder.mkdir(parents=True, exist_ok=True)
    suffix = "-draft" if report.is_draft else ""
    path = folder / f"{assessment.pct.ods_code}{suffix}.pdf"
    content = render_pct_pdf(report)
    path.write_bytes(content)
    return str(path), len(content)


def _worker_setup() -> None:
    import django

    django.setup()


class Command(BaseCommand):
    help = "Render the PDF feedback reports of a round (or of some PCTs) into MEDIA_ROOT/reports/."

    def add_arguments(self, parser):
        parser.add_argument("--round", required=True, help="The round's slug, e.g. 2008-09.")
        parser.add_argument("--pct", nargs="*", default=[], help="Only these PCTs (ODS codes).")
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Processes (default: all cores).",
        )

    def handle(self, *args, **options):
        round_ = AssessmentRound.objects.filter(slug=options["round"]).first()
        if round_ is None:
            raise CommandError(f"Unknown round {options['round']!r}.")
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        assessments = Assessment.objects.filter(
            round=round_, agreed_ratings__isnull=False
        ).distinct()
        wanted = [code.upper() for code in options["pct"]]
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
        total = len(ids)
        done = 0
        self._progress(0, total)
        if options["workers"] == 1:
            for assessment_id in ids:
                render_one(assessment_id)
                done += 1
                self._progress(done, total)
        else:
            with ProcessPoolExecutor(
                max_workers=options["workers"], initializer=_worker_setup
            ) as pool:
                for future in as_completed(pool.submit(render_one, pk) for pk in ids):
                    future.result()
                    done += 1
                    self._progress(done, total)
        self.stderr.write("")
        folder = Path(settings.MEDIA_ROOT) / "reports" / round_.slug
        self.stdout.write(self.style.SUCCESS(f"{done} report(s) written to {folder}."))

    def _progress(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        self.stderr.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {done}/{total}", ending="")
        self.stderr.flush()
