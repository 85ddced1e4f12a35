"""Regional moderation: a region's ratings against England's, and the flags that ask for a look.

Each flag is a pure function of small pandas tables, so its rule can be read here, tested
on constructed data and written on the page (``RULES``). The page's data comes from three
``values()`` queries (agreed ratings, members' scores, self-assessments), whatever the
number of PCTs.
"""

import math
from dataclasses import dataclass, field

import pandas as pd

from assessments.models import (
    Assessment,
    AssessmentRound,
    SelfAssessmentRating,
    StrategicHealthAuthority,
)
from competencies.models import LIGHT_POINTS
from panels.models import MemberScore
from reports.tables import AREAS, competency_columns, ratings_frame

Z_THRESHOLD = 2.0
GAP_SDS = 2.0

RULES = {
    "region-mean": (
        "Region differs from England",
        f"A competency whose regional mean differs from England's by a z-score of {Z_THRESHOLD:g} "
        "or more: z = (regional mean - England mean) ÷ (England's standard deviation ÷ √n), n "
        "being the region's number of PCTs. A z-score, not a raw difference, because a gap of "
        "0.2 levels means little in a region of 8 PCTs and much in one of 31; |z| ≥ 2 is "
        "unlikely (about 1 in 20) if the region's PCTs were like England's.",
    ),
    "panel-median": (
        "Agreed level far from the members' scores",
        "An agreed level two or more levels away from the median of the panel members' own "
        "(submitted) scores for that item.",
    ),
    "identical-panel": (
        "Every member gave the same scores",
        "A panel whose submitted members (at least three) gave identical scores on every item: "
        "independent scoring rarely agrees on everything.",
    ),
    "self-assessment-gap": (
        "Far from the self-assessment",
        f"A PCT whose mean gap between the agreed levels and its own self-assessed levels lies "
        f"more than {GAP_SDS:g} standard deviations from the national mean gap (panels usually "
        "score somewhat below self-assessments; this flags the unusual ones, in either direction).",
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

    @property
    def title(self) -> str:
        return RULES[self.rule][0]


def region_mean_flags(levels: pd.DataFrame, region: pd.Series) -> list[Flag]:
    """``levels``: one row per PCT, columns c1…cN; ``region``: True for the region's rows."""
    flags = []
    for column in levels.columns:
        england = levels[column].dropna().astype(float)
        ours = levels.loc[region, column].dropna().astype(float)
        sd = england.std(ddof=0)
        if len(ours) < 2 or sd == 0 or math.isnan(sd):
            continue
        z = (ours.mean() - england.mean()) / (sd / math.sqrt(len(ours)))
        if abs(z) >= Z_THRESHOLD:
            flags.append(
                Flag(
                    "region-mean",
                    f"Competency {column[1:]}",
                    f"region mean {ours.mean():.2f} against England {england.mean():.2f} (z = {z:+.1f})",
                )
            )
    return flags


def panel_median_flags(agreed: pd.DataFrame, members: pd.DataFrame) -> list[Flag]:
    """``agreed``: ods_code, pct, item, level; ``members``: ods_code, item, level (submitted)."""
    if agreed.empty or members.empty:
        return []
    medians = members.groupby(["ods_code", "item"])["level"].median().rename("median")
    joined = agreed.join(medians, on=["ods_code", "item"]).dropna(subset=["median", "level"])
    far = joined[(joined["level"] - joined["median"]).abs() >= 2]
    return [
        Flag(
            "panel-median",
            row.pct,
            f"{row.item}: agreed {int(row.level)}, members' median {row.median:g}",
        )
        for row in far.itertuples()
    ]


def identical_panel_flags(members: pd.DataFrame, names: dict[str, str]) -> list[Flag]:
    """``members``: ods_code, seat, item, value (submitted seats only)."""
    flags = []
    for ods, scores in members.groupby("ods_code"):
        if scores["seat"].nunique() < 3:
            continue
        if (scores.groupby("item")["value"].nunique() == 1).all():
            flags.append(
                Flag(
                    "identical-panel",
                    names.get(ods, ods),
                    f"{scores['seat'].nunique()} members, {scores['item'].nunique()} items",
                )
            )
    return flags


def self_assessment_gap_flags(
    gaps: pd.Series, region_codes: set[str], names: dict[str, str]
) -> list[Flag]:
    """``gaps``: mean (agreed - self-assessed) level per PCT of England, indexed by ODS code."""
    gaps = gaps.dropna()
    sd = gaps.std(ddof=0)
    if len(gaps) < 3 or sd == 0 or math.isnan(sd):
        return []
    mean = gaps.mean()
    return [
        Flag(
            "self-assessment-gap",
            names.get(ods, ods),
            f"mean gap {gap:+.2f} levels against a national mean of {mean:+.2f} (sd {sd:.2f})",
        )
        for ods, gap in gaps.items()
        if ods in region_codes and abs(gap - mean) > GAP_SDS * sd
    ]


def red_all_three_flags(frame: pd.DataFrame) -> list[Flag]:
    red = frame[(frame[AREAS] == "red").all(axis=1)]
    return [
        Flag("red-all-three", row.pct, "red on strategy, finance and board")
        for row in red.itertuples()
    ]


@dataclass
class ItemStats:
    label: str
    region: dict
    england: dict


@dataclass
class Moderation:
    round: AssessmentRound
    sha: StrategicHealthAuthority
    frame: pd.DataFrame  # the region's rows
    competency_stats: list[ItemStats]
    area_stats: list[ItemStats]
    flags: list[Flag]
    assessments: list[Assessment] = field(default_factory=list)

    @property
    def flags_by_rule(self) -> dict[str, list[Flag]]:
        return {rule: [f for f in self.flags if f.rule == rule] for rule in RULES}


def _describe(values: pd.Series) -> dict:
    values = values.dropna().astype(float)
    counts = {level: int((values == level).sum()) for level in (1, 2, 3, 4)}
    if values.empty:
        return {"n": 0, "counts": counts, "mean": None, "median": None, "sd": None}
    return {
        "n": len(values),
        "counts": counts,
        "mean": values.mean(),
        "median": values.median(),
        "sd": values.std(ddof=0),
    }


def _describe_lights(values: pd.Series) -> dict:
    values = values.dropna()
    points = values.map(LIGHT_POINTS).astype(float)
    return {
        "n": len(values),
        "counts": {light: int((values == light).sum()) for light in ("green", "amber", "red")},
        "mean": points.mean() if len(points) else None,
    }


def moderation(*, round_: AssessmentRound, sha: StrategicHealthAuthority) -> Moderation:
    """Everything the regional moderation page shows (a fixed number of queries)."""
    columns = competency_columns(round_)
    england = ratings_frame(round_=round_)
    in_region = england["sha"] == sha.ods_code
    region = england[in_region]
    names = dict(zip(england["ods_code"], england["pct"], strict=True))

    member_rows = pd.DataFrame(
        list(
            MemberScore.objects.filter(
                seat__panel__assessment__round=round_,
                seat__panel__assessment__pct__sha=sha,
                seat__submitted_at__isnull=False,
                sub_indicator__isnull=True,
            ).values_list(
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
    if not member_rows.empty:
        member_rows["item"] = member_rows["area"].where(
            member_rows["number"].isna(), "c" + member_rows["number"].astype("Int64").astype(str)
        )
        member_rows["value"] = member_rows["light"].where(
            member_rows["number"].isna(), member_rows["level"]
        )

    self_rows = pd.DataFrame(
        list(
            SelfAssessmentRating.objects.filter(
                self_assessment__assessment__round=round_,
                self_assessment__status="submitted",
                competency__isnull=False,
            ).values_list(
                "self_assessment__assessment__pct__ods_code", "competency__number", "level"
            )
        ),
        columns=["ods_code", "number", "level"],
    )
    agreed_long = region.melt(
        id_vars=["ods_code", "pct"], value_vars=columns, var_name="item", value_name="level"
    )
    agreed_long["level"] = pd.to_numeric(agreed_long["level"])

    flags = region_mean_flags(england[columns], in_region)
    competency_members = (
        member_rows[member_rows["number"].notna()] if not member_rows.empty else member_rows
    )
    if not competency_members.empty:
        competency_members = competency_members.assign(
            level=pd.to_numeric(competency_members["level"])
        )
    flags += panel_median_flags(agreed_long, competency_members)
    flags += identical_panel_flags(member_rows, names) if not member_rows.empty else []
    if not self_rows.empty:
        agreed_all = england.melt(
            id_vars=["ods_code"], value_vars=columns, var_name="item", value_name="agreed"
        )
        self_rows["item"] = "c" + self_rows["number"].astype(int).astype(str)
        merged = self_rows.merge(agreed_all, on=["ods_code", "item"])
        merged["gap"] = pd.to_numeric(merged["agreed"]) - merged["level"]
        flags += self_assessment_gap_flags(
            merged.groupby("ods_code")["gap"].mean(), set(region["ods_code"]), names
        )
    flags += red_all_three_flags(region)

    competency_stats = [
        ItemStats(c.upper(), _describe(region[c]), _describe(england[c])) for c in columns
    ]
    area_stats = [
        ItemStats(a, _describe_lights(region[a]), _describe_lights(england[a])) for a in AREAS
    ]
    assessments = list(
        Assessment.objects.filter(round=round_, pct__sha=sha)
        .select_related("pct")
        .order_by("pct__name")
    )
    return Moderation(round_, sha, region, competency_stats, area_stats, flags, assessments)


@dataclass
class ShaRow:
    sha: StrategicHealthAuthority
    means: list[tuple[str, float | None, str]]  # (column, mean, "above"/"below"/"")
    review: object
    moved_up: int
    moved_down: int
    pcts: int


def cross_check(*, round_: AssessmentRound) -> tuple[list[str], dict[str, float], list[ShaRow]]:
    """SHA x competency means against England, each region's review and the effect of its
    moderation (ratings moved up and down). A fixed number of queries."""
    from assessments.models import ModerationAdjustment, RegionReview

    columns = competency_columns(round_)
    frame = ratings_frame(round_=round_)
    frame = frame[frame["complete"]]
    levels = frame[columns].astype(float)
    england = levels.mean().to_dict()
    by_sha = levels.groupby(frame["sha"]).mean()
    sd = levels.std(ddof=0)
    counts = frame.groupby("sha").size()
    moves = pd.DataFrame(
        list(
            ModerationAdjustment.objects.filter(rating__assessment__round=round_).values_list(
                "rating__assessment__pct__sha__ods_code", "old_value", "new_value"
            )
        ),
        columns=["sha", "old", "new"],
    )
    reviews = {r.sha_id: r for r in RegionReview.objects.filter(round=round_)}
    rows = []
    for sha in StrategicHealthAuthority.objects.order_by("name"):
        means = []
        n = int(counts.get(sha.ods_code, 0))
        for column in columns:
            mean = by_sha.at[sha.ods_code, column] if sha.ods_code in by_sha.index else None
            direction = ""
            if mean is not None and n >= 2 and sd[column] > 0:
                z = (mean - england[column]) / (sd[column] / math.sqrt(n))
                direction = "above" if z >= Z_THRESHOLD else "below" if z <= -Z_THRESHOLD else ""
            means.append((column, mean, direction))
        mine = moves[moves["sha"] == sha.ods_code]
        up = sum(_rank(new) > _rank(old) for old, new in zip(mine["old"], mine["new"], strict=True))
        rows.append(ShaRow(sha, means, reviews.get(sha.pk), up, len(mine) - up, n))
    return columns, england, rows


def _rank(value: str) -> int:
    return LIGHT_POINTS[value] if value in LIGHT_POINTS else int(value)
