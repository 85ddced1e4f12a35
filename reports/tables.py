"""A round's agreed ratings as one pandas table, and the league table built on it.

One query reads the round's standings (``assessments.standings``: one row per PCT with its
agreed values, points and total, kept up to date by the services that change a rating),
and the frame is kept under the round's figures version until something changes. Everything the reports show about a round
(the league table, means by SHA and England, a PCT's place) starts from this frame, so the
number of queries never depends on the number of PCTs.

The ranking rule is ``reports.ranking`` (CONTRACTS.md): governance points first, then the
competency total; equal PCTs share a rank and the next rank skips; only PCTs with an agreed
rating for every item are ranked.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from assessments.factual_accuracy import not_held_back
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    Standing,
)
from assessments.standings import changed_between, figures_versions
from competencies.models import SubIndicator
from competencies.vocabulary import (
    AREA_CODES,
    LIGHT_POINTS,
    RED_ON_ALL_THREE,
    Light,
    competency_code,
    is_competency_code,
)
from reports.kept import Kept, forget_kept

AREAS = list(AREA_CODES)  # pandas selects columns by a list


def item_codes(long: pd.DataFrame) -> pd.Series:
    """Each row's item code: ``competency_code(number)`` or the area code."""
    codes = long["number"].astype("Int64").map(competency_code, na_action="ignore")
    return long["area"].where(long["number"].isna(), codes)


