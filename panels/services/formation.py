"""Panel formation: SHA staff fill the five seats of each of their PCTs' panels.

Who may take which seat is data (``SeatType``) applied by ``panels.eligibility``: every
save checks every seat and refuses all of it, with every reason, if any seat is refused
(all or nothing). A deactivated person (``panels.services.people``) is refused for a seat
they do not already hold; the seats they hold stay theirs. Seats may change while the assessment is at self-assessment or panel
formation; once scoring opens they are fixed, and the server refuses a change.

Lost updates are refused by an optimistic check on ``Panel.version`` (the version the
user saw travels with the form): two people saving the same panel at once, the second is
told it changed and sees the current seats. Each seat's ``version`` moves on with a change
of holder too, so that a member's scoring page opened before the change goes stale.

History: opening scoring writes a ``StageChange`` (through ``assessment_advance``). Each
change of a seat's holder writes a ``SeatChange`` (who, when, before and after, and how:
formation or copied from last year) in the same transaction; it moves the panel's version
and is logged (``wcc.panels``) too.

Replacing a member while scoring (``seat_replace``): the one change of holder allowed once
scoring has opened, for a seat whose holder has neither submitted nor been excused (a
member who left, or the wrong holder, the chair's seat included). The same seat rules
apply; the old holder's draft scores are deleted, the new holder starts empty, and the
change is a ``SeatChange`` (how: replaced while scoring) with the reason given.

Handing the chair to another member (``panel_acting_chair_set``): while scoring or at
consensus, when the chair cannot go on (ill, left, deactivated), SHA staff name one of the
panel's other current seat holders acting chair (``Panel.acting_chair``), or hand the
chair back to the chair. No seat changes holder and no score moves; the hand-over is a
``SeatChange`` on the chair's seat (how: acting) with the reason given.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from assessments.concurrency import claim
from assessments.exceptions import ConflictError, TransitionError
from assessments.models import Assessment, Stage
from assessments.services import assessment_advance
from assessments.text import REASON_MAX_CHARS, checked_reason, visible
from panels.eligibility import SEAT_CHANGE_STAGES, Refusal, inactive_refusal, seat_refusals
from panels.models import MemberScore, Panel, Person, Seat, SeatChange, SeatType
from panels.notifications import (
    notify_acting_chair,
    notify_scoring_opened,
    notify_seat_replaced,
)
from panels.services.history import seat_change_record

__all__ = [
    "ACTING_CHAIR_STAGES",
    "CopyResult",
    "SeatRefused",
    "panel_acting_chair_check",
    "panel_acting_chair_set",
    "panel_copy_previous",
    "panel_ensure",
    "panel_open_scoring",
    "panel_open_scoring_check",
    "panel_seats_set",
    "seat_replace",
    "seat_replace_check",
]

logger = logging.getLogger("wcc.panels")


class SeatRefused(ValidationError):
    """One or more seats refused; ``refusals`` maps each seat number to its reasons.

    The error is keyed by form field (``seat_<number>``), so a form can show each reason
    beside its seat; ``messages`` lists every reason.
    """

    def __init__(self, refusals: dict[int, list[Refusal]]):
        self.refusals = refusals
        super().__init__(
            {
                f"seat_{number}": [r.message for r in reasons]
                for number, reasons in sorted(refusals.items())
            }
        )


@dataclass
class CopyResult:
    copied: list[Seat] = field(default_factory=list)  # seats now held by last year's holder
    skipped: list[str] = field(default_factory=list)  # why each other holder was not copied


def _stage_label(value: int) -> str:
    return Stage(value).label


def _current_stage(assessment: Assessment) -> int:
    return Assessment.objects.values_list("stage", flat=True).get(pk=assessment.pk)


def _check_seats_may_change(assessment: Assessment) -> None:
    stage = _current_stage(assessment)
    if stage not in SEAT_CHANGE_STAGES:
        raise TransitionError(
            "Seats can be changed only at self-assessment or panel formation; the "
            f"assessment of {assessment.pct} is at {_stage_label(stage)}, so its panel is "
            "fixed."
        )


def _seats(panel: Panel) -> list[Seat]:
    return list(
        Seat.objects.filter(panel=panel)
        .select_related("panel", "seat_type", "person__pct")
        .order_by("seat_type__number")
    )


@transaction.atomic
def panel_ensure(*, assessment: Assessment) -> Panel:
    """The assessment's panel, created with one empty seat per seat type if missing.

    A panel missing some seats (seat types added later) gets the missing ones.
    """
    panel, _created = Panel.objects.get_or_create(assessment=assessment)
    have = set(Seat.objects.filter(panel=panel).values_list("seat_type_id", flat=True))
    missing = [Seat(panel=panel, seat_type=t) for t in SeatType.objects.exclude(pk__in=have)]
    for seat in missing:
        seat.full_clean()
    Seat.objects.bulk_create(missing)
    assessment.panel = panel
    return panel


def _refusals_for(
    *, assessment: Assessment, seats: list[Seat], wanted: dict[int, Person | None]
) -> dict[int, list[Refusal]]:
    """Every refusal of the panel as it would be, keyed by seat number."""
    planned = [
        Seat(
            pk=seat.pk,
            panel_id=seat.panel_id,
            seat_type=seat.seat_type,
            person=wanted.get(seat.seat_type.number, seat.person),
        )
        for seat in seats
    ]
    refusals = {}
    for seat in planned:
        if seat.person is None:
            continue
        reasons = seat_refusals(
            seat_type=seat.seat_type,
            person=seat.person,
            assessment=assessment,
            other_seats=[s for s in planned if s is not seat],
        )
        if reasons:
            refusals[seat.seat_type.number] = reasons
    return refusals


def _conflict(panel: Panel) -> ConflictError:
    return ConflictError(
        "This panel was changed by someone else since you opened it. The seats shown are "
        "the current ones; your changes were not saved.",
        current=Panel.objects.get(pk=panel.pk),
    )


@transaction.atomic
def panel_seats_set(
    *,
    panel: Panel,
    people: dict[int, Person | None],
    by: AbstractBaseUser | None,
    expected_version: int,
) -> Panel:
    """Fill the panel's seats at once: ``people`` maps seat numbers to a person or None.

    Seats not named in ``people`` keep their holder. All or nothing: if any seat is
    refused, ``SeatRefused`` lists every refusal and nothing is written. Refused too:
    ``TransitionError`` once scoring has opened, ``ConflictError`` if the panel's version
    is no longer ``expected_version``. Each seat that changes holder writes a
    ``SeatChange`` (how: formation).
    """
    return _seats_set(
        panel=panel,
        people=people,
        by=by,
        expected_version=expected_version,
        how=SeatChange.How.FORMATION,
    )


def _seats_set(
    *,
    panel: Panel,
    people: dict[int, Person | None],
    by: AbstractBaseUser | None,
    expected_version: int,
    how: str,
) -> Panel:
    assessment = Assessment.objects.select_related("pct__sha", "round").get(pk=panel.assessment_id)
    _check_seats_may_change(assessment)
    seats = _seats(panel)
    numbers = {seat.seat_type.number for seat in seats}
    unknown = sorted(set(people) - numbers)
    if unknown:
        raise ValidationError(f"This panel has no seat {', '.join(map(str, unknown))}.")
    if not Panel.objects.filter(pk=panel.pk, version=expected_version).exists():
        raise _conflict(panel)
    refusals = _refusals_for(assessment=assessment, seats=seats, wanted=people)
    # A deactivated person keeps the seats they hold, but is given no new one.
    for seat in seats:
        person = people.get(seat.seat_type.number)
        if person is not None and person.pk != seat.person_id:
            refusal = inactive_refusal(seat_type=seat.seat_type, person=person)
            if refusal is not None:
                refusals.setdefault(seat.seat_type.number, []).append(refusal)
    if refusals:
        raise SeatRefused(refusals)

    panel.version = claim(
        Panel, pk=panel.pk, expected_version=expected_version, conflict=lambda: _conflict(panel)
    )
    changed = [
        (seat, people[seat.seat_type.number])
        for seat in seats
        if seat.seat_type.number in people
        and seat.person_id != getattr(people[seat.seat_type.number], "pk", None)
    ]
    # Vacate first so that two people may swap seats without tripping "one person, one seat".
    Seat.objects.filter(pk__in=[seat.pk for seat, _ in changed]).update(person=None)
    for seat, person in changed:
        old = seat.person
        seat.person = person
        seat.submitted_at = None
        seat.version += 1
        seat.full_clean()
        seat.save(update_fields=["person", "submitted_at", "version"])
        seat_change_record(seat=seat, how=how, old_person=old, new_person=person, by=by)
        logger.info(
            "Panel %s seat %s: %s -> %s (by %s)",
            assessment,
            seat.seat_type.number,
            old or "vacant",
            person or "vacant",
            by,
        )
    return panel


def _previous_seats(assessment: Assessment) -> list[Seat]:
    """Last round's filled seats of the same PCT, by seat number."""
    return list(
        Seat.objects.filter(
            panel__assessment__round_id=assessment.round.previous_id,
            panel__assessment__pct_id=assessment.pct_id,
            person__isnull=False,
        )
        .select_related("seat_type", "person__pct", "panel__assessment__round")
        .order_by("seat_type__number")
    )


