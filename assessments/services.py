"""Writes for assessments: stage changes and agreed ratings.

Every function here runs in one transaction and writes its history row (``StageChange``,
``RatingChange``, ``ModerationAdjustment``) in that same transaction, so a refusal leaves
nothing half-written. Lost updates are prevented by an optimistic version check
(``assessments.concurrency.claim``), which works on SQLite, where
``select_for_update()`` does nothing, as well as on PostgreSQL.

Refusals:
- ``TransitionError`` (a ``ValueError``): not allowed at this stage;
- ``ConflictError``: someone else saved first (carries the stored object);
- ``django.core.exceptions.ValidationError``: bad input, keyed by argument name
  (``item``, ``value``, ``rationale``, ``reason``).
"""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from assessments.concurrency import claim
from assessments.evidence_files import check_evidence_content
from assessments.exceptions import ConflictError, TransitionError
from assessments.history import (
    evidence_change_row,
    moderation_adjustment_row,
    rating_change_row,
    round_change_row,
    stage_change_row,
)
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    EvidenceChange,
    EvidenceDocument,
    LocalOutcomePriority,
    OutcomeIndicator,
    OutcomePriorityChange,
    RatingChange,
    RoundChange,
    SelfAssessment,
    SelfAssessmentRating,
    Stage,
    StageChange,
)
from assessments.selectors import priorities_in_order
from assessments.standings import figures_changed, rating_changed
from assessments.text import visible
from competencies.models import Competency, GovernanceArea, SubIndicator, item_field, item_value

__all__ = [
    "ADJUSTABLE_STAGES",
    "ADJUST_REASON_MAX_CHARS",
    "ConflictError",
    "TransitionError",
    "agreed_rating_adjust",
    "agreed_rating_record",
    "allowed_transitions",
    "assessment_advance",
    "evidence_delete",
    "evidence_file_check",
    "evidence_upload",
    "outcome_priorities_save",
    "round_change_record",
    "self_assessment_save",
    "self_assessment_submit",
]

Item = Competency | GovernanceArea | SubIndicator

# Stages at which an agreed rating may be changed after consensus, always with a reason.
# The longest reason an adjustment of an agreed rating takes (the board reads it).
ADJUST_REASON_MAX_CHARS = 2000
ADJUSTABLE_STAGES = frozenset({Stage.MODERATION, Stage.CROSS_CHECK, Stage.FACTUAL_ACCURACY})

# Sources of a change after consensus (``RatingChange.Source``).
_ADJUSTMENT_SOURCES = frozenset(
    {
        RatingChange.Source.MODERATION,
        RatingChange.Source.CROSS_CHECK,
        RatingChange.Source.FACTUAL_ACCURACY,
        RatingChange.Source.IMPORT,
    }
)

_ORDER = list(Stage)
# The next stage in order, and one way back: the national team sends a region back from
# cross-check to moderation. Nothing goes back from the factual-accuracy check.
_TRANSITIONS: dict[Stage, frozenset[Stage]] = {
    stage: frozenset(_ORDER[i + 1 : i + 2]) for i, stage in enumerate(_ORDER)
}
_TRANSITIONS[Stage.CROSS_CHECK] |= {Stage.MODERATION}
# Withdrawing a round's publication (``assessments.publication.publication_withdraw``).
_TRANSITIONS[Stage.PUBLISHED] |= {Stage.FACTUAL_ACCURACY}
# SHA staff sending a submitted self-assessment back to its board, before scoring opens
# (``assessments.reopening.self_assessment_send_back``). Not in ``_TRANSITIONS``: only that
# service makes this move (it passes ``send_back=True``, after checking that the board had
# submitted and putting the self-assessment back to draft); any other caller is refused.
_SEND_BACK = (Stage.PANEL_FORMATION, Stage.SELF_ASSESSMENT)


def allowed_transitions(stage: int) -> list[Stage]:
    """The stages an assessment at ``stage`` may move to, in the cycle's order."""
    return sorted(_TRANSITIONS[Stage(stage)])


def _stage_label(value: int) -> str:
    try:
        return Stage(value).label
    except ValueError:
        return f"unknown stage {value!r}"


# --- Stage changes ----------------------------------------------------------------------


def _checked_transition(from_stage: int, to_stage: int, *, send_back: bool = False) -> Stage:
    """``to_stage`` as a ``Stage``, or ``TransitionError`` naming both stages unless an
    assessment may move there from ``from_stage`` (``send_back``: the self-assessment's
    way back, ``_SEND_BACK``, is allowed too)."""
    allowed = _TRANSITIONS.get(from_stage, frozenset())
    if send_back and from_stage == _SEND_BACK[0]:
        allowed = allowed | {_SEND_BACK[1]}
    if to_stage not in allowed:
        raise TransitionError(
            f"An assessment cannot move from {_stage_label(from_stage)} to "
            f"{_stage_label(to_stage)}."
        )
    return Stage(to_stage)


