"""Everything a PCT's feedback report shows, gathered in a fixed number of queries.

The PDF (``reports.pdf``) renders a ``PctReport``; nothing here depends on how it is shown.
Comparisons use the data the application has: the PCT against the mean of England and of
its SHA (its peer group here, for want of population or deprivation data to group PCTs
by), and against its own previous round. A level counts as "better" or "worse" than a
mean when it differs from it by more than a quarter of a level, "similar" otherwise.
"""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from assessments.factual_accuracy import is_held_back, report_is_draft
from assessments.models import (
    AgreedRating,
    Assessment,
    DevelopmentPlan,
    DevelopmentPriority,
    LocalOutcomePriority,
    ModerationAdjustment,
    PCTChange,
    SelfAssessmentRating,
)
from assessments.selectors import priorities_in_order
from competencies.models import (
    LIGHT_POINTS,
    Competency,
    SubIndicator,
    item_key,
    rating_key,
    value_field,
)
from competencies.selectors import framework_items
from competencies.vocabulary import AREA_CODES, LEVELS, Light, is_competency_code
from panels.models import Seat

SIMILAR_WITHIN = 0.25


def compare(value: float | None, mean: float | None) -> str:
    """``better``, ``similar`` or ``worse`` than a mean (within ±0.25 is similar)."""
    if value is None or mean is None:
        return ""
    if value > mean + SIMILAR_WITHIN:
        return "better"
    if value < mean - SIMILAR_WITHIN:
        return "worse"
    return "similar"


@dataclass
class ReportItem:
    item: object
    rating: AgreedRating | None
    meaning: str = ""  # the level's descriptor, or what the light means for the area
    self_value: int | str | None = None
    adjustments: list[ModerationAdjustment] = field(default_factory=list)
    england_mean: float | None = None
    sha_mean: float | None = None
    previous_value: int | str | None = None
    has_previous: bool = False  # this item was rated last year
    compared: bool = False  # the PCT was assessed last year at all
    subs: list["ReportItem"] = field(default_factory=list)  # an area's rated sub-indicators

    @property
    def is_competency(self) -> bool:
        return isinstance(self.item, Competency)

    @property
    def value(self):
        return self.rating.value if self.rating else None

    @property
    def label(self) -> str:
        if isinstance(self.item, SubIndicator):
            return f"{self.item.number}. {self.item.name}"
        return (
            f"{self.item.number}. {self.item.short_name}" if self.is_competency else self.item.name
        )

    @property
    def versus_england(self) -> str:
        return compare(self.value, self.england_mean) if self.is_competency else ""

    @property
    def versus_sha(self) -> str:
        return compare(self.value, self.sha_mean) if self.is_competency else ""

    @property
    def change(self) -> str:
        """Against the previous round: better, same or worse; "new" for a new competency."""
        if not self.compared:
            return ""
        if not self.has_previous:
            return "new this year" if self.is_competency else ""
        if self.value is None or self.previous_value is None:
            return ""
        now, before = (
            (self.value, self.previous_value)
            if self.is_competency
            else (LIGHT_POINTS[self.value], LIGHT_POINTS[self.previous_value])
        )
        return "better" if now > before else "worse" if now < before else "same"

    @property
    def change_text(self) -> str:
        """The change as a phrase: "Better than last year", "Same as last year"…"""
        change = self.change
        if change == "new this year":
            return "New this year"
        if change == "same":
            return "Same as last year"
        return f"{change.capitalize()} than last year" if change else ""

    @property
    def year_flag(self) -> str:
        """A year-on-year warning: the item got worse, or stayed at the bottom (level 1 or
        red) without improving."""
        change = self.change
        if change == "worse":
            return "Got worse since last year"
        if change == "same" and self.previous_value in (LEVELS[0], Light.RED):
            bottom = f"level {LEVELS[0]}" if self.is_competency else Light.RED.value
            return f"No improvement: still {bottom}"
        return ""


