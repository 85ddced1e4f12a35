"""Regional moderation: a region's ratings against England's, and the flags that ask for a look.

Each flag is a pure function of small pandas tables, so its rule can be read here, tested
on constructed data and written on the page (``RULES``). The page's data comes from three
``values()`` queries (agreed ratings, members' scores, self-assessments), whatever the
number of PCTs.

Computing them took most of the page's time at 10,000 PCTs, and they change only when a
rating, a member's scores or a self-assessment changes, so the statistics and flags of a
region are kept per process (``reports.kept``) under the round's figures version (every
agreed-rating change) plus a fingerprint of the panels' seats and the self-assessments
(``inputs_fingerprint``), which the version does not cover: the next request after any of
these changes computes them again.
"""

import datetime
import math
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np
import pandas as pd
from django.db.models import (
    Count,
    Exists,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.utils import timezone

from assessments.factual_accuracy import shown_stage
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    PCTChange,
    SelfAssessment,
    SelfAssessmentRating,
    ShownStage,
    Stage,
    StrategicHealthAuthority,
    shown_stages,
)
from assessments.standings import figures_versions
from competencies.models import GovernanceArea
from competencies.vocabulary import LEVELS, LIGHT_POINTS, Light, competency_code, parse_level
from panels.models import MemberScore, Seat
from reports.kept import Kept
from reports.numbers import fixed, signed
from reports.tables import (
    AREAS,
    competency_columns,
    item_codes,
    ratings_frame,
    red_on_all_three,
    with_item_and_value,
)

Z_THRESHOLD = 2.0  # |z| for a regional mean (about 1 in 20 by chance)
GAP_SDS = 2.0  # standard deviations from the national mean gap to the self-assessment
MEDIAN_LEVELS = 2  # levels between an agreed level and the members' median
MIN_IDENTICAL_MEMBERS = 3  # submitted members needed before unanimity means anything

RULES = {
    "region-mean": (
        "Region differs from England",
        f"A competency whose regional mean differs from England's by a z-score of {Z_THRESHOLD:g} "
        "or more: z = (regional mean - England mean) ÷ (England's standard deviation ÷ √n), n "
        "being the region's number of PCTs. A z-score, not a raw difference, because a gap of "
        "0.2 levels means little in a region of 8 PCTs and much in one of 31; |z| ≥ 2 is "
        "unlikely (about 1 in 20) if the region's PCTs were like England's. England's mean "
        "and standard deviation are taken over every PCT of England with an agreed level, "
        "the region's included; a region with fewer than two rated PCTs is not tested.",
    ),
    "panel-median": (
        "Agreed level far from the members' scores",
        f"An agreed competency level {MEDIAN_LEVELS} or more levels away from the median of "
        "the panel members' own scores for that competency (members who submitted their "
        "scores; a member excused by the chair is left out).",
    ),
    "identical-panel": (
        "Every member gave the same scores",
        "A panel whose submitted members all gave the same level or light on every item "
        "(every competency and governance area), with at least "
        f"{MIN_IDENTICAL_MEMBERS} members counted; members excused by the chair are left out. "
        "Five people scoring on their own rarely agree on everything: check that the scores "
        "were independent.",
    ),
    "self-assessment-gap": (
        "Far from the self-assessment",
        "A PCT whose mean gap (agreed level - self-assessed level, averaged over the "
        "competencies it self-assessed) lies more than "
        f"{GAP_SDS:g} standard deviations from the national mean of that gap, computed over "
        "every PCT of England with a submitted self-assessment. Panels usually score somewhat "
        "below self-assessments, so the rule compares each PCT with that usual gap rather than "
        "with zero, and flags the unusual ones in either direction.",
    ),
    "red-all-three": (
        "Red on all three governance areas",
        "Red for strategy, financial management and board governance: a candidate for directed "
        "development by the SHA.",
    ),
}


@dataclass(frozen=True)
class Flag:
    rule: str
    subject: str  # the PCT (or competency, for a regional flag)
    detail: str
    ods_code: str = ""  # the PCT flagged, if the flag is about one
    item: str = ""  # the item flagged (``c5``, ``strategy``), if the flag is about one

    @property
    def title(self) -> str:
        return RULES[self.rule][0]


def _floats(values: pd.Series) -> np.ndarray:
    """A column's values that are not missing, as floats. The statistics below work on
    numpy arrays: pandas' methods on England's 10,000-row nullable columns took most of
    the time of the moderation page's first request after an adjustment."""
    array = values.to_numpy(dtype=float, na_value=np.nan)
    return array[~np.isnan(array)]


def z_score(england: pd.Series, ours: pd.Series) -> float | None:
    """(regional mean - England mean) / (England sd / sqrt(n)); None where it cannot be
    computed (fewer than two regional values, or no spread in England)."""
    return _z_score(_floats(england), _floats(ours))


def _z_score(england: np.ndarray, ours: np.ndarray) -> float | None:
    """``z_score`` of arrays without missing values."""
    if len(ours) < 2 or not len(england):
        return None
    sd = england.std()  # population standard deviation (ddof=0)
    if sd == 0:
        return None
    return (ours.mean() - england.mean()) / (sd / math.sqrt(len(ours)))


def region_mean_flags(levels: pd.DataFrame, region: pd.Series) -> list[Flag]:
    """``levels``: one row per PCT, columns c1…cN; ``region``: True for the region's rows."""
    in_region = region.reindex(levels.index, fill_value=False).to_numpy(dtype=bool)
    flags = []
    for column in levels.columns:
        values = levels[column].to_numpy(dtype=float, na_value=np.nan)
        rated = ~np.isnan(values)
        england, ours = values[rated], values[rated & in_region]
        z = _z_score(england, ours)
        if z is not None and abs(z) >= Z_THRESHOLD:
            sd = england.std()
            flags.append(
                Flag(
                    "region-mean",
                    f"Competency {column[1:]}",
                    f"region mean {fixed(ours.mean(), 2)} (n = {len(ours)}) against England "
                    f"{fixed(england.mean(), 2)} (sd {fixed(sd, 2)}): z = {signed(z, 1)}",
                    item=column,
                )
            )
    return flags


def panel_median_flags(agreed: pd.DataFrame, members: pd.DataFrame) -> list[Flag]:
    """``agreed``: ods_code, pct, item, level; ``members``: ods_code, item, level (submitted)."""
    if agreed.empty or members.empty:
        return []
    return panel_median_flags_from(agreed, member_medians(members))


def member_medians(members: pd.DataFrame) -> pd.Series:
    """The members' median level per ``(ods_code, item)`` (``members``: ods_code, item,
    level, competencies only)."""
    return members.groupby(["ods_code", "item"])["level"].median().rename("median")


