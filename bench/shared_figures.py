"""A new worker's first request to each report page, with and without the figures other
workers left in a shared cache (``reports.kept.shared_value``); prints figures, asserts
nothing.

    .venv/bin/python bench/shared_figures.py --db bench/results/scale-10000.sqlite3 \
        [--repeat 5] [--cache-url redis://127.0.0.1:6379/15]

(`make bench SCALE=10000` builds that file.) It works on a copy of the file, through
Django's test client in one process. A "new worker" is this process with everything it
keeps forgotten (``forget_kept`` and the charts' caches), which is all a restarted or
added worker lacks. For each page and repetition: **new worker, nothing shared** (the
shared cache emptied too: everything computed, as every new worker did before), **new
worker, shared** (another worker computed the same version: read from the cache) and
**kept** (this worker's own).
Each request is paired with ``/healthz/`` through the same client; the ratio is the page's
median over healthz's. The cache is a directory of a temporary folder unless
``--cache-url`` names another (a Redis database it may empty: use a spare one). Figures in
docs/performance.md ("Figures shared between workers").
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.timing import (
    client_bench_parser,
    django_for_the_test_client,
    load_average,
    median_ms,
    on_a_copy,
    p95_ms,
)

STEPS = ("new worker, nothing shared", "new worker, shared", "kept")
# (label, user or None, URL); {sha}: the region at moderation with the most PCTs.
PAGES = (
    ("league table 2009-10", "national", "/reports/league-table/2009-10/"),
    ("league table (CSV)", "national", "/reports/league-table/2009-10/?format=csv"),
    ("league table (XLSX)", "national", "/reports/league-table/2009-10/?format=xlsx"),
    ("open data (JSON) 2008-09", None, "/api/results/2008-09.json"),
    ("PCT results page", "board.5pg", "/reports/pct/5PG/2008-09/"),
    ("moderation page", "moderator.{sha}", "/reports/moderation/2009-10/{SHA}/"),
    ("national cross-check", "national", "/reports/cross-check/2009-10/"),
    ("summary of the region", "national", "/reports/summary/2009-10/{SHA}/"),
)


def main() -> int:
    parser = client_bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--cache-url", help="a shared cache (default: a temporary directory)")
    args = parser.parse_args()
    with on_a_copy(args.db, "shared-figures") as scratch:  # logging in writes sessions
        os.environ["CACHE_URL"] = args.cache_url or f"file://{scratch}/cache"
        return measure(args)


def measure(args) -> int:
    django_for_the_test_client()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from assessments.models import Assessment, PrimaryCareTrust, Stage
    from reports import charts
    from reports.kept import forget_kept, shared_cache

    def new_worker() -> None:
        """Forget all a worker keeps: figures and charts."""
        forget_kept()
        charts.distribution_svg.cache_clear()
        charts.competency_profile_svg.cache_clear()

    cache = shared_cache()
    if cache is None:
        print("bench/shared_figures.py: the cache given is not shared", file=sys.stderr)
        return 1
    sha = (
        Assessment.objects.filter(round__slug="2009-10", stage=Stage.MODERATION)
        .values("pct__sha__ods_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "pct__sha__ods_code")
        .values_list("pct__sha__ods_code", flat=True)
        .first()
    )
    users = get_user_model().objects
    clients: dict[str | None, Client] = {}

    def client_of(who: str | None) -> Client:
        if who not in clients:
            clients[who] = Client(HTTP_HOST="127.0.0.1")
            if who:
                clients[who].force_login(users.get(username=who))
        return clients[who]

    times = {(page, step): [] for page, _, _ in PAGES for step in (*STEPS, "healthz")}
    queries = {}
    before = load_average()
    for _ in range(args.repeat):
        for page, who, url in PAGES:
            who = who.format(sha=sha.lower()) if who else None
            url = url.format(SHA=sha)
            client = client_of(who)
            for step in STEPS:
                if step != "kept":
                    new_worker()
                if step == "new worker, nothing shared":
                    cache.clear()
                start = time.perf_counter()
                health = client.get("/healthz/")
                times[page, "healthz"].append(time.perf_counter() - start)
                with CaptureQueriesContext(connection) as captured:
                    start = time.perf_counter()
                    response = client.get(url)
                    times[page, step].append(time.perf_counter() - start)
                if health.status_code != 200 or response.status_code != 200:
                    raise SystemExit(
                        f"bench/shared_figures.py: {url} answered {response.status_code}, "
                        f"/healthz/ {health.status_code}"
                    )
                queries[page, step] = len(captured.captured_queries)
    print(
        f"{PrimaryCareTrust.objects.count()} PCTs, {args.repeat} repetitions, cache "
        f"{type(cache).__name__}, load average {before} (before) / {load_average()} (after)"
    )
    print(f"{'page':26} {'request':28} {'median ms':>10} {'p95 ms':>9} {'ratio':>8} {'queries':>8}")
    for page, _, _ in PAGES:
        healthz = median_ms(times[page, "healthz"])
        for step in STEPS:
            ms = median_ms(times[page, step])
            print(
                f"{page:26} {step:28} {ms:10.1f} {p95_ms(times[page, step]):9.1f} "
                f"{ms / healthz:7.0f}x {queries[page, step]:8}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
