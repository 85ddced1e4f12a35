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


def test_client_bench_options_refuse_a_missing_database_and_no_repetitions(tmp_path, capsys):
    from bench.timing import client_bench_parser

    database = tmp_path / "demo.sqlite3"
    database.write_bytes(b"")
    parser = client_bench_parser("a benchmark")

    assert parser.parse_args(["--db", str(database)]).repeat == 5
    for bad, message in (
        (["--db", str(tmp_path / "none.sqlite3")], "argument --db: no database at "),
        (["--db", str(database), "--repeat", "0"], "argument --repeat: must be a whole number"),
    ):
        with pytest.raises(SystemExit) as stopped:
            parser.parse_args(bad)
        assert stopped.value.code == 2 and message in capsys.readouterr().err
