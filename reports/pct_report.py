"""Everything a PCT's feedback report shows, gathered in a fixed number of queries.

The PDF (``reports.pdf``) renders a ``PctReport``; nothing here depends on how it is shown.
Comparisons use the data the application has: the PCT against the mean of England and of
its SHA (its peer group here, for want of population or deprivation data to group PCTs
by), and against its own previous round. A level counts as "better" or "worse" than a
mean when it differs from it by more than a quarter of a level, "similar" otherwise.
"""

import datetime
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Q, Subquery
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
    Stage,
    StrategicHealthAuthority,
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
from reports.published import shas_when_published

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
    # The name of the SHA the PCT was in when the round was first published, if it has
    # moved since ("In <SHA> when these results were published"); else "". Its SHA means
    # are that SHA's, as published.
    sha_then: str = ""
    # When it moved into the SHA it is in now, if it has moved since publication: the page
    # and PDF say it once, "in <SHA then> when these results were published (<SHA now>
    # since <date>)".
    moved_on: datetime.datetime | None = None

    @property
    def sha_name(self) -> str:
        """The SHA the comparisons are with: the one the PCT was in at publication."""
        return self.sha_then or self.assessment.pct.sha.name

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
    is read from ``round_figures``, kept per version, not computed for each report. A
    published round compares the PCT with the SHA it was in when the round was first
    published, and with that SHA's means as published (its PCTs then), whatever moved since
    (``_published_then``, one query, the one that reads its name then)."""
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
            Prefetch(
                "adjustments",
                queryset=ModerationAdjustment.objects.order_by("adjusted_at", "pk"),
            )
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
    at_publication = _published_then(assessment)
    england, region = (
        ({}, {})
        if draft
        else (figures.england, _region_then(figures, at_publication.moves, at_publication.sha_code))
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
                adjustments=adjustments_read(rating, round_.first_published_at),
                england_mean=england.get(item.code) if is_competency else None,
                sha_mean=region.get(item.code) if is_competency else None,
                previous_value=previous_values.get(item.code),
                has_previous=item.code in previous_values,
                compared=bool(previous_values),
                subs=[]
                if is_competency
                else _sub_items(
                    subs_by_area, item, ratings, self_values, round_.first_published_at
                ),
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
        .select_related(
            "panel",  # who chaired: an acting chair, if the chair's seat holder could not
            "seat_type",
            "person__pct",
            "person__sha",
            "person__external_organisation",
        )
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
        name_then=at_publication.name,
        sha_then=at_publication.sha_name,
        moved_on=at_publication.moved_on,
    )


@dataclass(frozen=True)
class PublishedThen:
    """What had changed about the PCTs since the round was first published.

    ``name``: the PCT's name then, if it has been renamed since (else ""); ``sha_code`` and
    ``sha_name``: the SHA it was in then (its code always; its name only if it has moved
    since, else ""); ``moves``: the SHA code then of each of the round's PCTs that has moved
    since, by ODS code; ``moved_on``: when it moved into its SHA now, if it has moved since."""

    sha_code: str
    name: str = ""
    sha_name: str = ""
    moves: dict[str, str] = field(default_factory=dict)
    # When it moved into the SHA it is in now (its last move), if it has moved since.
    moved_on: datetime.datetime | None = None


def _published_then(assessment: Assessment) -> PublishedThen:
    """The PCT's name and SHA when its round was first published, and the SHAs then of the
    round's PCTs moved since. One query, and only for a round already published: the old
    value of the first rename or move after publication (``PCTChange``) is the name or SHA
    the published results bore (not the latest change's: after two, that would be the one
    in between). A PCT renamed or moved and then changed back says nothing."""
    pct = assessment.pct
    now = PublishedThen(sha_code=pct.sha.ods_code)
    first = assessment.round.first_published_at
    if first is None or first > timezone.now():
        return now
    in_round = Assessment.objects.filter(round_id=assessment.round_id).values("pct_id")
    changes = (
        PCTChange.objects.filter(changed_at__gt=first)
        .filter(Q(pct=pct, field="name") | Q(field="sha", pct_id__in=in_round))
        .annotate(
            sha_name=Subquery(
                StrategicHealthAuthority.objects.filter(ods_code=OuterRef("old_value")).values(
                    "name"
                )[:1]
            )
        )
        .order_by("changed_at", "pk")
        .values_list("pct_id", "pct__ods_code", "field", "old_value", "sha_name", "changed_at")
    )
    name, sha_then, moves, moved_on = "", None, {}, None
    for pct_id, ods_code, field_, old_value, sha_name, changed_at in changes:
        if field_ == "name":
            name = name or old_value
            continue
        if pct_id == pct.pk:
            moved_on = changed_at  # the last move: into the SHA it is in now
        if ods_code not in moves:  # the first move after publication: the SHA then
            moves[ods_code] = old_value
            if pct_id == pct.pk:
                sha_then = (old_value, sha_name or old_value)
    if name == pct.name:
        name = ""
    if sha_then is None or sha_then[0] == pct.sha.ods_code:
        return PublishedThen(sha_code=pct.sha.ods_code, name=name, moves=moves)
    return PublishedThen(
        sha_code=sha_then[0], name=name, sha_name=sha_then[1], moves=moves, moved_on=moved_on
    )


def sha_id_when_published(assessment: Assessment) -> int | None:
    """The pk of the SHA the PCT was in when its round was first published, if it has
    moved since (``reports.published.shas_when_published``); ``None`` if it has not moved
    since, or the round is not published. One query on the PCT's own change history, kept
    on the assessment for the rest of the request (``reports.rules.was_staff_when_published``
    asks it more than once a page)."""
    cached = getattr(assessment, "_sha_id_when_published", False)
    if cached is not False:
        return cached
    moved = shas_when_published(assessment.round, pct_id=assessment.pct_id)
    then = next(iter(moved.values()), None)
    assessment._sha_id_when_published = then.pk if then is not None else None
    return assessment._sha_id_when_published


def _region_then(figures, moves: dict[str, str], sha: str) -> dict[str, float]:
    """The mean level of each competency over the PCTs ranked in ``sha`` when the round
    was published, as ``RoundFigures.regions`` has it for the PCTs in it now: the kept
    figures themselves when no PCT has moved into or out of it since (``moves``: the SHA
    then of each PCT moved since publication), otherwise from the kept rows, with no query."""
    touched = any(
        then == sha or (figures.rows.get(code) or {}).get("sha") == sha
        for code, then in moves.items()
    )
    if not touched:
        return figures.region(sha)
    members = [
        row
        for code, row in figures.rows.items()
        if row["complete"] and moves.get(code, row["sha"]) == sha
    ]
    means = {}
    for column in figures.england:
        values = [float(row[column]) for row in members if row.get(column) is not None]
        means[column] = sum(values) / len(values) if values else float("nan")
    return means


def adjustments_read(
    rating: AgreedRating | None, first: datetime.datetime | None
) -> list[ModerationAdjustment]:
    """The changes to an agreed rating that its report shows (``adjustments_shown``);
    ``first``: the round's first publication time; ``adjustments`` prefetched, in order."""
    return [] if rating is None else adjustments_shown(list(rating.adjustments.all()), first)


def adjustments_shown(
    adjustments: list[ModerationAdjustment], first: datetime.datetime | None
) -> list[ModerationAdjustment]:
    """Of a rating's changes after consensus (oldest first), those its report shows: every
    one, except those made before the board saw its draft (at moderation or the
    cross-check) that ended back at the panel's value. A moderator who changed a rating by
    mistake and put it back changed nothing the board or the public reads (walk AC); the
    panel's history keeps both."""
    undone = 0
    for number, adjustment in enumerate(adjustments, start=1):
        if adjustment.stage >= Stage.FACTUAL_ACCURACY or (first and adjustment.adjusted_at > first):
            break  # the board saw the draft: from here every change is its to read
        if adjustment.new_value == adjustments[0].old_value:
            undone = number
    return adjustments[undone:]


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


def _sub_items(subs_by_area, area, ratings, self_values, first) -> list[ReportItem]:
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
                adjustments=adjustments_read(rating, first),
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
        sha_name=f"{report.sha_name} mean",
    )
