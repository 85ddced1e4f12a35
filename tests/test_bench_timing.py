"""The figures the benchmarks print (bench/timing.py): medians and 95th percentiles."""

import pytest

from bench.timing import median_ms, p95_ms


def test_p95_of_twenty_figures_lies_between_the_two_largest():
    seconds = [n / 1000 for n in range(1, 21)]  # 1 ms … 20 ms

    assert p95_ms(seconds) == pytest.approx(19.05)
    assert median_ms(seconds) == pytest.approx(10.5)


def test_p95_of_few_figures_is_near_the_largest_and_of_one_is_itself():
    assert p95_ms([0.010, 0.030]) == pytest.approx(29.0)
    assert p95_ms([0.004]) == pytest.approx(4.0)
