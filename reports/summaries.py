"""England and SHA summaries of a round: distributions, SHA means, outcome priorities, patterns.

Everything comes from one pandas pass over ``reports.tables.ratings_frame`` (the round's
agreed ratings, one row per PCT) plus one ``values()`` query for the local outcome
priorities, so the number of queries never depends on the number of PCTs or SHAs. A
summary is kept under the round's figures version (``reports.kept``; saving a PCT's
outcome priorities gives the round a new version, as a rating does): a page asking again
costs two queries and no pandas.

Only PCTs with an agreed rating for every item count (the league table's rule: a PCT
still being scored or moderated would skew the picture); the page says how many.
"""

from dataclasses import dataclass, replace

import pandas as pd
from django.db.models import Q

from assessments.factual_accuracy import held_back_assessments
from assessments.models import AssessmentRound, LocalOutcomePriority, StrategicHealthAuthority
from competencies.models import GovernanceArea
from competencies.vocabulary import LEVELS, LIGHT_POINTS, Light, competency_code
from reports.kept import Kept
from reports.published import shas_when_published
from reports.tables import AREAS, ratings_frame

LIGHTS = tuple(Light.values)
TOP_PRIORITIES = 10  # how many outcome priorities the summary lists


@dataclass(frozen=True)
class Distribution:
    """How many PCTs of one group (an SHA, or England) got each level or light of one item.

    ``keys`` are the levels 1 to 4 or the lights green, amber, red; ``shares`` are percentages
    of ``n``. For lights, ``mean`` and ``median`` are in governance points (green 2, amber 1,
    red 0).
    """

    keys: tuple
    counts: tuple[int, ...]
    shares: tuple[float, ...]
    n: int
    mean: float | None
    median: float | None

    @property
    def rows(self) -> list[tuple[object, int, float]]:
        """``(key, count, share)`` per level or light, for the tables."""
        return list(zip(self.keys, self.counts, self.shares, strict=True))


@dataclass(frozen=True)
class ItemSummary:
    """One competency or governance area: the scope's distribution and, for an SHA, England's."""

    code: str  # c5, strategy
    label: str  # "5. Managing knowledge…", "Strategy"
    ours: Distribution
    england: Distribution | None = None  # only in an SHA's summary


@dataclass(frozen=True)
class MeansRow:
    """The mean level per competency of one SHA (or of England: ``code`` is empty)."""

    code: str
    name: str
    n: int
    means: tuple[float | None, ...]


@dataclass(frozen=True)
class PopularPriority:
    name: str
    pcts: int
    share: float  # % of the PCTs counted


@dataclass(frozen=True)
class GovernancePattern:
    """One combination of lights, in the order strategy, finance, board."""

    lights: tuple[str, str, str]
    pcts: int
    share: float  # % of the PCTs counted

    @property
    def label(self) -> str:
        return ", ".join(self.lights)


@dataclass(frozen=True)
class RoundSummary:
    round: AssessmentRound
    sha: StrategicHealthAuthority | None  # None: England
    pcts: int  # PCTs counted: complete agreed ratings, in scope
    pcts_incomplete: int  # PCTs in scope with some agreed ratings, but not all
    pcts_held_back: int  # published round: PCTs in scope left out by an unanswered comment
    columns: tuple[str, ...]  # c1 … cN
    competencies: tuple[ItemSummary, ...]
    areas: tuple[ItemSummary, ...]
    sha_means: tuple[MeansRow, ...]  # England: every SHA, then England; an SHA: it, then England
    priorities: tuple[PopularPriority, ...]
    patterns: tuple[GovernancePattern, ...]
    # PCTs counted in the SHA they were in at publication, moved since: (name, then, now)
    moved: tuple[tuple[str, str, str], ...] = ()

    @property
    def scope_name(self) -> str:
        return self.sha.name if self.sha else "England"


# Unrounded: each figure is rounded once, where it is shown (reports.numbers); rounding
# here as well gave 22 of 152 PCTs as 15% in the table (14.47 → 14.5 → 15) and 14% in
# the chart.
def _share(count: int, n: int) -> float:
    return 100 * count / n if n else 0.0