@dataclass
class PctReport:
    assessment: Assessment
    items: list[ReportItem]
    rank: int | None
    ranked: int
    governance: int | None
    total: int | None
    previous_rank: int | None
    outcome_priorities: list[LocalOutcomePriority]
    plan: DevelopmentPlan | None
    seats: list
    held_back: bool = False  # an unanswered factual-accuracy comment holds it back
    # The PCT's name when the round was first published, if it has been renamed since
    # (the page and PDF say "Called <name> when these results were published"); else "".
    name_then: str = ""

    @property
    def is_draft(self) -> bool:
        """The board's draft (``report_is_draft``): no rank and no comparison with England
        or the SHA, which would reveal other PCTs' results before they are published."""
        return report_is_draft(self.assessment)

    @property
    def flags(self) -> list[ReportItem]:
        """The items with a year-on-year warning."""
        return [i for i in self.items if i.year_flag]

    @property
    def lights(self) -> list[ReportItem]:
        return [i for i in self.items if not i.is_competency]

    @property
    def competencies(self) -> list[ReportItem]:
        return [i for i in self.items if i.is_competency]


def pct_report(*, assessment: Assessment) -> PctReport:
    """The report of ``assessment`` (with ``round__framework``, ``round__previous`` and
    ``pct__sha`` loaded). A fixed number of queries, whatever the size of the round: what
    it needs of the whole round (ranks, means of England and of the SHA, last year's row)
    is read from ``round_figures``, kept per version, not computed for each report."""
    from reports.tables import round_figures  # pandas only when a report is built

    round_ = assessment.round
    held_back = is_held_back(assessment)
    draft = report_is_draft(assessment)
    items = framework_items(round_.framework)
    ratings = {
        rating_key(r): r
        for r in AgreedRating.objects.filter(assessment=assessment)
        .select_related("competency", "area", "sub_indicator__area")
        .prefetch_related(
            Prefetch("adjustments", queryset=ModerationAdjustment.objects.order_by("adjusted_at"))
        )
    }
    self_ratings = {
        rating_key(r): r
        for r in SelfAssessmentRating.objects.filter(
            self_assessment__assessment=assessment, self_assessment__status="submitted"
        ).select_related("sub_indicator__area")
    }
    self_values = {key: r.value for key, r in self_ratings.items()}
    # The sub-indicators rated for this PCT (agreed or self-assessed), by area: read from
    # the ratings themselves, so that a framework's unrated sub-indicators (year one's
    # finance factors, which its panels did not rate) add neither rows nor queries.
    subs_by_area: dict[int, dict[int, SubIndicator]] = {}
    for rating in [*ratings.values(), *self_ratings.values()]:
        if rating.sub_indicator_id:
            sub = rating.sub_indicator
            subs_by_area.setdefault(sub.area_id, {})[sub.pk] = sub
    figures = round_figures(round_=round_)
    england, region = (
        ({}, {}) if draft else (figures.england, figures.region(assessment.pct.sha.ods_code))
    )
    row = figures.rows.get(assessment.pct.ods_code)

    previous_values: dict = {}
    previous_rank = None
    # Only a published previous round is compared (as the league table does): one withdrawn
    # for a correction is offline, its figures with it.
    if round_.previous is not None and round_.previous.is_published():
        then = round_figures(round_=round_.previous)
        before = then.rows.get(assessment.pct.ods_code)
        if before is not None:
            previous_rank = then.rank_among(assessment.pct.ods_code, figures)
            previous_values = {
                column: value
                for column, value in before.items()
                if (column in AREA_CODES or is_competency_code(column)) and value is not None
            }

    report_items = []
    for item in items:
        is_competency = value_field(item) == "level"
        key = item_key(item)
        rating = ratings.get(key)
        meaning = ""
        if rating is not None:
            if is_competency:
                meaning = next(
                    (d.descriptor for d in item.levels.all() if d.level == rating.level), ""
                )
            else:
                meaning = item.meaning(rating.light)
        report_items.append(
            ReportItem(
                item=item,
                rating=rating,
                meaning=meaning,
                self_value=self_values.get(key),
                adjustments=list(rating.adjustments.all()) if rating else [],
                england_mean=england.get(item.code) if is_competency else None,
                sha_mean=region.get(item.code) if is_competency else None,
                previous_value=previous_values.get(item.code),
                has_previous=item.code in previous_values,
                compared=bool(previous_values),
                subs=[] if is_competency else _sub_items(subs_by_area, item, ratings, self_values),
            )
        )

    own_total, own_governance = _own_figures(items, ratings)
    plan = (
        DevelopmentPlan.objects.filter(assessment=assessment)
        .prefetch_related(
            Prefetch(
                "priorities",
                queryset=DevelopmentPriority.objects.select_related("competency", "supplier"),
            )
        )
        .first()
    )
    seats = list(
        Seat.objects.filter(panel__assessment=assessment)
        .select_related("seat_type", "person__pct", "person__sha", "person__external_organisation")
        .order_by("seat_type__number")
    )
    return PctReport(
        assessment=assessment,
        items=report_items,
        rank=None if row is None or draft else row["rank"],
        ranked=0 if draft else figures.ranked,
        # The round's figures leave out a PCT held back by an unanswered comment (and one
        # not yet complete): its board's draft still shows its own points and total.
        governance=own_governance if row is None else row["governance"],
        total=own_total if row is None else row["total"],
        previous_rank=previous_rank,
        outcome_priorities=list(priorities_in_order(assessment)),
        plan=plan,
        seats=seats,
        held_back=held_back,
        name_then=_name_then(assessment),
    )