def with_item_and_value(long: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``number, area, level, light`` (one item each) with ``item`` (its code) and
    ``value`` (the level of a competency, the light of an area) added."""
    long = long.copy()
    long["item"] = item_codes(long)
    long["value"] = long["light"].where(long["number"].isna(), long["level"])
    return long


def competency_columns(round_: AssessmentRound) -> list[str]:
    """``c1`` … ``cN`` for the competencies the round's framework scores."""
    numbers = round_.framework.competencies.order_by("number").values_list("number", flat=True)
    return [competency_code(n) for n in numbers]


def competency_key(round_: AssessmentRound) -> list[tuple[str, str]]:
    """``(code, short name)`` of the round's competencies, in column order (``c1`` …):
    the full names behind the short C1 … CN headers, for their visually-hidden text and
    the key under each table or chart."""
    competencies = round_.framework.competencies.order_by("number")
    return [(competency_code(c.number), c.short_name) for c in competencies]


# The latest frame of each round and scope, with the figures version it was computed at
# (``reports.kept``). A request at another version brings it up to date: by recomputing
# only the rows of the assessments changed since (``changed_between``), when the recorded
# steps say which, or else the whole round.
_FRAMES: Kept = Kept("ratings frames", size=16, shared=True)
# Beyond this many changed assessments, reading the whole round again is as quick.
PATCH_LIMIT = 200


def forget_frames() -> None:
    """Drop every kept value (tests that roll back and reuse primary keys)."""
    forget_kept()


def ratings_frame(*, round_: AssessmentRound, sha_codes: list[str] | None = None) -> pd.DataFrame:
    """One row per PCT with agreed ratings in the round, whatever the size: one query
    when the round's figures have not changed since this process last read them; four
    when a few assessments changed (the version, its steps, their ODS codes and their
    rows: only those are read again, the rest kept); three when the whole round must be
    read (the version, the competencies, the rows).

    Once the round is published, PCTs held back by an unanswered factual-accuracy comment
    are left out (``assessments.factual_accuracy``), so that every published output omits
    them and ranks the others without them.

    Columns: ``ods_code, pct, sha, sha_name, strategy, finance, board, c1 … cN,
    governance, total, complete, rank, moderated`` (rank is None where ``complete`` is
    False; ``moderated`` maps each item changed after consensus to the panel's value),
    ordered as the league table lists them. The caller may change it: pandas copies on
    write, so the kept frame stays as it was.
    """
    published = round_.is_published()
    version = figures_versions([round_.pk])[round_.pk]
    scope = (round_.pk, published, None if sha_codes is None else tuple(sha_codes))
    kept = _FRAMES.peek(scope)
    if kept is not None and kept[0] == version:
        return kept[1].copy(deep=False)  # copy-on-write: the caller's changes stay its own
    frame = None
    if kept is not None:
        changed = changed_between(round_id=round_.pk, since=kept[0], until=version)
        if changed is not None and len(changed) <= PATCH_LIMIT:
            frame = _patched(
                kept[1], changed, round_=round_, sha_codes=sha_codes, published=published
            )
    if frame is None:

        def read() -> pd.DataFrame:
            rows = _standing_rows(round_=round_, sha_codes=sha_codes, published=published)
            return _ranked(_frame_of(rows, competency_columns(round_)))

        frame = _FRAMES.made((*scope, version), read, versions=(version,))
    _FRAMES.put(scope, (version, frame))
    return frame.copy(deep=False)


_INDEX = ["ods_code", "pct", "sha", "sha_name"]


def _standing_rows(*, round_: AssessmentRound, sha_codes: list[str] | None, published: bool):
    rows = Standing.objects.filter(round=round_).values_list(
        "assessment__pct__ods_code",
        "assessment__pct__name",
        "assessment__pct__sha__ods_code",
        "assessment__pct__sha__name",
        "values",
        "moderated",
        "governance",
        "total",
        "complete",
    )
    if sha_codes is not None:
        rows = rows.filter(assessment__pct__sha__ods_code__in=sha_codes)
    if published:
        # A PCT held back by an unanswered factual-accuracy comment is not published yet.
        rows = rows.filter(not_held_back("assessment_id"))
    return rows


def _frame_of(rows, columns: list[str]) -> pd.DataFrame:
    """The unranked frame of rows of ``_standing_rows`` (``columns``: c1 … cN), built
    column by column with its types (text, nullable integers, a boolean ``complete``, so
    that ``frame[frame["complete"]]`` filters rows), also where no row has a value."""
    rows = list(rows)
    data = {
        name: pd.array([row[position] for row in rows], dtype="str")
        for position, name in enumerate(_INDEX)
    }
    for item in [*AREAS, *columns]:
        dtype = "str" if item in AREAS else "Int64"
        data[item] = pd.array([row[4].get(item) for row in rows], dtype=dtype)
    data["governance"] = pd.array([row[6] for row in rows], dtype="Int64")
    data["total"] = pd.array([row[7] for row in rows], dtype="Int64")
    data["complete"] = np.array([row[8] for row in rows], dtype=bool)
    data["moderated"] = pd.Series([row[5] for row in rows], dtype=object)
    return pd.DataFrame(data)


def _ranked(wide: pd.DataFrame) -> pd.DataFrame:
    """``wide`` with its ``rank``, in league-table order: the rule of ``reports.ranking``
    (governance points, then total, down; equal PCTs share a rank and the next rank skips;
    equal ranks by PCT name), on whole columns, since a round has up to 10,000 rows and
    this runs after every change. The complete rows come first, the others after them by
    name, unranked."""
    wide = wide.drop(columns="rank", errors="ignore")
    complete = wide["complete"].to_numpy(dtype=bool)
    governance = np.where(complete, wide["governance"].to_numpy("int64", na_value=-1), -1)
    total = np.where(complete, wide["total"].to_numpy("int64", na_value=-1), -1)
    order = np.lexsort(
        (
            wide["ods_code"].to_numpy(dtype=object),
            wide["pct"].to_numpy(dtype=object),
            -total,
            -governance,
            ~complete,
        )
    )
    governance, total, complete = governance[order], total[order], complete[order]
    starts = np.ones(len(order), dtype=bool)  # a row unlike the one above starts a rank
    starts[1:] = (governance[1:] != governance[:-1]) | (total[1:] != total[:-1])
    positions = np.arange(1, len(order) + 1)
    ranks = np.maximum.accumulate(np.where(starts, positions, 0)) if len(order) else positions
    ordered = wide.take(order).reset_index(drop=True)
    ordered["rank"] = pd.Series(ranks, dtype="Int64").mask(~complete)
    return ordered


def _patched(
    frame: pd.DataFrame,
    changed: set[int],
    *,
    round_: AssessmentRound,
    sha_codes: list[str] | None,
    published: bool,
) -> pd.DataFrame:
    """``frame`` with the rows of the ``changed`` assessments read again (two queries),
    ranked again."""
    if not changed:
        return frame
    codes = set(Assessment.objects.filter(pk__in=changed).values_list("pct__ods_code", flat=True))
    rows = _standing_rows(round_=round_, sha_codes=sha_codes, published=published).filter(
        assessment_id__in=changed
    )
    fresh = _frame_of(rows, [c for c in frame.columns if is_competency_code(c)])
    kept = frame[~frame["ods_code"].isin(codes)].drop(columns="rank")
    parts = [part for part in (kept, fresh) if not part.empty]
    if not parts:
        return _ranked(fresh)
    return _ranked(pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0])