def _number(value) -> float | None:
    return None if pd.isna(value) else float(value)


def distribution(values: pd.Series, keys: tuple) -> Distribution:
    """The counts, shares, mean and median of one item's values (levels or lights)."""
    values = values.dropna()
    counts = tuple(int((values == key).sum()) for key in keys)
    numeric = values.map(LIGHT_POINTS) if keys == LIGHTS else values
    numeric = pd.to_numeric(numeric).astype(float)
    n = len(values)
    return Distribution(
        keys=keys,
        counts=counts,
        shares=tuple(_share(c, n) for c in counts),
        n=n,
        mean=_number(numeric.mean()) if n else None,
        median=_number(numeric.median()) if n else None,
    )


def _means_row(frame: pd.DataFrame, columns: list[str], code: str, name: str) -> MeansRow:
    return MeansRow(
        code=code,
        name=name,
        n=len(frame),
        means=tuple(_number(pd.to_numeric(frame[c]).astype(float).mean()) for c in columns),
    )


def governance_patterns(frame: pd.DataFrame) -> tuple[GovernancePattern, ...]:
    """Each combination of (strategy, finance, board) lights with its number of PCTs: most
    common first; equal counts by governance points, higher first."""
    n = len(frame)
    if not n:
        return ()
    counts = frame.groupby(AREAS).size()
    patterns = [
        GovernancePattern(lights=tuple(lights), pcts=int(count), share=_share(int(count), n))
        for lights, count in counts.items()
    ]
    return tuple(
        sorted(
            patterns,
            key=lambda p: (
                -p.pcts,
                -sum(LIGHT_POINTS[light] for light in p.lights),
                [LIGHTS.index(light) for light in p.lights],
            ),
        )
    )


def popular_priorities(
    rows: list[tuple[str, str]], counted: set[str], n: int, limit: int = TOP_PRIORITIES
) -> tuple[PopularPriority, ...]:
    """``rows``: (indicator name, PCT ODS code); only the ``counted`` PCTs count. Most chosen
    first, equal counts by name."""
    chosen = pd.DataFrame(rows, columns=["name", "ods_code"])
    chosen = chosen[chosen["ods_code"].isin(counted)]
    if chosen.empty:
        return ()
    counts = chosen.groupby("name")["ods_code"].nunique().reset_index(name="pcts")
    counts = counts.sort_values(["pcts", "name"], ascending=[False, True]).head(limit)
    return tuple(
        PopularPriority(name=row.name, pcts=int(row.pcts), share=_share(int(row.pcts), n))
        for row in counts.itertuples()
    )


_SUMMARIES: Kept[RoundSummary] = Kept("round summaries", size=32, shared=True)


def round_summary(
    *, round_: AssessmentRound, sha: StrategicHealthAuthority | None = None
) -> RoundSummary:
    """England's summary of the round, or one SHA's beside England's: two queries (the
    round's competencies and its figures version) when it was computed before at this
    version, in this process or in the shared cache; otherwise also ``ratings_frame``'s and
    the outcome priorities' (saving a PCT's priorities gives the round a new version)."""
    numbered = tuple(
        round_.framework.competencies.order_by("number").values_list("number", "short_name")
    )
    # The competencies' names are in the key: they are not part of the figures' version.
    summary = _SUMMARIES.for_round(
        round_,
        lambda: _round_summary(round_=round_, sha=sha, numbered=numbered),
        sha.pk if sha else None,
        numbered,
    )
    # The kept summary's round and SHA are those of the request that computed it.
    return replace(summary, round=round_, sha=sha)