def panel_median_flags_from(agreed: pd.DataFrame, medians: pd.Series) -> list[Flag]:
    """``panel_median_flags`` from medians already taken (``member_medians``)."""
    if agreed.empty or medians.empty:
        return []
    joined = agreed.join(medians, on=["ods_code", "item"]).dropna(subset=["median", "level"])
    far = joined[(joined["level"] - joined["median"]).abs() >= MEDIAN_LEVELS]
    return [
        Flag(
            "panel-median",
            row.pct,
            f"{row.item}: agreed {int(row.level)}, members' median {row.median:g}",
            ods_code=row.ods_code,
            item=row.item,
        )
        for row in far.itertuples()
    ]


def identical_panel_flags(members: pd.DataFrame, names: dict[str, str]) -> list[Flag]:
    """``members``: ods_code, seat, item, value (submitted, not excused seats only).

    A panel is flagged when every member gave a value for every item and, item by item,
    all the values are the same.
    """
    return [_identical_flag(*panel, names) for panel in identical_panels(members)]


def _identical_flag(ods: str, seats: int, items: int, names: dict[str, str]) -> Flag:
    return Flag(
        "identical-panel",
        names.get(ods, ods),
        f"all {seats} members gave the same value on each of {items} items",
        ods_code=ods,
    )


def identical_panels(members: pd.DataFrame) -> list[tuple[str, int, int]]:
    """``(ods_code, members, items)`` of each panel whose members all gave the same value on
    every item (the rule of ``identical_panel_flags``), in a few grouped passes rather than
    a loop over panels: 1,000 panels took seconds one by one."""
    if members.empty:
        return []
    scores = members.dropna(subset=["value"])
    if scores.empty:
        return []
    seats = scores.groupby("ods_code")["seat"].nunique().rename("seats")
    per_item = scores.groupby(["ods_code", "item"])["value"].agg(["nunique", "size"])
    per_item = per_item.join(seats, on="ods_code")
    same = (per_item["nunique"] == 1) & (per_item["size"] == per_item["seats"])
    by_panel = same.groupby(level="ods_code").agg(["all", "size"]).join(seats)
    found = by_panel[by_panel["all"] & (by_panel["seats"] >= MIN_IDENTICAL_MEMBERS)]
    return [
        (ods, int(seats), int(items))
        for ods, seats, items in zip(found.index, found["seats"], found["size"], strict=True)
    ]


def self_assessment_gap_flags(
    gaps: pd.Series, region_codes: set[str], names: dict[str, str]
) -> list[Flag]:
    """``gaps``: mean (agreed - self-assessed) level per PCT of England, indexed by ODS code."""
    gaps = gaps.dropna()
    sd = gaps.std(ddof=0)
    if len(gaps) < 3 or sd == 0 or math.isnan(sd):
        return []
    mean = gaps.mean()
    gaps = gaps[gaps.index.isin(region_codes)]  # the loop below only over the region
    return [
        Flag(
            "self-assessment-gap",
            names.get(ods, ods),
            f"mean gap {signed(gap, 2)} levels against a national mean of {signed(mean, 2)} "
            f"(sd {fixed(sd, 2)}): {signed((gap - mean) / sd, 1)} sd",
            ods_code=ods,
        )
        for ods, gap in gaps.items()
        if ods in region_codes and abs(gap - mean) > GAP_SDS * sd
    ]


def red_all_three_flags(frame: pd.DataFrame) -> list[Flag]:
    red = frame[red_on_all_three(frame)]
    return [
        Flag("red-all-three", row.pct, "red on strategy, finance and board", ods_code=row.ods_code)
        for row in red.itertuples()
    ]


@dataclass
class ItemStats:
    code: str  # c5, strategy
    label: str
    region: dict
    england: dict
    z: float | None = None  # competencies only: the z-score of the regional mean

    @property
    def flagged(self) -> bool:
        return self.z is not None and abs(self.z) >= Z_THRESHOLD


class PctEntry(NamedTuple):
    """One PCT of the region in the round: enough to order, count and find it without
    loading every assessment of a large region as an object. ``stage``: the stage the
    grids show (``shown_stage``)."""

    assessment_id: int
    ods_code: str
    name: str
    stage: int

    @property
    def stage_label(self) -> str:
        return ShownStage(self.stage).label


class RegionMove(NamedTuple):
    """A PCT of the round moved out of the region or into it while the round ran: the
    moderation page says so above its grid, which would otherwise drop (or gain) the PCT
    silently. ``left``: it moved out (to ``other``); else it joined (from ``other``)."""

    name: str
    ods_code: str
    left: bool
    other: str  # the other SHA's name
    on: datetime.datetime
    # after the round was first published: the region's moderation and sign-off were done
    # with the PCT in it (its figures as published keep it there: ``shas_when_published``)
    after_publication: bool = False


def region_moves(*, round_: AssessmentRound, sha: StrategicHealthAuthority) -> list[RegionMove]:
    """The moves of the round's PCTs out of ``sha`` or into it since the round opened,
    oldest first, read from the PCT change history in one query. Before the round was first
    published, each move is a line. After it, one line per PCT whose region then differs
    from its region now, said on the page of the region then (which moderated and signed it
    off, and whose published figures keep it: ``shas_when_published``) and on the page of
    its region now; a PCT moved away and back, or only through, reads nothing (review AE:
    each later move read as if one of its two regions had signed the PCT off)."""
    first = round_.first_published_at
    touching = Q(old_value=sha.ods_code) | Q(new_value=sha.ods_code)
    changes = PCTChange.objects.filter(
        touching | Q(changed_at__gt=first) if first is not None else touching,
        field="sha",
        pct_id__in=Assessment.objects.filter(round=round_).values("pct_id"),
    )
    if round_.opened_at is not None:
        changes = changes.filter(changed_at__gte=round_.opened_at)

    def name_of(value: str) -> Subquery:
        shas = StrategicHealthAuthority.objects.filter(ods_code=OuterRef(value))
        return Subquery(shas.values("name")[:1])

    rows = (
        changes.annotate(old_name=name_of("old_value"), new_name=name_of("new_value"))
        .order_by("changed_at", "pk")
        .values_list(
            "pct__name",
            "pct__ods_code",
            "old_value",
            "new_value",
            "old_name",
            "pct__sha__ods_code",
            "pct__sha__name",
            "new_name",
            "changed_at",
        )
    )
    moves: list[RegionMove] = []
    published: dict[str, list[tuple]] = {}  # the moves of each PCT after publication
    for row in rows:
        name, ods_code, old_value, new_value, old_name, _now, _now_name, new_name, on = row
        if first is not None and on > first:
            published.setdefault(ods_code, []).append(row)
        elif sha.ods_code in (old_value, new_value):
            left = old_value == sha.ods_code
            other = (new_name if left else old_name) or ""
            moves.append(RegionMove(name, ods_code, left, other, on))
    for chain in published.values():
        name, ods_code, then, _new, then_name, now, now_name, _new_name, on = chain[0]
        last = chain[-1][-1]
        if then == now or sha.ods_code not in (then, now):
            continue
        left = then == sha.ods_code
        other = (now_name if left else then_name) or ""
        moves.append(RegionMove(name, ods_code, left, other, last, after_publication=True))
    return sorted(moves, key=lambda move: move.on)