def _copy_plan(assessment, previous_seats, current) -> tuple[dict[int, Person | None], list[str]]:
    """Who copying last year's panel seats where (a seat not named keeps its holder), and
    why each holder not copied is not. Writes nothing."""
    numbers = set(current)
    wanted: dict[int, Person | None] = {}
    skipped: list[str] = []
    candidates = [s for s in previous_seats if s.seat_type.number in numbers]
    for previous in candidates:
        number = previous.seat_type.number
        reasons = seat_refusals(
            seat_type=previous.seat_type,
            person=previous.person,
            assessment=assessment,
            other_seats=[],  # the same person held one seat last year too
        )
        inactive = inactive_refusal(seat_type=previous.seat_type, person=previous.person)
        if inactive is not None and current.get(number) != previous.person:
            reasons.append(inactive)
        if reasons:
            skipped.extend(r.message for r in reasons)
        else:
            wanted[number] = previous.person
    # A seat not copied keeps its holder, unless the copy seats that person elsewhere.
    copied_ids = {p.pk for p in wanted.values() if p is not None}
    for number, person in current.items():
        if number not in wanted and person is not None and person.pk in copied_ids:
            wanted[number] = None
    return wanted, skipped


def copy_changes(*, assessment: Assessment) -> list[tuple[Seat, Person | None]]:
    """Each seat copying last year's panel would change, with who would hold it then
    (``None``: nobody): a saved holder replaced or removed, or an empty seat filled. The
    check page lists them all; it is needed when one takes a saved holder's seat. Empty
    when nothing would change (no panel yet: the copy makes it). Writes nothing."""
    panel = Panel.objects.filter(assessment=assessment).first()
    round_ = assessment.round
    if panel is None or round_.previous_id is None:
        return []
    seats = _seats(panel)
    # A seat type the panel has no row for yet (``panel_ensure`` adds it, empty, as the
    # copy begins): listed as the empty seat it will be, not left out.
    have = {seat.seat_type_id for seat in seats}
    seats += [Seat(panel=panel, seat_type=t) for t in SeatType.objects.exclude(pk__in=have)]
    seats.sort(key=lambda seat: seat.seat_type.number)
    current = {seat.seat_type.number: seat.person for seat in seats}
    previous_seats = _previous_seats(assessment)
    wanted, _skipped = _copy_plan(assessment, previous_seats, current)
    return [
        (seat, wanted[seat.seat_type.number])
        for seat in seats
        if seat.seat_type.number in wanted and wanted[seat.seat_type.number] != seat.person
    ]