def _stage_conflict(pk: int) -> ConflictError:
    """The refusal of a stage change when the assessment ``pk`` moved on meanwhile."""
    current = Assessment.objects.select_related("pct", "round").get(pk=pk)
    return ConflictError(
        f"{current} was changed by someone else (it is now at "
        f"{current.get_stage_display()}); reload it and try again.",
        current=current,
    )


@transaction.atomic
def assessment_advance(
    *,
    assessment: Assessment,
    to_stage: int,
    by: AbstractBaseUser | None,
    note: str = "",
    without_self_assessment: bool = False,
    send_back: bool = False,
) -> Assessment:
    """Move ``assessment`` to ``to_stage`` and write a ``StageChange`` (``note`` and
    ``without_self_assessment`` are the row's).

    The caller's copy must be current: its ``version`` is checked against the stored one
    (``ConflictError`` if someone else changed the assessment first). Allowed: the next
    stage in order, and cross-check back to moderation; anything else is a
    ``TransitionError`` naming both stages. ``send_back`` is for
    ``assessments.reopening.self_assessment_send_back`` only: panel formation back to
    self-assessment.
    """
    from_stage = assessment.stage
    to_stage = _checked_transition(from_stage, to_stage, send_back=send_back)

    change = stage_change_row(
        assessment=assessment,
        from_stage=from_stage,
        to_stage=to_stage,
        by=by,
        note=note,
        without_self_assessment=without_self_assessment,
    )
    change.full_clean()

    new_version = claim(
        Assessment,
        pk=assessment.pk,
        expected_version=assessment.version,
        conflict=lambda: _stage_conflict(assessment.pk),
        stage=to_stage,
    )
    change.save()

    assessment.stage = to_stage
    assessment.version = new_version
    return assessment


@transaction.atomic
def assessments_advance(
    *,
    assessments: list[Assessment],
    to_stage: int,
    by: AbstractBaseUser | None,
    note: str = "",
) -> int:
    """``assessment_advance`` for many assessments at once (a region's sign-off or
    confirmation: 1,000 PCTs and more), in three queries rather than three each: every
    assessment must be at the same stage, at the version given (``ConflictError`` naming
    the first one changed meanwhile, and nothing written). Returns how many moved."""
    if not assessments:
        return 0
    stages = {a.stage for a in assessments}
    if len(stages) != 1:
        raise TransitionError("Assessments moved together must be at the same stage.")
    from_stage = stages.pop()
    to_stage = _checked_transition(from_stage, to_stage)
    now = timezone.now()
    changes = [
        stage_change_row(
            assessment=a, from_stage=from_stage, to_stage=to_stage, by=by, note=note, changed_at=now
        )
        for a in assessments
    ]
    if changes:
        changes[0].full_clean()  # the rows differ only by assessment
    versions = {a.pk: a.version for a in assessments}
    current = dict(
        Assessment.objects.select_for_update()
        .filter(pk__in=list(versions))
        .values_list("pk", "version")
    )
    stale = [a for a in assessments if current.get(a.pk) != versions[a.pk]]
    if stale:
        raise _stage_conflict(stale[0].pk)
    moved = Assessment.objects.filter(pk__in=list(versions), stage=from_stage).update(
        stage=to_stage, version=F("version") + 1
    )
    if moved != len(versions):  # moved meanwhile (SQLite takes no row locks): undo it all
        raise ConflictError(
            "Some of these PCTs were moved on by someone else meanwhile: nothing was changed. "
            "Reload the page and try again.",
            current=None,
        )
    StageChange.objects.bulk_create(changes)
    for a in assessments:
        a.stage, a.version = to_stage, a.version + 1
    return len(assessments)


# --- Agreed ratings ---------------------------------------------------------------------


def _item_framework_id(item: Item) -> int:
    if isinstance(item, SubIndicator):
        return item.area.framework_id
    return item.framework_id


def _parse_value(item: Item, value: object) -> tuple[int | None, str]:
    """``(level, light)`` for ``item`` (``competencies.models.item_value``); a refusal is
    keyed ``value``."""
    try:
        fields = item_value(item, value)
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages}) from None
    return fields["level"], fields["light"]


def _as_text(level: int | None, light: str) -> str:
    """A value as history stores it: ``"3"``, ``"amber"``, or ``""`` for none."""
    return light if level is None else str(level)


def _conflict(rating: AgreedRating) -> ConflictError:
    current = AgreedRating.objects.select_related(
        "assessment__pct", "assessment__round", "competency", "area", "sub_indicator__area"
    ).get(pk=rating.pk)
    return ConflictError(
        f"The rating of {current.item} was changed by someone else (it is now "
        f"{current.value}); reload it and try again.",
        current=current,
    )