@dataclass(frozen=True)
class RegionFigures:
    """What the page derives from the round's figures, the region's members' scores and
    England's self-assessments: kept per process (``region_figures``) and shared by every
    request that sees the same inputs, so never changed once made."""

    competency_stats: list[ItemStats]
    area_stats: list[ItemStats]
    flags: list[Flag]
    pct_flags: dict[str, list[Flag]]  # ODS code -> the flags about that PCT
    adjusted: frozenset[str]  # ODS codes of the PCTs with a rating changed by moderation
    key: tuple = ()  # what they were kept under: parts of the page made from them use it too


@dataclass
class Moderation:
    round: AssessmentRound
    sha: StrategicHealthAuthority
    figures: RegionFigures
    pcts: list[PctEntry]  # the region's assessments, by PCT name
    items: list[tuple[str, str, str]] = field(default_factory=list)  # (code, short, name)

    @cached_property
    def moves(self) -> list[RegionMove]:
        """The round's PCTs moved out of the region or into it meanwhile (one query)."""
        return region_moves(round_=self.round, sha=self.sha)

    @property
    def competency_stats(self) -> list[ItemStats]:
        return self.figures.competency_stats

    @property
    def area_stats(self) -> list[ItemStats]:
        return self.figures.area_stats

    @property
    def flags(self) -> list[Flag]:
        return self.figures.flags

    @property
    def columns(self) -> list[str]:
        """The round's competency columns, c1 … cN."""
        return [code for code, _short, _name in self.items if code not in AREAS]

    @property
    def ordered(self) -> list[PctEntry]:
        """The grid's order: PCTs with a flag first, then the others, each by name, so that
        the first page holds what most needs a look."""
        flagged = self.figures.pct_flags
        return sorted(self.pcts, key=lambda pct: pct.ods_code not in flagged)  # stable

    @property
    def counts(self) -> dict[str, int]:
        """The whole region's numbers shown above the grid, whichever page is shown."""
        codes = {pct.ods_code for pct in self.pcts}
        return {
            "total": len(self.pcts),
            "flagged": len(codes & self.figures.pct_flags.keys()),
            "adjusted": len(codes & self.figures.adjusted),
        }

    @property
    def stages(self) -> list[ShownStage]:
        """The grid's columns: Held back too once the round's publication time has passed."""
        return shown_stages(published=self.round.is_published())

    @property
    def stage_counts(self) -> list[tuple[ShownStage, int]]:
        return [(stage, sum(p.stage == stage for p in self.pcts)) for stage in self.stages]

    @property
    def flags_by_rule(self) -> dict[str, list[Flag]]:
        return {rule: [f for f in self.flags if f.rule == rule] for rule in RULES}

    @property
    def rules(self) -> list[tuple[str, str, str, int]]:
        """``(code, title, rule, number of flags)`` for the "How flags are raised" list."""
        return [
            (code, title, text, sum(f.rule == code for f in self.flags))
            for code, (title, text) in RULES.items()
        ]

    @property
    def before_moderation(self) -> list[PctEntry]:
        """The region's assessments not yet at regional moderation (they hold up sign-off)."""
        return [p for p in self.pcts if p.stage < Stage.MODERATION]


def describe_levels(values: pd.Series) -> dict:
    """Counts of each level, and the mean, median, standard deviation (population) and
    interquartile range of the levels given."""
    values = _floats(values)
    counts = {level: int((values == level).sum()) for level in LEVELS}
    if not len(values):
        return {"n": 0, "counts": counts, "shares": _shares(counts, 0)} | dict.fromkeys(
            ("mean", "median", "sd", "iqr")
        )
    # Linear interpolation between the closest values, as pandas' median and quantile.
    lower, median, upper = np.percentile(values, [25, 50, 75])
    return {
        "n": len(values),
        "counts": counts,
        "shares": _shares(counts, len(values)),
        "mean": values.mean(),
        "median": median,
        "sd": values.std(),  # population standard deviation (ddof=0)
        "iqr": upper - lower,
    }


def _shares(counts: dict, n: int) -> list[tuple[object, float, float]]:
    """The segments of a 100-wide stacked bar: ``(key, x, width)`` per non-zero count."""
    segments, x = [], 0.0
    for key, count in counts.items():
        if n and count:
            width = 100 * count / n
            segments.append((key, round(x, 2), round(width, 2)))
            x += width
    return segments


def describe_lights(values: pd.Series) -> dict:
    """Counts of each light, and the statistics of their points (green 2, amber 1, red 0)."""
    given = Counter(values.dropna().to_numpy(dtype=object))
    counts = {light: given[light] for light in Light.values}
    points = np.repeat(
        [float(LIGHT_POINTS[light]) for light in counts], [counts[light] for light in counts]
    )
    n = sum(given.values())
    return {
        "n": n,
        "counts": counts,
        "shares": _shares(counts, n),
        "mean": points.mean() if len(points) else None,
        "median": np.median(points) if len(points) else None,
        "sd": points.std() if len(points) else None,
    }


def _submitted_scores(
    *,
    round_: AssessmentRound,
    sha: StrategicHealthAuthority | None = None,
    settled: bool | None = None,
):
    """The members' scores the flags read: submitted, excused members left out, no
    sub-indicators; of the region or of England; ``settled`` as ``_member_rows``'s."""
    scores = MemberScore.objects.filter(
        seat__panel__assessment__round=round_,
        seat__submitted_at__isnull=False,
        seat__absence_reason="",
        sub_indicator__isnull=True,
    )
    if sha is not None:
        scores = scores.filter(seat__panel__assessment__pct__sha=sha)
    if settled is not None:
        past = {"seat__panel__assessment__stage__gt": Stage.SCORING}
        scores = scores.filter(**past) if settled else scores.exclude(**past)
    return scores.order_by()


