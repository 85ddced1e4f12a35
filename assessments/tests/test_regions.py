"""Region reviews: the SHA staff's sign-off of a region's moderation and their changes to
agreed ratings (``assessments.regions``)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.exceptions import TransitionError
from assessments.models import (
    AgreedRating,
    Assessment,
    ModerationAdjustment,
    RatingChange,
    RegionReview,
    RegionReviewChange,
    Stage,
    StageChange,
)
from assessments.regions import (
    agreed_rating_moderate,
    region_confirm,
    region_review_for,
    region_send_back,
    region_sign_off,
    region_window_close,
)
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    PCTFactory,
    RegionReviewFactory,
    SHAFactory,
    UserFactory,
)


@pytest.fixture
def region(db):
    sha = SHAFactory(name="North East")
    round_ = AssessmentRoundFactory(slug="2009-10")
    assessments = [
        AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha, name=f"PCT {n}"), stage=Stage.MODERATION
        )
        for n in range(3)
    ]
    return round_, sha, assessments


def stages():
    return list(Assessment.objects.order_by("pct__name").values_list("stage", flat=True))


# --- region_review_for -----------------------------------------------------------------------


def test_region_review_for_creates_the_review_once(region):
    round_, sha, _assessments = region

    first = region_review_for(round_=round_, sha=sha)
    second = region_review_for(round_=round_, sha=sha)

    assert (first, first.status, RegionReview.objects.count()) == (
        second,
        RegionReview.Status.MODERATING,
        1,
    )


# --- region_sign_off -------------------------------------------------------------------------


def test_sign_off_refused_while_pcts_are_before_moderation_listing_them(region):
    round_, sha, assessments = region
    Assessment.objects.filter(pk=assessments[0].pk).update(stage=Stage.SCORING)
    Assessment.objects.filter(pk=assessments[2].pk).update(stage=Stage.CONSENSUS)

    with pytest.raises(ValidationError) as excinfo:
        region_sign_off(round_=round_, sha=sha, by=UserFactory())

    assert excinfo.value.messages == [
        "North East cannot be signed off while these PCTs are before regional moderation:",
        "PCT 0 (Scoring)",
        "PCT 2 (Panel consensus)",
    ]
    assert stages() == [Stage.SCORING, Stage.MODERATION, Stage.CONSENSUS]
    assert list(RegionReview.objects.values_list("status", flat=True)) == []
    assert StageChange.objects.count() == 0


def test_sign_off_moves_every_assessment_to_cross_check(region):
    round_, sha, _assessments = region
    user = UserFactory()

    review = region_sign_off(round_=round_, sha=sha, by=user)

    assert (review.status, review.signed_off_by, review.signed_off_at is not None) == (
        RegionReview.Status.SIGNED_OFF,
        user,
        True,
    )
    assert stages() == [Stage.CROSS_CHECK] * 3
    assert (
        list(StageChange.objects.values_list("from_stage", "to_stage", "changed_by", "note"))
        == [(Stage.MODERATION, Stage.CROSS_CHECK, user.pk, "Region signed off.")] * 3
    )


def test_sign_off_refused_a_second_time(region):
    round_, sha, _assessments = region
    region_sign_off(round_=round_, sha=sha, by=UserFactory())

    with pytest.raises(TransitionError) as excinfo:
        region_sign_off(round_=round_, sha=sha, by=UserFactory())

    assert str(excinfo.value) == (
        "North East is already signed off, awaiting national cross-check."
    )
    assert StageChange.objects.count() == 3


def test_sign_off_allowed_again_after_the_region_was_sent_back(region):
    round_, sha, _assessments = region
    RegionReviewFactory(
        round=round_, sha=sha, status=RegionReview.Status.SENT_BACK, national_comment="Look again."
    )

    review = region_sign_off(round_=round_, sha=sha, by=UserFactory())

    assert (review.status, review.national_comment, stages()) == (
        RegionReview.Status.SIGNED_OFF,
        "Look again.",
        [Stage.CROSS_CHECK] * 3,
    )


def test_sign_off_refused_for_a_region_without_assessments(db):
    sha, round_ = SHAFactory(name="Nowhere"), AssessmentRoundFactory(slug="2009-10")

    with pytest.raises(ValidationError) as excinfo:
        region_sign_off(round_=round_, sha=sha, by=UserFactory())

    assert excinfo.value.messages == [
        f"Nowhere has no assessments in {round_}: nothing to sign off."
    ]


def test_sign_off_leaves_other_regions_alone(region):
    round_, sha, _assessments = region
    elsewhere = AssessmentFactory(round=round_, pct=PCTFactory(), stage=Stage.MODERATION)

    region_sign_off(round_=round_, sha=sha, by=UserFactory())

    assert Assessment.objects.get(pk=elsewhere.pk).stage == Stage.MODERATION


# --- agreed_rating_moderate ------------------------------------------------------------------


@pytest.fixture
def rating(region):
    round_, _sha, assessments = region
    competency = CompetencyFactory(framework=round_.framework, number=1, with_levels=False)
    return AgreedRatingFactory(assessment=assessments[0], competency=competency, level=2)


def test_moderate_changes_the_value_keeps_the_panels_and_writes_history(rating):
    user = UserFactory()

    agreed_rating_moderate(
        rating=rating, value="3", reason="Strong evidence.", by=user, expected_version=1
    )

    stored = AgreedRating.objects.get(pk=rating.pk)
    assert (stored.level, stored.panel_level, stored.is_moderated) == (3, 2, True)
    assert list(
        ModerationAdjustment.objects.values_list("old_value", "new_value", "reason", "stage")
    ) == [("2", "3", "Strong evidence.", Stage.MODERATION)]
    assert list(RatingChange.objects.values_list("source", "old_value", "new_value")) == [
        (RatingChange.Source.MODERATION, "2", "3")
    ]


def test_moderate_refused_after_moderation(rating):
    Assessment.objects.filter(pk=rating.assessment_id).update(stage=Stage.CROSS_CHECK)

    with pytest.raises(TransitionError) as excinfo:
        agreed_rating_moderate(
            rating=rating, value="3", reason="Too late.", by=UserFactory(), expected_version=1
        )

    assert str(excinfo.value) == (
        "Regional moderation changes a rating only while its assessment is at regional "
        "moderation; this one is at National cross-check."
    )
    assert (AgreedRating.objects.get(pk=rating.pk).level, ModerationAdjustment.objects.count()) == (
        2,
        0,
    )


def test_moderate_refused_without_a_reason(rating):
    with pytest.raises(ValidationError) as excinfo:
        agreed_rating_moderate(
            rating=rating, value="3", reason=" ", by=UserFactory(), expected_version=1
        )

    assert excinfo.value.message_dict == {"reason": ["Give the reason for the change."]}
    assert RatingChange.objects.count() == 0


# --- The history of a region's decisions ------------------------------------------------------


def decisions():
    return list(
        RegionReviewChange.objects.order_by("pk").values_list("decision", "decided_by", "comment")
    )


def test_region_decisions_each_write_a_change_and_keep_earlier_send_backs(region):
    round_, sha, _assessments = region
    staff, national = UserFactory(), UserFactory()

    region_sign_off(round_=round_, sha=sha, by=staff)
    region_send_back(round_=round_, sha=sha, by=national, comment="Competency 5 looks generous.")
    region_sign_off(round_=round_, sha=sha, by=staff)
    review = region_confirm(round_=round_, sha=sha, by=national)

    assert decisions() == [
        (RegionReviewChange.Decision.SIGNED_OFF, staff.pk, ""),
        (RegionReviewChange.Decision.SENT_BACK, national.pk, "Competency 5 looks generous."),
        (RegionReviewChange.Decision.SIGNED_OFF, staff.pk, ""),
        (RegionReviewChange.Decision.CONFIRMED, national.pk, ""),
    ]
    assert set(RegionReviewChange.objects.values_list("review", flat=True)) == {review.pk}
    assert review.status == RegionReview.Status.CONFIRMED


def test_region_decision_refused_writes_no_change(region):
    round_, sha, _assessments = region

    with pytest.raises(TransitionError):
        region_confirm(round_=round_, sha=sha, by=UserFactory())
    with pytest.raises(TransitionError):
        region_send_back(round_=round_, sha=sha, by=UserFactory(), comment="Why?")
    Assessment.objects.filter(round=round_).update(stage=Stage.SCORING)
    with pytest.raises(ValidationError):
        region_sign_off(round_=round_, sha=sha, by=UserFactory())

    assert decisions() == []


# --- region_window_close ---------------------------------------------------------------------


def test_window_close_moves_the_close_to_now_and_keeps_the_reason(region):
    round_, sha, _assessments = region
    region_sign_off(round_=round_, sha=sha, by=UserFactory())
    region_confirm(round_=round_, sha=sha, by=UserFactory())

    review = region_window_close(round_=round_, sha=sha, by=UserFactory(), reason="Demo.")

    assert review.factual_accuracy_closes <= timezone.now()
    change = RegionReviewChange.objects.filter(review=review).order_by("pk").last()
    assert (change.decision, change.comment) == (
        RegionReviewChange.Decision.WINDOW_CLOSED,
        "Demo.",
    )


def test_window_close_refused_without_reason_or_open_window(region):
    round_, sha, _assessments = region

    with pytest.raises(ValidationError, match="Say why"):
        region_window_close(round_=round_, sha=sha, by=UserFactory(), reason=" ")
    with pytest.raises(TransitionError, match="Only a confirmed region"):
        region_window_close(round_=round_, sha=sha, by=UserFactory(), reason="Demo.")


def test_sign_off_and_confirm_move_a_region_in_a_fixed_number_of_queries(db):
    """The scale walk: confirming a region of 1,012 PCTs took 7.9 s, three queries a PCT."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts(pcts: int) -> tuple[int, int]:
        sha = SHAFactory()
        round_ = AssessmentRoundFactory()
        for _ in range(pcts):
            AssessmentFactory(round=round_, pct=PCTFactory(sha=sha), stage=Stage.MODERATION)
        user = UserFactory()
        with CaptureQueriesContext(connection) as signed:
            region_sign_off(round_=round_, sha=sha, by=user)
        with CaptureQueriesContext(connection) as confirmed:
            region_confirm(round_=round_, sha=sha, by=user)
        assert set(Assessment.objects.filter(round=round_).values_list("stage", "version")) == {
            (Stage.FACTUAL_ACCURACY, 3)
        }
        assert StageChange.objects.filter(assessment__round=round_).count() == 2 * pcts
        return len(signed), len(confirmed)

    assert counts(2) == counts(30)