@transaction.atomic
def agreed_rating_record(
    *,
    assessment: Assessment,
    item: Item,
    value: int | str,
    rationale: str,
    by: AbstractBaseUser | None,
    rationale_required: bool = True,
) -> AgreedRating:
    """Record the panel's agreed level or light for one item, at panel consensus.

    ``rationale_required=False`` stores a value agreed before its rationale is written (the
    chair's draft); ``consensus_close`` checks that every rationale is there.

    Creates the rating or updates it; the panel's value is set to the same value (the
    panel agrees it now; moderation later changes only the current value). Writes a
    ``RatingChange`` (source consensus) when anything changed.
    """
    stage = Assessment.objects.values_list("stage", flat=True).get(pk=assessment.pk)
    if stage != Stage.CONSENSUS:
        raise TransitionError(
            f"Agreed ratings are recorded at {Stage.CONSENSUS.label} only; this assessment "
            f"is at {_stage_label(stage)}."
        )
    field = item_field(item)
    if _item_framework_id(item) != assessment.round.framework_id:
        raise ValidationError(
            {"item": f"{item} is not part of the framework of {assessment.round}."}
        )
    level, light = _parse_value(item, value)
    rationale = (rationale or "").strip()
    if not visible(rationale) and rationale_required:
        raise ValidationError({"rationale": "Write the rationale the PCT board will read."})

    rating = AgreedRating.objects.filter(assessment=assessment, **{field: item}).first()
    if rating is None:
        old = ""
        rating = AgreedRating(assessment=assessment, **{field: item})
    else:
        old = _as_text(rating.level, rating.light)
        if (rating.level, rating.light, rating.rationale) == (level, light, rationale):
            return rating
    new = _as_text(level, light)

    rating.level, rating.light = level, light
    rating.panel_level, rating.panel_light = level, light
    rating.rationale = rationale
    if rating.pk is None:
        rating.full_clean()
        rating.save()
    else:
        version = rating.version
        rating.version = version + 1
        rating.full_clean()
        claim(
            AgreedRating,
            pk=rating.pk,
            expected_version=version,
            conflict=lambda: _conflict(rating),
            level=level,
            light=light,
            panel_level=level,
            panel_light=light,
            rationale=rationale,
        )

    history = rating_change_row(
        assessment=assessment,
        source=RatingChange.Source.CONSENSUS,
        old_value=old,
        new_value=new,
        by=by,
        note="" if old != new else "Rationale changed.",
        **{field: item},
    )
    history.full_clean()
    history.save()
    if rating.sub_indicator_id is None:  # sub-indicators are not in the league table
        rating_changed(assessment_id=assessment.pk)
    return rating


@transaction.atomic
def agreed_rating_adjust(
    *,
    rating: AgreedRating,
    value: int | str,
    reason: str,
    by: AbstractBaseUser,
    expected_version: int,
    source: str = RatingChange.Source.MODERATION,
) -> AgreedRating:
    """Change the current value of an agreed rating after consensus, with a reason.

    The panel's value is kept. Allowed at regional moderation, national cross-check and the
    factual-accuracy check. ``expected_version`` is the version the user saw; if the stored
    rating has moved on, ``ConflictError``. Writes a ``ModerationAdjustment`` and a
    ``RatingChange``.
    """
    return agreed_rating_adjust_recorded(
        rating=rating,
        value=value,
        reason=reason,
        by=by,
        expected_version=expected_version,
        source=source,
    )[0]


@transaction.atomic
def agreed_rating_adjust_recorded(
    *,
    rating: AgreedRating,
    value: int | str,
    reason: str,
    by: AbstractBaseUser,
    expected_version: int,
    source: str = RatingChange.Source.MODERATION,
) -> tuple[AgreedRating, RatingChange]:
    """``agreed_rating_adjust``, also giving the history row it wrote (an answer to a
    board's comment links it, for the board to read with the answer)."""
    if source not in _ADJUSTMENT_SOURCES:
        raise ValueError(f"{str(source)!r} is not a source of a change after consensus.")
    stage = Assessment.objects.values_list("stage", flat=True).get(pk=rating.assessment_id)
    if stage not in ADJUSTABLE_STAGES:
        raise TransitionError(
            "Agreed ratings are adjusted at regional moderation, national cross-check or "
            f"the factual-accuracy check only; this assessment is at {_stage_label(stage)}."
        )
    level, light = _parse_value(rating.item, value)
    reason = (reason or "").strip()
    if not visible(reason):
        raise ValidationError({"reason": "Give the reason for the change."})
    if "\x00" in reason:
        raise ValidationError({"reason": "Write the reason without control characters."})
    if len(reason) > ADJUST_REASON_MAX_CHARS:  # walk L: 100,000 characters were taken
        raise ValidationError(
            {
                "reason": f"Keep the reason to {ADJUST_REASON_MAX_CHARS:,} characters or fewer "
                f"(it has {len(reason):,}): the board reads it beside the rating."
            }
        )
    if rating.version != expected_version:
        raise _conflict(rating)
    old = _as_text(rating.level, rating.light)
    new = _as_text(level, light)
    if old == new:
        raise ValidationError({"value": f"The rating is already {new}: choose another value."})

    candidate = copy.copy(rating)
    candidate.level, candidate.light = level, light
    candidate.version = expected_version + 1
    candidate.full_clean()
    adjustment = moderation_adjustment_row(
        rating=candidate, stage=stage, old_value=old, new_value=new, reason=reason, by=by
    )
    adjustment.full_clean()
    history = rating_change_row(
        assessment_id=rating.assessment_id,
        source=source,
        competency_id=rating.competency_id,
        area_id=rating.area_id,
        sub_indicator_id=rating.sub_indicator_id,
        old_value=old,
        new_value=new,
        by=by,
        note=reason,
    )
    history.full_clean()

    new_version = claim(
        AgreedRating,
        pk=rating.pk,
        expected_version=expected_version,
        conflict=lambda: _conflict(rating),
        level=level,
        light=light,
    )
    adjustment.save()
    history.save()
    if rating.sub_indicator_id is None:  # sub-indicators are not in the league table
        rating_changed(assessment_id=rating.assessment_id)
    # The caller's copy becomes current only once everything is stored.
    rating.level, rating.light, rating.version = level, light, new_version
    return rating, history