def _member_rows(
    *,
    round_: AssessmentRound,
    sha: StrategicHealthAuthority | None = None,
    settled: bool | None = None,
) -> pd.DataFrame:
    """Submitted members' scores (excused members left out) of the region, or of England:
    ``ods_code, seat, number, area, level, light, item, value`` (one query). ``settled``:
    only those of assessments past scoring (True), or only the others (False)."""
    scores = _submitted_scores(round_=round_, sha=sha, settled=settled)
    rows = pd.DataFrame(
        list(
            scores.values_list(
                "seat__panel__assessment__pct__ods_code",
                "seat_id",
                "competency__number",
                "area__code",
                "level",
                "light",
            )
        ),
        columns=["ods_code", "seat", "number", "area", "level", "light"],
    )
    if not rows.empty:
        rows = with_item_and_value(rows)
    return rows


def _self_levels(*, round_: AssessmentRound) -> pd.DataFrame:
    """Submitted self-assessed competency levels of England (one query): one row per PCT
    (indexed by ODS code), one column per competency (``c1`` … ``cN``)."""
    return self_levels(_self_rows(round_=round_))


def self_levels(self_rows: pd.DataFrame) -> pd.DataFrame:
    """``_self_rows``' long table as one row per PCT and one column per competency (a
    self-assessment rates each competency once)."""
    if self_rows.empty:
        return pd.DataFrame(index=pd.Index([], name="ods_code"))
    items = self_rows["number"].astype(int).map(competency_code)
    return self_rows.assign(item=items).pivot(index="ods_code", columns="item", values="level")


def self_assessment_gaps(
    england: pd.DataFrame, levels: pd.DataFrame, columns: list[str]
) -> pd.Series:
    """The mean gap (agreed - self-assessed level) of each PCT of ``england`` that
    self-assessed (``levels``: ``self_levels``), over the competencies both rated; NaN for
    a PCT with none. Indexed by ODS code."""
    agreed = england.set_index("ods_code")
    common = levels.index.intersection(agreed.index)
    gaps = agreed.loc[common, columns].to_numpy(dtype=float, na_value=np.nan) - levels.reindex(
        index=common, columns=columns
    ).to_numpy(dtype=float, na_value=np.nan)
    both = ~np.isnan(gaps)
    counts = both.sum(axis=1)
    sums = np.where(both, gaps, 0.0).sum(axis=1)
    return pd.Series(
        np.divide(sums, counts, out=np.full(len(common), np.nan), where=counts > 0), index=common
    )


def _self_rows(*, round_: AssessmentRound) -> pd.DataFrame:
    """Submitted self-assessed competency levels of England: ``ods_code, number, level``."""
    return pd.DataFrame(
        list(
            SelfAssessmentRating.objects.filter(
                self_assessment__assessment__round=round_,
                self_assessment__status="submitted",
                competency__isnull=False,
                level__isnull=False,
            ).values_list(
                "self_assessment__assessment__pct__ods_code", "competency__number", "level"
            )
        ),
        columns=["ods_code", "number", "level"],
    )


@dataclass(frozen=True)
class PanelFacts:
    """What a region's submitted members' scores say, whatever the agreed ratings: kept
    apart (``region_figures``) so that an adjustment, which changes only agreed ratings,
    does not read and group every member's score again."""

    medians: pd.Series  # members' median level per (ods_code, item), competencies
    identical: list[tuple[str, int, int]]  # ``identical_panels``

    def without(self, ods_codes: set[str]) -> "PanelFacts":
        """These facts with the PCTs of ``ods_codes`` left out."""
        if not ods_codes:
            return self
        medians = self.medians
        if not medians.empty:
            medians = medians[~medians.index.get_level_values(0).isin(ods_codes)]
        return PanelFacts(medians, [p for p in self.identical if p[0] not in ods_codes])

    def joined(self, other: "PanelFacts") -> "PanelFacts":
        """These facts and ``other``'s, of other PCTs, as one."""
        return PanelFacts(
            _joined(self.medians, other.medians), sorted(self.identical + other.identical)
        )


def _no_medians() -> pd.Series:
    """Members' medians of no PCT (a new one each time: a kept series is never changed,
    but a caller's copy may be)."""
    return pd.Series(dtype=float, name="median")


def panel_facts(member_rows: pd.DataFrame) -> PanelFacts:
    """``member_rows``: as ``_member_rows`` reads them."""
    competency_members = (
        member_rows[member_rows["number"].notna()] if not member_rows.empty else member_rows
    )
    if competency_members.empty:
        medians = _no_medians()
    else:
        medians = member_medians(
            competency_members.assign(level=pd.to_numeric(competency_members["level"]))
        )
    return PanelFacts(medians, identical_panels(member_rows))


def _flags_from(
    *,
    england: pd.DataFrame,
    in_region: pd.Series,
    panels: PanelFacts,
    self_assessed: pd.DataFrame,
    columns: list[str],
) -> list[Flag]:
    """Every flag of the region (``in_region``: True for its rows of ``england``) from its
    ``PanelFacts`` (England's do as well) and England's self-assessed levels
    (``self_levels``); PCTs outside ``in_region``'s rows, e.g. without agreed ratings yet,
    are left out."""
    region = england[in_region]
    region_codes = set(region["ods_code"])
    pct_names = dict(zip(region["ods_code"], region["pct"], strict=True))
    agreed_long = region.melt(
        id_vars=["ods_code", "pct"], value_vars=columns, var_name="item", value_name="level"
    )
    agreed_long["level"] = pd.to_numeric(agreed_long["level"])

    flags = region_mean_flags(england[columns], in_region)
    flags += panel_median_flags_from(agreed_long, panels.medians)
    flags += [
        _identical_flag(ods, seats, items, pct_names)
        for ods, seats, items in panels.identical
        if ods in region_codes
    ]
    if not self_assessed.empty:
        flags += self_assessment_gap_flags(
            self_assessment_gaps(england, self_assessed, columns), region_codes, pct_names
        )
    flags += red_all_three_flags(region)
    return flags


def round_flags(
    *,
    round_: AssessmentRound,
    england: pd.DataFrame | None = None,
    columns: list[str] | None = None,
    fingerprint: tuple | None = None,
) -> dict[str, list[Flag]]:
    """The flags of every region of the round, by SHA code: the cross-check's view of them.

    The members' facts (medians per PCT and item, identical panels) are taken once for
    England, in one grouped pass over every submitted member's score, and kept under the
    seats' part of ``inputs_fingerprint`` of the round (``fingerprint``, read if not given); each
    region's flags are then ``_flags_from`` with England's facts, which leaves out the
    PCTs of other regions itself (a median joins only the region's agreed ratings; an
    identical panel counts only if its PCT is the region's). Queries: England's agreed
    ratings unless given as ``england`` (``ratings_frame``), the competencies unless given
    as ``columns``, the fingerprint unless given, the members' scores unless their facts
    are kept, the self-assessments."""
    if columns is None:
        columns = competency_columns(round_)
    if england is None:
        england = ratings_frame(round_=round_)
    if fingerprint is None:
        fingerprint = inputs_fingerprint(round_=round_)
    panels = england_panel_facts(round_=round_, fingerprint=fingerprint)
    levels = _self_levels(round_=round_)
    return {
        sha: _flags_from(
            england=england,
            in_region=england["sha"] == sha,
            panels=panels,
            self_assessed=levels,
            columns=columns,
        )
        for sha in sorted(set(england["sha"]))
    }


