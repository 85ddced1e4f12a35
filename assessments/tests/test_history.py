"""The history-row builders the services and the demo seed share (``assessments.history``)."""

from datetime import UTC, datetime

import pytest

from assessments.history import (
    moderation_adjustment_row,
    rating_change_row,
    region_review_change_row,
    round_change_row,
    stage_change_row,
)
from assessments.models import RatingChange, RegionReviewChange, Stage
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    RegionReviewFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

WHEN = datetime(2009, 1, 16, 16, 0, tzinfo=UTC)


def test_stage_change_row_keeps_the_given_time_and_is_valid():
    assessment = AssessmentFactory(stage=Stage.SCORING)

    row = stage_change_row(
        assessment=assessment,
        from_stage=Stage.PANEL_FORMATION,
        to_stage=Stage.SCORING,
        by=None,
        changed_at=WHEN,
    )
    row.full_clean()

    assert (row.pk, row.assessment, row.from_stage, row.to_stage, row.changed_at, row.note) == (
        None,
        assessment,
        Stage.PANEL_FORMATION,
        Stage.SCORING,
        WHEN,
        "",
    )


def test_rating_change_row_names_the_item_and_is_valid():
    assessment = AssessmentFactory()
    competency = CompetencyFactory(framework=assessment.round.framework)
    user = UserFactory()

    row = rating_change_row(
        assessment=assessment,
        source=RatingChange.Source.CONSENSUS,
        competency=competency,
        old_value="",
        new_value="3",
        by=user,
        changed_at=WHEN,
    )
    row.full_clean()

    assert (row.competency, row.area, row.changed_by, row.new_value, row.changed_at) == (
        competency,
        None,
        user,
        "3",
        WHEN,
    )


def test_moderation_adjustment_row_is_valid():
    assessment = AssessmentFactory(stage=Stage.MODERATION)
    rating = AgreedRatingFactory(
        assessment=assessment, competency=CompetencyFactory(framework=assessment.round.framework)
    )

    row = moderation_adjustment_row(
        rating=rating,
        stage=Stage.MODERATION,
        old_value="2",
        new_value="3",
        reason="In line with the region.",
        by=UserFactory(),
        adjusted_at=WHEN,
    )
    row.full_clean()

    assert (row.rating, row.old_value, row.new_value, row.adjusted_at) == (rating, "2", "3", WHEN)


def test_region_review_change_row_is_valid():
    review, user = RegionReviewFactory(), UserFactory()

    row = region_review_change_row(
        review=review, decision=RegionReviewChange.Decision.SENT_BACK, by=user, comment="Why?"
    )
    row.full_clean()

    assert (row.review, row.decision, row.decided_by, row.comment) == (
        review,
        RegionReviewChange.Decision.SENT_BACK,
        user,
        "Why?",
    )


def test_round_change_row_writes_times_as_uk_time_and_keeps_the_given_time():
    round_, user = AssessmentRoundFactory(), UserFactory()
    published = datetime(2009, 2, 17, 9, 30, tzinfo=UTC)  # 09:30 GMT in February

    row = round_change_row(
        round_=round_, field="published_at", old=None, new=published, by=user, changed_at=WHEN
    )
    row.full_clean()

    assert (row.round, row.field, row.old_value, row.new_value, row.changed_by) == (
        round_,
        "published_at",
        "",
        "2009-02-17 09:30",
        user,
    )
    assert row.changed_at == WHEN


def test_round_change_row_written_by_the_service_is_the_same_shape():
    """``round_change_record`` (the services') saves the row this builds."""
    from assessments.services import round_change_record

    round_, user = AssessmentRoundFactory(), UserFactory()
    summer = datetime(2009, 6, 1, 8, 0, tzinfo=UTC)  # 09:00 BST

    saved = round_change_record(
        round_=round_, field="published_at", old=None, new=summer, by=user, reason="Why"
    )

    assert (saved.pk is not None, saved.old_value, saved.new_value, saved.reason) == (
        True,
        "",
        "2009-06-01 09:00",
        "Why",
    )
