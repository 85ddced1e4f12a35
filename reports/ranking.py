"""The league-table ranking rule (CONTRACTS.md), in one place.

Higher governance points first, then higher competency total; PCTs equal on both share a
rank and the next rank skips (1, 2, 2, 4); rows of equal rank are listed by PCT name.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class RankedRow:
    rank: int
    key: str
    name: str
    governance: int
    total: int


def rank_rows(rows: Iterable[tuple[str, str, int, int]]) -> list[RankedRow]:
    """Rank ``(key, name, governance, total)`` tuples; returns them in league-table order."""
    ordered: Sequence[tuple[str, str, int, int]] = sorted(
        rows, key=lambda row: (-row[2], -row[3], row[1], row[0])
    )
    ranked: list[RankedRow] = []
    for position, (key, name, governance, total) in enumerate(ordered, start=1):
        previous = ranked[-1] if ranked else None
        same = previous and (previous.governance, previous.total) == (governance, total)
        rank = previous.rank if same else position
        ranked.append(RankedRow(rank, key, name, governance, total))
    return ranked
