"""Benchmarks of the read side; prints figures, asserts nothing.

Run on a seeded demo database (make run, or load_reference_data and seed_demo):

    DEBUG=1 .venv/bin/python bench/reports.py [--repeat 5]

1. PDF feedback report: time per page of a real report against a one-page PDF of plain
   paragraphs, rendered in the same run with the same fonts (PITFALLS.md: compare per
   page, not against an almost empty document).
2. League table page (all 152 PCTs) against a minimal Django view, in the same run,
   through the test client (no network).
3. A stored report: serving the stored PDF when nothing changed (its HTML is built and
   fingerprinted) against rendering it again (``reports/storage.py``).
4. The PCT results page and the England summary page, through the same client (charts
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
from pypdf import PdfReader  # noqa: E402
from weasyprint import HTML  # noqa: E402

from assessments.models import Assessment  # noqa: E402
from reports.pct_report import pct_report  # noqa: E402
from reports.pdf import _font_config, _stylesheet, render_pct_pdf  # noqa: E402
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

    paragraphs = "".join(
        f"<p>Paragraph {n} of plain text for the baseline page.</p>" for n in range(12)
    )
    render_pct_pdf(pct_report(assessment=assessment))  # warm up fonts and caches
    plain, _ = timed(
        lambda: HTML(string=f"<h1>Baseline</h1>{paragraphs}").write_pdf(
            stylesheets=[_stylesheet()], font_config=_font_config()
        ),
        repeat,
    )
    data, report = timed(lambda: pct_report(assessment=assessment), repeat)
    full, pdf = timed(lambda: render_pct_pdf(report), repeat)
    pages = len(PdfReader(__import__("io").BytesIO(pdf)).pages)
    print(f"PDF: one-page plain baseline {plain * 1000:.0f} ms")
    print(
        f"PDF: feedback report of 5PG, {pages} pages: data {data * 1000:.0f} ms, render {full * 1000:.0f} ms"
    )
    print(
        f"PDF: {full / pages * 1000:.0f} ms per page = {full / pages / plain:.1f}x the plain page"
    )

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
