"""The history rows the assessment services write, built in one place.

A service builds its row here, ``full_clean()``s it and saves it in the transaction of the
change. The demo seed (``panels.demo.seed``) builds its rows with the same functions and
writes them with ``bulk_create``, so that seeded history cannot drift from the services'.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    EvidenceChange,
    EvidenceDocument,
    ModerationAdjustment,
    RatingChange,
    RegionReview,
    RegionReviewChange,
    RoundChange,
    StageChange,
)


def stage_change_row(
    *,
    assessment: Assessment,
    from_stage: int,
    to_stage: int,
    by: AbstractBaseUser | None,
    note: str = "",
    changed_at: datetime | None = None,
    without_self_assessment: bool = False,
) -> StageChange:
    """An unsaved ``StageChange``: ``assessment`` moved from ``from_stage`` to ``to_stage``
    (``without_self_assessment``: on from self-assessment though the board never submitted)."""
    return StageChange(
        assessment=assessment,
        from_stage=from_stage,
        to_stage=to_stage,
        changed_by=by,
        changed_at=changed_at or timezone.now(),
        note=note,
        without_self_assessment=without_self_assessment,
    )


def rating_change_row(
    *,
    source: str,
    old_value: str,
    new_value: str,
    by: AbstractBaseUser | None,
    note: str = "",
    changed_at: datetime | None = None,
    **keys,
) -> RatingChange:
    """An unsaved ``RatingChange``. ``keys`` name the assessment (``assessment=`` or
    ``assessment_id=``) and the item (``competency``, ``area`` or ``sub_indicator``, an
    object or, with an ``_id`` suffix, its key)."""
    return RatingChange(
        source=source,
        old_value=old_value,
        new_value=new_value,
        changed_by=by,
        changed_at=changed_at or timezone.now(),
        note=note,
        **keys,
    )


def moderation_adjustment_row(
    *,
    rating: AgreedRating,
    stage: int,
    old_value: str,
    new_value: str,
    reason: str,
    by: AbstractBaseUser,
    adjusted_at: datetime | None = None,
) -> ModerationAdjustment:
    """An unsaved ``ModerationAdjustment`` of ``rating`` after consensus, with its reason."""
    return ModerationAdjustment(
        rating=rating,
        stage=stage,
        old_value=old_value,
        new_value=new_value,
        reason=reason,
        adjusted_by=by,
        adjusted_at=adjusted_at or timezone.now(),
    )


def region_review_change_row(
    *,
    review: RegionReview,
    decision: str,
    by: AbstractBaseUser,
    comment: str = "",
    decided_at: datetime | None = None,
) -> RegionReviewChange:
    """An unsaved ``RegionReviewChange``: ``by`` took ``decision`` on ``review``."""
    return RegionReviewChange(
        review=review,
        decision=decision,
        decided_by=by,
        decided_at=decided_at or timezone.now(),
        comment=comment,
    )


def round_change_row(
    *,
    round_: AssessmentRound,
    field: str,
    old,
    new,
    by: AbstractBaseUser | None,
    reason: str = "",
    changed_at: datetime | None = None,
) -> RoundChange:
    """An unsaved ``RoundChange``: ``field`` of ``round_`` went from ``old`` to ``new``
    (a time written as UK time, ``2009-02-17 09:30``; None as blank). ``by`` is None for a
    change made from the command line."""

    def text(value) -> str:
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        return "" if value is None else str(value)

    return RoundChange(
        round=round_,
        field=field,
        old_value=text(old),
        new_value=text(new),
        changed_by=by,
        reason=reason,
        changed_at=changed_at or timezone.now(),
    )


def evidence_change_row(
    *,
    document: EvidenceDocument,
    action: str,
    by: AbstractBaseUser | None,
    size: int | None,
    file_name: str = "",
    at: datetime | None = None,
) -> EvidenceChange:
    """An unsaved ``EvidenceChange``: ``by`` uploaded (``action`` "added") or removed
    ``document``, whose stored file is ``size`` bytes (None if unknown) and was uploaded as
    ``file_name``. The document's title, type, stored name and SHA-256 are copied, so the
    row outlives it."""
    return EvidenceChange(
        file_name=file_name[: EvidenceChange._meta.get_field("file_name").max_length],
        assessment_id=document.assessment_id,
        action=action,
        doc_type=document.doc_type,
        title=document.title,
        stored_name=document.file.name,
        size=size,
        sha256=document.sha256,
        by=by,
        at=at or timezone.now(),
    )
