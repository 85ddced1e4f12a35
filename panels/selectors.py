"""Reads for the panels app: querysets with their joins already applied."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from assessments.evidence import evidence_history
from assessments.factual_accuracy import shown_stage
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    EvidenceDocument,
    ModerationAdjustment,
    PrimaryCareTrust,
    RatingChange,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    Stage,
    StageChange,
    StrategicHealthAuthority,
)
from competencies.models import (
    FrameworkVersion,
    GovernanceArea,
    SubIndicator,
    item_key,
    rating_key,
    value_field,
)
from competencies.selectors import item_label, rated_items
from competencies.vocabulary import LIGHT_POINTS
from panels.eligibility import (
    SEAT_CHANGE_STAGES,
    affiliation_fits,
    eligibility_q,
    reciprocal_chief_executives,
    seat_types_open_to,
)
from panels.models import (
    PRESIDING,
    ExternalOrganisation,
    JobRole,
    MemberScore,
    Panel,
    Person,
    PersonChange,
    Seat,
    SeatChange,
    SeatType,
)


def _panel_stage_shown() -> Subquery:
    """The stage a seat's panel's assessment shows (``assessments.factual_accuracy.
    shown_stage``: Published from the publication time, or Held back by a comment), for the
    seat's query."""
    return Subquery(
        Assessment.objects.filter(pk=OuterRef("panel__assessment_id"))
        .annotate(shown=shown_stage())
        .values("shown")[:1]
    )


def seats_for_user(user) -> QuerySet[Seat]:
    """The seats the user's person holds, newest round first, then by PCT name.

    Panel, assessment, round, PCT, SHA and seat type come in the same query.
    """
    if user is None or not user.is_authenticated:
        return Seat.objects.none()
    return (
        Seat.objects.filter(person__user=user)
        .select_related(
            "panel__assessment__round",
            "panel__assessment__pct__sha",
            "seat_type",
        )
        .annotate(shown_stage=_panel_stage_shown())
        .order_by("-panel__assessment__round__slug", "panel__assessment__pct__name")
    )


# --- Panel formation --------------------------------------------------------------------


def _people_with_organisation() -> QuerySet[Person]:
    return Person.objects.select_related("sha", "pct", "external_organisation")


def people_with_organisation() -> QuerySet[Person]:
    """People with their organisation (and its SHA) and their account, by name."""
    return Person.objects.select_related(
        "sha", "pct__sha", "external_organisation", "user"
    ).order_by("full_name", "pk")


def people_matching(people: QuerySet[Person], search: str) -> QuerySet[Person]:
    """Those of ``people`` whose name, e-mail address or organisation's name contains
    ``search`` (either case), or whose PCT has it as its ODS code; all of them for ""."""
    if not (search := search.strip()):
        return people
    return people.filter(
        Q(full_name__icontains=search)
        | Q(email__icontains=search)
        | Q(sha__name__icontains=search)
        | Q(pct__name__icontains=search)
        | Q(pct__ods_code__iexact=search)
        | Q(external_organisation__name__icontains=search)
    )


