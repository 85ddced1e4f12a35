"""Figures shared by the benchmarks: medians, 95th percentiles, the load average."""

import statistics
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