def league_table(*, round_: AssessmentRound, sha_codes: list[str] | None = None) -> pd.DataFrame:
    """The ranked PCTs in the CONTRACTS.md columns: ``rank, ods_code, pct, sha, strategy,
    finance, board, c1 … cN, governance, total`` (``sha`` is the SHA's ODS code)."""
    frame = ratings_frame(round_=round_, sha_codes=sha_codes)
    frame = frame[frame["complete"]]
    return frame[
        [
            "rank",
            "ods_code",
            "pct",
            "sha",
            *AREAS,
            *competency_columns(round_),
            "governance",
            "total",
        ]
    ]


def rationale_columns(
    *, round_: AssessmentRound, ods_codes: list[str], items: list[str] | None = None
) -> pd.DataFrame:
    """``strategy_rationale … cN_rationale`` for the given PCTs (one query, and one more
    for the competencies unless ``items`` names the round's areas and competency columns)."""
    rows = AgreedRating.objects.filter(
        assessment__round=round_,
        assessment__pct__ods_code__in=ods_codes,
        sub_indicator__isnull=True,
    ).values_list("assessment__pct__ods_code", "competency__number", "area__code", "rationale")
    long = pd.DataFrame(list(rows), columns=["ods_code", "number", "area", "rationale"])
    items = items if items is not None else [*AREAS, *competency_columns(round_)]
    columns = [f"{c}_rationale" for c in items]
    if long.empty:
        return pd.DataFrame(columns=["ods_code", *columns])
    long["item"] = item_codes(long)
    wide = long.pivot(index="ods_code", columns="item", values="rationale")
    wide.columns = [f"{c}_rationale" for c in wide.columns]
    return wide.reindex(columns=columns).reset_index()


def red_on_all_three(frame: pd.DataFrame) -> pd.Series:
    """Rows red on all three governance areas: ``competencies.vocabulary.RED_ON_ALL_THREE``
    (the rule ``is_red_on_all_three`` applies) compared column by column."""
    if frame.empty:
        return pd.Series(False, index=frame.index, dtype=bool)
    pattern = pd.Series(RED_ON_ALL_THREE)
    return frame[list(pattern.index)].eq(pattern).all(axis=1)


def sub_indicator_columns(round_: AssessmentRound) -> list[str]:
    """``strategy_1 … board_5``: the round's sub-indicators, area by area (one query; empty
    for a framework without them)."""
    rows = (
        SubIndicator.objects.filter(area__framework_id=round_.framework_id)
        .order_by("area__position", "number")
        .values_list("area__code", "number")
    )
    return [f"{code}_{number}" for code, number in rows]


def sub_indicator_table(
    *, round_: AssessmentRound, ods_codes: list[str], columns: list[str] | None = None
) -> pd.DataFrame:
    """``ods_code`` and one column per sub-indicator (``sub_indicator_columns``, unless
    given as ``columns``) with the agreed light, blank where none was agreed, for the
    given PCTs (two queries; one with ``columns``)."""
    columns = columns if columns is not None else sub_indicator_columns(round_)
    rows = AgreedRating.objects.filter(
        assessment__round=round_,
        assessment__pct__ods_code__in=ods_codes,
        sub_indicator__isnull=False,
    ).values_list(
        "assessment__pct__ods_code", "sub_indicator__area__code", "sub_indicator__number", "light"
    )
    long = pd.DataFrame(list(rows), columns=["ods_code", "area", "number", "light"])
    if long.empty:
        # ``dtype=object``: with no PCT at all (a region none of whose PCTs is ranked yet)
        # an empty list would make a float column, which the league table cannot merge on.
        return pd.DataFrame(
            {
                "ods_code": pd.Series(ods_codes, dtype=object),
                **{c: [None] * len(ods_codes) for c in columns},
            }
        )
    long["item"] = long["area"] + "_" + long["number"].astype(str)
    wide = long.pivot(index="ods_code", columns="item", values="light")
    return wide.reindex(index=ods_codes, columns=columns).rename_axis("ods_code").reset_index()