# --- The board's self-assessment and evidence ---------------------------------------------

# Evidence files the panel can open: extension -> the first bytes the file must start with
# (None: plain text). ``assessments.evidence_files`` then checks the whole content.
EVIDENCE_TYPES: dict[str, bytes | None] = {
    ".pdf": b"%PDF-",
    ".docx": b"PK\x03\x04",
    ".xlsx": b"PK\x03\x04",
    ".pptx": b"PK\x03\x04",
    ".odt": b"PK\x03\x04",
    ".csv": None,
    ".txt": None,
}


def _self_assessment_open(assessment: Assessment, self_assessment: SelfAssessment | None) -> None:
    stage = Assessment.objects.values_list("stage", flat=True).get(pk=assessment.pk)
    if stage != Stage.SELF_ASSESSMENT:
        raise TransitionError(
            f"The self-assessment is closed: this assessment is at {_stage_label(stage)}."
        )
    if self_assessment is not None and self_assessment.status == SelfAssessment.Status.SUBMITTED:
        raise TransitionError("The self-assessment has been submitted and can no longer change.")


def _claim_self_assessment(assessment: Assessment, expected_version: int) -> SelfAssessment:
    """The draft, its version bumped, if nobody saved since ``expected_version`` (0: none yet)."""
    current = SelfAssessment.objects.filter(assessment=assessment).first()
    if current is None and expected_version == 0:
        try:
            with transaction.atomic():
                return SelfAssessment.objects.create(assessment=assessment)
        except IntegrityError:
            current = SelfAssessment.objects.get(assessment=assessment)

    def conflict() -> ConflictError:
        return ConflictError(
            "Someone else saved this self-assessment since you opened it: the values below "
            "are the current ones; your changes were not saved.",
            current=current,
        )

    if current is None:
        raise conflict()
    current.version = claim(
        SelfAssessment, pk=current.pk, expected_version=expected_version, conflict=conflict
    )
    return current


# --- The board's local outcome priorities --------------------------------------------------


@dataclass(frozen=True)
class PriorityInput:
    """One local outcome priority as the board entered it (text as typed; parsed here)."""

    indicator: OutcomeIndicator | None
    baseline_year: str = ""
    baseline: str = ""
    target_year: str = ""
    target: str = ""
    number: int = 0  # the row's number on the page (0: its position in the list)


_YEAR = re.compile(r"^([0-9]{4})-([0-9]{2})$")  # ASCII digits, as stored and shown
_PRIORITY_FIELDS = ("baseline_year", "baseline", "target_year", "target")


def _financial_year(raw: str) -> str | None:
    """``2007-08`` (a financial year: the second part is the year after the first), or None."""
    match = _YEAR.match((raw or "").strip())
    if not match or (int(match[1]) + 1) % 100 != int(match[2]):
        return None
    return match[0]


def _number(raw: str) -> tuple[Decimal | None, str]:
    """A plain decimal number with at most two decimals, below 100 million, or None and
    what is wrong with it ("is not a number", "has more than two decimal places"...)."""
    text = (raw or "").strip()
    if not text.isascii():  # Decimal reads Arabic-Indic digits as a number: not kept as typed
        return None, "is not a number: write it with the digits 0 to 9, such as 12.5"
    if "e" in text.lower():  # Decimal reads "1e3" as 1000: not what a board writes
        return None, "is not a number: write it out in figures, such as 1000"
    try:
        value = Decimal(text)
    except InvalidOperation:
        if "," in text:
            return None, "is not a number: write it with a point and no commas, such as 12.5"
        return None, "is not a number"
    if not value.is_finite():
        return None, "is not a number"
    if value.as_tuple().exponent < -2:
        return None, "has more than two decimal places"
    if value >= 10**8:
        return None, "is too large: at most 99999999.99"
    if value <= -(10**8):
        return None, "is too small: at least -99999999.99"
    return value, ""


