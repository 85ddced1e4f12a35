"""One PCT's PDF feedback report, per page, against a plain one-page PDF (issue 13).

    .venv/bin/python bench/pdf.py [--db PATH] [--repeat 20] [--pct 5PG] [--round 2008-09]
                                  [--json FILE] [--profile N]

Both are rendered in this process, with the same fonts (one ``FontConfiguration``) and the
report's own stylesheet, interleaved (plain, report, plain, report, …) so that both see
the same load (a third render, a full page of plain paragraphs, is interleaved too and
printed for information); the report's data is gathered once beforehand (it is not WeasyPrint's
work). Prints the medians and 95th percentiles, the report's page count (pypdf) and the
ratio per page: (report / pages) / plain, by medians and by p95 of the wall-clock time,
and by the median CPU time of this process (less disturbed by other load). The plain page is a page
of ordinary paragraphs, not an almost empty document (PITFALLS.md). ``--profile N``
renders the report once more under cProfile and prints its N costliest functions.

Runs on a seeded demo database: ``--db`` names a SQLite file (bench/pages.py prepares
one), otherwise the settings' database (``make run``'s ``db.sqlite3``). Asserts nothing
about speed; exits 2 without measuring if WeasyPrint cannot load HarfBuzz's font subsetter
(reports.W001), whose fontTools fallback would swamp the figures.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.timing import load_average, median_ms, p95_ms  # noqa: E402

# The plain page: a heading and twelve paragraphs, the same page as the figures of issue 13
# and of docs/performance.md's earlier runs were measured against, so that they compare.
PLAIN_PAGE = "<h1>Baseline</h1>" + "".join(
    f"<p>Paragraph {n} of plain text for the baseline page.</p>" for n in range(12)
)
# For information beside it: a page full of plain paragraphs (the plain page above fills
# about half a page with short lines); eight paragraphs fill an A4 page in the report's
# stylesheet, nine would not fit. It holds about twice the text of an average report page
# (docs/performance.md, "The PDF: where the time goes").
FULL_PAGE = "<h1>Baseline</h1>" + "".join(
    f"<p>Paragraph {n}. "
    + "The panel found that the board had set out its commissioning intentions clearly, "
    "and that it had begun to measure the outcomes that matter to its population. " * 3 + "</p>"
    for n in range(8)
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="SQLite file of a seeded demo")
    parser.add_argument("--repeat", type=int, default=20, help="pairs of renders")
    parser.add_argument("--pct", default="5PG")
    parser.add_argument("--round", default="2008-09")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--profile", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if args.db:
        os.environ["DATABASE_URL"] = f"sqlite:///{args.db.resolve()}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wcc_site.settings")
    os.environ.setdefault("SECRET_KEY", "bench-pdf-not-secret")  # nothing is signed here
    import django

    django.setup()
    from reports.checks import harfbuzz_subset_loaded

    if not harfbuzz_subset_loaded():
        # Without it WeasyPrint subsets fonts with fontTools, ~200 ms per document, which
        # swamps the one-page baseline: the ratio would read 0.3x and mean nothing.
        print(
            "bench/pdf.py: WeasyPrint cannot load libharfbuzz-subset (4.1.0 or later), so "
            "its figures would not compare with docs/performance.md's; install it "
            "(apt-get install libharfbuzz-subset0) and run again.",
            file=sys.stderr,
        )
        return 2
    from pypdf import PdfReader
    from weasyprint import HTML

    from assessments.models import Assessment
    from reports.pct_report import pct_report
    from reports.pdf import _font_config, _stylesheet, render_pct_pdf

    assessment = Assessment.objects.select_related(
        "round__framework", "round__previous", "pct__sha"
    ).get(round__slug=args.round, pct__ods_code=args.pct.upper())
    report = pct_report(assessment=assessment)

    def plain(page: str = PLAIN_PAGE) -> bytes:
        return HTML(string=page).write_pdf(stylesheets=[_stylesheet()], font_config=_font_config())

    def full_page() -> bytes:
        return plain(FULL_PAGE)

    def full() -> bytes:
        return render_pct_pdf(report)

    pages = len(PdfReader(io.BytesIO(full())).pages)  # also warms fonts and caches
    for name, render in (("plain", plain), ("full page", full_page)):
        if (made := len(PdfReader(io.BytesIO(render())).pages)) != 1:
            print(f"bench/pdf.py: the {name} baseline made {made} pages", file=sys.stderr)
            return 1
    before = load_average()
    renders = (("plain", plain), ("report", full), ("full page", full_page))
    times: dict[str, list[float]] = {name: [] for name, _ in renders}
    cpu: dict[str, list[float]] = {name: [] for name, _ in renders}
    for _ in range(args.repeat):
        for name, render in renders:
            start, start_cpu = time.perf_counter(), time.process_time()
            render()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    after = load_average()

    plain_ms, plain95 = median_ms(times["plain"]), p95_ms(times["plain"])
    report_ms, report95 = median_ms(times["report"]), p95_ms(times["report"])
    figures = {
        "date": f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}",
        "pct": assessment.pct.ods_code,
        "round": assessment.round.slug,
        "repeat": args.repeat,
        "load_average_before": before,
        "load_average_after": after,
        "pages": pages,
        "plain_median_ms": round(plain_ms, 1),
        "plain_p95_ms": round(plain95, 1),
        "report_median_ms": round(report_ms, 1),
        "report_p95_ms": round(report95, 1),
        "per_page_median_ms": round(report_ms / pages, 1),
        "ratio_per_page": round(report_ms / pages / plain_ms, 2),
        "ratio_per_page_p95": round(report95 / pages / plain95, 2),
        "ratio_per_page_cpu": round(median_ms(cpu["report"]) / pages / median_ms(cpu["plain"]), 2),
        "full_page_median_ms": round(median_ms(times["full page"]), 1),
        "ratio_per_page_to_full_page": round(report_ms / pages / median_ms(times["full page"]), 2),
    }
    print(
        f"{figures['date']}, {args.repeat} interleaved pairs, load average {before} (before) "
        f"/ {after} (after)\n"
        f"plain one-page PDF:             median {plain_ms:6.1f} ms, p95 {plain95:6.1f} ms\n"
        f"report of {figures['pct']} {figures['round']}, {pages} pages: "
        f"median {report_ms:6.1f} ms, p95 {report95:6.1f} ms\n"
        f"per page: {report_ms / pages:.1f} ms = {figures['ratio_per_page']:.2f}x the plain "
        f"page (at p95: {figures['ratio_per_page_p95']:.2f}x; by CPU time of this process, "
        f"less disturbed by other load: {figures['ratio_per_page_cpu']:.2f}x)\n"
        f"for information, a full page of plain paragraphs: median "
        f"{figures['full_page_median_ms']:.1f} ms; per page the report is "
        f"{figures['ratio_per_page_to_full_page']:.2f}x that"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(full)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