@transaction.atomic
def panel_copy_previous(
    *,
    assessment: Assessment,
    by: AbstractBaseUser | None,
    expected_version: int | None = None,
) -> CopyResult:
    """Seat last round's panel of the same PCT again, as a starting point.

    Each previous holder who is still eligible is copied into the same seat; the others
    are reported in ``skipped`` (with the reason) and their seats keep their current
    holder. Refused (``ValidationError``) when there is no previous round or panel;
    ``TransitionError`` once scoring has opened; ``ConflictError`` when the panel is no
    longer at ``expected_version`` (the one the check page listing the seats it replaces
    was made from: they changed since).
    """
    _check_seats_may_change(assessment)
    round_ = assessment.round
    if round_.previous_id is None:
        raise ValidationError(f"{round_} has no previous round to copy from.")
    previous_seats = _previous_seats(assessment)
    if not previous_seats:
        raise ValidationError(f"{assessment.pct} had no panel in {round_.previous} to copy from.")
    panel = panel_ensure(assessment=assessment)
    panel.refresh_from_db(fields=["version"])
    if expected_version is not None and panel.version != expected_version:
        raise ConflictError(
            "The panel changed since you checked it (its seats were saved in another "
            "window): nothing was copied. Check what copying would replace again.",
            current=panel,
        )
    current = {seat.seat_type.number: seat.person for seat in _seats(panel)}
    wanted, skipped = _copy_plan(assessment, previous_seats, current)
    _seats_set(
        panel=panel,
        people=wanted,
        by=by,
        expected_version=panel.version,
        how=SeatChange.How.COPIED,
    )
    copied_numbers = {n for n, p in wanted.items() if p is not None}
    copied = [s for s in _seats(panel) if s.seat_type.number in copied_numbers]
    return CopyResult(copied=copied, skipped=skipped)