def _round_summary(
    *,
    round_: AssessmentRound,
    sha: StrategicHealthAuthority | None,
    numbered: tuple[tuple[int, str], ...],
) -> RoundSummary:
    columns = [competency_code(number) for number, _name in numbered]
    names = {competency_code(number): f"{number}. {name}" for number, name in numbered}

    frame = ratings_frame(round_=round_)
    moved = shas_when_published(round_)
    moved_rows = ()
    if moved:  # a published round's regions are those it was published with
        then = frame["ods_code"].map(moved)
        was = frame[then.notna()]
        moved_rows = tuple(
            (row.pct, moved[row.ods_code].name, row.sha_name)
            for row in was.itertuples()
            if sha is None or sha.ods_code in (moved[row.ods_code].code, row.sha)
        )
        frame = frame.assign(
            sha=frame["ods_code"].map({c: m.code for c, m in moved.items()}).fillna(frame["sha"]),
            sha_name=frame["ods_code"]
            .map({c: m.name for c, m in moved.items()})
            .fillna(frame["sha_name"]),
        )
    england = frame[frame["complete"]]
    if sha is not None:
        in_scope = frame[frame["sha"] == sha.ods_code]
        ours = england[england["sha"] == sha.ods_code]
    else:
        in_scope, ours = frame, england

    competencies = tuple(
        ItemSummary(
            code=c,
            label=names[c],
            ours=distribution(ours[c], LEVELS),
            england=distribution(england[c], LEVELS) if sha is not None else None,
        )
        for c in columns
    )
    areas = tuple(
        ItemSummary(
            code=a,
            label=GovernanceArea.Code(a).label,
            ours=distribution(ours[a], LIGHTS),
            england=distribution(england[a], LIGHTS) if sha is not None else None,
        )
        for a in AREAS
    )

    if sha is not None:
        regions = [_means_row(ours, columns, sha.ods_code, sha.name)]
    else:
        regions = [
            _means_row(group, columns, code, name)
            for (name, code), group in england.groupby(["sha_name", "sha"], sort=True)
        ]
    sha_means = (*regions, _means_row(england, columns, "", "England"))

    priority_rows = LocalOutcomePriority.objects.filter(assessment__round=round_)
    if sha is not None:  # with the PCTs moved out since publication (``ours`` counts)
        priority_rows = priority_rows.filter(
            Q(assessment__pct__sha=sha) | Q(assessment__pct__ods_code__in=list(moved))
        )
    priorities = popular_priorities(
        list(priority_rows.values_list("indicator__name", "assessment__pct__ods_code")),
        set(ours["ods_code"]),
        len(ours),
    )

    return RoundSummary(
        round=round_,
        sha=sha,
        pcts=len(ours),
        pcts_incomplete=int((~in_scope["complete"]).sum()),
        pcts_held_back=_held_back(round_, sha),
        columns=tuple(columns),
        competencies=competencies,
        areas=areas,
        sha_means=sha_means,
        priorities=priorities,
        patterns=governance_patterns(ours),
        moved=tuple(sorted(moved_rows)),
    )


def _held_back(round_: AssessmentRound, sha: StrategicHealthAuthority | None) -> int:
    """How many PCTs in scope an unanswered factual-accuracy comment keeps out of a
    published round's figures (``ratings_frame`` leaves them out): the page says why they
    are missing. None before publication, when the frame counts them."""
    if not round_.is_published():
        return 0
    held = held_back_assessments(round_=round_)
    return (held.filter(pct__sha=sha) if sha is not None else held).count()


def summary_charts(summary: RoundSummary) -> dict[str, list[tuple[ItemSummary, str]]]:
    """One distribution chart (SVG) per competency and per governance area, as
    ``{"competencies": [(item, svg), …], "areas": [(item, svg), …]}``: the scope's shares,
    beside England's in an SHA's summary."""
    from reports.charts import distribution_svg  # matplotlib on first use

    charts: dict[str, list[tuple[ItemSummary, str]]] = {}
    for group, items, categories, noun in (
        ("competencies", summary.competencies, tuple(f"Level {k}" for k in LEVELS), "level"),
        ("areas", summary.areas, tuple(k.capitalize() for k in LIGHTS), "light"),
    ):
        charts[group] = []
        for item in items:
            series = ((summary.scope_name, item.ours.shares),)
            if item.england is not None:
                series = (*series, ("England", item.england.shares))
            svg = distribution_svg(
                title=f"{item.label}: share of PCTs at each {noun}",
                categories=categories,
                series=series,
            )
            charts[group].append((item, svg))
    return charts
