"""Regional moderation: each flag on constructed data, sign-off, adjustments and access."""

import pandas as pd
import pytest
from django.core.exceptions import ValidationError

from assessments.exceptions import TransitionError
from assessments.models import (
    AgreedRating,
    Assessment,
    ModerationAdjustment,
    RatingChange,
    RegionReview,
    Role,
    Stage,
)
from assessments.regions import region_sign_off
from reports.moderation import (
    identical_panel_flags,
    panel_median_flags,
    red_all_three_flags,
    region_mean_flags,
    self_assessment_gap_flags,
)
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

# --- Flags, on constructed tables ----------------------------------------------------------


def england(region_levels: list[int], others: list[int]) -> tuple[pd.DataFrame, pd.Series]:
    levels = pd.DataFrame({"c1": region_levels + others})
    return levels, pd.Series([True] * len(region_levels) + [False] * len(others))


def test_region_mean_flag_raised_when_the_z_score_reaches_two():
    levels, region = england([3, 3, 3, 3], [2] * 20 + [1] * 4 + [3] * 4)

    flags = region_mean_flags(levels, region)

    assert [(f.rule, f.subject) for f in flags] == [("region-mean", "Competency 1")]
    assert "z = +" in flags[0].detail


def test_region_mean_flag_not_raised_for_a_region_like_england():
    levels, region = england([2, 2, 3, 1], [2] * 20 + [1] * 4 + [3] * 4)

    assert region_mean_flags(levels, region) == []


def test_panel_median_flag_when_agreed_is_two_from_the_members_median():
    agreed = pd.DataFrame(
        {"ods_code": ["A", "B"], "pct": ["Alpha", "Beta"], "item": ["c1", "c1"], "level": [4, 2]}
    )
    members = pd.DataFrame(
        {
            "ods_code": ["A"] * 5 + ["B"] * 5,
            "item": ["c1"] * 10,
            "level": [2, 2, 2, 1, 3, 2, 3, 2, 2, 1],
        }
    )

    flags = panel_median_flags(agreed, members)

    assert [(f.subject, f.detail) for f in flags] == [("Alpha", "c1: agreed 4, members' median 2")]


def test_identical_panel_flag_only_when_every_item_agrees():
    members = pd.DataFrame(
        {
            "ods_code": ["A"] * 6 + ["B"] * 6,
            "seat": [1, 2, 3, 1, 2, 3] * 2,
            "item": ["c1", "c1", "c1", "strategy", "strategy", "strategy"] * 2,
            "value": [2, 2, 2, "amber", "amber", "amber", 2, 2, 3, "amber", "amber", "amber"],
        }
    )

    flags = identical_panel_flags(members, {"A": "Alpha", "B": "Beta"})

    assert [f.subject for f in flags] == ["Alpha"]


def test_self_assessment_gap_flag_for_the_unusual_pct_of_the_region_only():
    gaps = pd.Series({"A": -0.5, "B": -0.4, "C": -0.6, "D": -0.5, "E": -0.45, "F": 1.5, "G": 1.6})

    flags = self_assessment_gap_flags(gaps, {"A", "F"}, {"A": "Alpha", "F": "Phi"})

    assert [f.subject for f in flags] == []  # two outliers widen the spread: nothing beyond 2 sd
    gaps = pd.Series({**{c: -0.5 for c in "ABCDEFGHIJ"}, "K": 1.5})
    assert [f.subject for f in self_assessment_gap_flags(gaps, {"A", "K"}, {"K": "Kappa"})] == [
        "Kappa"
    ]


def test_red_all_three_flag():
    frame = pd.DataFrame(
        {
            "pct": ["Alpha", "Beta"],
            "strategy": ["red", "red"],
            "finance": ["red", "amber"],
            "board": ["red", "red"],
        }
    )

    assert [f.subject for f in red_all_three_flags(frame)] == ["Alpha"]


# --- Sign-off ----------------------------------------------------------------------------------


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