def panel_open_scoring_check(*, assessment: Assessment) -> list[Seat]:
    """Whether scoring may open now: the panel's seats (with their people), or refused
    with a ``ValidationError`` naming each empty seat (keyed by its form field), a
    ``SeatRefused`` naming each seat whose holder is no longer eligible, has no account or
    has been deactivated (they could not log in to score), a ``TransitionError`` at any
    stage but panel formation. Writes nothing: the check-your-answers page asks it before
    ``panel_open_scoring`` asks it again."""
    if assessment.stage != Stage.PANEL_FORMATION:
        raise TransitionError(
            f"Scoring opens from {Stage.PANEL_FORMATION.label}; the assessment of "
            f"{assessment.pct} is at {assessment.get_stage_display()}."
        )
    panel = Panel.objects.filter(assessment=assessment).first()
    seats = _seats(panel) if panel is not None else []
    seat_types = list(SeatType.objects.order_by("number"))
    held = {seat.seat_type_id for seat in seats if seat.person_id is not None}
    empty = [t for t in seat_types if t.pk not in held]
    if empty:
        raise ValidationError(
            {
                f"seat_{t.number}": [
                    f"Seat {t.number} ({t.name}): choose someone. Scoring opens only when "
                    "every seat is filled."
                ]
                for t in empty
            }
        )
    refusals = _refusals_for(assessment=assessment, seats=seats, wanted={})
    for seat in seats:
        if seat.person is not None and seat.person.user_id is None:
            refusals.setdefault(seat.seat_type.number, []).append(
                Refusal(
                    "no-account",
                    f"Seat {seat.seat_type.number} ({seat.seat_type.name}): "
                    f"{seat.person.full_name} has no account yet and could not log in to "
                    "score; invite them on the people pages first.",
                )
            )
        if seat.person is not None and not seat.person.is_active:
            refusals.setdefault(seat.seat_type.number, []).append(
                Refusal(
                    "inactive-person",
                    f"Seat {seat.seat_type.number} ({seat.seat_type.name}): "
                    f"{seat.person.full_name} has been deactivated and could not log in to "
                    "score; choose someone else for the seat.",
                )
            )
    if refusals:
        raise SeatRefused(refusals)
    return seats


@transaction.atomic
def panel_open_scoring(
    *,
    assessment: Assessment,
    by: AbstractBaseUser | None,
    expected_version: int | None = None,
) -> Assessment:
    """Open scoring: PANEL_FORMATION -> SCORING, once every seat is filled and eligible
    (``panel_open_scoring_check``, whose refusals it raises).

    Every seat holder is told by e-mail, queued for the worker once this commits. Refused
    too with a ``ConflictError`` if the assessment changed, or if the panel is no longer at
    ``expected_version`` (the one its check page listed: its seats changed since).
    """
    assessment = Assessment.objects.select_related("pct__sha", "round").get(pk=assessment.pk)
    if expected_version is not None:
        panel = Panel.objects.select_for_update().filter(assessment=assessment).first()
        if panel is not None and panel.version != expected_version:
            raise ConflictError(
                "The panel changed since you checked it (its seats were saved in another "
                "window): scoring did not open. Check the panel below again.",
                current=panel,
            )
    panel_open_scoring_check(assessment=assessment)
    assessment_advance(
        assessment=assessment,
        to_stage=Stage.SCORING,
        by=by,
        note="Scoring opened: every seat is filled.",
    )
    # The panel's version moves on: a seats form saved from a page opened before (its
    # check of the stage read before this commits, on PostgreSQL) is refused as stale,
    # rather than changing a seat after scoring opened (the review).
    Panel.objects.filter(assessment=assessment).update(version=F("version") + 1)
    notify_scoring_opened(assessment=assessment)  # queued once this commits
    return assessment