# Rows of a league table file with sub-indicators or rationales read and written at a time:
# at 10,152 PCTs the rationales alone are 71 MB of CSV, sent as they are read (1,000 rows:
# +42 MB at most in the worker, where the whole file took +240 MB, and no slower).
EXTRAS_CHUNK = 1000


def with_extras(
    table: pd.DataFrame,
    *,
    round_: AssessmentRound,
    sub_indicators: bool,
    rationales: bool,
    size: int = EXTRAS_CHUNK,
) -> Iterator[pd.DataFrame]:
    """``table``'s rows, ``size`` at a time and in its order, with the sub-indicators'
    agreed lights and/or the rationales beside them (``sub_indicator_table``,
    ``rationale_columns``: one query per chunk for each, after one for their columns), so
    that a file of every PCT is written while it is read and never held whole. At least
    one chunk, empty for an empty table. Each row is read once, as it stood then: a
    rationale changed while a long file is being sent shows in the rows read after it."""
    subs = sub_indicator_columns(round_) if sub_indicators else []
    items = [*AREAS, *competency_columns(round_)] if rationales else []
    for start in range(0, max(len(table), 1), size):
        chunk = table.iloc[start : start + size]
        codes = list(chunk["ods_code"])
        if sub_indicators:
            lights = sub_indicator_table(round_=round_, ods_codes=codes, columns=subs)
            chunk = chunk.merge(lights, on="ods_code", how="left")
        if rationales:
            texts = rationale_columns(round_=round_, ods_codes=codes, items=items)
            chunk = chunk.merge(texts, on="ods_code", how="left")
        yield chunk


PATTERNS = {
    "green3": ("Green on all three", lambda f: (f[AREAS] == Light.GREEN).all(axis=1)),
    "red3": ("Red on all three", red_on_all_three),
    "no-red": ("No red", lambda f: (f[AREAS] != Light.RED).all(axis=1)),
    "any-red": ("At least one red", lambda f: (f[AREAS] == Light.RED).any(axis=1)),
}


def with_progress(frame: pd.DataFrame, previous: pd.DataFrame | None) -> pd.DataFrame:
    """Add the change since the previous round and the distance to the next rank up.

    ``rank_change``: places gained (positive) or lost; ``total_change``: the change of the
    total over the competencies both rounds score, so that a competency new this year does
    not count as progress; ``to_next_rank``: what it takes to reach the next rank up.
    """
    frame = frame.copy()
    if previous is not None and not previous.empty:
        common = [c for c in frame.columns if is_competency_code(c) and c in previous]
        before = previous.set_index("ods_code")
        now_common = frame[common].apply(pd.to_numeric).sum(axis=1, min_count=1)
        then_common = frame["ods_code"].map(
            before[common].apply(pd.to_numeric).sum(axis=1, min_count=1)
        )
        frame["previous_rank"] = frame["ods_code"].map(before["rank"]).astype("Int64")
        frame["rank_change"] = (frame["previous_rank"] - frame["rank"]).astype("Int64")
        frame["total_change"] = (now_common - then_common).astype("Int64")
    else:
        frame["previous_rank"] = pd.array([None] * len(frame), dtype="Int64")
        frame["rank_change"] = pd.array([None] * len(frame), dtype="Int64")
        frame["total_change"] = pd.array([None] * len(frame), dtype="Int64")
    frame["to_next_rank"] = _distances(frame)
    return frame


