"""Writes for a region's review of a round: the SHA's sign-off of its moderation."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.exceptions import TransitionError
from assessments.models import (
    Assessment,
    AssessmentRound,
    RegionReview,
    Stage,
    StrategicHealthAuthority,
)
from assessments.services import assessment_advance


def region_review_for(*, round_: AssessmentRound, sha: StrategicHealthAuthority) -> RegionReview:
    review, _created = RegionReview.objects.get_or_create(round=round_, sha=sha)
    return review


@transaction.atomic
def region_sign_off(
    *, round_: AssessmentRound, sha: StrategicHealthAuthority, by: AbstractBaseUser
) -> RegionReview:
    """Sign off the region's moderation: every assessment at regional moderation moves to the
    national cross-check. Refused (``ValidationError`` naming them) while any of the
    region's assessments is at an earlier stage, or once the region is already signed off
    or confirmed."""
    review = region_review_for(round_=round_, sha=sha)
    if review.status in (RegionReview.Status.SIGNED_OFF, RegionReview.Status.CONFIRMED):
        raise TransitionError(f"{sha.name} is already {review.get_status_display().lower()}.")
    assessments = list(
        Assessment.objects.filter(round=round_, pct__sha=sha)
        .select_related("pct", "round")
        .order_by("pct__name")
    )
    early = [a for a in assessments if a.stage < Stage.MODERATION]
    if early:
        raise ValidationError(
            [f"{sha.name} cannot be signed off while these PCTs are before regional moderation:"]
            + [f"{a.pct.name} ({a.get_stage_display()})" for a in early]
        )
    for assessment in assessments:
        if assessment.stage == Stage.MODERATION:
            assessment_advance(
                assessment=assessment, to_stage=Stage.CROSS_CHECK, by=by, note="Region signed off."
            )
    review.status = RegionReview.Status.SIGNED_OFF
    review.signed_off_by, review.signed_off_at = by, timezone.now()
    review.full_clean()
    review.save(update_fields=["status", "signed_off_by", "signed_off_at"])
    return review