# --- Replacing a member while scoring ------------------------------------------------------


def replace_refused_why(seat: Seat) -> str:
    """Why the seat's holder may not be replaced now, or "" if they may: a member who has
    submitted or was excused keeps the seat (their part is done)."""
    if seat.person_id is None:
        return f"Seat {seat.seat_type.number} ({seat.seat_type.name}) is empty."
    if seat.submitted_at is not None:
        return (
            f"{seat.person} submitted their scores on "
            f"{timezone.localdate(seat.submitted_at):%-d %B %Y}: a seat "
            "whose scores are in cannot be replaced."
        )
    if seat.absence_reason:
        return (
            f"The chair excused {seat.person} from the panel: the seat is done with, so it "
            "cannot be replaced."
        )
    if seat.panel.acting_chair_id == seat.pk:
        return (
            f"{seat.person} is the panel's acting chair: hand the chair to another member "
            "first, then replace them."
        )
    return ""


def _replace_seat(seat: Seat) -> tuple[Assessment, Seat, list[Seat]]:
    """The assessment (its stage read now), the seat as stored now and its panel's other
    seats; refused with a ``TransitionError`` unless the assessment is at scoring."""
    assessment = Assessment.objects.select_related("pct__sha", "round").get(
        pk=Panel.objects.values_list("assessment_id", flat=True).get(pk=seat.panel_id)
    )
    if assessment.stage != Stage.SCORING:
        raise TransitionError(
            "A member can be replaced only while the panel is scoring; the assessment of "
            f"{assessment.pct} is at {assessment.get_stage_display()}."
        )
    seats = _seats(seat.panel)
    current = next(s for s in seats if s.pk == seat.pk)
    return assessment, current, [s for s in seats if s.pk != seat.pk]


def draft_scores_count(seat: Seat) -> int:
    """How many items the seat's holder has a draft score or note on (what replacing the
    holder deletes)."""
    return (
        MemberScore.objects.filter(seat=seat)
        .exclude(level__isnull=True, light="", notes_for_board="", internal_notes="")
        .count()
    )


def seat_replace_check(*, seat: Seat, person: Person | None, reason: str) -> Seat:
    """Whether ``person`` may replace the holder of ``seat`` now, for ``reason``: the seat
    as stored now, or refused: ``TransitionError`` unless scoring; ``ValidationError`` for
    a seat submitted or excused, a missing or too long reason, no one chosen or the holder
    chosen again; ``SeatRefused`` (keyed ``seat_<number>``) when the seat rules refuse the
    person, or they have no account or were deactivated. Writes nothing: the check page asks
    it before ``seat_replace`` asks it again."""
    return _replace_checked(seat=seat, person=person, reason=reason)[1]


def _replace_checked(*, seat: Seat, person: Person | None, reason: str) -> tuple[Assessment, Seat]:
    assessment, current, others = _replace_seat(seat)
    why = replace_refused_why(current)
    if why:
        raise ValidationError(why)
    errors = {}
    if not visible(reason):
        errors["reason"] = ["Give the reason for replacing the member."]
    elif len(reason) > REASON_MAX_CHARS:
        errors["reason"] = [f"Keep the reason to {REASON_MAX_CHARS:,} characters or fewer."]
    if person is None:
        errors["person"] = ["Choose who takes the seat."]
    elif person.pk == current.person_id:
        errors["person"] = [f"{person} holds this seat already: choose someone else."]
    if errors:
        raise ValidationError(errors)
    seat_type = current.seat_type
    reasons = seat_refusals(
        seat_type=seat_type, person=person, assessment=assessment, other_seats=others
    )
    inactive = inactive_refusal(seat_type=seat_type, person=person)
    if inactive is not None:
        reasons.append(inactive)
    if person.user_id is None:
        reasons.append(
            Refusal(
                "no-account",
                f"Seat {seat_type.number} ({seat_type.name}): {person.full_name} has no "
                "account yet and could not log in to score; invite them on the people pages "
                "first.",
            )
        )
    if reasons:
        raise SeatRefused({seat_type.number: reasons})
    return assessment, current