def _priority_problem(what: str, raw: str, wrong: str, example: str = "") -> str:
    """ "enter the baseline year, such as 2007-08", or "the baseline '12,5' is not a
    number"."""
    if not (raw or "").strip():
        return f"enter {what}" + (f", such as {example}" if example else "")
    return f"{what} {raw.strip()!r} {wrong}"


def _priorities_parse(priorities: list[PriorityInput]) -> list[dict]:
    """The rows as model fields, or a ``ValidationError`` naming every problem of every
    row, each keyed by its field (``p<row>_baseline``...) so that a form can mark it."""
    errors: dict[str, list[str]] = {}
    parsed, seen = [], {}
    limit = LocalOutcomePriority.MAX_PER_ASSESSMENT
    if len(priorities) > limit:
        errors[NON_FIELD_ERRORS] = [
            f"{len(priorities)} local outcome priorities given: a board chooses up to {limit}."
        ]
    for position, row in enumerate(priorities, start=1):
        number = row.number or position
        where = f"Priority {number}"  # the row of the page's table, with its indicator
        problems: dict[str, str] = {}
        if row.indicator is None:
            problems["indicator"] = "choose the outcome indicator"
        elif row.indicator.pk in seen:
            problems["indicator"] = (
                f"the indicator is already priority {seen[row.indicator.pk]}; choose each "
                "indicator once"
            )
        else:
            seen[row.indicator.pk] = number
        baseline_year = _financial_year(row.baseline_year)
        target_year = _financial_year(row.target_year)
        (baseline, baseline_wrong), (target, target_wrong) = (
            _number(row.baseline),
            _number(row.target),
        )
        if baseline_year is None:
            problems["baseline_year"] = _priority_problem(
                "the baseline year", row.baseline_year, "is not a year such as 2007-08", "2007-08"
            )
        if baseline is None:
            problems["baseline"] = _priority_problem("the baseline", row.baseline, baseline_wrong)
        if target_year is None:
            problems["target_year"] = _priority_problem(
                "the target year", row.target_year, "is not a year such as 2012-13", "2012-13"
            )
        elif baseline_year is not None and target_year <= baseline_year:
            problems["target_year"] = (
                f"the target year {target_year} is not after the baseline year"
            )
        if target is None:
            problems["target"] = _priority_problem("the target", row.target, target_wrong)
        if problems:
            for field, problem in problems.items():
                errors[f"p{number}_{field}"] = [f"{where}: {problem}."]
            continue
        parsed.append(
            {
                "indicator": row.indicator,
                "baseline_year": baseline_year,
                "baseline": baseline,
                "target_year": target_year,
                "target": target,
            }
        )
    if errors:
        raise ValidationError(errors)
    return parsed


def outcome_priorities_check(priorities: list[PriorityInput]) -> None:
    """The refusal ``outcome_priorities_save`` would give these rows (a ``ValidationError``
    naming every bad row), writing nothing: a page refusing other answers says these too,
    so that the board corrects everything at once."""
    _priorities_parse(priorities)


def _priority_line(fields: dict) -> str:
    return (
        f"{fields['indicator'].name}: {fields['baseline']} ({fields['baseline_year']}) "
        f"to {fields['target']} ({fields['target_year']})"
    )


def _priorities_write(*, assessment: Assessment, parsed: list[dict], by: AbstractBaseUser) -> bool:
    """Replace the assessment's priorities with ``parsed``; a history row when they changed."""

    def key(fields: dict) -> tuple:
        return (fields["indicator"].pk, *(fields[f] for f in _PRIORITY_FIELDS))

    current = priorities_in_order(assessment)
    before = [key({f: getattr(p, f) for f in ("indicator", *_PRIORITY_FIELDS)}) for p in current]
    if before == [key(fields) for fields in parsed]:  # the board's order counts too
        return False
    rows = [LocalOutcomePriority(assessment=assessment, **fields) for fields in parsed]
    for row in rows:
        row.full_clean(validate_unique=False, validate_constraints=False)
    LocalOutcomePriority.objects.filter(assessment=assessment).delete()
    LocalOutcomePriority.objects.bulk_create(rows)
    # The round's summaries count the PCTs choosing each priority (``reports.summaries``).
    figures_changed(
        round_ids=[assessment.round_id], assessments={assessment.round_id: [assessment.pk]}
    )
    change = OutcomePriorityChange(
        assessment=assessment,
        summary="\n".join(_priority_line(fields) for fields in parsed) or "(none)",
        changed_by=by,
    )
    change.full_clean()
    change.save()
    return True