# England's members' facts, kept under the round's seats' fingerprint alone: an adjustment
# changes the figures version but not them, and reading and grouping every member's score
# of England is most of the time the round's flags take to compute.
_ENGLAND_PANELS: Kept[PanelFacts] = Kept("cross-check panels", size=4)


def england_panel_facts(*, round_: AssessmentRound, fingerprint: tuple) -> PanelFacts:
    """``PanelFacts`` of every submitted member of the round (``fingerprint``:
    ``inputs_fingerprint`` of the round): no query when they are kept; otherwise the assessments
    past scoring, their members' scores and those assessments again unless their facts
    are kept (``_SETTLED_PANELS``), and the members' scores of the assessments not past
    scoring."""
    seats = tuple(row for row in fingerprint if row[0] == "seats")
    return _ENGLAND_PANELS.get((round_.pk, seats), lambda: _england_panel_facts(round_=round_))


# The members' facts of the assessments past scoring, kept per round with the set of those
# assessments: their scores can no longer change (``member_scores_save``,
# ``member_scores_submit`` and ``seat_mark_absent`` refuse after scoring), so a member who
# saves elsewhere makes only the few panels still scoring be read again, not England's; and
# when a panel's scoring closes, only that assessment's scores are read and added.
class _Settled(NamedTuple):
    ids: frozenset[int]  # the assessments past scoring
    facts: PanelFacts  # their members' facts


_SETTLED_PANELS: Kept[_Settled] = Kept("cross-check settled panels", size=4)

# Up to this many assessments are read by their ids (``IN (…)``); for more, every settled
# score of the round is read and grouped.
_BY_IDS = 500


def _england_panel_facts(*, round_: AssessmentRound) -> PanelFacts:
    def settled_ids() -> frozenset[int]:
        return frozenset(
            Assessment.objects.filter(round=round_, stage__gt=Stage.SCORING).values_list(
                "pk", flat=True
            )
        )

    settled = settled_ids()
    kept = _SETTLED_PANELS.peek(round_.pk)
    if kept is not None and kept.ids == settled:
        past = kept.facts
    else:
        past = _settled_facts(round_=round_, settled=settled, kept=kept)
        if settled_ids() == settled:  # kept only if no assessment moved while they were read
            _SETTLED_PANELS.put(round_.pk, _Settled(settled, past))
    live_rows = _member_rows(round_=round_, settled=False)
    live = panel_facts(live_rows)
    # A PCT's facts depend on its own members' scores alone; one that moved between the two
    # reads counts as the later read found it.
    moved = set(live_rows["ods_code"]) if not live_rows.empty else set()
    return past.without(moved).joined(live)


def _settled_facts(
    *, round_: AssessmentRound, settled: frozenset[int], kept: _Settled | None
) -> PanelFacts:
    """The members' facts of ``settled``: those ``kept`` (of another set), less the
    assessments no longer settled (sent back to scoring) and plus those newly settled, when
    few changed; otherwise all read again."""
    added = settled - kept.ids if kept is not None else settled
    removed = kept.ids - settled if kept is not None else frozenset()
    if kept is None or len(added) > _BY_IDS or len(removed) > _BY_IDS:
        return settled_panel_facts(round_=round_, settled=settled)
    facts = kept.facts
    if removed:
        gone = dict(Assessment.objects.filter(pk__in=removed).values_list("pk", "pct__ods_code"))
        if len(gone) < len(removed):  # deleted (the demo seeded again): their PCTs unknown
            return settled_panel_facts(round_=round_, settled=settled)
        facts = facts.without(set(gone.values()))
    if added:  # not among those kept, which are of ``kept.ids`` alone
        facts = facts.joined(settled_panel_facts(round_=round_, settled=added))
    return facts


def settled_panel_facts(*, round_: AssessmentRound, settled: frozenset[int]) -> PanelFacts:
    """``panel_facts`` of the members' scores of ``settled`` (assessments past scoring),
    with the database doing the grouping: it answers one row per assessment and item with
    how many members gave each level (or each light), and one row per
    assessment with its members, instead of every member's score (709,450 rows at 10,152
    PCTs, which the ORM took 1.75 s to read). Two queries (one if there are none); the same
    facts as ``panel_facts(_member_rows(..., settled=True))``
    (reports/tests/test_settled_facts.py).
    Assessments that moved past scoring after ``settled`` was read are left out (the caller
    reads them with the live ones). Up to ``_BY_IDS`` assessments are read by their ids,
    so that adding a newly settled panel to those kept reads that panel's scores alone."""
    scores = _submitted_scores(round_=round_, settled=True)
    if len(settled) <= _BY_IDS:
        scores = scores.filter(seat__panel__assessment__in=settled)
    # Counts of each value the database allows (a level 1-4; a light or blank), not
    # COUNT(DISTINCT …), which SQLite answers with a sorted temporary table per group.
    by_level = {f"l{level}": Count("pk", filter=Q(level=level)) for level in LEVELS}
    by_light = {
        f"light_{light}": Count("pk", filter=Q(light=light)) for light in ("", *Light.values)
    }
    items = pd.DataFrame(
        list(
            scores.values(
                "seat__panel__assessment_id",
                "seat__panel__assessment__pct__ods_code",
                "competency__number",
                "area__code",
            )
            .annotate(**by_level, **by_light)
            .values_list(
                "seat__panel__assessment_id",
                "seat__panel__assessment__pct__ods_code",
                "competency__number",
                "area__code",
                *by_level,
                *by_light,
            )
        ),
        columns=["assessment", "ods_code", "number", "area", *by_level, *by_light],
    )
    items = items[items["assessment"].isin(settled)]
    if items.empty:
        return PanelFacts(_no_medians(), [])
    # A member counts towards a panel's size if they gave a value on some item (a light is
    # never null; a competency's level may be), as ``identical_panels`` counts them.
    seats = dict(
        scores.filter(Q(competency__isnull=True) | Q(level__isnull=False))
        .values("seat__panel__assessment_id")
        .annotate(seats=Count("seat", distinct=True))
        .values_list("seat__panel__assessment_id", "seats")
    )
    items = items.assign(item=item_codes(items))
    counts = items[list(by_level)].to_numpy()
    given = counts.sum(axis=1)
    lights = items[list(by_light)].to_numpy()
    competency = items["number"].notna().to_numpy()
    return PanelFacts(
        _medians_from_counts(items[competency], counts[competency], given[competency]),
        _identical_from_counts(
            items,
            size=np.where(competency, given, lights.sum(axis=1)),
            distinct=np.where(competency, (counts > 0).sum(axis=1), (lights > 0).sum(axis=1)),
            seats=items["assessment"].map(seats).fillna(0).to_numpy(),
        ),
    )