def _distances(frame: pd.DataFrame) -> list[str]:
    """For each ranked row, what separates it from the group ranked just above it."""
    keys = list(zip(frame["governance"], frame["total"], strict=True))
    better = sorted({k for k in keys if not pd.isna(k[0])}, reverse=True)
    above = {k: better[i - 1] for i, k in enumerate(better) if i > 0}
    out = []
    for key in keys:
        if key not in above:
            out.append("")
            continue
        governance, total = above[key]
        if governance > key[0]:
            points = int(governance - key[0])
            out.append(f"{points} governance point{'s' if points != 1 else ''}")
        else:
            levels = int(total - key[1])
            out.append(f"{levels} level{'s' if levels != 1 else ''}")
    return out


SORTS = {
    "rank": "rank",
    "pct": "pct",
    "sha": "sha_name",
    **{code: code for code in AREA_CODES},  # the three lights
    "governance": "governance",
    "total": "total",
    "change": "rank_change",
}
# First click: these from the first (rank 1, A to Z), the others from the best (the most
# points, the highest level, the biggest rise). ``-`` before a sort turns it round.
SORTED_UP = frozenset({"rank", "pct", "sha_name"})
LIGHTS = frozenset(AREA_CODES)


def sort_ascending(sort: str) -> bool:
    """Whether the rows of ``sort`` (a ``league_sort``) go from the lowest value (or
    points, for a light) down."""
    name = sort.removeprefix("-")
    return (SORTS.get(name, name) in SORTED_UP) != sort.startswith("-")


def league_frame(
    *,
    round_: AssessmentRound,
    sha_codes: list[str] | None = None,
    within_region: bool = False,
    pattern: str = "",
    sort: str = "rank",
) -> tuple[pd.DataFrame, bool]:
    """The ranked rows of a league table, with progress, filtered and sorted; and whether a
    published previous round was compared.

    ``within_region``: rank among ``sha_codes`` only (before publication, for SHA staff:
    nothing of other regions is read). Otherwise the England ranking, filtered to
    ``sha_codes`` when given.
    """
    frame = ratings_frame(round_=round_, sha_codes=sha_codes if within_region else None)
    frame = frame[frame["complete"]]
    previous = None
    if round_.previous is not None and round_.previous.is_published():
        # Like for like: within a region, last year's rank within the region.
        previous = ratings_frame(
            round_=round_.previous, sha_codes=sha_codes if within_region else None
        )
        previous = previous[previous["complete"]]
        # Like for like: last year's ranks among the PCTs ranked now. Before publication a
        # region may still be scoring (the data walk: Kingston read "up 74" against last
        # year's England rank); a round opened for some SHAs stays so once published (walk
        # V: 16 PCTs of one SHA read "up 100 places" against last year's 152).
        previous = _ranked(previous[previous["ods_code"].isin(frame["ods_code"])])
    frame = with_progress(frame, previous)
    if sha_codes and not within_region:
        frame = frame[frame["sha"].isin(sha_codes)]
    if pattern in PATTERNS and not frame.empty:
        frame = frame[PATTERNS[pattern][1](frame)]
    name = sort.removeprefix("-")
    if name not in SORTS and name not in competency_columns(round_):  # read only if needed
        sort = name = "rank"
    key = SORTS.get(name, name)
    if not frame.empty:
        ascending = sort_ascending(sort)
        by = key
        if key in LIGHTS:  # green first: by the light's points, not its name
            by = "_points"
            frame = frame.assign(_points=frame[key].map(LIGHT_POINTS))
        frame = frame.sort_values(
            [by, "rank", "pct"], ascending=[ascending, True, True], na_position="last"
        ).drop(columns=["_points"], errors="ignore")
    return frame, previous is not None


# --- Kept per version: the league table's rows and files, a round's figures (issue 13) ---
#
# ``ratings_frame`` keeps the round's frame, but a league table then still compared it with
# last year, filtered, sorted and turned 10,000 rows into the page's cells on every request,
# and a PCT's page computed the means of England and of every region to show one PCT. What
# follows keeps those results too, under the versions of every round they read, so that a
# warm request reads the versions (one query) and slices what is kept.


