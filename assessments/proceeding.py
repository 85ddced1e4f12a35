"""Proceeding without the board's self-assessment.

A PCT leaves self-assessment when its board submits (``self_assessment_submit``). A board
that never does (no account, or simply late) would hold up its region's panel, sign-off
and the round's publication, so once the round's self-assessment deadline has passed the
PCT's SHA staff (or the national team) may move it on to panel formation without it, with
a reason. The board's draft, if any, stays a draft: the self-assessment closes with the
stage (``self_assessment_save`` and the board's page accept changes only at
self-assessment), and the panel's pages say that the SHA proceeded without it, when and why
(``stage_without_self_assessment``).
"""

from __future__ import annotations

import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import Assessment, AssessmentRound, SelfAssessment, StageChange
from assessments.notices import proceeded_without_notices
from assessments.selectors import stage_without_self_assessment
from assessments.services import assessment_advance
from assessments.text import REASON_MAX_CHARS, checked_reason

__all__ = [
    "REASON_MAX_CHARS",
    "assessment_proceed_without_check",
    "assessment_proceed_without_self_assessment",
    "deadline_passed",
]


def deadline_passed(round_: AssessmentRound, today: datetime.date | None = None) -> bool:
    """Whether SHA staff may proceed without a self-assessment of ``round_``: its deadline
    was set and has passed (from the day after it). A round with no deadline never does:
    the boards were given no date to miss (the walk of today's fixes: staff proceeded a
    minute after the round opened, and the board was told its deadline had passed)."""
    due = round_.self_assessment_due
    return due is not None and due < (today or timezone.localdate())


def _check_reason(reason: str) -> str:
    return checked_reason(
        reason, missing="Give the reason for proceeding without the board's self-assessment."
    )


def assessment_proceed_without_check(*, assessment: Assessment) -> None:
    """Refuse (``TransitionError``, saying why) unless ``assessment`` (its round loaded) may
    proceed without its self-assessment now: at self-assessment, not submitted, and past the
    round's deadline (which must be set). The check page asks it before showing what will
    happen."""
    name = assessment.pct.name
    if SelfAssessment.objects.filter(
        assessment=assessment, status=SelfAssessment.Status.SUBMITTED
    ).exists():
        raise TransitionError(
            f"The board of {name} has submitted its self-assessment: {name} is at "
            f"{assessment.get_stage_display()}, with it."
        )
    if assessment.stage != Assessment.Stage.SELF_ASSESSMENT:
        done = stage_without_self_assessment(assessment=assessment)
        if done is not None:
            by = done.changed_by
            who = (by.get_full_name() or by.get_username()) if by else "SHA staff"
            raise TransitionError(
                f"{name} has already moved on without its board's self-assessment: {who} "
                f"did it on {timezone.localtime(done.changed_at):%-d %B %Y at %H:%M}."
            )
        raise TransitionError(
            f"{name} is at {assessment.get_stage_display()}, not self-assessment: "
            "there is no self-assessment to proceed without."
        )
    if assessment.round.self_assessment_due is None:
        raise TransitionError(
            f"{assessment.round.name} has no self-assessment deadline: the boards were given "
            "no date to miss. The national team sets one on the round's timetable; once it "
            "has passed, you may proceed without a board's self-assessment."
        )
    if not deadline_passed(assessment.round):
        raise TransitionError(
            f"The self-assessment deadline of {assessment.round.name} is "
            f"{assessment.round.self_assessment_due:%-d %B %Y}: the board may still submit "
            "until then, and you may proceed without it from the day after."
        )


@transaction.atomic
def assessment_proceed_without_self_assessment(
    *, assessment: Assessment, by: AbstractBaseUser, reason: str, expected_version: int
) -> StageChange:
    """Move ``assessment`` from self-assessment to panel formation though its board has not
    submitted, once the round's self-assessment deadline has passed.

    ``expected_version`` is the assessment's version the user saw (``ConflictError`` if it
    changed meanwhile, e.g. the board submitted). ``reason`` is required, at most
    ``REASON_MAX_CHARS`` characters, and becomes the stage change's note. The board's draft
    (if any) stays a draft, closed by the stage. The PCT's board members are e-mailed once
    the transaction commits. Returns the stage change (the history row)."""
    reason = _check_reason(reason)
    current = Assessment.objects.select_related("round", "pct__sha").get(pk=assessment.pk)
    if current.version != expected_version and current.stage == Assessment.Stage.SELF_ASSESSMENT:
        raise ConflictError(
            f"{current} was changed by someone else since you opened it; check it again.",
            current=current,
        )
    assessment_proceed_without_check(assessment=current)
    assessment_advance(
        assessment=current,
        to_stage=Assessment.Stage.PANEL_FORMATION,
        by=by,
        note=reason,
        without_self_assessment=True,
    )
    change = stage_without_self_assessment(assessment=current)
    proceeded_without_notices(assessment=current, change=change)
    assessment.stage, assessment.version = current.stage, current.version
    return change
