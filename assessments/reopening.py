"""Sending a submitted self-assessment back to the PCT's board.

A board that submitted with a wrong level or the wrong evidence file could not correct it:
submitting moves the assessment on to panel formation, and the self-assessment closes with
the stage (``assessments.services._self_assessment_open``). While the panel is still being
formed (scoring not yet opened), the PCT's SHA staff (or the national team) may send it
back, with a reason saying what the board should correct. The assessment goes back to
self-assessment, the only backward move from panel formation (``assessments.services.
_SEND_BACK``, allowed through this service only); the self-assessment becomes a draft again
with its ratings, commentaries and evidence kept; panel seats already set stay as they are;
the panel cannot open scoring until the board submits again (``panel_open_scoring`` opens
from panel formation only). The board's members are e-mailed once the change commits, and
the board's page shows the reason above the form (``self_assessment_sent_back``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.concurrency import claim
from assessments.exceptions import ConflictError, TransitionError
from assessments.mail import mail_enqueue, rendered
from assessments.models import Assessment, Role, SelfAssessment, StageChange
from assessments.proceeding import deadline_passed
from assessments.selectors import (
    board_members_to_tell,
    self_assessment_sent_back,
    stage_without_self_assessment,
)
from assessments.services import assessment_advance
from assessments.text import REASON_MAX_CHARS, checked_reason

__all__ = [
    "REASON_MAX_CHARS",
    "self_assessment_send_back",
    "self_assessment_send_back_check",
]


def _check_reason(reason: str) -> str:
    return checked_reason(reason, missing="Say what the board should correct.")


def _who(user: AbstractBaseUser | None) -> str:
    return (user.get_full_name() or user.get_username()) if user is not None else "SHA staff"


def self_assessment_send_back_check(*, assessment: Assessment) -> SelfAssessment:
    """The board's submitted self-assessment of ``assessment`` (its PCT loaded), or
    ``TransitionError`` saying why it cannot be sent back now: only at panel formation
    (before scoring opens), and only a self-assessment the board submitted. The pages ask it
    before showing the form and the check page."""
    name = assessment.pct.name
    stage = assessment.get_stage_display()
    if assessment.stage == Assessment.Stage.SELF_ASSESSMENT:
        sent = self_assessment_sent_back(assessment=assessment)
        if sent is not None:
            raise TransitionError(
                f"The self-assessment of {name} is already back with its board: "
                f"{_who(sent.changed_by)} sent it back on "
                f"{timezone.localtime(sent.changed_at):%-d %B %Y at %H:%M}, and the board "
                "has not submitted it again yet."
            )
        raise TransitionError(
            f"{name} is at {stage}: the board has not submitted its self-assessment, so "
            "there is nothing to send back; it can still change it."
        )
    if assessment.stage != Assessment.Stage.PANEL_FORMATION:
        raise TransitionError(
            f"{name} is at {stage}: its panel has opened scoring on the self-assessment, "
            "which can no longer be sent back to the board."
        )
    self_assessment = SelfAssessment.objects.filter(
        assessment=assessment, status=SelfAssessment.Status.SUBMITTED
    ).first()
    if self_assessment is None:
        without = stage_without_self_assessment(assessment=assessment)
        when = (
            f" ({_who(without.changed_by)} moved it on without one on "
            f"{timezone.localtime(without.changed_at):%-d %B %Y})"
            if without is not None
            else ""
        )
        raise TransitionError(
            f"The board of {name} did not submit a self-assessment{when}: there is nothing "
            "to send back."
        )
    return self_assessment


@transaction.atomic
def self_assessment_send_back(
    *, assessment: Assessment, by: AbstractBaseUser, reason: str, expected_version: int
) -> StageChange:
    """Send the board's submitted self-assessment of ``assessment`` back to it, at panel
    formation: the assessment returns to self-assessment and the self-assessment to draft,
    its ratings, commentaries, priorities and evidence kept. Panel seats stay as they are.

    ``expected_version`` is the assessment's version the user saw (``ConflictError`` if it
    changed meanwhile). ``reason`` (what the board should correct) is required, at most
    ``REASON_MAX_CHARS`` characters, and becomes the stage change's note. The PCT's board
    members are e-mailed once the transaction commits. Returns the stage change (the
    history row)."""
    reason = _check_reason(reason)
    current = Assessment.objects.select_related("round", "pct__sha").get(pk=assessment.pk)
    if current.version != expected_version and current.stage == Assessment.Stage.PANEL_FORMATION:
        raise ConflictError(
            f"{current} was changed by someone else since you opened it; check it again.",
            current=current,
        )
    self_assessment = self_assessment_send_back_check(assessment=current)
    assessment_advance(
        assessment=current,
        to_stage=Assessment.Stage.SELF_ASSESSMENT,
        by=by,
        note=reason,
        send_back=True,
    )

    def conflict() -> ConflictError:  # the board's row changed under a current assessment
        return ConflictError(
            f"The self-assessment of {current.pct.name} changed meanwhile; check it again.",
            current=current,
        )

    self_assessment.version = claim(
        SelfAssessment,
        pk=self_assessment.pk,
        expected_version=self_assessment.version,
        conflict=conflict,
        status=SelfAssessment.Status.DRAFT,
        submitted_at=None,
        submitted_by=None,
    )
    change = self_assessment_sent_back(assessment=current)
    _tell_the_board(assessment=current, change=change)
    assessment.stage, assessment.version = current.stage, current.version
    return change


def _tell_the_board(*, assessment: Assessment, change: StageChange) -> int:
    """E-mail the PCT's board members (``board_members_to_tell``) who sent the
    self-assessment back, why, the link and the deadline; queued on commit
    (``mail_enqueue``)."""
    by = change.changed_by
    round_ = assessment.round
    path = reverse("assessments:self_assessment", args=[round_.slug, assessment.pct.ods_code])
    context = {
        "round": round_,
        "pct": assessment.pct,
        "sha": assessment.pct.sha,
        "reason": change.note,
        "sent_by": _who(by),
        "sender": "the national assurance team"
        if by is not None and by.roles.filter(kind=Role.Kind.NATIONAL).exists()
        else f"the {assessment.pct.sha.name} SHA",
        "when": timezone.localtime(change.changed_at),
        "due": round_.self_assessment_due,
        "overdue": deadline_passed(round_),
        "page_url": settings.SITE_URL.rstrip("/") + path,
    }
    return mail_enqueue(
        messages=[
            rendered("self_assessment_sent_back", {**context, "user": user}, user.email)
            for user in board_members_to_tell(assessment=assessment)
        ]
    )


def resubmitted_notice(*, assessment: Assessment) -> int:
    """Tell whoever sent the self-assessment back that the board has submitted it again
    (walk R: nobody was told, and the staff waiting to open scoring had to look). Called by
    ``self_assessment_submit`` in its transaction; queued once it commits. 0 if it was never
    sent back, or its sender has no address or was deactivated."""
    sent = self_assessment_sent_back(assessment=assessment)
    staff = sent.changed_by if sent is not None else None
    if staff is None or not staff.email or not staff.is_active:
        return 0
    path = reverse("panels:formation_panel", args=[assessment.round.slug, assessment.pct.ods_code])
    context = {
        "round": assessment.round,
        "pct": assessment.pct,
        "user": staff,
        "sent": timezone.localtime(sent.changed_at),
        "reason": sent.note,
        "formation_url": settings.SITE_URL.rstrip("/") + path,
    }
    return mail_enqueue(messages=[rendered("self_assessment_resubmitted", context, staff.email)])
