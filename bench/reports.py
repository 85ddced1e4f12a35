"""Benchmarks of the read side; prints figures, asserts nothing.

Run on a seeded demo database (make run, or load_reference_data and seed_demo):

    DEBUG=1 .venv/bin/python bench/reports.py [--repeat 5]

Through Django's test client in one process (no network, no gunicorn); the pages served
by gunicorn against ``/healthz/`` are measured by ``bench/pages.py``, the PDF per page
against a plain page by ``bench/pdf.py``.

1. League table page (all 152 PCTs) against a minimal Django view, in the same run.
2. A stored report: serving the stored PDF when nothing changed (its HTML is built and
   fingerprinted) against rendering it again (``reports/storage.py``).
3. The PCT results page and the England summary page, through the same client (charts
   cached after the first request, as on a running site).
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wcc_site.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.contrib.auth.decorators import login_not_required  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402

from assessments.models import Assessment  # noqa: E402
from reports.storage import stored_report_pdf  # noqa: E402


def timed(function, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


@login_not_required
def minimal(request):
    return HttpResponse("ok")


urlpatterns = [path("minimal/", minimal)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    assessment = Assessment.objects.select_related(
        "round__framework", "round__previous", "pct__sha"
    ).get(round__slug="2008-09", pct__ods_code="5PG")

    client = Client(HTTP_HOST="127.0.0.1")
    with override_settings(ROOT_URLCONF=__name__):
        base, _ = timed(lambda: client.get("/minimal/"), repeat * 4)
    table, response = timed(lambda: client.get("/reports/league-table/2008-09/"), repeat)
    assert response.status_code == 200
    print(
        f"League table (152 PCTs): {table * 1000:.0f} ms against a minimal view {base * 1000:.1f} ms"
    )

    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        first, stored = timed(lambda: stored_report_pdf(assessment=assessment), 1)
        again, stored_again = timed(lambda: stored_report_pdf(assessment=assessment), repeat)
    assert stored.rendered and not stored_again.rendered
    print(
        f"Stored PDF of 5PG: first request (render and store) {first * 1000:.0f} ms, "
        f"unchanged (fingerprint, reuse the file) {again * 1000:.0f} ms"
    )

    client.get("/reports/pct/5PG/2008-09/")  # draw the chart once
    page, response = timed(lambda: client.get("/reports/pct/5PG/2008-09/"), repeat)
    assert response.status_code == 200
    client.get("/reports/summary/2008-09/")
    summary, response = timed(lambda: client.get("/reports/summary/2008-09/"), repeat)
    assert response.status_code == 200
    print(f"PCT results page: {page * 1000:.0f} ms; England summary page: {summary * 1000:.0f} ms")


if __name__ == "__main__":
    main()