def test_sign_off_refused_while_a_pct_is_before_moderation(region):
    round_, sha, assessments = region
    Assessment.objects.filter(pk=assessments[1].pk).update(stage=Stage.SCORING)

    with pytest.raises(ValidationError) as excinfo:
        region_sign_off(round_=round_, sha=sha, by=UserFactory())

    assert excinfo.value.messages == [
        "North East cannot be signed off while these PCTs are before regional moderation:",
        "PCT 1 (Scoring)",
    ]
    assert set(Assessment.objects.values_list("stage", flat=True)) == {
        Stage.MODERATION,
        Stage.SCORING,
    }


def test_sign_off_moves_the_region_to_cross_check_once(region):
    round_, sha, _assessments = region
    user = UserFactory()

    review = region_sign_off(round_=round_, sha=sha, by=user)

    assert review.status == RegionReview.Status.SIGNED_OFF
    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.CROSS_CHECK}
    with pytest.raises(TransitionError):
        region_sign_off(round_=round_, sha=sha, by=user)


# --- The page and its forms ----------------------------------------------------------------


def url(round_, sha, tail=""):
    return f"/reports/moderation/{round_.slug}/{sha.ods_code.lower()}/{tail}"


def test_page_for_staff_of_the_region_and_404_for_other_staff_and_outsiders(client, region):
    round_, sha, _assessments = region
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user
    other = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=SHAFactory()).user
    board = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory(sha=sha)).user

    client.force_login(staff)
    page = client.get(url(round_, sha))
    responses = []
    for user in (other, board, UserFactory()):
        client.force_login(user)
        responses.append(
            (
                client.get(url(round_, sha)).status_code,
                client.post(url(round_, sha, "sign-off/")).status_code,
            )
        )

    assert page.status_code == 200
    assert [a.pct.name for a in page.context["data"].assessments] == ["PCT 0", "PCT 1", "PCT 2"]
    assert responses == [(404, 404)] * 3
    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.MODERATION}


def test_staff_adjust_a_rating_with_a_reason_and_the_panel_value_is_kept(client, region):
    round_, sha, assessments = region
    competency = CompetencyFactory(framework=round_.framework, number=1)
    rating = AgreedRatingFactory(assessment=assessments[0], competency=competency, level=3)
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user)

    client.post(
        url(round_, sha, f"adjust/{rating.pk}/"),
        {"value": "2", "reason": "In line with the region.", "version": "1"},
    )

    rating.refresh_from_db()
    assert (rating.level, rating.panel_level) == (2, 3)
    assert list(ModerationAdjustment.objects.values_list("old_value", "new_value", "reason")) == [
        ("3", "2", "In line with the region.")
    ]
    assert RatingChange.objects.get().source == "moderation"


def test_adjustment_without_a_reason_is_refused_with_a_message(client, region):
    round_, sha, assessments = region
    rating = AgreedRatingFactory(
        assessment=assessments[0],
        competency=CompetencyFactory(framework=round_.framework, number=1),
        level=3,
    )
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user)

    response = client.post(
        url(round_, sha, f"adjust/{rating.pk}/"),
        {"value": "2", "reason": " ", "version": "1"},
        follow=True,
    )

    assert next(str(m) for m in response.context["messages"]).endswith(
        "Give the reason for the change."
    )
    assert AgreedRating.objects.get(pk=rating.pk).level == 3


def test_staff_of_another_region_cannot_adjust(client, region):
    round_, sha, assessments = region
    rating = AgreedRatingFactory(
        assessment=assessments[0],
        competency=CompetencyFactory(framework=round_.framework, number=1),
        level=3,
    )
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=SHAFactory()).user)

    response = client.post(
        url(round_, sha, f"adjust/{rating.pk}/"), {"value": "2", "reason": "x", "version": "1"}
    )

    assert response.status_code == 404
    assert AgreedRating.objects.get(pk=rating.pk).level == 3


@pytest.mark.django_db
@pytest.mark.parametrize("pcts", [1, 3])
def test_page_query_count_does_not_grow(client, django_assert_num_queries, pcts):
    sha = SHAFactory()
    round_ = AssessmentRoundFactory(slug="2009-10")
    competency = CompetencyFactory(framework=round_.framework, number=1)
    for _n in range(pcts):
        AgreedRatingFactory(
            assessment=AssessmentFactory(
                round=round_, pct=PCTFactory(sha=sha), stage=Stage.MODERATION
            ),
            competency=competency,
        )
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user)

    with django_assert_num_queries(13):
        client.get(url(round_, sha))
