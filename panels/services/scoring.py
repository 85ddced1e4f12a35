"""Scoring by the five members, and the chair's consensus.

Each member scores on their own: a level for every competency of the round's framework and
a light for every governance area and sub-indicator, with notes for the board and internal notes. Drafts may
be saved at any point; submitting needs every item. When every seat has submitted (or the
chair has recorded that a member could not take part) the assessment moves to panel
consensus and the chair is told.

The chair records the agreed value and rationale of each item through
``assessments.services.agreed_rating_record`` (panels never write agreed ratings
themselves) and closes consensus, which moves the assessment to regional moderation.

Every function runs in one transaction; lost updates are refused by an optimistic version
check on the seat (a member's scores) or the panel (consensus), so two browser tabs or two
people can never silently overwrite each other.
"""

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.concurrency import claim
from assessments.exceptions import ConflictError, TransitionError
from assessments.history import rating_change_row
from assessments.models import Assessment, RatingChange, Stage
from assessments.services import agreed_rating_record, assessment_advance
from assessments.standings import standings_deferred
from assessments.text import visible
from competencies.models import (
    Competency,
    GovernanceArea,
    SubIndicator,
    item_field,
    item_key,
    item_value,
    value_field,
)
from competencies.selectors import item_label, rated_items
from panels.models import PRESIDING, MemberScore, Panel, Seat, SeatChange
from panels.selectors import panel_view
from panels.services.history import seat_change_record

Item = Competency | GovernanceArea | SubIndicator


@dataclass(frozen=True)
class MemberInput:
    """What a member entered for one item: a level (competency) or light (area), blank in a draft."""

    value: int | str | None
    notes_for_board: str = ""
    internal_notes: str = ""


@dataclass(frozen=True)
class AgreedInput:
    value: int | str | None
    rationale: str = ""


def _item_key(item: Item) -> dict:
    return {item_field(item): item}


def _framework_id(item: Item) -> int:
    return item.area.framework_id if isinstance(item, SubIndicator) else item.framework_id


def _value_fields(item: Item, value) -> dict:
    """``level``/``light`` for ``item``, checked; a blank value clears both."""
    if value in (None, ""):
        return {"level": None, "light": ""}
    try:
        return item_value(item, value)
    except ValidationError as exc:
        raise ValidationError(f"{item_label(item)}: {exc.messages[0]}") from None


def _as_text(level: int | None, light: str) -> str:
    return str(level) if level is not None else light


def _claim(model, obj, expected_version: int, what: str):
    """Bump ``obj.version`` if it is still ``expected_version``; else ``ConflictError``."""

    def conflict() -> ConflictError:
        return ConflictError(
            f"{what} changed since you opened it (someone saved in another window or "
            "browser). The values shown are the current ones; your changes were not saved.",
            current=model.objects.get(pk=obj.pk),
        )

    obj.version = claim(model, pk=obj.pk, expected_version=expected_version, conflict=conflict)


_SCORE_FIELDS = ["level", "light", "notes_for_board", "internal_notes", "updated_at"]
_ITEM_KEYS = ["seat", "competency", "area", "sub_indicator"]


def _check_score(score: MemberScore) -> None:
    """``full_clean`` without the parts that query the database once per score.

    Its foreign-key checks (a query each), check constraints (evaluated by a query each)
    and unique checks made a draft of thirty-odd items cost hundreds of queries. Here the
    keys come from the seat and the framework's own items, one score per item is found
    before writing, and the value was parsed by ``_value_fields``; the database still
    enforces every constraint on the bulk write. The values are still checked (choices,
    lengths) and the model's own ``clean`` still runs.
    """
    score.full_clean(exclude=_ITEM_KEYS, validate_unique=False, validate_constraints=False)


def _seat_done(seat: Seat) -> bool:
    return seat.submitted_at is not None or bool(seat.absence_reason)


def _move_to_consensus_if_ready(*, assessment: Assessment, by: AbstractBaseUser) -> bool:
    """All seats submitted or excused: on to consensus, and the chair is told (queued for the worker after commit)."""
    seats = list(Seat.objects.filter(panel__assessment=assessment))
    if assessment.stage != Stage.SCORING or not seats or not all(_seat_done(s) for s in seats):
        return False
    assessment_advance(
        assessment=assessment,
        to_stage=Stage.CONSENSUS,
        by=by,
        note="Every member has submitted (or was excused by the chair).",
    )
    from panels.notifications import notify_all_submitted

    notify_all_submitted(assessment=assessment)  # queued once this commits
    return True