def test_a_confirmation_that_fails_part_way_changes_nothing(region, monkeypatch):
    """The decorator that makes it one transaction had slipped onto a helper above it: a
    failure after the stages moved (the boards' notices) left them moved."""
    round_, sha, _assessments = region
    region_sign_off(round_=round_, sha=sha, by=UserFactory())

    def fail(**_kwargs):
        raise RuntimeError("the mail queue is down")

    monkeypatch.setattr("assessments.regions.window_opened_notices", fail)
    with pytest.raises(RuntimeError):
        region_confirm(round_=round_, sha=sha, by=UserFactory())

    assert stages() == [Stage.CROSS_CHECK] * 3
    assert RegionReview.objects.get().status == RegionReview.Status.SIGNED_OFF


def test_a_region_moved_together_is_refused_whole_if_one_pct_changed_meanwhile(region):
    from assessments.exceptions import ConflictError
    from assessments.services import assessments_advance

    _round, _sha, assessments = region
    Assessment.objects.filter(pk=assessments[1].pk).update(version=9)

    with pytest.raises(ConflictError, match=r"PCT 1 .* was changed by someone else"):
        assessments_advance(assessments=assessments, to_stage=Stage.CROSS_CHECK, by=None)

    assert stages() == [Stage.MODERATION] * 3
    assert not StageChange.objects.exists()


def test_a_send_back_tells_the_regions_active_staff_with_an_address_only(
    region, django_capture_on_commit_callbacks, mailoutbox
):
    """The last read: the send-back e-mailed every staff account of the region, deactivated
    ones too, where the other notices to a region's staff (a PCT moved) skip them; both now
    read ``sha_staff_to_tell``."""
    from assessments.models import Role
    from tests.factories import RoleFactory

    round_, sha, _assessments = region
    for email, active in (("on@x.org", True), ("gone@x.org", False), ("", True)):
        RoleFactory(
            kind=Role.Kind.SHA_STAFF, sha=sha, user=UserFactory(email=email, is_active=active)
        )
    region_sign_off(round_=round_, sha=sha, by=UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        region_send_back(round_=round_, sha=sha, by=UserFactory(), comment="C5 looks generous.")

    assert [m.to for m in mailoutbox] == [["on@x.org"]]
