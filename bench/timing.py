"""Figures shared by the benchmarks: medians, 95th percentiles, the load average; and the
set-up of the scripts that measure through Django's test client on a copy of a database."""

import argparse
import os
import shutil
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def median_ms(seconds: list[float]) -> float:
    return statistics.median(seconds) * 1000


def p95_ms(seconds: list[float]) -> float:
    """The 95th percentile (inclusive method: the largest figure for fewer than 20)."""
    if len(seconds) < 2:
        return seconds[0] * 1000
    return statistics.quantiles(seconds, n=20, method="inclusive")[18] * 1000


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (Linux), to print beside every run."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


@contextmanager
def on_a_copy(db: Path, name: str) -> Iterator[Path]:
    """The environment for Django's test client on a copy of the SQLite file ``db``, in a
    temporary folder (yielded) removed afterwards: what the benchmark writes (sessions,
    the changes it makes) never reaches the file given. Set anything else (``CACHE_URL``)
    before ``django_for_the_test_client``."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / f"{name}.sqlite3"
        shutil.copyfile(db, copy)
        os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
        os.environ["DJANGO_SETTINGS_MODULE"] = "wcc_site.settings"
        os.environ.setdefault("SECRET_KEY", f"bench-{name}-not-secret")  # nothing kept signed
        os.environ["DEBUG"] = "1"  # the test client's host and no HTTPS redirect
        yield Path(scratch)


def django_for_the_test_client() -> None:
    """``django.setup()``, django-axes quiet (not a line per ``force_login``), and pandas
    imported, as gunicorn preloads it: no request measured pays for the import."""
    import logging

    import django

    django.setup()
    logging.getLogger("axes").setLevel(logging.WARNING)
    import pandas  # noqa: F401


def client_bench_parser(description: str, *, repeat: int = 5) -> argparse.ArgumentParser:
    """The options of a script measuring through the test client on a copy of a database:
    ``--db`` (a SQLite file that exists) and ``--repeat`` (1 or more); argparse stops with
    a usage message naming the option for anything else."""

    def existing_file(text: str) -> Path:
        if not Path(text).is_file():
            raise argparse.ArgumentTypeError(f"no database at {text}")
        return Path(text)

    def at_least_one(text: str) -> int:
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more, not {text!r}")
        return int(text)

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--db", type=existing_file, required=True, help="SQLite file of a seeded demo"
    )
    parser.add_argument("--repeat", type=at_least_one, default=repeat)
    return parser