@transaction.atomic
def member_scores_save(
    *,
    seat: Seat,
    values: dict[Item, MemberInput],
    by: AbstractBaseUser,
    expected_version: int,
    submit: bool = False,
    items: list[Item] | None = None,
) -> Seat:
    """Save a member's scores as a draft, or submit them (``submit=True``: every item needed).

    Refused: another person's seat, a seat already submitted, an assessment not at scoring
    (``TransitionError``); a stale copy (``ConflictError``); a bad or, on submit, a missing
    value (``ValidationError`` listing every item).

    ``items``: the framework's ``rated_items`` when the caller has just read them (the
    scoring view, for its form), so that a save does not read them twice (a quarter of its
    time); read here otherwise. Items of another framework are a programming error.
    """
    assessment = seat.panel.assessment
    if seat.person is None or seat.person.user_id != by.pk:
        raise TransitionError("Only the member who holds this seat may score in it.")
    if assessment.stage != Stage.SCORING:
        raise TransitionError(
            f"Scoring is closed: this assessment is at {assessment.get_stage_display()}."
        )
    if seat.submitted_at is not None:
        raise TransitionError("You have submitted your scores; they can no longer be changed.")
    if seat.absence_reason:
        raise TransitionError(
            "The chair recorded that you could not take part in this panel, so scoring is closed "
            "for your seat."
        )

    framework = assessment.round.framework
    if items is None:
        items = rated_items(framework)
    elif any(_framework_id(item) != framework.pk for item in items):
        raise ValueError(f"The items given are not all of {framework}.")
    # Keyed by the item's code, the name of its form field (see assessments.form_errors).
    errors, cleaned = {}, {}
    for item in items:
        entry = values.get(item, MemberInput(None))
        try:
            cleaned[item] = (_value_fields(item, entry.value), entry)
        except ValidationError as exc:
            errors[item.code] = exc.messages
    if submit:
        errors |= {
            item.code: [f"{item_label(item)}: choose a {value_field(item)}."]
            for item, (fields, _entry) in cleaned.items()
            if fields["level"] is None and not fields["light"]
        }
    if errors:
        raise ValidationError(errors)

    _claim(Seat, seat, expected_version, "Your scores")
    existing = {
        (score.competency_id, score.area_id, score.sub_indicator_id): score
        for score in MemberScore.objects.filter(seat=seat)
    }
    now = timezone.now()
    created, updated, history = [], [], []
    for item, (fields, entry) in cleaned.items():
        score = existing.get(item_key(item))
        old = _as_text(score.level, score.light) if score is not None else ""
        new = _as_text(fields["level"], fields["light"])
        if (
            score is not None
            and old == new
            and score.notes_for_board == entry.notes_for_board
            and score.internal_notes == entry.internal_notes
        ):
            continue
        if score is None:
            score = MemberScore(seat=seat, **_item_key(item))
            created.append(score)
        else:
            updated.append(score)
        score.level, score.light = fields["level"], fields["light"]
        score.notes_for_board, score.internal_notes = entry.notes_for_board, entry.internal_notes
        score.updated_at = now
        _check_score(score)
        if old != new:
            history.append(
                rating_change_row(
                    assessment=assessment,
                    source=RatingChange.Source.MEMBER_SCORE,
                    **_item_key(item),
                    old_value=old,
                    new_value=new,
                    by=by,
                    changed_at=now,
                    note=f"Seat {seat.seat_type.number}",
                )
            )
    # One INSERT of new scores, one of changed ones and one of history, however many items
    # changed. Cleaned and saved one by one, each score cost about sixteen queries: a first
    # draft of ten competencies, three areas and two sub-indicators was 267, of eleven 283.
    # Changed scores are written as an upsert on their primary key rather than with
    # bulk_update, whose CASE WHEN per field and row took more than half the save's time.
    MemberScore.objects.bulk_create(created)
    MemberScore.objects.bulk_create(
        updated, update_conflicts=True, unique_fields=["pk"], update_fields=_SCORE_FIELDS
    )
    RatingChange.objects.bulk_create(history)

    if submit:
        seat.submitted_at = now
        Seat.objects.filter(pk=seat.pk).update(submitted_at=now)
        _move_to_consensus_if_ready(assessment=assessment, by=by)
    return seat


def _seat_now(seat: Seat) -> str:
    """What a seat is now, for a conflict's message."""
    if seat.person is None:
        return "it is empty"
    if seat.submitted_at is not None:
        return f"{seat.person} holds it and has submitted their scores"
    if seat.absence_reason:
        return f"{seat.person} holds it and was excused already"
    return f"{seat.person} holds it now"