@transaction.atomic
def outcome_priorities_save(
    *,
    assessment: Assessment,
    priorities: list[PriorityInput],
    by: AbstractBaseUser,
    expected_version: int,
) -> list[LocalOutcomePriority]:
    """Replace the board's local outcome priorities (up to ten, each indicator once, with a
    baseline and a target), while its self-assessment is a draft. All or nothing: a
    ``ValidationError`` names every bad row. Writes an ``OutcomePriorityChange`` when the
    list changed. ``expected_version`` is the self-assessment's, as in
    ``self_assessment_save``."""
    _self_assessment_open(assessment, SelfAssessment.objects.filter(assessment=assessment).first())
    parsed = _priorities_parse(priorities)
    _claim_self_assessment(assessment, expected_version)
    _priorities_write(assessment=assessment, parsed=parsed, by=by)
    return list(priorities_in_order(assessment))


@transaction.atomic
def self_assessment_save(
    *,
    assessment: Assessment,
    values: dict[Item, tuple[int | str | None, str]],
    commentary: str,
    by: AbstractBaseUser,
    expected_version: int,
    submit: bool = False,
    priorities: list[PriorityInput] | None = None,
) -> SelfAssessment:
    """Save the board's draft: ``values`` maps items of the round's framework to
    ``(value or None, commentary)``. Blank values are allowed in a draft; each changed value
    writes a ``RatingChange``. ``priorities``, when given, replace the board's local outcome
    priorities (as ``outcome_priorities_save``) in the same save. ``expected_version`` is
    the version the board saw (0 when there was no draft yet); a stale one is a
    ``ConflictError``. With ``submit``, the saved draft is then submitted in the same
    transaction (so a refusal writes nothing).
    """
    _self_assessment_open(assessment, SelfAssessment.objects.filter(assessment=assessment).first())
    errors, parsed = [], {}
    for item, (value, note) in values.items():
        if _item_framework_id(item) != assessment.round.framework_id:
            errors.append(f"{item} is not part of the framework of {assessment.round}.")
            continue
        if value in (None, ""):
            parsed[item] = (None, "", (note or "").strip())
            continue
        try:
            level, light = _parse_value(item, value)
        except ValidationError as exc:
            errors.extend(f"{item}: {message}" for message in exc.messages)
            continue
        parsed[item] = (level, light, (note or "").strip())
    parsed_priorities = None
    refused_priorities: dict[str, list] = {}
    if priorities is not None:
        try:
            parsed_priorities = _priorities_parse(priorities)
        except ValidationError as exc:  # keyed by the priorities' fields, for the form
            refused_priorities = dict(exc.error_dict)
            errors.extend(refused_priorities.pop(NON_FIELD_ERRORS, []))
    if errors or refused_priorities:
        raise ValidationError(
            {**({NON_FIELD_ERRORS: errors} if errors else {}), **refused_priorities}
        )

    self_assessment = _claim_self_assessment(assessment, expected_version)
    if parsed_priorities is not None:
        _priorities_write(assessment=assessment, parsed=parsed_priorities, by=by)
    self_assessment.commentary = (commentary or "").strip()
    SelfAssessment.objects.filter(pk=self_assessment.pk).update(
        commentary=self_assessment.commentary
    )
    existing = {
        (r.competency_id, r.area_id, r.sub_indicator_id): r
        for r in SelfAssessmentRating.objects.filter(self_assessment=self_assessment)
    }
    history = []
    for item, (level, light, note) in parsed.items():
        field = item_field(item)
        key = tuple(
            item.pk if f == field else None for f in ("competency", "area", "sub_indicator")
        )
        rating = existing.get(key) or SelfAssessmentRating(
            self_assessment=self_assessment, **{field: item}
        )
        old, new = (
            (_as_text(rating.level, rating.light) if rating.pk else ""),
            _as_text(level, light),
        )
        if rating.pk and old == new and rating.commentary == note:
            continue
        rating.level, rating.light, rating.commentary = level, light, note
        rating.full_clean()
        rating.save()
        if old != new:
            history.append(
                rating_change_row(
                    assessment=assessment,
                    source=RatingChange.Source.SELF_ASSESSMENT,
                    old_value=old,
                    new_value=new,
                    by=by,
                    **{field: item},
                )
            )
    RatingChange.objects.bulk_create(history)
    if submit:
        return self_assessment_submit(
            assessment=assessment, by=by, expected_version=self_assessment.version
        )
    return self_assessment


