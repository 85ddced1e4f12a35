"""Writes for a region's review of a round: the SHA staff's changes to agreed ratings and
their sign-off of the region's moderation, and the national team's confirmation (or sending
back) at the cross-check.

Refusals follow ``assessments.services``: ``TransitionError`` (not at this stage),
``ConflictError`` (someone else saved first), ``ValidationError`` (bad input, or a sign-off
while PCTs are behind, naming them).

``RegionReview`` holds the region's current state; every sign-off, confirmation and
send-back also writes a ``RegionReviewChange`` in the same transaction, so that earlier
send-backs (and their comments) stay visible after the region is signed off again.

A confirmation e-mails the region's boards that their window is open; a send-back e-mails
the region's SHA staff with the comment (``assessments.notices``, queued on commit).
"""

from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.exceptions import ConflictError, TransitionError
from assessments.history import region_review_change_row
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    RatingChange,
    RegionReview,
    RegionReviewChange,
    Stage,
    StrategicHealthAuthority,
)
from assessments.notices import sent_back_notices, window_opened_notices
from assessments.services import agreed_rating_adjust, assessments_advance
from assessments.text import visible


def region_review_for(*, round_: AssessmentRound, sha: StrategicHealthAuthority) -> RegionReview:
    """The region's review of the round, created (status: moderating) on first use."""
    review, _created = RegionReview.objects.get_or_create(round=round_, sha=sha)
    return review


def _review_locked(*, round_: AssessmentRound, sha: StrategicHealthAuthority) -> RegionReview:
    """The region's review as stored, its row locked to the end of the caller's transaction:
    two decisions on one region (two tabs, two colleagues) are taken one after the other,
    the second on what the first left (on PostgreSQL both read "signed off", and a region
    could be confirmed twice, its window reset and its boards told twice)."""
    review = region_review_for(round_=round_, sha=sha)
    return RegionReview.objects.select_for_update().get(pk=review.pk)


@transaction.atomic
def agreed_rating_moderate(
    *,
    rating: AgreedRating,
    value: int | str,
    reason: str,
    by: AbstractBaseUser,
    expected_version: int,
) -> AgreedRating:
    """Regional moderation's change to an agreed rating, with its reason.

    Allowed only while the rating's assessment is at regional moderation (the general
    ``agreed_rating_adjust`` also serves the later stages). The panel's value is kept; a
    ``ModerationAdjustment`` and a ``RatingChange`` (source: moderation) are written.
    """
    stage = Assessment.objects.values_list("stage", flat=True).get(pk=rating.assessment_id)
    if stage != Stage.MODERATION:
        raise TransitionError(
            "Regional moderation changes a rating only while its assessment is at regional "
            f"moderation; this one is at {Stage(stage).label}."
        )
    return agreed_rating_adjust(
        rating=rating,
        value=value,
        reason=reason,
        by=by,
        expected_version=expected_version,
        source=RatingChange.Source.MODERATION,
    )


def region_sign_off_check(
    *, round_: AssessmentRound, sha: StrategicHealthAuthority, review: RegionReview | None = None
) -> list[Assessment]:
    """Raise what ``region_sign_off`` would refuse with, writing nothing; else return the
    region's assessments (the confirmation page counts them)."""
    if review is None:
        review = RegionReview.objects.filter(round=round_, sha=sha).first()
    if review is not None and review.status in (
        RegionReview.Status.SIGNED_OFF,
        RegionReview.Status.CONFIRMED,
    ):
        raise TransitionError(f"{sha.name} is already {review.get_status_display().lower()}.")
    assessments = list(
        Assessment.objects.filter(round=round_, pct__sha=sha)
        .select_related("pct", "round")
        .order_by("pct__name")
    )
    if not assessments:
        raise ValidationError(f"{sha.name} has no assessments in {round_}: nothing to sign off.")
    early = [a for a in assessments if a.stage < Stage.MODERATION]
    if early:
        raise ValidationError(
            [f"{sha.name} cannot be signed off while these PCTs are before regional moderation:"]
            + [f"{a.pct.name} ({a.get_stage_display()})" for a in early]
        )
    return assessments


@transaction.atomic
def region_sign_off(
    *, round_: AssessmentRound, sha: StrategicHealthAuthority, by: AbstractBaseUser
) -> RegionReview:
    """Sign off the region's moderation: every assessment at regional moderation moves to the
    national cross-check. Refused (``ValidationError`` naming them) while any of the
    region's assessments is at an earlier stage, or once the region is already signed off
    or confirmed."""
    review = _review_locked(round_=round_, sha=sha)
    assessments = region_sign_off_check(round_=round_, sha=sha, review=review)
    assessments_advance(
        assessments=[a for a in assessments if a.stage == Stage.MODERATION],
        to_stage=Stage.CROSS_CHECK,
        by=by,
        note="Region signed off.",
    )
    now = timezone.now()
    review.status = RegionReview.Status.SIGNED_OFF
    review.signed_off_by, review.signed_off_at = by, now
    review.full_clean()
    review.save(update_fields=["status", "signed_off_by", "signed_off_at"])
    _record(review, RegionReviewChange.Decision.SIGNED_OFF, by=by, at=now)
    return review


def _record(
    review: RegionReview, decision: str, *, by: AbstractBaseUser, at, comment: str = ""
) -> None:
    """Keep the decision in the review's history (the review itself keeps only the last)."""
    change = region_review_change_row(
        review=review, decision=decision, by=by, comment=comment, decided_at=at
    )
    change.full_clean()
    change.save()