@transaction.atomic
def seat_mark_absent(
    *, seat: Seat, reason: str, by: AbstractBaseUser, expected_version: int | None = None
) -> Seat:
    """The chair records that a member could not take part (with a reason).

    ``expected_version``: the seat's version on the page the chair excused from (default:
    ``seat``'s own). ``ConflictError`` when the seat changed since (its holder replaced,
    their scores submitted or saved, another excuse): the review found that confirming
    "Excuse Bob" excused whoever held the seat by then.

    Who chairs, and the stage, are read from the panel as stored, its row locked, not from
    the copy the page loaded: a hand-over to this seat committed meanwhile would otherwise
    let the new acting chair be excused (the races review), nor the former chair excuse
    anyone once the chair was handed on (review AB): ``by`` must preside now."""
    seat.panel = (
        Panel.objects.select_for_update(of=("self",))
        .select_related("assessment")
        .get(pk=seat.panel_id)
    )
    assessment = seat.panel.assessment
    if not Seat.objects.filter(PRESIDING, panel_id=seat.panel_id, person__user=by).exists():
        raise ValidationError(
            f"You no longer chair the panel of {assessment.pct.name}: nobody was excused. "
            "Whoever chairs it now can excuse a member."
        )
    if assessment.stage != Stage.SCORING:
        raise TransitionError(
            f"Members can be excused only during scoring; this assessment is at "
            f"{assessment.get_stage_display()}."
        )
    if seat.presides:  # the chair's seat, or the acting chair's while there is one
        raise ValidationError(
            "The chair cannot be excused: the chair must score and record consensus."
            if seat.seat_type.is_chair
            else f"{seat.person} is the acting chair and cannot be excused: SHA staff can "
            "hand the chair to another member first."
        )
    if seat.submitted_at is not None:
        raise ValidationError(f"{seat.person} has already submitted their scores.")
    reason = reason.strip()
    if not visible(reason):
        raise ValidationError("Give the reason the member could not take part.")
    expected = seat.version if expected_version is None else expected_version

    def conflict() -> ConflictError:
        current = Seat.objects.select_related("person", "seat_type").get(pk=seat.pk)
        return ConflictError(
            f"Seat {current.seat_type.number} ({current.seat_type.name}) changed since you "
            f"opened the page: {_seat_now(current)}. Nobody was excused: check the panel, "
            "and excuse again if it is still needed.",
            current=current,
        )

    seat.version = claim(
        Seat.objects.filter(submitted_at__isnull=True, absence_reason=""),
        pk=seat.pk,
        expected_version=expected,
        conflict=conflict,
        absence_reason=reason,
    )
    seat.absence_reason = reason
    seat_change_record(
        seat=seat,
        how=SeatChange.How.EXCUSED,
        old_person=seat.person,
        new_person=seat.person,
        by=by,
        note=reason,
    )
    _move_to_consensus_if_ready(assessment=assessment, by=by)
    return seat


@transaction.atomic
def consensus_record(
    *,
    panel: Panel,
    values: dict[Item, AgreedInput],
    by: AbstractBaseUser,
    expected_version: int,
) -> Panel:
    """Record, as a draft, the agreed value and rationale of the items given (others are left
    as they are).

    The chair may store values agreed in the meeting before their rationales are written:
    an item with a value and no rationale is saved; an item left wholly blank is skipped.
    A rationale without a value is refused (``ValidationError`` keyed by the item's code).
    Completeness (every item valued, every rationale written) is checked only by
    ``consensus_close``. Refused unless the assessment is at panel consensus.
    """
    assessment = panel.assessment
    if assessment.stage != Stage.CONSENSUS:
        raise TransitionError(
            f"Consensus can be recorded only at panel consensus; this assessment is at "
            f"{assessment.get_stage_display()}."
        )
    errors, todo = {}, []
    for item, entry in values.items():
        has_value, has_rationale = entry.value not in (None, ""), bool(entry.rationale.strip())
        if not has_value and not has_rationale:
            continue
        if not has_value:
            errors[item.code] = f"{item_label(item)}: choose the agreed value for this rationale."
        else:
            todo.append((item, entry))
    if errors:
        raise ValidationError(errors)
    _claim(Panel, panel, expected_version, "The panel's consensus")
    with standings_deferred():  # the PCT's standing rewritten once, not once per item
        for item, entry in todo:
            agreed_rating_record(
                assessment=assessment,
                item=item,
                value=entry.value,
                rationale=entry.rationale.strip(),
                by=by,
                rationale_required=False,
            )
    return panel


@transaction.atomic
def consensus_close(
    *, assessment: Assessment, by: AbstractBaseUser, expected_version: int | None = None
) -> Assessment:
    """Close consensus: every item agreed with a rationale, every member done; on to
    moderation. Refused (``ConflictError``) if the panel is no longer at
    ``expected_version``, the one whose ratings its check page listed."""
    if assessment.stage != Stage.CONSENSUS:
        raise TransitionError(
            f"Consensus can be closed only at panel consensus; this assessment is at "
            f"{assessment.get_stage_display()}."
        )
    panel = Panel.objects.select_for_update().filter(assessment=assessment).first()
    if expected_version is not None and (panel is None or panel.version != expected_version):
        raise ConflictError(
            "The agreed ratings changed since you checked them (saved in another "
            "window): consensus is not closed. Check them below again.",
            current=panel,
        )
    gaps = panel_view(assessment=assessment).consensus_gap_fields
    if gaps:
        # Keyed by the consensus form's field (``c5`` for a value, ``c5_rationale`` for a
        # rationale), so that each missing thing is its own message, linked to its item.
        raise ValidationError(gaps)
    advanced = assessment_advance(
        assessment=assessment,
        to_stage=Stage.MODERATION,
        by=by,
        note="Consensus closed by the chair.",
    )
    # The panel's version moves on, as with its other writes (consensus saved, the chair
    # handed on, a seat changed): a page made before the close (a hand-over's check page)
    # is stale once it has happened (the races review).
    if panel is not None:
        _claim(Panel, panel, panel.version, "The panel")
    return advanced