@transaction.atomic
def self_assessment_submit(
    *, assessment: Assessment, by: AbstractBaseUser, expected_version: int
) -> SelfAssessment:
    """Submit the board's self-assessment: every competency needs a level, and every area
    and sub-indicator of the framework a light (a ``ValidationError`` names each one
    missing). The assessment then moves on to panel formation, and the self-assessment and
    local outcome priorities are read-only."""
    current = SelfAssessment.objects.filter(assessment=assessment).first()
    _self_assessment_open(assessment, current)
    framework = assessment.round.framework
    rated = set()
    if current is not None:
        rated = {
            (r.competency_id, r.area_id, r.sub_indicator_id)
            for r in current.ratings.all()
            if r.value is not None
        }
    # Keyed by the item's code (``c5``, ``strategy``, ``strategy_1``), the name of its form
    # field, so that each message can stand beside its item as well as in the list at the top.
    missing = (
        {
            c.code: f"{c}: choose a level."
            for c in framework.competencies.all()
            if (c.pk, None, None) not in rated
        }
        | {
            s.code: f"{s}: choose a light."
            for s in SubIndicator.objects.filter(area__framework=framework).select_related("area")
            if (None, None, s.pk) not in rated
        }
        | {
            a.code: f"{a.name}: choose a light."
            for a in framework.governance_areas.all()
            if (None, a.pk, None) not in rated
        }
    )
    if missing:
        raise ValidationError(missing)
    self_assessment = _claim_self_assessment(assessment, expected_version)
    now = timezone.now()
    SelfAssessment.objects.filter(pk=self_assessment.pk).update(
        status=SelfAssessment.Status.SUBMITTED, submitted_at=now, submitted_by=by
    )
    self_assessment.status, self_assessment.submitted_at, self_assessment.submitted_by = (
        SelfAssessment.Status.SUBMITTED,
        now,
        by,
    )
    fresh = Assessment.objects.select_related("round").get(pk=assessment.pk)
    assessment_advance(
        assessment=fresh, to_stage=Stage.PANEL_FORMATION, by=by, note="Self-assessment submitted."
    )
    from assessments.reopening import resubmitted_notice  # it imports this module

    resubmitted_notice(assessment=fresh)  # whoever sent it back, if anyone
    assessment.stage, assessment.version = fresh.stage, fresh.version
    return self_assessment


def evidence_file_check(file, *, max_bytes: int) -> None:
    """Refuse a file of a type the panel cannot open, or too large, naming the file and rule."""
    name = getattr(file, "name", "") or "the file"
    suffix = Path(name).suffix.lower()
    if suffix not in EVIDENCE_TYPES:
        raise ValidationError(
            f"{name}: files of type {suffix or '(none)'} are not accepted; upload "
            f"{', '.join(s.lstrip('.').upper() for s in EVIDENCE_TYPES)}."
        )
    if file.size > max_bytes:
        size, limit = _size(file.size), _size(max_bytes)
        if size == limit:  # just over: rounded, the two would read the same
            size, limit = f"{file.size:,} bytes", f"{max_bytes:,} bytes"
        raise ValidationError(f"{name}: the file is {size}; the limit is {limit}.")
    file.seek(0)
    content = file.read()
    file.seek(0)
    magic = EVIDENCE_TYPES[suffix]
    if magic is not None and not content.startswith(magic):
        kind = suffix.lstrip(".").upper()
        article = "an" if kind in ("XLSX", "ODT") else "a"  # "an ex-el-es-ex"
        raise ValidationError(f"{name}: the content is not {article} {kind} file.")
    check_evidence_content(name, suffix, content)


def _sha256(file) -> str:
    file.seek(0)
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