def _replace_conflict(seat: Seat) -> ConflictError:
    return ConflictError(
        "This panel or seat was changed by someone else since you opened it (its holder "
        "saved scores, or a seat was changed): nothing was replaced. Check the seat below "
        "and confirm again.",
        current=Seat.objects.select_related("panel").get(pk=seat.pk),
    )


@transaction.atomic
def seat_replace(
    *,
    seat: Seat,
    person: Person,
    reason: str,
    by: AbstractBaseUser | None,
    expected_seat_version: int,
    expected_panel_version: int,
) -> Seat:
    """Replace the holder of ``seat`` with ``person`` while the panel is scoring.

    Refused as ``seat_replace_check`` refuses, and with a ``ConflictError`` when the seat or
    the panel is no longer at the version the user saw (the holder saved a draft, or
    someone changed the panel since). Deletes the old holder's draft scores (the new holder
    starts empty), moves the seat's version on (the old holder's open scoring page goes
    stale) and the panel's, writes a ``SeatChange`` (how: replaced while scoring, the reason
    as its note) and e-mails the new holder, the old one and, for another seat than the
    chair's, the chair, once this commits.
    """
    reason = reason.strip()
    assessment, current = _replace_checked(seat=seat, person=person, reason=reason)
    claim(
        Panel,
        pk=current.panel_id,
        expected_version=expected_panel_version,
        conflict=lambda: _replace_conflict(current),
    )
    claim(
        Seat,
        pk=current.pk,
        expected_version=expected_seat_version,
        conflict=lambda: _replace_conflict(current),
        person=person,
    )
    old = current.person
    drafts, _by_model = MemberScore.objects.filter(seat=current).delete()
    current.person = person
    current.version = expected_seat_version + 1
    seat_change_record(
        seat=current,
        how=SeatChange.How.REPLACED,
        old_person=old,
        new_person=person,
        by=by,
        note=reason,
    )
    logger.info(
        "Panel %s seat %s replaced while scoring: %s -> %s (by %s; %s draft scores deleted)",
        assessment,
        current.seat_type.number,
        old,
        person,
        by,
        drafts,
    )
    notify_seat_replaced(  # queued once this commits
        assessment=assessment, seat=current, old_person=old, by=by, reason=reason
    )
    return current


# --- Handing the chair to another member -----------------------------------------------------

# The stages at which the chair's work can be handed on: the chair excuses members while
# the panel scores and records consensus after.
ACTING_CHAIR_STAGES = (Stage.SCORING, Stage.CONSENSUS)


def _acting_conflict(panel: Panel) -> ConflictError:
    return ConflictError(
        "This panel was changed by someone else since you opened it (the chair was handed "
        "on, a seat changed, or consensus was saved): the chair was not handed on. Check "
        "the choices below and confirm again.",
        current=Panel.objects.get(pk=panel.pk),
    )


def _acting_checked(
    *, panel: Panel, seat: Seat | None, reason: str
) -> tuple[Assessment, list[Seat], Seat, Seat]:
    """``(assessment, seats, chair's seat, seat that will chair)`` as stored now, or refused
    as ``panel_acting_chair_check`` says."""
    assessment = Assessment.objects.select_related("pct__sha", "round").get(pk=panel.assessment_id)
    if assessment.stage not in ACTING_CHAIR_STAGES:
        raise TransitionError(
            "The chair can be handed to another member only while the panel is scoring or at "
            f"consensus; the assessment of {assessment.pct} is at "
            f"{assessment.get_stage_display()}."
        )
    stored = Panel.objects.get(pk=panel.pk)
    seats = _seats(stored)
    chair_seat = next((s for s in seats if s.seat_type.is_chair), None)
    if chair_seat is None or chair_seat.person is None:
        raise ValidationError(
            "The panel's chair's seat is empty: there is no chair to stand in for."
        )
    acting = next((s for s in seats if s.pk == stored.acting_chair_id), None)
    errors: dict[str, list[str]] = {}
    try:
        checked_reason(reason, missing="Give the reason for handing the chair on.")
    except ValidationError as exc:
        errors |= exc.message_dict
    target = chair_seat if seat is None else next((s for s in seats if s.pk == seat.pk), None)
    if target is None:
        errors["seat"] = ["That seat is not on this panel: choose one of its members."]
    elif target.person is None:
        errors["seat"] = [
            f"Seat {target.seat_type.number} ({target.seat_type.name}) is empty: choose a "
            "member who holds a seat."
        ]
    elif seat is not None and target.pk == chair_seat.pk:
        errors["seat"] = [
            f"{target.person} holds the chair's seat: to give them the chair again, choose "
            "to hand it back to the chair."
        ]
    elif seat is None and acting is None:
        errors["seat"] = [f"{chair_seat.person}, the chair, chairs the panel already."]
    elif acting is not None and target.pk == acting.pk:
        errors["seat"] = [f"{target.person} is the acting chair already: choose someone else."]
    else:
        inactive = inactive_refusal(seat_type=target.seat_type, person=target.person)
        if inactive is not None:
            errors["seat"] = [
                f"{target.person.full_name} has been deactivated and cannot chair the panel."
            ]
        elif target.person.user_id is None:
            errors["seat"] = [
                f"{target.person.full_name} has no account and could not log in to chair the "
                "panel; invite them on the people pages first."
            ]
    if errors:
        raise ValidationError(errors)
    return assessment, seats, chair_seat, target


