"""The league-table ranking rule of CONTRACTS.md."""

from hypothesis import given
from hypothesis import strategies as st

from reports.ranking import rank_rows


def test_rank_rows_governance_before_total():
    rows = [("A", "Alpha", 4, 30), ("B", "Beta", 6, 12), ("C", "Gamma", 5, 25)]

    ranked = rank_rows(rows)

    assert [(r.rank, r.key) for r in ranked] == [(1, "B"), (2, "C"), (3, "A")]


def test_rank_rows_ties_share_a_rank_and_the_next_rank_skips():
    rows = [
        ("A", "Alpha", 6, 20),
        ("B", "Beta", 6, 22),
        ("C", "Gamma", 6, 20),
        ("D", "Delta", 5, 30),
    ]

    ranked = rank_rows(rows)

    assert [(r.rank, r.key) for r in ranked] == [(1, "B"), (2, "A"), (2, "C"), (4, "D")]


def test_rank_rows_equal_ranks_listed_by_name():
    rows = [("Z", "Zeta", 3, 15), ("M", "Mu", 3, 15), ("A", "Alpha", 3, 15)]

    ranked = rank_rows(rows)

    assert [(r.rank, r.name) for r in ranked] == [(1, "Alpha"), (1, "Mu"), (1, "Zeta")]


rows_strategy = st.lists(
    st.tuples(st.integers(0, 6), st.integers(10, 44)), min_size=0, max_size=40
).map(lambda pairs: [(f"P{i:03d}", f"PCT {i:03d}", g, t) for i, (g, t) in enumerate(pairs)])


@given(rows_strategy)
def test_rank_rows_agrees_with_a_plain_sort(rows):
    ranked = rank_rows(rows)

    plain = sorted(rows, key=lambda r: (-r[2], -r[3], r[1]))
    assert [r.key for r in ranked] == [r[0] for r in plain]
    for row in ranked:
        better = sum(1 for other in rows if (other[2], other[3]) > (row.governance, row.total))
        assert row.rank == better + 1