@dataclass(frozen=True)
class League:
    """A league table as one request asked for it (scope, filter, sort), made once per
    version of the rounds it reads. Shared by every request of the process: read-only.

    ``frame``: the rows in page order, in ``league_frame``'s columns (the files and the
    page's rows, ``page_rows``, start from it); ``previous``: a published previous round
    was compared; ``key``: the versions and request it was made for (what is kept from it,
    files and pages, extends this key); ``versions``: the figures versions in ``key``."""

    frame: pd.DataFrame
    previous: bool
    key: tuple
    versions: tuple[int, ...]


# A few MB each at 10,000 PCTs (a filtered, sorted frame); one per scope, filter and sort
# asked for since the figures last changed.
_LEAGUES: Kept[League] = Kept("league tables", size=16, shared=True)


def league_sort(sort: str, columns: list[str]) -> str:
    """The sort a request asked for (a column, or ``-`` and a column: the other way round),
    or ``rank`` for anything the table cannot sort by."""
    name = sort.removeprefix("-")
    return sort if (name in SORTS or name in columns) else "rank"


def kept_league(
    *,
    round_: AssessmentRound,
    columns: list[str],
    sha_codes: list[str] | None,
    within_region: bool,
    pattern: str,
    sort: str,
) -> League:
    """``league_frame``, kept per (versions of the round and of its previous round, their
    publication, scope, filter, sort): one query when nothing changed.

    ``columns`` are the round's competency columns (``competency_columns``), read by the
    caller for its headers; they are part of the key, so a framework edited before the
    round opens is never shown with a table made for the old one.
    """
    previous = round_.previous
    ids = [round_.pk] + ([previous.pk] if previous is not None else [])
    versions = figures_versions(ids)
    pattern = pattern if pattern in PATTERNS else ""
    sort = league_sort(sort, columns)
    key = (
        round_.pk,
        versions[round_.pk],
        round_.is_published(),
        None if previous is None else (previous.pk, versions[previous.pk], previous.is_published()),
        tuple(columns),
        None if sha_codes is None else tuple(sha_codes),
        within_region,
        pattern,
        sort,
    )

    def make() -> League:
        frame, has_previous = league_frame(
            round_=round_,
            sha_codes=sha_codes,
            within_region=within_region,
            pattern=pattern,
            sort=sort,
        )
        return League(
            frame=frame, previous=has_previous, key=key, versions=tuple(versions.values())
        )

    return _LEAGUES.get(key, make, versions=tuple(versions.values()))


def _native(value):
    """A frame cell as Python: ``None`` for a missing value, ``int`` for a pandas number."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, bool) or type(value).__name__ == "bool_":  # numpy's bool too
        return bool(value)
    return int(value) if hasattr(value, "__index__") else value


def page_rows(frame: pd.DataFrame, *, round_: AssessmentRound, columns: list[str]) -> list[dict]:
    """The rows of a page of the league table (``frame``: a ``League.frame`` or a slice of
    it): each row's raw values (for tests and the files' agreement with the page) and the
    strings the template prints as they are, so that rendering does no number formatting
    and no URL reversing per cell. Made for one page at a time, not the whole table: at
    10,000 PCTs the whole table's dicts took 38 MB and seconds after every change, for
    pages of 50 rows."""
    from django.urls import reverse  # tables is a leaf module; Django's URLconf is loaded late

    # One reverse for the whole table: every PCT's page differs only by its ODS code.
    marker = "ODSCODE"
    link = reverse("reports:pct_page", args=[marker, round_.slug])
    rows = []
    for record in frame.to_dict("records"):
        row = {name: _native(value) for name, value in record.items() if name != "moderated"}
        moderated = record["moderated"] or {}
        change = row.get("rank_change")
        total_change = row.get("total_change")
        row.update(
            {
                "moderated": moderated,
                "url": link.replace(marker, row["ods_code"]),
                "rank_text": "" if row["rank"] is None else str(row["rank"]),
                "governance_text": str(row["governance"]),
                "total_text": str(row["total"]),
                "lights": [
                    (row[a], (row[a] or "").capitalize(), moderated.get(a) or "") for a in AREAS
                ],
                "levels": [
                    ("" if row[c] is None else str(row[c]), moderated.get(c) or "") for c in columns
                ],
                "is_new": row.get("previous_rank") is None,
                "change_text": (
                    ""
                    if change is None
                    else f"▲{change}"
                    if change > 0
                    else f"▼{-change}"
                    if change < 0
                    else "="
                ),
                "total_change_text": (
                    ""
                    if total_change is None
                    else f"(+{total_change})"
                    if total_change > 0
                    else f"({total_change})"
                ),
                # What "▲135 (+16)" says, for a screen reader.
                "change_spoken": _change_spoken(change, total_change),
                "to_next_rank_text": row.get("to_next_rank") or "—",
            }
        )
        rows.append(row)
    return rows


def _change_spoken(change: int | None, total_change: int | None) -> str:
    """``up 135 places, total up 16``; ``same place, total down 2``; "" with no change."""
    if change is None:
        return ""
    places = f"{abs(change)} place{'s' if abs(change) != 1 else ''}"
    text = f"up {places}" if change > 0 else f"down {places}" if change < 0 else "same place"
    if total_change:
        text += f", total {'up' if total_change > 0 else 'down'} {abs(total_change)}"
    elif total_change == 0:
        text += ", same total"
    return text


_FILES: Kept[bytes] = Kept("league table files", size=16, shared=True)


def kept_file(league: League, fmt: str, make) -> bytes:
    """The bytes of ``league``'s file in ``fmt`` (``csv`` or ``xlsx``), made once per
    version: a published round's file never changes unless its figures do."""
    return _FILES.get((*league.key, fmt), make, versions=league.versions)