def _size(n: int) -> str:
    """A size as people read it: ``2.9 MB``, ``20 MB``, ``12 KB``, ``10 bytes``."""
    for unit, scale in (("MB", 1_048_576), ("KB", 1024)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


# An evidence file is stored as ``evidence/<year>/<name>`` in a column of 100 characters,
# a suffix added by the storage if the name is taken: a longer name is cut to this.
STORED_NAME_MAX = 80


def evidence_upload(
    *,
    assessment: Assessment,
    doc_type: str,
    title: str,
    file,
    by: AbstractBaseUser,
    max_bytes: int | None = None,
) -> EvidenceDocument:
    """Add an evidence document while the self-assessment is open, with its history row
    (``EvidenceChange``, uploaded). ``max_bytes`` defaults to ``settings.EVIDENCE_MAX_BYTES``
    (read at call time).

    The file goes to storage before its row. Called outside any transaction, this
    function's transaction is the outermost one: if anything fails after the store, the
    COMMIT included ("database is locked" at commit), the stored file is deleted and the
    error raised as it was, so no file is left with no row. Called inside the caller's
    transaction, the COMMIT is the caller's: a failure inside this function still deletes
    the file, but if the caller's transaction then fails to commit (or a later write of
    the caller fails), the caller must delete the stored file itself with
    ``evidence_upload_undo(document=...)``, as ``assessments.views.evidence_upload_view``
    does."""
    stored = []  # the file stored, once it is
    try:
        with transaction.atomic():
            document = _evidence_upload(
                assessment=assessment,
                doc_type=doc_type,
                title=title,
                file=file,
                by=by,
                max_bytes=max_bytes,
                stored=stored,
            )
    except BaseException:
        # Anything after the store (a refused insert, said on the form; a database locked
        # for a moment, which the request is tried again for, or for good, a 503; the
        # COMMIT itself) goes on as it was, the stored file removed all the same.
        for file_stored in stored:
            _stored_file_forget(file_stored)
        raise
    return document


def _evidence_upload(
    *, assessment, doc_type, title, file, by, max_bytes, stored: list
) -> EvidenceDocument:
    """``evidence_upload``'s body, in its transaction: the stored file is appended to
    ``stored`` as soon as it is in storage."""
    _self_assessment_open(assessment, SelfAssessment.objects.filter(assessment=assessment).first())
    if max_bytes is None:
        max_bytes = settings.EVIDENCE_MAX_BYTES
    evidence_file_check(file, max_bytes=max_bytes)
    uploaded_as = Path(file.name).name  # its history names it so, whatever it is stored as
    digest = _sha256(file)
    same = assessment.evidence.filter(sha256=digest).first()
    if same is not None:
        raise ValidationError(
            f"{file.name} is the same file as {same.title}, uploaded "
            f"{timezone.localtime(same.uploaded_at):%-d %B %Y}: it is already in the "
            "self-assessment, so it was not uploaded again."
        )
    stem, suffix = Path(file.name).stem, Path(file.name).suffix
    if len(file.name) > STORED_NAME_MAX:  # the stored name only: the title keeps it whole
        file.name = stem[: STORED_NAME_MAX - len(suffix)] + suffix
    title_max = EvidenceDocument._meta.get_field("title").max_length
    document = EvidenceDocument(
        assessment=assessment,
        doc_type=doc_type,
        title=(title or "").strip() or stem[:title_max],
        file=file,
        uploaded_by=by,
        sha256=digest,
    )
    document.full_clean()
    size = file.size
    # The file goes to storage first (the name it is given there is what the row keeps),
    # then the row and its history row.
    document.file.save(file.name, file, save=False)
    stored.append(document.file)
    try:
        with transaction.atomic():  # a savepoint: a refused insert leaves the rest usable
            document.save()
            change = evidence_change_row(
                document=document,
                action=EvidenceChange.Action.ADDED,
                by=by,
                size=size,
                file_name=uploaded_as,
                at=document.uploaded_at,
            )
            change.full_clean()
            change.save()
    except IntegrityError as exc:  # the insert refused: said on the form
        raise ValidationError(
            f"{file.name} was not uploaded: it could not be saved just now, so nothing was "
            "kept. Choose the file and upload it again."
        ) from exc
    return document


def evidence_upload_undo(*, document: EvidenceDocument) -> None:
    """Delete the file ``evidence_upload`` stored for ``document`` when the caller's
    transaction, in which it was uploaded, did not commit (its row never was)."""
    _stored_file_forget(document.file)


def _stored_file_forget(stored) -> None:
    """Delete a file stored by a transaction that will not commit (its row never was),
    through the storage's own API (S3 in production)."""
    stored.storage.delete(stored.name)


@transaction.atomic
def evidence_delete(*, document: EvidenceDocument, by: AbstractBaseUser) -> None:
    """Remove an evidence document while the self-assessment is open (file and row), with
    its history row (``EvidenceChange``, removed: what the document was, who removed it and
    when). The file is deleted once the transaction commits."""
    assessment = document.assessment
    _self_assessment_open(assessment, SelfAssessment.objects.filter(assessment=assessment).first())
    stored = document.file
    uploaded = (  # the name it was uploaded as, from its upload's history row
        EvidenceChange.objects.filter(
            assessment=assessment,
            action=EvidenceChange.Action.ADDED,
            stored_name=document.file.name,
        )
        .order_by("-at", "-pk")
        .values_list("file_name", flat=True)
        .first()
    )
    change = evidence_change_row(
        document=document,
        action=EvidenceChange.Action.REMOVED,
        by=by,
        size=_stored_size(stored),
        file_name=uploaded or "",
    )
    change.full_clean()
    change.save()  # first: a refused history row leaves the document as it was
    document.delete()
    transaction.on_commit(lambda: stored.delete(save=False))


def _stored_size(stored) -> int | None:
    """The size in bytes of a stored file; None when it is missing from storage."""
    try:
        return stored.size
    except (FileNotFoundError, OSError, ValueError):  # ValueError: no file name at all
        return None


def round_change_record(
    *,
    round_: AssessmentRound,
    field: str,
    old,
    new,
    by: AbstractBaseUser | None,
    reason: str = "",
) -> RoundChange:
    """The history row of a change to a round's setting (in the caller's transaction);
    ``by`` is None for a change made from the command line."""
    change = round_change_row(round_=round_, field=field, old=old, new=new, by=by, reason=reason)
    change.full_clean()
    change.save()
    return change
