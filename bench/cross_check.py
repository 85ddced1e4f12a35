"""The national cross-check page as its kept figures are made, kept and brought up to date;
prints figures, asserts nothing.

    .venv/bin/python bench/cross_check.py --db bench/results/scale-10000.sqlite3 [--repeat 5]

(`make bench SCALE=10000` builds that file.) It works on a copy of the file, through
Django's test client in one process, as the national user on round 2009-10. Each
repetition forgets what the process keeps (``forget_kept``), then takes the page three
times: **first** (everything computed, as a new worker does), **kept** (nothing changed),
and **after a panel's scoring closed** (one assessment at scoring moved to panel consensus
through ``assessment_advance``, so the settled members' facts grow by that panel). Each
request is paired with ``/healthz/`` through the same client, and the ratio is the page's
median over healthz's. Figures in docs/performance.md ("The national cross-check at
10,000 PCTs").
"""

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

STEPS = ("first", "kept", "after a panel's scoring closed")


def main() -> int:
    parser = client_bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--round", default="2009-10")
    args = parser.parse_args()
    with on_a_copy(args.db, "cross-check"):  # the moves below stay out of the file given
        return measure(args)


def measure(args) -> int:
    django_for_the_test_client()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from assessments.models import Assessment, PrimaryCareTrust, Stage
    from assessments.services import assessment_advance
    from reports.kept import forget_kept

    scoring = list(
        Assessment.objects.filter(round__slug=args.round, stage=Stage.SCORING).order_by("pk")
    )
    if len(scoring) < args.repeat:
        print(
            f"bench/cross_check.py: {args.round} has {len(scoring)} assessments at scoring; "
            f"--repeat {args.repeat} needs one each",
            file=sys.stderr,
        )
        return 1
    national = get_user_model().objects.get(username="national")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(national)
    url = f"/reports/cross-check/{args.round}/"
    times = {step: [] for step in (*STEPS, "healthz")}
    queries = {}

    def take(step: str) -> None:
        start = time.perf_counter()
        health = client.get("/healthz/")
        times["healthz"].append(time.perf_counter() - start)
        if health.status_code != 200:
            raise SystemExit(f"bench/cross_check.py: /healthz/ answered {health.status_code}")
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            times[step].append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"bench/cross_check.py: {url} answered {response.status_code}")
        queries[step] = len(captured.captured_queries)

    before = load_average()
    for assessment in scoring[: args.repeat]:
        forget_kept()
        take("first")
        take("kept")
        assessment_advance(assessment=assessment, to_stage=Stage.CONSENSUS, by=national)
        take("after a panel's scoring closed")
    healthz = median_ms(times["healthz"])
    print(
        f"{PrimaryCareTrust.objects.count()} PCTs, round {args.round}, {args.repeat} "
        f"repetitions, load average {before} (before) / {load_average()} (after); "
        f"/healthz/ median {healthz:.2f} ms through the same client"
    )
    print(f"{'request':34} {'median ms':>10} {'p95 ms':>9} {'ratio':>9} {'queries':>8}")
    for step in STEPS:
        ms = median_ms(times[step])
        print(
            f"{step:34} {ms:10.1f} {p95_ms(times[step]):9.1f} {ms / healthz:8.0f}x "
            f"{queries[step]:8}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