@dataclass(frozen=True)
class RoundFigures:
    """What a PCT's page needs of the whole round, made once per version.

    ``rows``: ``{ods code: {rank, governance, total, complete, strategy … cN}}`` (``None``
    where missing) for every PCT of ``ratings_frame``; ``ranked``: how many are ranked;
    ``england`` and ``regions`` (by SHA code): the mean level of each competency over the
    ranked PCTs.
    """

    rows: dict[str, dict]
    ranked: int
    england: dict[str, float]
    regions: dict[str, dict[str, float]]

    def region(self, sha: str) -> dict[str, float]:
        """The region's means; NaN for each competency when none of its PCTs is ranked,
        as a mean over no rows is."""
        if sha in self.regions:
            return self.regions[sha]
        return {c: float("nan") for c in self.england}

    def rank_among(self, ods_code: str, others: "RoundFigures") -> int | None:
        """The rank ``ods_code`` had here among only the PCTs ranked in ``others`` (another
        round's figures), as ``league_frame`` ranks the previous round: a round of 16 PCTs
        compared with last year's 152 read "rank 1 of 16 (last year 101)" (walk V). None if
        it was not ranked here. Equal PCTs share a rank, as in the league table."""
        mine = (self.rows.get(ods_code) or {}).get("rank")
        if mine is None:
            return None
        ahead = 0
        for code, row in others.rows.items():
            then = self.rows.get(code)
            if row["rank"] is not None and then is not None and then["rank"] is not None:
                ahead += then["rank"] < mine
        return ahead + 1


_ROUND_FIGURES: Kept[RoundFigures] = Kept("round figures", size=16, shared=True)


def round_figures(*, round_: AssessmentRound) -> RoundFigures:
    """The round's ``RoundFigures``: one query (the version) when nothing changed."""
    return _ROUND_FIGURES.for_round(round_, lambda: _round_figures(round_=round_))


def _round_figures(*, round_: AssessmentRound) -> RoundFigures:
    frame = ratings_frame(round_=round_)
    items = [c for c in frame.columns if c in AREAS or is_competency_code(c)]
    columns = [c for c in items if is_competency_code(c)]
    rows = {
        record["ods_code"]: {
            name: _native(record[name])
            for name in ["rank", "governance", "total", "complete", "sha", *items]
        }
        for record in frame.to_dict("records")
    }
    complete = frame[frame["complete"]]
    levels = complete[["sha", *columns]].astype({c: float for c in columns})
    return RoundFigures(
        rows=rows,
        ranked=len(complete),
        england=levels[columns].mean().to_dict(),
        regions={
            sha: means.to_dict() for sha, means in levels.groupby("sha")[columns].mean().iterrows()
        },
    )