def _medians_from_counts(items: pd.DataFrame, counts: np.ndarray, given: np.ndarray) -> pd.Series:
    """``member_medians`` from how many members gave each level (``counts``: one row per
    item, one column per level of ``LEVELS``): the middle value, or the mean of the two
    middle values, of the sorted levels; NaN where no member gave a level."""
    if items.empty:
        return _no_medians()
    below = counts.cumsum(axis=1)  # members at or below each level

    def level_at(position: np.ndarray) -> np.ndarray:  # 0-based position in sorted order
        return np.asarray(LEVELS)[
            (below <= position[:, None]).sum(axis=1).clip(max=len(LEVELS) - 1)
        ]

    middle = (level_at((given - 1) // 2) + level_at(given // 2)) / 2
    index = pd.MultiIndex.from_arrays([items["ods_code"], items["item"]])
    medians = pd.Series(np.where(given > 0, middle, np.nan), index=index, name="median")
    return medians.sort_index()


def _identical_from_counts(
    items: pd.DataFrame, *, size: np.ndarray, distinct: np.ndarray, seats: np.ndarray
) -> list[tuple[str, int, int]]:
    """``identical_panels`` from each item's number of values (``size``) and of distinct
    values, and each row's panel's number of members who gave a value (``seats``)."""
    rated = size > 0  # an item no member gave a value on is not one of the panel's items
    same = pd.Series(
        (distinct[rated] == 1) & (size[rated] == seats[rated]),
        index=items["ods_code"].to_numpy()[rated],
    )
    by_panel = same.groupby(level=0).agg(["all", "size"])
    members = pd.Series(seats[rated], index=same.index).groupby(level=0).first()
    found = by_panel[by_panel["all"] & (members >= MIN_IDENTICAL_MEMBERS)]
    return [
        (ods, int(members[ods]), int(count))
        for ods, count in zip(found.index, found["size"], strict=True)
    ]


def _joined(*medians: pd.Series) -> pd.Series:
    """Members' medians of disjoint sets of PCTs as one series (an empty one, whose index
    has no levels, left out)."""
    given = [part for part in medians if not part.empty]
    if not given:
        return medians[0]
    return pd.concat(given).rename("median") if len(given) > 1 else given[0]


def inputs_fingerprint(
    *, round_: AssessmentRound, sha: StrategicHealthAuthority | None = None
) -> tuple:
    """One query whose answer changes whenever an input of the flags that the figures
    version does not cover changes: the members' scores of the region (of every region
    without ``sha``, for the cross-check) and the submitted self-assessments of England.
    What a region is made of (each PCT's SHA) comes from ``ratings_frame``, covered by the
    figures version.

    Only the rows that can still change are read, so that it stays cheap at 10,000 PCTs
    (reading every seat of a large region took 10 ms): members' scores change only while
    their assessment is at scoring (``member_scores_save`` and ``seat_mark_absent`` refuse
    otherwise), and a self-assessment only while its assessment is at self-assessment. Each
    save claims the seat's or self-assessment's version and each submission sets its time,
    so the sums change; when the last member submits or the board submits, the assessment
    moves on and its rows leave the set, so the counts and sums of ids change too.
    """
    seats = Seat.objects.filter(
        panel__assessment__round=round_, panel__assessment__stage=Stage.SCORING
    )
    if sha is not None:
        seats = seats.filter(panel__assessment__pct__sha=sha)
    selves = SelfAssessment.objects.filter(
        assessment__round=round_, assessment__stage=Stage.SELF_ASSESSMENT
    )
    aggregates = {
        "n": Count("pk"),
        "ids": Sum("pk"),
        "version": Sum("version"),
        "last": Max("submitted_at"),
    }
    parts = [
        queryset.order_by()
        .values(group)
        .annotate(kind=Value(kind), **aggregates)
        .values_list("kind", *aggregates)
        for kind, queryset, group in (
            ("seats", seats, "panel__assessment__round"),
            ("self-assessments", selves, "assessment__round"),
        )
    ]
    return tuple(sorted(parts[0].union(parts[1], all=True)))


# A region's statistics and flags, kept under the round's figures version and the inputs'
# fingerprint (a handful of regions are moderated at a time; each value is small).
_FIGURES: Kept[RegionFigures] = Kept("moderation figures", size=32, shared=True)


def region_figures(
    *,
    round_: AssessmentRound,
    sha: StrategicHealthAuthority,
    numbered: list[tuple[int, str]],
) -> RegionFigures:
    """The region's statistics and flags: two queries (version, fingerprint) when this
    process has them for the same inputs, five more otherwise. ``numbered``: the round's
    competencies as ``(number, short name)``, part of the key too (a framework is editable
    until its round opens)."""
    version = figures_versions([round_.pk])[round_.pk]
    published = round_.is_published()  # published figures leave held-back PCTs out
    fingerprint = inputs_fingerprint(round_=round_, sha=sha)
    key = (round_.pk, sha.pk, version, published, tuple(numbered), fingerprint)
    seats = tuple(row for row in fingerprint if row[0] == "seats")
    return _FIGURES.get(
        key,
        lambda: _region_figures(round_=round_, sha=sha, numbered=numbered, key=key, seats=seats),
        versions=(version,),
    )


# The members' facts of a region, kept under the seats' part of the fingerprint alone: an
# adjustment changes the figures version but not them (reading and grouping a large
# region's scores is most of the time it takes to compute its flags).
_PANELS: Kept[PanelFacts] = Kept("moderation panels", size=32)


def _region_figures(
    *,
    round_: AssessmentRound,
    sha: StrategicHealthAuthority,
    numbered: list[tuple[int, str]],
    key: tuple,
    seats: tuple,
) -> RegionFigures:
    columns = [competency_code(number) for number, _name in numbered]
    names = {competency_code(number): name for number, name in numbered}
    england = ratings_frame(round_=round_)
    in_region = england["sha"] == sha.ods_code
    region = england[in_region]
    # The region's PCTs are in the key too: one moved in or out changes its panels.
    panels = _PANELS.get(
        (round_.pk, sha.pk, seats, frozenset(region["ods_code"])),
        lambda: panel_facts(_member_rows(round_=round_, sha=sha)),
    )
    flags = _flags_from(
        england=england,
        in_region=in_region,
        panels=panels,
        self_assessed=_self_levels(round_=round_),
        columns=columns,
    )
    competency_stats = [
        ItemStats(
            c,
            f"{c[1:]}. {names[c]}",
            describe_levels(region[c]),
            describe_levels(england[c]),
            z_score(england[c], region[c]),
        )
        for c in columns
    ]
    area_stats = [
        ItemStats(
            a,
            GovernanceArea.Code(a).label,
            describe_lights(region[a]),
            describe_lights(england[a]),
        )
        for a in AREAS
    ]
    pct_flags: dict[str, list[Flag]] = {}
    for flag in flags:
        if flag.ods_code:
            pct_flags.setdefault(flag.ods_code, []).append(flag)
    adjusted = frozenset(
        ods
        for ods, moderated in zip(region["ods_code"], region["moderated"], strict=True)
        if moderated
    )
    return RegionFigures(competency_stats, area_stats, flags, pct_flags, adjusted, key)


def moderation(*, round_: AssessmentRound, sha: StrategicHealthAuthority) -> Moderation:
    """Everything the regional moderation page shows about the whole region: four queries
    (the round's competencies, the figures version, the inputs' fingerprint, the region's
    PCTs and stages) when the statistics and flags are kept, five more when they are
    computed (``region_figures``), whatever the number of PCTs; the page reads one more,
    the PCTs moved into or out of the region meanwhile (``Moderation.moves``)."""
    numbered = list(
        round_.framework.competencies.order_by("number").values_list("number", "short_name")
    )
    columns = [competency_code(number) for number, _name in numbered]
    names = {competency_code(number): name for number, name in numbered} | {
        a: GovernanceArea.Code(a).label for a in AREAS
    }
    figures = region_figures(round_=round_, sha=sha, numbered=numbered)
    pcts = [
        PctEntry(*row)
        for row in Assessment.objects.filter(round=round_, pct__sha=sha)
        .annotate(shown=shown_stage(round_))
        .order_by("pct__name", "pk")
        .values_list("pk", "pct__ods_code", "pct__name", "shown")
    ]
    items = [
        (code, code.upper() if code in columns else names[code], names[code])
        for code in [*AREAS, *columns]
    ]
    return Moderation(round_, sha, figures, pcts, items)


class GridRating(NamedTuple):
    """An agreed rating as the grid shows it (its value, the panel's, its version for the
    adjust form's optimistic lock): a tuple, not a model instance with its competency and
    area, since a page has 350 of them."""

    pk: int
    assessment_id: int
    item: str  # c5, strategy
    competency_id: int | None
    level: int | None
    light: str
    panel_level: int | None
    panel_light: str
    version: int
    has_subs: bool = False  # an area's: the PCT has agreed lights of its sub-indicators

    @property
    def value(self) -> int | str:
        return self.level if self.competency_id else self.light

    @property
    def panel_value(self) -> int | str:
        return self.panel_level if self.competency_id else self.panel_light

    @property
    def is_moderated(self) -> bool:
        return self.value != self.panel_value


def grid_ratings(*, assessment_ids: list[int]) -> list[GridRating]:
    """The agreed ratings (sub-indicators left out) of a page of the grid, in one query; an
    area's says whether the PCT has agreed lights of its sub-indicators (the PCT's row then
    links to their page: they do not widen the grid)."""
    subs = AgreedRating.objects.filter(
        assessment_id=OuterRef("assessment_id"), sub_indicator__area_id=OuterRef("area_id")
    )
    rows = (
        AgreedRating.objects.filter(assessment_id__in=assessment_ids, sub_indicator__isnull=True)
        .annotate(has_subs=Exists(subs))
        .values_list(
            "pk",
            "assessment_id",
            "competency__number",
            "area__code",
            "competency_id",
            "level",
            "light",
            "panel_level",
            "panel_light",
            "version",
            "has_subs",
        )
    )
    return [
        GridRating(pk, assessment, competency_code(number) if number else area, *rest)
        for pk, assessment, number, area, *rest in rows
    ]


@dataclass
class Cell:
    """One agreed rating in the compact table (``rating`` is None where none is agreed)."""

    item: str  # c5, strategy
    label: str  # 5. Prioritising investment, Strategy
    rating: GridRating | None
    flags: list[Flag]


@dataclass
class RatingRow:
    assessment: Assessment
    cells: list[Cell]
    flags: list[Flag]  # every flag about this PCT

    @property
    def adjustable(self) -> bool:
        return self.assessment.stage == Stage.MODERATION


def rating_rows(
    *,
    assessments: list[Assessment],
    ratings: list[GridRating],
    items: list[tuple[str, str, str]],
    pct_flags: dict[str, list[Flag]],
) -> list[RatingRow]:
    """The compact table: one row per PCT of ``assessments`` (a page of the grid), one cell
    per item (``items``: areas, then competencies, as ``Moderation.items``), each cell with
    the flags raised about it. No queries: ``ratings`` (``grid_ratings``) are already
    fetched."""
    by_key = {(rating.assessment_id, rating.item): rating for rating in ratings}
    labels = {
        code: (f"{code[1:]}. {name}" if code not in AREAS else name) for code, _short, name in items
    }
    rows = []
    for assessment in assessments:
        mine = pct_flags.get(assessment.pct.ods_code, [])
        cells = [
            Cell(
                code,
                labels[code],
                by_key.get((assessment.pk, code)),
                [f for f in mine if f.item == code],
            )
            for code, _short, _name in items
        ]
        rows.append(RatingRow(assessment, cells, mine))
    return rows


@dataclass
class ShaRow:
    sha: StrategicHealthAuthority
    means: list[tuple[str, float | None, str]]  # (column, mean, "above"/"below"/"")
    review: object
    moved_up: int
    moved_down: int
    pcts: int
    flags: dict[str, int] = field(default_factory=dict)  # rule -> number of flags
    stages: dict[int, int] = field(default_factory=dict)  # stage -> number of PCTs

    @property
    def status(self) -> str:
        """The region's review status, or, before any review is decided, where its PCTs
        are (``region_stage``): never "Regional moderation" while PCTs are still scoring."""
        from assessments.models import RegionReview

        if self.review is not None and self.review.status != RegionReview.Status.MODERATING:
            return self.review.get_status_display()
        return region_stage(self.stages)

    @property
    def flag_total(self) -> int:
        return sum(self.flags.values())

    @property
    def window_closed(self) -> bool:
        """Whether its boards' factual-accuracy window has closed (the cross-check's status
        reads "closed" then, not "closes" on a past date)."""
        closes = getattr(self.review, "factual_accuracy_closes", None)
        return closes is not None and closes <= timezone.now()


def region_stage(stages: dict[int, int]) -> str:
    """A region's stage told honestly from its PCTs' stages (``{stage: count}``).

    All at one stage: that stage ("Regional moderation"). Otherwise the earliest stage
    first, each with how many PCTs are there, e.g. "Self-assessment (1 of 17), Panel
    formation (1 of 17), Scoring (15 of 17)". No PCT: "No assessments".
    """
    present = sorted((stage, n) for stage, n in stages.items() if n)
    if not present:
        return "No assessments"
    if len(present) == 1:
        return ShownStage(present[0][0]).label
    total = sum(n for _stage, n in present)
    return ", ".join(f"{ShownStage(stage).label} ({n} of {total})" for stage, n in present)


@dataclass(frozen=True)
class CrossCheckFigures:
    """What the cross-check derives from the round's figures, every member's scores and
    England's self-assessments: kept per process (``cross_check_figures``) and shared by
    every request that sees the same inputs, so never changed once made."""

    england: dict[str, float]  # column -> England's mean level
    means: dict[str, list[tuple[str, float | None, str]]]  # SHA code -> ShaRow.means
    pcts: dict[str, int]  # SHA code -> PCTs with complete ratings
    flags: dict[str, dict[str, int]]  # SHA code -> rule -> number of flags


# The round's cross-check figures, kept under the figures version and the round's inputs'
# fingerprint (one value per round and publication state; each is small).
_CROSS_CHECK: Kept[CrossCheckFigures] = Kept("cross-check figures", size=8, shared=True)


def cross_check_figures(*, round_: AssessmentRound, columns: list[str]) -> CrossCheckFigures:
    """The means and flag counts of every region: two queries (the figures version, the
    inputs' fingerprint) when this process has them for the same inputs; when not, the
    ``ratings_frame`` queries, the members' scores unless their facts are kept
    (``england_panel_facts``) and the self-assessments.

    The key covers every input: the agreed ratings and each PCT's region come from
    ``ratings_frame``, itself kept under the figures version and whether the round is
    published; the members' scores and self-assessments are covered by
    ``inputs_fingerprint`` of the round; ``columns`` (the framework is editable until its round
    opens) is in the key too.
    """
    fingerprint = inputs_fingerprint(round_=round_)
    return _CROSS_CHECK.for_round(
        round_,
        lambda: _cross_check_figures(round_=round_, columns=columns, fingerprint=fingerprint),
        tuple(columns),
        fingerprint,
    )


def _cross_check_figures(
    *, round_: AssessmentRound, columns: list[str], fingerprint: tuple
) -> CrossCheckFigures:
    everything = ratings_frame(round_=round_)
    flags = round_flags(round_=round_, england=everything, columns=columns, fingerprint=fingerprint)
    frame = everything[everything["complete"]]
    levels = frame[columns].astype(float)
    # No PCT rated yet (a round at self-assessment): no mean, not NaN.
    england = {c: None if math.isnan(m) else m for c, m in levels.mean().to_dict().items()}
    by_sha = levels.groupby(frame["sha"]).mean()
    sd = levels.std(ddof=0)
    counts = frame.groupby("sha").size()
    means: dict[str, list[tuple[str, float | None, str]]] = {}
    for sha in by_sha.index:
        n = int(counts.get(sha, 0))
        means[sha] = []
        for column in columns:
            mean = by_sha.at[sha, column]
            direction = ""
            if n >= 2 and sd[column] > 0:
                z = (mean - england[column]) / (sd[column] / math.sqrt(n))
                direction = "above" if z >= Z_THRESHOLD else "below" if z <= -Z_THRESHOLD else ""
            means[sha].append((column, mean, direction))
    return CrossCheckFigures(
        england,
        means,
        {sha: int(n) for sha, n in counts.items()},
        {
            sha: {rule: sum(f.rule == rule for f in found) for rule in RULES}
            for sha, found in flags.items()
        },
    )


def cross_check(*, round_: AssessmentRound) -> tuple[list[str], dict[str, float], list[ShaRow]]:
    """SHA x competency means against England, each region's review and the effect of its
    moderation (ratings moved up and down). A fixed number of queries: the means and flags
    are kept (``cross_check_figures``); the reviews, stages and moves are read each time."""
    from assessments.models import ModerationAdjustment, RegionReview

    columns = competency_columns(round_)
    figures = cross_check_figures(round_=round_, columns=columns)
    # Each rating's net move: the value before its first adjustment against its value after
    # the last, so that a rating adjusted three times counts once (the scale walk read
    # "2 up, 1 down" for one rating moved up twice and down once), and one moved back to
    # where it was not at all, as the moderation page counts adjusted ratings.
    net: dict[int, list[str]] = {}
    for rating_id, sha_code, old, new in (
        ModerationAdjustment.objects.filter(rating__assessment__round=round_)
        .order_by("pk")
        .values_list(
            "rating_id", "rating__assessment__pct__sha__ods_code", "old_value", "new_value"
        )
    ):
        net.setdefault(rating_id, [sha_code, old, new])[2] = new
    moves = pd.DataFrame(list(net.values()), columns=["sha", "old", "new"])
    reviews = {r.sha_id: r for r in RegionReview.objects.filter(round=round_)}
    stages: dict[str, dict[int, int]] = {}
    # Published on the clock (still at the check until the notices are sent), or Held back.
    for code, shown, n in (
        Assessment.objects.filter(round=round_)
        .annotate(shown=shown_stage(round_))
        .values("pct__sha__ods_code", "shown")
        .annotate(n=Count("pk"))
        .values_list("pct__sha__ods_code", "shown", "n")
    ):
        stages.setdefault(code, {})[shown] = n
    no_means = [(column, None, "") for column in columns]
    no_flags = dict.fromkeys(RULES, 0)
    rows = []
    for sha in StrategicHealthAuthority.objects.order_by("name"):
        mine = moves[moves["sha"] == sha.ods_code]
        pairs = list(zip(mine["old"], mine["new"], strict=True))
        up = sum(_rank(new) > _rank(old) for old, new in pairs)
        down = sum(_rank(new) < _rank(old) for old, new in pairs)
        rows.append(
            ShaRow(
                sha,
                figures.means.get(sha.ods_code, no_means),
                reviews.get(sha.pk),
                up,
                down,
                figures.pcts.get(sha.ods_code, 0),
                figures.flags.get(sha.ods_code, no_flags),
                stages.get(sha.ods_code, {}),
            )
        )
    return columns, figures.england, rows


def _rank(value: str) -> int:
    return LIGHT_POINTS[value] if value in LIGHT_POINTS else parse_level(value)