def panel_counts(*, round: AssessmentRound) -> dict[int, int]:
    """How many panels each person sits on in ``round``: one aggregate query."""
    rows = (
        Seat.objects.filter(panel__assessment__round=round, person__isnull=False)
        .values("person_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {row["person_id"]: row["n"] for row in rows}


def seats_with_people() -> QuerySet[Seat]:
    """Seats with their seat type and person (and the person's organisation)."""
    return Seat.objects.select_related(
        "seat_type", "person__sha", "person__pct", "person__external_organisation"
    ).order_by("seat_type__number")


def formation_assessments(
    *,
    round: AssessmentRound,
    sha_ids: Iterable[int] | None = None,
    assessment_ids: Iterable[int] | None = None,
) -> QuerySet[Assessment]:
    """Assessments of ``round`` (of these SHAs, or with these ids; all if None), by SHA then
    PCT name.

    Each comes with its PCT, SHA, panel and the panel's seats with people: two queries.
    """
    assessments = Assessment.objects.filter(round=round)
    if sha_ids is not None:
        assessments = assessments.filter(pct__sha_id__in=list(sha_ids))
    if assessment_ids is not None:
        assessments = assessments.filter(pk__in=list(assessment_ids))
    return (
        assessments.select_related("round", "pct__sha", "panel")
        .prefetch_related(Prefetch("panel__seats", queryset=seats_with_people()))
        .annotate(shown_stage=shown_stage(round))
        .order_by("pct__sha__name", "pct__sha_id", "pct__name")
    )


@dataclass(frozen=True)
class FormationEntry:
    """One PCT of the formation list, as little as its order, lookup and page need."""

    assessment_id: int
    ods_code: str
    name: str
    sha_id: int


def formation_index(
    *, round: AssessmentRound, sha_ids: Iterable[int] | None = None
) -> list[FormationEntry]:
    """The round's PCTs (of these SHAs; all if None) in the list's order, by SHA then PCT
    name: one ``values()`` query, so that a page of the list and a lookup need no more."""
    assessments = Assessment.objects.filter(round=round)
    if sha_ids is not None:
        assessments = assessments.filter(pct__sha_id__in=list(sha_ids))
    return [
        FormationEntry(*row)
        for row in assessments.order_by("pct__sha__name", "pct__sha_id", "pct__name").values_list(
            "pk", "pct__ods_code", "pct__name", "pct__sha_id"
        )
    ]


@dataclass(frozen=True)
class ReciprocalWarning:
    """Two PCT chief executives assessing each other's PCT in the same round."""

    pct_ids: tuple[int, int]
    message: str
    sha_ids: tuple[int, int] = (0, 0)  # the SHAs of ``pct_ids``, in the same order


def reciprocal_warnings(
    *,
    round: AssessmentRound,
    sha_ids: Iterable[int] | None = None,
    pct_id: int | None = None,
) -> list[ReciprocalWarning]:
    """The round's reciprocal chief executives, from one ``values()`` query.

    Kept are the pairs where either assessed PCT belongs to one of ``sha_ids`` (all pairs
    if None), and, with ``pct_id``, only the pairs that PCT is part of.
    """
    seats = Seat.objects.filter(
        panel__assessment__round=round,
        person__job_role=JobRole.CHIEF_EXECUTIVE,
        person__pct__isnull=False,
    )
    if sha_ids is not None:  # both seats of a pair touching a region: one way or the other
        sha_ids = list(sha_ids)
        seats = seats.filter(
            Q(person__pct__sha_id__in=sha_ids) | Q(panel__assessment__pct__sha_id__in=sha_ids)
        )
    rows = list(
        seats.values(
            "person__pct_id",
            "panel__assessment__pct_id",
            "person__job_role",
            "person__full_name",
            "person__pct__name",
            "person__pct__sha_id",
        ).order_by("person__full_name", "pk")
    )
    pairs = reciprocal_chief_executives(
        [(r["person__pct_id"], r["panel__assessment__pct_id"], r["person__job_role"]) for r in rows]
    )
    wanted_shas = None if sha_ids is None else set(sha_ids)
    sitting = {(r["person__pct_id"], r["panel__assessment__pct_id"]): r for r in rows}
    warnings = []
    for a, b in sorted(pairs):
        one, other = sitting[(a, b)], sitting[(b, a)]
        if pct_id is not None and pct_id not in (a, b):
            continue
        if wanted_shas is not None and not (
            {one["person__pct__sha_id"], other["person__pct__sha_id"]} & wanted_shas
        ):
            continue
        warnings.append(
            ReciprocalWarning(
                pct_ids=(a, b),
                message=(
                    f"{one['person__full_name']} (chief executive of "
                    f"{one['person__pct__name']}) sits on the panel of "
                    f"{other['person__pct__name']}, whose chief executive "
                    f"{other['person__full_name']} sits on the panel of "
                    f"{one['person__pct__name']}: they assess each other's PCT this round."
                ),
                sha_ids=(one["person__pct__sha_id"], other["person__pct__sha_id"]),
            )
        )
    return warnings


@dataclass
class FormationRow:
    """One PCT's assessment on the formation list: its seats (seat 1 first) and warnings."""

    assessment: Assessment
    seats: list[Seat]
    warnings: list[str]

    @property
    def panel(self) -> Panel | None:
        return getattr(self.assessment, "panel", None)

    @property
    def filled(self) -> int:
        """Seats held, less those of people deactivated while the panel is still forming
        (they cannot score: the seat is to fill again), as ``formation_counts`` counts."""
        forming = self.assessment.stage <= Stage.PANEL_FORMATION
        return sum(
            1
            for seat in self.seats
            if seat.person_id is not None and not (forming and not seat.person.is_active)
        )

    @property
    def size(self) -> int:
        return len(self.seats)

    @property
    def complete(self) -> bool:
        return bool(self.seats) and self.filled == self.size

    @property
    def held_up(self) -> set[int]:
        """The seats (pks) whose holder was deactivated and has neither submitted nor been
        excused while the panel scores or is at consensus: the panel waits for them."""
        return held_up_seats(self.seats, self.assessment.stage)

    @property
    def can_change_seats(self) -> bool:
        return self.assessment.stage in SEAT_CHANGE_STAGES

    @property
    def can_open_scoring(self) -> bool:
        return self.complete and self.assessment.stage == Stage.PANEL_FORMATION


@dataclass
class FormationOverview:
    """The rows of one page of the list and the warnings that concern them."""

    rows: list[FormationRow]
    warnings: list[ReciprocalWarning]


def formation_overview(
    *,
    round: AssessmentRound,
    sha_ids: Iterable[int] | None = None,
    assessment_ids: Iterable[int] | None = None,
    warnings: list[ReciprocalWarning] | None = None,
) -> FormationOverview:
    """The assessments of the SHAs in the round (or only those of ``assessment_ids``, one
    page of the list) with their panel, seats and people, and the reciprocal warnings that
    concern them: three queries whatever the size (two when ``warnings`` are given, as
    :func:`reciprocal_warnings` of the same round and SHAs)."""
    sha_ids = None if sha_ids is None else list(sha_ids)
    assessments = list(
        formation_assessments(round=round, sha_ids=sha_ids, assessment_ids=assessment_ids)
    )
    if warnings is None:
        warnings = reciprocal_warnings(round=round, sha_ids=sha_ids)
    by_pct: dict[int, list[str]] = {}
    for warning in warnings:
        for pct_id in warning.pct_ids:
            by_pct.setdefault(pct_id, []).append(warning.message)
    rows = []
    for assessment in assessments:
        panel = getattr(assessment, "panel", None)
        seats = list(panel.seats.all()) if panel is not None else []
        rows.append(FormationRow(assessment, seats, by_pct.get(assessment.pct_id, [])))
    shown = {a.pct_id for a in assessments}
    return FormationOverview(
        rows=rows, warnings=[w for w in warnings if shown.intersection(w.pct_ids)]
    )


#: The stages the formation counts name one by one; every later stage counts as "later".
FORMATION_STAGES = (Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION, Stage.SCORING)


@dataclass
class FormationCounts:
    """How far panel formation has come in one region (or several, added up)."""

    pcts: int = 0
    stages: dict[int, int] = field(default_factory=dict)  # stage value -> PCTs
    seats: int = 0
    filled: int = 0
    panels_complete: int = 0  # panels whose every seat is filled
    ready: int = 0  # complete panels still at panel formation: scoring may open
    warned: int = 0  # PCTs with a reciprocal warning

    @property
    def by_stage(self) -> list[tuple[str, int]]:
        """(label, PCTs) for each of FORMATION_STAGES, then every later stage together."""
        named = [(stage.label, self.stages.get(stage.value, 0)) for stage in FORMATION_STAGES]
        later = sum(n for value, n in self.stages.items() if value > FORMATION_STAGES[-1])
        return [*named, ("Later stages", later)]

    def add(self, other: "FormationCounts") -> None:
        self.pcts += other.pcts
        for value, n in other.stages.items():
            self.stages[value] = self.stages.get(value, 0) + n
        self.seats += other.seats
        self.filled += other.filled
        self.panels_complete += other.panels_complete
        self.ready += other.ready
        self.warned += other.warned


def formation_counts(
    *,
    round: AssessmentRound,
    sha_ids: Iterable[int] | None = None,
    warnings: list[ReciprocalWarning] | None = None,
) -> dict[int, FormationCounts]:
    """Each SHA's :class:`FormationCounts` in the round (of these SHAs; all if None), by
    SHA id, counted by the database: two grouped queries whatever the number of PCTs, and
    one more unless ``warnings`` (:func:`reciprocal_warnings` of the round) are given."""
    sha_ids = None if sha_ids is None else list(sha_ids)
    assessments = Assessment.objects.filter(round=round)
    seats = Seat.objects.filter(panel__assessment__round=round)
    if sha_ids is not None:
        assessments = assessments.filter(pct__sha_id__in=sha_ids)
        seats = seats.filter(panel__assessment__pct__sha_id__in=sha_ids)
    counts: dict[int, FormationCounts] = {}
    for row in assessments.values("pct__sha_id", "stage").annotate(n=Count("pk")).order_by():
        region = counts.setdefault(row["pct__sha_id"], FormationCounts())
        region.pcts += row["n"]
        region.stages[row["stage"]] = region.stages.get(row["stage"], 0) + row["n"]
    # A seat to fill: empty, or, while the panel is still forming, held by someone
    # deactivated since (scoring cannot open with them; once it has, the seat is theirs).
    vacant = Q(person__isnull=True) | Q(
        person__is_active=False, panel__assessment__stage__lte=Stage.PANEL_FORMATION
    )
    seat_rows = (
        seats.values("panel__assessment__pct__sha_id", "panel__assessment__stage")
        .annotate(
            seats=Count("pk"),
            filled=Count("pk", filter=~vacant),
            panels=Count("panel_id", distinct=True),
            open_panels=Count("panel_id", distinct=True, filter=vacant),
        )
        .order_by()
    )
    for row in seat_rows:
        region = counts.setdefault(row["panel__assessment__pct__sha_id"], FormationCounts())
        complete = row["panels"] - row["open_panels"]
        region.seats += row["seats"]
        region.filled += row["filled"]
        region.panels_complete += complete
        if row["panel__assessment__stage"] == Stage.PANEL_FORMATION:
            region.ready += complete
    if warnings is None:
        warnings = reciprocal_warnings(round=round, sha_ids=sha_ids)
    warned: dict[int, set[int]] = {}
    for warning in warnings:
        for pct_id, sha_id in zip(warning.pct_ids, warning.sha_ids, strict=True):
            warned.setdefault(sha_id, set()).add(pct_id)
    for sha_id, pct_ids in warned.items():
        if sha_id in counts and (sha_ids is None or sha_id in sha_ids):
            counts[sha_id].warned = len(pct_ids)
    return counts


def eligible_people(*, seat_type: SeatType, assessment: Assessment) -> QuerySet[Person]:
    """Active people who may take ``seat_type`` on the panel of ``assessment``, filtered by
    the database (role, affiliation, not of the assessed PCT), by name, each annotated with
    ``panels_this_round``: the number of panels they sit on in the assessment's round."""
    return (
        _people_with_organisation()
        .filter(eligibility_q(seat_type=seat_type, assessment=assessment), is_active=True)
        .annotate(
            panels_this_round=Count(
                "seats", filter=Q(seats__panel__assessment__round_id=assessment.round_id)
            )
        )
        .order_by("full_name", "pk")
    )


def panel_members_with_accounts(*, round_slug: str, ods: str) -> QuerySet[Seat]:
    """The seats of a PCT's panel held by someone with an account, the chair's excepted,
    in seat order (the login page of the demo names them)."""
    return (
        Seat.objects.filter(
            panel__assessment__round__slug=round_slug,
            panel__assessment__pct__ods_code=ods.upper(),
            seat_type__is_chair=False,
            person__user__isnull=False,
        )
        .select_related("seat_type", "person__user", "panel__assessment__pct")
        .order_by("seat_type__number")
    )


def assessment_for_panel(*, round_slug: str, ods: str) -> Assessment | None:
    """The assessment of a round and PCT (ODS code case-insensitive), with its round's
    framework and previous round, its PCT and SHA, its panel, and when and why SHA staff
    proceeded without its self-assessment (``without_sa_at``, ``without_sa_note``)."""
    waiver = StageChange.objects.filter(
        assessment=OuterRef("pk"), without_self_assessment=True
    ).order_by("-changed_at", "-pk")
    return (
        Assessment.objects.select_related(
            "round__framework", "round__previous", "pct__sha", "panel"
        )
        # SHA staff proceeded without the board's self-assessment: when and why, for the
        # panel's pages (``PanelView.proceeded_without``), in the same query.
        .annotate(
            without_sa_at=Subquery(waiver.values("changed_at")[:1]),
            without_sa_note=Subquery(waiver.values("note")[:1]),
        )
        .filter(round__slug=round_slug, pct__ods_code=ods.upper())
        .first()
    )


@dataclass
class HistoryEntry:
    when: object
    who: object
    item: str
    old: str
    new: str
    source: str
    note: str
    # "rating", "stage", "seat", "person" (a holder deactivated) or "evidence" (a document
    # uploaded or removed)
    kind: str
    change: str = ""  # said in words where "old → new" would not say it (an excused member)


def _chair_handed_entry(change: SeatChange) -> HistoryEntry:
    """A hand-over of the chair (``panel_acting_chair_set``) as what happened: the chair
    handed from one member to another, as acting chair or back to the chair's seat holder,
    every seat unchanged. Stored on the chair's seat as from who chaired to who chairs now,
    which "Seat 1: ... | old -> new" read as a change of the seat's holder (walk W)."""
    back = change.new_person_id is not None and change.new_person_id == change.seat.person_id
    to = (
        f"back to {change.new_person}, who holds the chair's seat"
        if back
        else f"to {change.new_person}, as acting chair"
    )
    return HistoryEntry(
        when=change.changed_at,
        who=change.changed_by,
        item="The panel's chair",
        old=str(change.old_person or ""),
        new=str(change.new_person or ""),
        source="Chair handed back" if back else change.get_how_display(),
        note=change.note,
        kind="seat",
        change=f"Chair handed from {change.old_person} {to}; seats unchanged",
    )


def assessment_history(*, assessment: Assessment) -> list[HistoryEntry]:
    """Every rating change, stage change and seat change of the assessment, and each
    holder of one of its panel's seats deactivated while the panel was at work (with the
    reason), and each upload and removal of the board's evidence, newest first: five
    queries."""
    entries = [
        HistoryEntry(
            when=change.changed_at,
            who=change.changed_by,
            item=str(change.competency or change.sub_indicator or change.area or ""),
            old=change.old_value,
            new=change.new_value,
            source=change.get_source_display(),
            note=change.note,
            kind="rating",
        )
        for change in RatingChange.objects.filter(assessment=assessment).select_related(
            "changed_by", "competency", "area", "sub_indicator__area"
        )
    ]
    entries += [
        HistoryEntry(
            when=change.changed_at,
            who=change.changed_by,
            item="Stage",
            old=change.get_from_stage_display(),
            new=change.get_to_stage_display(),
            source="Stage change",
            note=change.note,
            kind="stage",
        )
        for change in StageChange.objects.filter(assessment=assessment).select_related("changed_by")
    ]
    entries += [
        _chair_handed_entry(change)
        if change.how == SeatChange.How.ACTING
        else HistoryEntry(
            when=change.changed_at,
            who=change.changed_by,
            item=str(change.seat.seat_type),
            old=str(change.old_person or ""),
            new=str(change.new_person or ""),
            source=change.get_how_display(),
            note=change.note,
            kind="seat",
            change=(
                f"{change.new_person} excused"
                if change.how == SeatChange.How.EXCUSED and change.new_person is not None
                else ""
            ),
        )
        for change in SeatChange.objects.filter(seat__panel__assessment=assessment).select_related(
            "changed_by", "seat__seat_type", "old_person", "new_person"
        )
    ]
    entries += [
        HistoryEntry(
            when=change.changed_at,
            who=change.changed_by,
            item=f"Seat {change.seat_number}: {change.seat_name}",
            old="",
            new="",
            source="Deactivated on the people list",
            note=change.note,
            kind="person",
            change=f"{change.person.full_name} deactivated",
        )
        for change in _deactivations_at_work(assessment)
    ]
    entries += [
        HistoryEntry(
            when=change.at,
            who=change.by,
            item=f"Evidence: {change.get_doc_type_display()}",
            old="",
            new="",
            source="The board's evidence",
            note="",
            kind="evidence",
            change=f"{change.get_action_display()} \u201c{change.title}\u201d ({change.filename})",
        )
        for change in evidence_history(assessment=assessment)
    ]
    entries.sort(key=lambda e: e.when, reverse=True)
    return entries


def _deactivations_at_work(assessment: Assessment) -> QuerySet[PersonChange]:
    """The deactivations (``PersonChange``) of the holders of a seat of the assessment's
    panel while the panel was at work: after it was formed, while the assessment was at
    consensus or before, and while they held the seat (they hold it still, or were
    replaced after it). Each with ``seat_number`` and ``seat_name``: one query."""
    held = Seat.objects.filter(panel__assessment=assessment, person=OuterRef("person"))
    left = SeatChange.objects.filter(
        seat__panel__assessment=assessment,
        old_person=OuterRef("person"),
        changed_at__gte=OuterRef("changed_at"),
    ).order_by("changed_at", "pk")
    stage_then = (
        StageChange.objects.filter(assessment=assessment, changed_at__lte=OuterRef("changed_at"))
        .order_by("-changed_at", "-pk")
        .values("to_stage")[:1]
    )
    formed = Panel.objects.filter(assessment=assessment).values("created_at")[:1]
    return (
        PersonChange.objects.filter(
            action=PersonChange.Action.DEACTIVATED, changed_at__gte=Subquery(formed)
        )
        .filter(Exists(held) | Exists(left))
        .annotate(
            stage_then=Subquery(stage_then),
            seat_number=Coalesce(
                Subquery(held.values("seat_type__number")[:1]),
                Subquery(left.values("seat__seat_type__number")[:1]),
            ),
            seat_name=Coalesce(
                Subquery(held.values("seat_type__name")[:1]),
                Subquery(left.values("seat__seat_type__name")[:1]),
            ),
        )
        .filter(Q(stage_then__isnull=True) | Q(stage_then__lte=Stage.CONSENSUS))
        .select_related("person", "changed_by")
    )


@dataclass
class FormationPage:
    """What the five-seat form of one panel needs: six to eight queries, whatever the size."""

    seat_types: list[SeatType]
    seats: dict[int, Seat]  # by seat number; empty when the panel does not exist yet
    eligible: dict[int, list[Person]]  # by seat number, annotated with panels_this_round
    warnings: list[ReciprocalWarning]
    version: int
    # Seated members who may no longer sit (their organisation or job changed since).
    conflicts: list["SeatConflict"] = field(default_factory=list)


def formation_page(*, assessment: Assessment) -> FormationPage:
    seat_types = list(SeatType.objects.order_by("number"))
    panel = Panel.objects.filter(assessment=assessment).first()
    seats = {}
    if panel is not None:
        seats = {s.seat_type.number: s for s in seats_with_people().filter(panel=panel)}
        for seat in seats.values():  # its panel's acting chair is read without a query
            seat.panel = panel
    eligible = {
        t.number: list(eligible_people(seat_type=t, assessment=assessment)) for t in seat_types
    }
    return FormationPage(
        seat_types=seat_types,
        seats=seats,
        eligible=eligible,
        warnings=reciprocal_warnings(round=assessment.round, pct_id=assessment.pct_id),
        version=panel.version if panel is not None else Panel._meta.get_field("version").default,
        conflicts=seat_conflicts(seats=seats.values(), assessment=assessment),
    )


# --- People ------------------------------------------------------------------------------


class AccountStatus:
    """Where a person's account stands, as the people pages say it."""

    NOT_INVITED = "Not invited"
    INVITED = "Invited"  # an account whose password has not been set yet
    ACTIVE = "Account active"
    DEACTIVATED = "Deactivated"


def account_status(person: Person) -> str:
    """``AccountStatus`` of ``person`` (needs ``user`` loaded)."""
    if not person.is_active:
        return AccountStatus.DEACTIVATED
    if person.user is None:
        return AccountStatus.NOT_INVITED
    if not person.user.has_usable_password():
        return AccountStatus.INVITED
    return AccountStatus.ACTIVE


@dataclass(frozen=True)
class PersonRow:
    person: Person
    seat_types: list[SeatType]  # the seats they may hold on some panel
    status: str

    @property
    def invitable(self) -> bool:
        """Not invited yet, or invited without having set a password (a new link)."""
        return self.status in (AccountStatus.NOT_INVITED, AccountStatus.INVITED)


def people_rows(people: QuerySet[Person]) -> list[PersonRow]:
    """Each person with the seat types open to them and their account status: two
    queries (the people with their organisation and account, the seat types)."""
    seat_types = list(SeatType.objects.order_by("number"))
    return [
        PersonRow(person=p, seat_types=seat_types_open_to(p, seat_types), status=account_status(p))
        for p in people
    ]


def person_row(person: Person) -> PersonRow:
    """One person (with ``user`` loaded) as ``people_rows`` shows them: one query."""
    seat_types = list(SeatType.objects.order_by("number"))
    return PersonRow(
        person=person,
        seat_types=seat_types_open_to(person, seat_types),
        status=account_status(person),
    )


def account_serves_beyond_panels(person: Person) -> bool:
    """The person's account is also the national team's, SHA staff's or a board's (or an
    administrator's): the people list may not take its login away. One query."""
    user = person.user
    if user is None:
        return False
    return user.is_staff or user.is_superuser or Role.objects.filter(user=user).exists()


def seats_at_work(person: Person) -> list[Seat]:
    """The seats ``person`` holds on panels still forming (from self-assessment on),
    scoring or at consensus (by
    round, then PCT): where their deactivation holds a panel up. One query."""
    # a panel may be formed while its PCT is still at self-assessment
    stages = [Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION, Stage.SCORING, Stage.CONSENSUS]
    seats = Seat.objects.filter(person=person, panel__assessment__stage__in=stages)
    return list(
        seats.select_related(
            "seat_type", "panel__assessment__pct", "panel__assessment__round"
        ).order_by("panel__assessment__round__slug", "panel__assessment__pct__name")
    )


def person_seats(*, person: Person) -> list[Seat]:
    """The seats ``person`` holds, newest round first, with their panel's assessment,
    round, PCT and SHA, and the stage it shows (``Seat.stage_shown``; one query)."""
    return list(
        Seat.objects.filter(person=person)
        .select_related("seat_type", "panel__assessment__round", "panel__assessment__pct__sha")
        .annotate(shown_stage=_panel_stage_shown())
        .order_by("-panel__assessment__round__slug", "panel__assessment__pct__name")
    )


def person_history(*, person: Person) -> QuerySet[PersonChange]:
    return PersonChange.objects.filter(person=person).select_related("changed_by")


# Up to this many PCTs are offered in the organisation list of the person form; beyond it
# (a region or England at 10,000 organisations) the form asks for a PCT's ODS code instead:
# a list of 10,152 options took 2.4 s to render and 614 kB, and no one scrolls it.
PCT_CHOICES = 300


@dataclass(frozen=True)
class Organisations:
    """The organisations a user may give a person: their region's SHA and PCTs (every SHA's
    for the national team) and every organisation outside the NHS. ``pcts`` is None when
    there are more than ``PCT_CHOICES``: a PCT is then found by its code (``pct_by_code``)."""

    shas: list
    pcts: list | None
    external: list[ExternalOrganisation]
    sha_ids: tuple[int, ...] | None = None  # the user's SHAs; None for every SHA

    def pct_by_code(self, code: str) -> PrimaryCareTrust | None:
        """The PCT of this ODS code (any case) among the user's, or None. One query."""
        pcts = PrimaryCareTrust.objects.select_related("sha").filter(ods_code=code.upper())
        if self.sha_ids is not None:
            pcts = pcts.filter(sha_id__in=self.sha_ids)
        return pcts.first()


def organisations_for(*, sha_ids: Iterable[int] | None) -> Organisations:
    """``sha_ids``: the user's SHAs; None for every SHA (the national team). Three queries,
    whatever the number of PCTs (at most ``PCT_CHOICES`` + 1 are read)."""
    shas = StrategicHealthAuthority.objects.order_by("name")
    pcts = PrimaryCareTrust.objects.select_related("sha").order_by("name")
    if sha_ids is not None:
        sha_ids = tuple(sha_ids)
        shas = shas.filter(pk__in=sha_ids)
        pcts = pcts.filter(sha_id__in=sha_ids)
    first = list(pcts[: PCT_CHOICES + 1])
    return Organisations(
        shas=list(shas),
        pcts=first if len(first) <= PCT_CHOICES else None,
        external=list(ExternalOrganisation.objects.all()),
        sha_ids=sha_ids,
    )


# --- Scoring and consensus -----------------------------------------------------------


@dataclass
class SeatProgress:
    seat: Seat
    scored: int
    items: int

    @property
    def left(self) -> int:
        return self.items - self.scored


def my_seats(*, user) -> list[SeatProgress]:
    """The user's seats, newest round first, with how many items each has scored and, as
    ``acting_since``, when the chair was last handed to the seat's holder (for the acting
    chair's seat to say since when, as the home page does; ``None`` if never). 2 queries."""
    # The latest hand-over of the chair to the seat's holder (``panel_acting_chair_set``
    # writes it on the chair's seat), read in the same query as the seats.
    handed = SeatChange.objects.filter(
        how=SeatChange.How.ACTING,
        seat__panel_id=OuterRef("panel_id"),
        new_person_id=OuterRef("person_id"),
    ).order_by("-changed_at", "-pk")
    seats = list(
        Seat.objects.filter(person__user=user)
        .select_related("seat_type", "panel__assessment__round", "panel__assessment__pct__sha")
        .annotate(
            scored=Count(
                "scores",
                filter=Q(scores__level__isnull=False) | ~Q(scores__light=""),
            ),
            acting_since=Subquery(handed.values("changed_at")[:1]),
            shown_stage=_panel_stage_shown(),
        )
        .order_by("-panel__assessment__round__slug", "panel__assessment__pct__name")
    )
    sizes = {
        f.pk: f.n_competencies + f.n_areas + f.n_subs
        for f in FrameworkVersion.objects.annotate(
            n_competencies=Count("competencies", distinct=True),
            n_areas=Count("governance_areas", distinct=True),
            n_subs=Count("governance_areas__sub_indicators", distinct=True),
        )
    }
    return [
        SeatProgress(seat=s, scored=s.scored, items=sizes[s.panel.assessment.round.framework_id])
        for s in seats
    ]


@dataclass
class ItemRow:
    """One item across everyone: the members' scores, the self-assessment, the agreed value."""

    item: object
    mine: MemberScore | None = None
    members: list = field(default_factory=list)  # (seat, score or None), seat order
    self_rating: SelfAssessmentRating | None = None
    agreed: AgreedRating | None = None
    subs: list["ItemRow"] = field(default_factory=list)  # an area's sub-indicator rows

    @property
    def is_competency(self) -> bool:
        return value_field(self.item) == "level"

    @property
    def is_sub_indicator(self) -> bool:
        return isinstance(self.item, SubIndicator)

    @property
    def code(self) -> str:
        return self.item.code

    @property
    def heading(self) -> str:
        return item_label(self.item)

    @property
    def submitted_values(self) -> list:
        return [
            score.value
            for seat, score in self.members
            if seat.submitted_at is not None and score is not None and score.value is not None
        ]

    @property
    def spread(self) -> int | None:
        """Highest minus lowest of the submitted values (lights ranked red 0, amber 1, green 2)."""
        values = self.submitted_values
        if not values:
            return None
        ranks = values if self.is_competency else [LIGHT_POINTS[v] for v in values]
        return max(ranks) - min(ranks)

    @property
    def divided(self) -> bool:
        """Members differ by two levels (or red against green) or more."""
        return (self.spread or 0) >= 2


@dataclass(frozen=True)
class ProceededWithout:
    """SHA staff proceeded to the panel without the board's self-assessment: when, and why."""

    when: datetime.datetime
    reason: str


@dataclass
class PanelView:
    assessment: Assessment
    seats: list[Seat]
    rows: list[ItemRow]
    self_assessment: SelfAssessment | None
    evidence: list[EvidenceDocument]
    # With no submitted self-assessment: the stage change by which SHA staff proceeded
    # without it (when, who, why: its note), if they did.
    proceeded_without: ProceededWithout | None = None

    @property
    def done(self) -> int:
        return sum(1 for s in self.seats if s.submitted_at is not None or s.absence_reason)

    @property
    def consensus_gaps(self) -> list[str]:
        """Why consensus cannot close yet: items not agreed, members neither done nor excused."""
        return [message for messages in self.consensus_gap_fields.values() for message in messages]

    @property
    def consensus_gap_fields(self) -> dict[str, list[str]]:
        """``consensus_gaps`` keyed by the consensus form's field each is about: ``c5`` (no
        agreed value), ``c5_rationale`` (no rationale); members not done under ``__all__``."""
        gaps: dict[str, list[str]] = {}
        for row in self.rows:
            if row.agreed is None:
                gaps[row.code] = [f"{item_label(row.item)}: no agreed value yet."]
            elif not row.agreed.rationale.strip():
                gaps[f"{row.code}_rationale"] = [f"{item_label(row.item)}: no rationale yet."]
        seats = [
            f"Seat {seat.seat_type.number} ({seat.person or 'vacant'}) has not submitted; "
            "record a reason if they could not take part."
            for seat in self.seats
            if seat.submitted_at is None and not seat.absence_reason
        ]
        if seats:
            gaps[NON_FIELD_ERRORS] = seats
        return gaps


def scoring_form_rows(*, assessment: Assessment) -> list[ItemRow]:
    """The rows a scoring form needs to read a POST: every rated item of the assessment's
    framework (level descriptors prefetched), without anyone's scores, which a bound form
    does not show. Four queries (``rated_items``), against ``scoring_view``'s nine: a save that
    succeeds redirects, so the rest of the page is never read."""
    return [ItemRow(item=item) for item in rated_items(assessment.round.framework)]


def moderation_changes(view: PanelView) -> list[tuple[ItemRow, ModerationAdjustment]]:
    """What regional moderation changed of the panel's agreed ratings, oldest first, each
    with its item's row (``ItemRow.agreed`` keeps the panel's value beside the current
    one). One query; nothing before moderation."""
    rows = {
        row.agreed.pk: row
        for parent in view.rows
        for row in (parent, *parent.subs)
        if row.agreed is not None
    }
    if not rows:
        return []
    adjustments = ModerationAdjustment.objects.filter(rating_id__in=list(rows))
    return [(rows[a.rating_id], a) for a in adjustments.order_by("adjusted_at", "pk")]


@dataclass(frozen=True)
class ModerationTally:
    """What regional moderation itself did to the panel's agreed ratings (``changed``
    ratings it left differing from the panel's value, in ``adjustments`` adjustments), and
    how many ``later`` changes followed at the national cross-check, the factual-accuracy
    check or after publication (walk: an answer to a board's factual-accuracy comment was
    counted, and headed, as a moderation change)."""

    changed: int
    adjustments: int
    later: int


def moderation_tally(
    changes: list[tuple[ItemRow, ModerationAdjustment]],
    *,
    first_published_at: datetime.datetime | None,
) -> ModerationTally:
    """Count ``moderation_changes`` by stage, without a query. An adjustment made after the
    round's first publication (a withdrawn round corrected) is a correction whatever stage
    its assessment went back to, as ``reports/adjustment_label.html`` labels it."""

    def at_moderation(adjustment: ModerationAdjustment) -> bool:
        corrected = first_published_at is not None and adjustment.adjusted_at > first_published_at
        return adjustment.stage == Stage.MODERATION and not corrected

    ours = [adjustment for _, adjustment in changes if at_moderation(adjustment)]
    first: dict[int, str] = {}
    last: dict[int, str] = {}
    for adjustment in ours:  # oldest first: from the panel's value to moderation's last
        first.setdefault(adjustment.rating_id, adjustment.old_value)
        last[adjustment.rating_id] = adjustment.new_value
    return ModerationTally(
        changed=sum(1 for pk, value in last.items() if value != first[pk]),
        adjustments=len(ours),
        later=len(changes) - len(ours),
    )


def panel_view(*, assessment: Assessment, seat: Seat | None = None) -> PanelView:
    """Everything the consensus page shows, in a fixed number of queries (ten): every
    member's scores, the self-assessment, the evidence, the agreed ratings.

    ``seat`` is the viewer's own seat: its scores fill ``ItemRow.mine``.
    """
    return _panel_view(assessment=assessment, seat=seat, everyone=True, agreed=True)


def scoring_view(*, assessment: Assessment, seat: Seat) -> PanelView:
    """What the scoring page shows the member in ``seat``, in nine queries whatever the
    number of items.

    Unlike ``panel_view``, the other members' scores are read only once this member has
    submitted (the page shows them then, and never before), and the agreed ratings not at
    all (the consensus page's): each ``ItemRow.members`` is empty until then, and
    ``ItemRow.agreed`` always None. Most of the page's rows are the member's own.
    """
    return _panel_view(
        assessment=assessment, seat=seat, everyone=seat.submitted_at is not None, agreed=False
    )


def _panel_view(
    *, assessment: Assessment, seat: Seat | None, everyone: bool, agreed: bool
) -> PanelView:
    """``panel_view`` and ``scoring_view``: ``everyone``, every seat's scores (with the
    people's organisations) rather than ``seat``'s alone; ``agreed``, the agreed ratings."""
    items = rated_items(assessment.round.framework)
    seats = Seat.objects.filter(panel__assessment=assessment).order_by("seat_type__number")
    if everyone:
        seats = list(
            seats.select_related(
                "seat_type",
                "person__user",
                "person__pct",
                "person__sha",
                "person__external_organisation",
            ).prefetch_related("scores")
        )
        by_seat = {s.pk: {rating_key(score): score for score in s.scores.all()} for s in seats}
    else:
        seats = list(seats.select_related("seat_type", "person"))
        mine = MemberScore.objects.filter(seat=seat) if seat else []
        by_seat = {seat.pk: {rating_key(score): score for score in mine}} if seat else {}
    self_ratings = {
        rating_key(r): r
        for r in SelfAssessmentRating.objects.filter(self_assessment__assessment=assessment)
    }
    self_assessment = SelfAssessment.objects.filter(
        assessment=assessment, status=SelfAssessment.Status.SUBMITTED
    ).first()
    evidence = list(EvidenceDocument.objects.filter(assessment=assessment))
    agreed_ratings = (
        {rating_key(r): r for r in AgreedRating.objects.filter(assessment=assessment)}
        if agreed
        else {}
    )
    rows, subs = [], []
    for item in items:
        key = item_key(item)
        rows.append(
            ItemRow(
                item=item,
                mine=by_seat[seat.pk].get(key) if seat else None,
                members=[(s, by_seat[s.pk].get(key)) for s in seats] if everyone else [],
                self_rating=self_ratings.get(key) if self_assessment else None,
                agreed=agreed_ratings.get(key),
            )
        )
        # Sub-indicators come just before their area: the area's row shows them again.
        if isinstance(item, SubIndicator):
            subs.append(rows[-1])
        elif isinstance(item, GovernanceArea):
            rows[-1].subs, subs = subs, []
    return PanelView(
        assessment=assessment,
        seats=seats,
        rows=rows,
        self_assessment=self_assessment,
        evidence=evidence,
        # Read with the assessment by ``assessment_for_panel`` (no query of its own).
        proceeded_without=None
        if self_assessment or getattr(assessment, "without_sa_at", None) is None
        else ProceededWithout(when=assessment.without_sa_at, reason=assessment.without_sa_note),
    )


def person_version(person: Person) -> int:
    """How many times the person was added, edited, invited, deactivated or reactivated:
    the version an edit page is made from (``person_update``'s ``expected_version``)."""
    return PersonChange.objects.filter(person=person).count()


def recipient(seat: Seat) -> str | None:
    """The seat holder's address: the person's own, else their user account's."""
    return person_address(seat.person) if seat.person is not None else None


def person_address(person) -> str | None:
    """A person's address: their own, else their user account's."""
    address = person.email or (person.user.email if person.user_id else "")
    return address or None


def deadline_work(round_, fields) -> list:
    """This app's part of ``assessments.deadlines``: the members still to submit their
    scores (panels scoring, not excused) work to the scoring deadline, and each
    panel's chair (seat 1) to the consensus deadline until consensus closes. Up to two
    queries."""
    from assessments.deadlines import Work

    seats = (
        Seat.objects.filter(panel__assessment__round=round_, person__user__isnull=False)
        .select_related("person__user", "panel__assessment__pct", "panel__assessment__round")
        .order_by("panel__assessment__pct__name", "seat_type__number")
    )
    work = []
    if "scoring_due" in fields:
        # Panels scoring now: a panel still forming has no scoring page to link to yet
        # (walk R: Coventry's, at panel formation, was listed), and is told when it opens.
        for seat in seats.filter(
            panel__assessment__stage=Stage.SCORING, submitted_at__isnull=True
        ).exclude(absence_reason__gt=""):
            assessment = seat.panel.assessment
            work.append(
                Work(
                    seat.person.user,
                    "scoring_due",
                    f"your scores for {assessment.pct.name}",
                    reverse("panels:score", args=[round_.slug, assessment.pct.ods_code]),
                    recipient(seat) or "",
                )
            )
    if "consensus_due" in fields:
        # Whoever chairs the panel now: the acting chair, while there is one.
        for seat in seats.filter(PRESIDING, panel__assessment__stage__lte=Stage.CONSENSUS):
            assessment = seat.panel.assessment
            work.append(
                Work(
                    seat.person.user,
                    "consensus_due",
                    f"the consensus of {assessment.pct.name}'s panel, which you chair",
                    reverse("panels:consensus", args=[round_.slug, assessment.pct.ods_code]),
                    recipient(seat) or "",
                )
            )
    return work


@dataclass(frozen=True)
class ActingChair:
    """Who chairs a panel in its chair's place (``Panel.acting_chair``), since when and why:
    the latest hand-over on the chair's seat (``SeatChange``, how: acting)."""

    seat_id: int
    person: Person
    since: datetime.datetime
    reason: str
    by: object  # the user who handed the chair on, or None


def acting_chair(*, panel: Panel | None) -> ActingChair | None:
    """The panel's acting chair, or None (no panel, or its chair chairs it): no query when
    there is none, one when there is."""
    if panel is None or panel.acting_chair_id is None:
        return None
    change = (
        SeatChange.objects.filter(
            how=SeatChange.How.ACTING,
            seat__panel_id=panel.pk,
            new_person__seats__pk=panel.acting_chair_id,
        )
        .select_related("new_person", "changed_by")
        .order_by("-changed_at", "-pk")
        .first()
    )
    if change is None:  # no hand-over recorded (an administrator's edit): who, not why
        seat = Seat.objects.select_related("person").get(pk=panel.acting_chair_id)
        return ActingChair(
            seat_id=seat.pk, person=seat.person, since=panel.created_at, reason="", by=None
        )
    return ActingChair(
        seat_id=panel.acting_chair_id,
        person=change.new_person,
        since=change.changed_at,
        reason=change.note,
        by=change.changed_by,
    )


def presiding_seats() -> QuerySet[Seat]:
    """The seats whose holder chairs their panel now (``PRESIDING``), with their person."""
    return Seat.objects.filter(PRESIDING).select_related("seat_type", "person__user")


def seat_replaced_for(*, user, round_slug: str, ods: str) -> SeatChange | None:
    """The latest replacement that took ``user`` off the panel of ``ods`` in ``round_slug``
    (``seat_replace``), for the page their old links show; None if there was none. One
    query."""
    return _latest_change_from(user, round_slug, ods, SeatChange.How.REPLACED)


def _latest_change_from(user, round_slug: str, ods: str, how: str) -> SeatChange | None:
    """The latest ``SeatChange`` of kind ``how`` on the panel of ``ods`` in ``round_slug``
    that took something from ``user`` (``old_person``), with what its page shows; one
    query (none for an anonymous visitor)."""
    if not user.is_authenticated:
        return None
    return _latest_on_panel(
        SeatChange.objects.filter(how=how, old_person__user=user), round_slug, ods
    )


def _latest_on_panel(changes: QuerySet[SeatChange], round_slug: str, ods: str):
    """The latest of ``changes`` on the panel of ``ods`` in ``round_slug``, with what the
    pages that tell of it show (its PCT, round, who made it, who it went to); one query."""
    return (
        changes.filter(
            seat__panel__assessment__round__slug=round_slug,
            seat__panel__assessment__pct__ods_code__iexact=ods,
        )
        .select_related(
            "seat__panel__assessment__pct",
            "seat__panel__assessment__round",
            "changed_by",
            "new_person",
        )
        .order_by("-changed_at", "-pk")
        .first()
    )


# --- A member deactivated while their panels are at work ------------------------------------

# The stages at which a panel waits for each member's scores (or their excuse).
WAITING_STAGES = (Stage.SCORING, Stage.CONSENSUS)

# A seat that holds its panel up: its holder is deactivated, while the panel scores or is
# at consensus, and has neither submitted nor been excused, or chairs the panel (only the
# chair records consensus: walk W found a chair deactivated at consensus, their scores in,
# neither marked nor told). A path from ``Seat``.
HELD_UP = Q(
    Q(submitted_at__isnull=True, absence_reason="") | PRESIDING,
    person__is_active=False,
    panel__assessment__stage__in=WAITING_STAGES,
)


def seat_held_up(seat: Seat, stage: int, presides: bool | None = None) -> bool:
    """``HELD_UP`` for a seat loaded with its person and its type, its panel's assessment at
    ``stage``: no query. ``presides``: whether its holder chairs the panel now (``Seat.presides``,
    read from its panel when the seat was loaded with it; else the chair's seat is taken to
    chair it)."""
    if stage not in WAITING_STAGES or seat.person is None or seat.person.is_active:
        return False
    if seat.submitted_at is None and not seat.absence_reason:
        return True
    if presides is None:
        presides = seat.presides if Seat.panel.is_cached(seat) else seat.seat_type.is_chair
    return presides


def held_up_seats(seats: Iterable[Seat], stage: int) -> set[int]:
    """The pks of those of ``seats`` (of one panel, at ``stage``) that hold it up."""
    return {seat.pk for seat in seats if seat_held_up(seat, stage)}


@dataclass
class DeactivationTold:
    """Who is e-mailed when ``person`` is deactivated (``notify_person_deactivated``): each
    chair (whoever chairs now, the acting chair too) of a panel scoring or at consensus on
    which ``person`` holds a seat not submitted nor excused, with those seats (a chair with
    no e-mail address is left out); and, for the panels ``person`` chairs themselves, the
    region's SHA staff (active, with an address), who hand the chair on, with those
    seats. Each list is by name."""

    chairs: list[tuple[Person, list[Seat]]] = field(default_factory=list)
    staff: list[tuple[object, list[Seat]]] = field(default_factory=list)  # (user, seats)

    @property
    def names(self) -> list[str]:
        return [p.full_name for p, _seats in self.chairs] + [
            u.get_full_name() or u.get_username() for u, _seats in self.staff
        ]


def deactivation_told(*, person: Person) -> DeactivationTold:
    """:class:`DeactivationTold` for ``person`` (whether already deactivated or not): three
    queries at most, whatever the number of panels."""
    seats = list(
        Seat.objects.filter(
            Q(submitted_at__isnull=True, absence_reason="") | PRESIDING,
            person=person,
            panel__assessment__stage__in=WAITING_STAGES,
        )
        .select_related("seat_type", "panel__assessment__round", "panel__assessment__pct__sha")
        .order_by("panel__assessment__round__slug", "panel__assessment__pct__name", "pk")
    )
    if not seats:
        return DeactivationTold()
    presiding = {
        s.panel_id: s
        for s in Seat.objects.filter(
            PRESIDING, panel_id__in=[s.panel_id for s in seats]
        ).select_related("person__user")
    }
    by_chair: dict[int, tuple[Person, list[Seat]]] = {}
    for_staff: list[Seat] = []
    for seat in seats:
        chair = presiding.get(seat.panel_id)
        if chair is None or chair.pk == seat.pk:  # they chair it: SHA staff hand it on
            for_staff.append(seat)
        elif chair.person is not None and person_address(chair.person) is not None:
            by_chair.setdefault(chair.person_id, (chair.person, []))[1].append(seat)
    told = DeactivationTold(
        chairs=sorted(by_chair.values(), key=lambda c: (c[0].full_name, c[0].pk))
    )
    if for_staff:
        by_user: dict[int, tuple[object, list[Seat]]] = {}
        roles = (
            Role.objects.filter(
                kind=Role.Kind.SHA_STAFF,
                sha_id__in={s.panel.assessment.pct.sha_id for s in for_staff},
                user__is_active=True,
            )
            .exclude(user__email="")
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "user__username")
        )
        for role in roles:
            entry = by_user.setdefault(role.user_id, (role.user, []))
            entry[1].extend(s for s in for_staff if s.panel.assessment.pct.sha_id == role.sha_id)
        told.staff = list(by_user.values())
    return told


def chair_handed_from(*, user, round_slug: str, ods: str) -> SeatChange | None:
    """The latest hand-over of the chair of the panel of ``ods`` in ``round_slug`` away
    from ``user`` (``panel_acting_chair_set``), while they no longer chair it: for the page
    their open consensus page's save shows (walk W: a bare 404, and nothing said of what
    they had typed). None otherwise. Two queries at most.

    The latest hand-over of that panel's chair, not the one from ``user``: after a second
    hand-over (from the acting chair to a third member) it names who chairs now, where the
    first named the acting chair who no longer does."""
    if not user.is_authenticated:
        return None
    handed_from_user = SeatChange.objects.filter(
        how=SeatChange.How.ACTING, seat__panel_id=OuterRef("seat__panel_id"), old_person__user=user
    )
    change = _latest_on_panel(
        SeatChange.objects.filter(Exists(handed_from_user), how=SeatChange.How.ACTING),
        round_slug,
        ods,
    )
    if change is None:
        return None
    chairs_now = Seat.objects.filter(PRESIDING, panel_id=change.seat.panel_id, person__user=user)
    return None if chairs_now.exists() else change


# --- A seated member no longer eligible (their organisation or job changed since) ----------

# The stages at which a seat's holder can still be changed or the panel still scores: past
# consensus the panel's work is done, and who sat on it is history.
CONFLICT_STAGES = (Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION, Stage.SCORING, Stage.CONSENSUS)

# A seat whose holder's organisation no longer fits it, on a panel not yet at moderation:
# they now work for the PCT assessed, or for an organisation of another kind or area than
# the seat takes from (``panels.eligibility.affiliation_fits``). A path from ``Seat``, for
# SHA staff's home page ("Seats to replace"); the job-role rule is read in Python
# (``seat_conflict``), since the roles a seat takes are a JSON list.
_AFFILIATION = SeatType.Affiliation
NO_LONGER_ELIGIBLE = Q(
    Q(person__pct_id=F("panel__assessment__pct_id"))
    | Q(
        Q(person__sha_id__isnull=True) | ~Q(person__sha_id=F("panel__assessment__pct__sha_id")),
        seat_type__affiliation=_AFFILIATION.OWN_SHA,
    )
    | Q(person__pct_id__isnull=True, seat_type__affiliation=_AFFILIATION.OTHER_PCT)
    | Q(
        Q(person__pct_id__isnull=True) | Q(person__pct__sha_id=F("panel__assessment__pct__sha_id")),
        seat_type__affiliation=_AFFILIATION.OTHER_SHA_PCT,
    )
    | Q(
        person__external_organisation_id__isnull=True,
        seat_type__affiliation=_AFFILIATION.OUTSIDE_NHS,
    ),
    person__isnull=False,
    panel__assessment__stage__in=CONFLICT_STAGES,
)


def seat_conflict(*, seat: Seat, assessment: Assessment, person: Person | None = None) -> str:
    """Why the holder of ``seat`` (or ``person``, the holder as they would be after an edit)
    may no longer sit in it on the panel of ``assessment``, as a sentence naming the rule,
    or "": they work for the PCT assessed, or their job or organisation is not one the seat
    takes. No query: the seat is loaded with its type, the person with their organisation
    (and a PCT's SHA), the assessment with its PCT. The board-role rule is not read here
    (it is another page's change: the board accounts pages refuse it)."""
    person = person if person is not None else seat.person
    if person is None or assessment.stage not in CONFLICT_STAGES:
        return ""
    seat_type = seat.seat_type
    if person.pct_id is not None and person.pct_id == assessment.pct_id:
        return (
            f"{person.full_name} now works for {assessment.pct.name}, the PCT assessed: "
            "nobody may sit on the panel of their own organisation."
        )
    where = f"seat {seat_type.number} ({seat_type.name})"
    if person.job_role not in seat_type.eligible_roles:
        return (
            f"{person.full_name} is now {person.get_job_role_display().lower()} of "
            f"{person.organisation}, and {where} does not take that role: each seat "
            "takes certain roles."
        )
    if not affiliation_fits(seat_type, person, assessment):
        takes = seat_type.get_affiliation_display()
        return (
            f"{person.full_name} now works for {person.organisation}, and {where} takes "
            f"someone from {takes[:1].lower() + takes[1:]}."
        )
    return ""


@dataclass(frozen=True)
class SeatConflict:
    """A seat whose holder may no longer sit in it, and why (``seat_conflict``)."""

    seat: Seat
    assessment: Assessment
    why: str

    @property
    def where(self) -> str:
        seat_type, assessment = self.seat.seat_type, self.assessment
        return (
            f"Seat {seat_type.number} ({seat_type.name}) on the panel of {assessment.pct.name} "
            f"({assessment.round.slug})"
        )

    @property
    def todo(self) -> tuple[str, str]:
        """What SHA staff do about it, and where: choose someone else while the seats are
        being formed, replace them while scoring; at consensus only the chair can excuse
        them (``panels.services.formation``)."""
        args = [self.assessment.round.slug, self.assessment.pct.ods_code]
        number = self.seat.seat_type.number
        if self.assessment.stage in SEAT_CHANGE_STAGES:
            url = reverse("panels:formation_panel", args=args) + f"#id_seat_{number}"
            return f"Choose someone else for seat {number}", url
        if self.assessment.stage == Stage.SCORING:
            return "Replace them", reverse("panels:replace_seat", args=[*args, number])
        return (
            "The panel is at consensus: nobody can be replaced now; the chair can excuse them",
            reverse("panels:consensus", args=args),
        )


def seat_conflicts(*, seats: Iterable[Seat], assessment: Assessment) -> list[SeatConflict]:
    """Those of ``seats`` (one panel's, loaded as ``seats_with_people`` loads them) whose
    holder may no longer sit in them, by seat number. No query."""
    found = []
    for seat in sorted(seats, key=lambda s: s.seat_type.number):
        why = seat_conflict(seat=seat, assessment=assessment)
        if why:
            found.append(SeatConflict(seat=seat, assessment=assessment, why=why))
    return found


def _seats_before_moderation(person: Person):
    """The seats ``person`` holds on panels not yet at moderation, with what a conflict's
    words need, by round then PCT (one query)."""
    return (
        Seat.objects.filter(person=person, panel__assessment__stage__in=CONFLICT_STAGES)
        .select_related("seat_type", "panel__assessment__pct", "panel__assessment__round")
        .order_by("panel__assessment__round__slug", "panel__assessment__pct__name")
    )


def seats_made_ineligible(*, person: Person, changed: Person) -> list[SeatConflict]:
    """The seats ``person`` holds on panels not yet at moderation which ``changed`` (the
    same person with the details of an edit, not saved) may no longer hold, though
    ``person`` may: what the edit would make a conflict. One query."""
    seats = _seats_before_moderation(person)
    found = []
    for seat in seats:
        assessment = seat.panel.assessment
        why = seat_conflict(seat=seat, assessment=assessment, person=changed)
        if why and not seat_conflict(seat=seat, assessment=assessment, person=person):
            found.append(SeatConflict(seat=seat, assessment=assessment, why=why))
    return found


def person_seat_conflicts(*, person: Person) -> list[SeatConflict]:
    """The seats ``person`` holds on panels not yet at moderation that they may no longer
    hold (``seat_conflict``), by round then PCT. One query."""
    seats = _seats_before_moderation(person)
    found = []
    for seat in seats:
        assessment = seat.panel.assessment
        why = seat_conflict(seat=seat, assessment=assessment, person=person)
        if why:
            found.append(SeatConflict(seat=seat, assessment=assessment, why=why))
    return found


def last_replaced(*, person: Person | None) -> SeatChange | None:
    """The latest change that took ``person`` off a seat (excused is not one: they keep it),
    with the seat's panel's PCT and round: one query. None for a person never taken off."""
    if person is None:
        return None
    return (
        SeatChange.objects.filter(old_person=person)
        .exclude(new_person=person)
        .exclude(how__in=[SeatChange.How.EXCUSED, SeatChange.How.ACTING])
        .select_related("seat__panel__assessment__pct", "seat__panel__assessment__round")
        .order_by("-changed_at", "-pk")
        .first()
    )