def add_working_days(start, days: int):
    """``start`` plus ``days`` working days (Monday to Friday) on the UK calendar, keeping
    the UK time of day: confirmed at 00:30 on a Monday (23:30 UTC on Sunday) counts from the
    Monday, and a window that spans a change of the clocks closes at the same hour."""
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    day, left = local.date(), days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    end = datetime.combine(day, local.time())
    return timezone.make_aware(end) if timezone.is_aware(start) else end


def _check_sign_off_seen(
    review: RegionReview, sha: StrategicHealthAuthority, seen: datetime | None
) -> None:
    """Refused (``ConflictError``) when the region was signed off again since the national
    team looked at it (``seen``: the sign-off time its page showed): sent back in another
    window, moderated again and signed off, it is not the region that was checked (the
    two-tabs walk confirmed such a region from a stale page)."""
    if seen is not None and review.signed_off_at != seen:
        raise ConflictError(
            f"{sha.name} was signed off again since you looked at it "
            f"(it was sent back and moderated again): nothing was changed. The page shows "
            "it as it is now: check it again.",
            current=review,
        )


@transaction.atomic
def region_confirm(
    *,
    round_: AssessmentRound,
    sha: StrategicHealthAuthority,
    by: AbstractBaseUser,
    signed_off_seen: datetime | None = None,
) -> RegionReview:
    """The national team confirms a signed-off region: its assessments move to the
    factual-accuracy check, whose window closes after the round's number of working days.
    ``signed_off_seen``: the sign-off the decision was made on (see
    :func:`_check_sign_off_seen`)."""
    review = _review_locked(round_=round_, sha=sha)
    if review.status != RegionReview.Status.SIGNED_OFF:
        raise TransitionError(
            f"Only a signed-off region can be confirmed; {sha.name} is at "
            f"{review.get_status_display().lower()}."
        )
    _check_sign_off_seen(review, sha, signed_off_seen)
    assessments_advance(
        assessments=list(
            Assessment.objects.filter(round=round_, pct__sha=sha, stage=Stage.CROSS_CHECK)
        ),
        to_stage=Stage.FACTUAL_ACCURACY,
        by=by,
        note="Region confirmed.",
    )
    now = timezone.now()
    review.status = RegionReview.Status.CONFIRMED
    review.decided_by, review.decided_at = by, now
    review.factual_accuracy_closes = add_working_days(now, round_.factual_accuracy_working_days)
    review.full_clean()
    review.save(update_fields=["status", "decided_by", "decided_at", "factual_accuracy_closes"])
    _record(review, RegionReviewChange.Decision.CONFIRMED, by=by, at=now)
    window_opened_notices(review=review)  # the boards, queued once this commits
    return review


@transaction.atomic
def region_send_back(
    *,
    round_: AssessmentRound,
    sha: StrategicHealthAuthority,
    by: AbstractBaseUser,
    comment: str,
    signed_off_seen: datetime | None = None,
) -> RegionReview:
    """The national team sends a signed-off region back to moderation, with a comment its
    staff will see (``signed_off_seen``: as for :func:`region_confirm`)."""
    comment = (comment or "").strip()
    if not visible(comment):
        raise ValidationError("Say why the region is sent back: its staff read the comment.")
    review = _review_locked(round_=round_, sha=sha)
    if review.status != RegionReview.Status.SIGNED_OFF:
        raise TransitionError(
            f"Only a signed-off region can be sent back; {sha.name} is at "
            f"{review.get_status_display().lower()}."
        )
    _check_sign_off_seen(review, sha, signed_off_seen)
    assessments_advance(
        assessments=list(
            Assessment.objects.filter(round=round_, pct__sha=sha, stage=Stage.CROSS_CHECK)
        ),
        to_stage=Stage.MODERATION,
        by=by,
        note=f"Sent back: {comment}",
    )
    now = timezone.now()
    review.status = RegionReview.Status.SENT_BACK
    review.national_comment = comment
    review.decided_by, review.decided_at = by, now
    review.full_clean()
    review.save(update_fields=["status", "national_comment", "decided_by", "decided_at"])
    _record(review, RegionReviewChange.Decision.SENT_BACK, by=by, at=now, comment=comment)
    sent_back_notices(review=review)  # the region's staff, queued once this commits
    return review


@transaction.atomic
def region_window_close(
    *,
    round_: AssessmentRound,
    sha: StrategicHealthAuthority,
    by: AbstractBaseUser,
    reason: str,
    now=None,
) -> RegionReview:
    """Close a confirmed region's factual-accuracy window now, before its time (its boards
    lose the rest of it, so a reason is required and kept in the review's history). The
    demo's ``demo_advance`` uses it; the page never offers it to the national team. Refused
    unless the region is confirmed with its window still open. The boards are told by the
    next daily ``send_reminders``, as for a window that closed on time."""
    reason = (reason or "").strip()
    if not visible(reason):
        raise ValidationError("Say why the window closes early: the boards lose days.")
    now = now or timezone.now()
    review = _review_locked(round_=round_, sha=sha)
    if review.status != RegionReview.Status.CONFIRMED or review.factual_accuracy_closes is None:
        raise TransitionError(
            f"Only a confirmed region has a factual-accuracy window; {sha.name} is at "
            f"{review.get_status_display().lower()}."
        )
    if review.factual_accuracy_closes <= now:
        raise TransitionError(f"The factual-accuracy window of {sha.name} has already closed.")
    review.factual_accuracy_closes = now
    review.full_clean()
    review.save(update_fields=["factual_accuracy_closes"])
    _record(review, RegionReviewChange.Decision.WINDOW_CLOSED, by=by, at=now, comment=reason)
    return review