def _name_then(assessment: Assessment) -> str:
    """The PCT's name when its round was first published, if it has been renamed since;
    "" otherwise. One query, and only for a round already published: the old value of the
    first rename after publication (``PCTChange``) is the name the published results bore.
    (Not the latest rename's: after two renames that would be the name in between.) A PCT
    renamed and then renamed back says nothing."""
    first = assessment.round.first_published_at
    if first is None or first > timezone.now():
        return ""
    change = (
        PCTChange.objects.filter(pct=assessment.pct, field="name", changed_at__gt=first)
        .order_by("changed_at", "pk")
        .first()
    )
    if change is None or change.old_value == assessment.pct.name:
        return ""
    return change.old_value


def _own_figures(items, ratings) -> tuple[int | None, int | None]:
    """The competency total and governance points of an assessment's own agreed ratings,
    each ``None`` until every item of its kind is agreed."""
    levels, points = [], []
    for item in items:
        rating = ratings.get(item_key(item))
        if value_field(item) == "level":
            levels.append(None if rating is None else rating.level)
        else:
            points.append(None if rating is None else LIGHT_POINTS.get(rating.light))
    total = sum(levels) if levels and None not in levels else None
    governance = sum(points) if points and None not in points else None
    return total, governance


def _sub_items(subs_by_area, area, ratings, self_values) -> list[ReportItem]:
    """The area's rated sub-indicators in their order, each with its light and meaning."""
    out = []
    for sub in sorted(subs_by_area.get(area.pk, {}).values(), key=lambda s: s.number):
        key = (None, None, sub.pk)
        rating = ratings.get(key)
        out.append(
            ReportItem(
                item=sub,
                rating=rating,
                meaning=sub.meaning(rating.light) if rating else "",
                self_value=self_values.get(key),
                adjustments=list(rating.adjustments.all()) if rating else [],
            )
        )
    return out


def profile_chart_svg(report: PctReport) -> str:
    """The competency profile chart of a published report (the same SVG in page and PDF)."""
    from reports.charts import competency_profile_svg  # matplotlib on first use

    items = report.competencies
    pct = report.assessment.pct
    return competency_profile_svg(
        labels=tuple(f"C{i.item.number}" for i in items),
        pct=tuple(i.value for i in items),
        sha=tuple(i.sha_mean for i in items),
        england=tuple(i.england_mean for i in items),
        title=f"{pct.name}: competency levels against SHA and England means",
        pct_name=pct.name,
        sha_name=f"{pct.sha.name} mean",
    )