def panel_acting_chair_check(*, panel: Panel, seat: Seat | None, reason: str) -> Seat:
    """Whether the holder of ``seat`` may chair ``panel`` in the chair's place now, for
    ``reason`` (``seat`` None: hand the chair back to the chair): the seat that would
    chair (the chair's own for None), as stored now. Refused: ``TransitionError`` unless the
    panel is scoring or at consensus; ``ValidationError`` keyed ``seat`` for a seat not of
    this panel, empty, the chair's own (hand it back instead), the acting chair's already,
    or whose holder is deactivated or has no account (and for None when nobody acts for
    the chair), keyed ``reason`` for a reason missing, too long or holding a control
    character. Writes nothing: the check page asks it before ``panel_acting_chair_set``."""
    return _acting_checked(panel=panel, seat=seat, reason=reason)[3]


@transaction.atomic
def panel_acting_chair_set(
    *,
    panel: Panel,
    seat: Seat | None,
    reason: str,
    by: AbstractBaseUser | None,
    expected_version: int,
) -> Panel:
    """Hand the chair of ``panel`` to the holder of ``seat``, another of its seats, while
    the chair cannot go on; ``seat`` None hands it back to the chair's seat holder.

    Refused as ``panel_acting_chair_check`` refuses, and with a ``ConflictError`` when the
    panel is no longer at ``expected_version``. Seats, scores and membership stay as they
    are; from now on ``panels.rules.is_panel_chair`` holds for the acting chair and not
    for the chair's seat holder. Moves the panel's version on (a consensus page open in
    the old chair's browser goes stale), writes a ``SeatChange`` on the chair's seat (how:
    acting, from who chaired to who chairs now, the reason as its note) and e-mails who
    chairs now and who chaired until now once this commits.
    """
    reason = reason.strip()
    # The panel's row, then its assessment's (the order consensus_close takes them), are
    # locked before the stage is checked: read unlocked, the check could pass while
    # consensus closed, and name an acting chair of a panel gone on to moderation (the
    # races review). consensus_close moves the panel's version on as well.
    Panel.objects.select_for_update().filter(pk=panel.pk).first()
    Assessment.objects.select_for_update().filter(pk=panel.assessment_id).first()
    assessment, seats, chair_seat, target = _acting_checked(panel=panel, seat=seat, reason=reason)
    stored = Panel.objects.get(pk=panel.pk)
    before = next((s for s in seats if s.pk == stored.acting_chair_id), chair_seat)
    acting = None if target.pk == chair_seat.pk else target
    panel.version = claim(
        Panel,
        pk=panel.pk,
        expected_version=expected_version,
        conflict=lambda: _acting_conflict(panel),
        acting_chair=acting,
    )
    panel.acting_chair = acting
    seat_change_record(
        seat=chair_seat,
        how=SeatChange.How.ACTING,
        old_person=before.person,
        new_person=target.person,
        by=by,
        note=reason,
    )
    logger.info(
        "Panel %s chair handed: %s -> %s (by %s)", assessment, before.person, target.person, by
    )
    notify_acting_chair(  # queued once this commits
        assessment=assessment,
        chair_seat=target,
        old_person=before.person,
        by=by,
        reason=reason,
    )
    return panel
