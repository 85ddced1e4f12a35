"""Regional moderation: each flag on constructed data (the pure rules, and the same rules
through ``moderation()`` on factory-made regions), the page, adjustments and sign-off."""

import re
from types import SimpleNamespace

import pandas as pd
import pytest
from django.db.models import F
from django.utils import timezone

from assessments.models import (
    AgreedRating,
    Assessment,
    ModerationAdjustment,
    RatingChange,
    RegionReview,
    RegionReviewChange,
    Role,
    SelfAssessment,
    Stage,
)
from panels.models import MemberScore, Seat
from reports.moderation import (
    identical_panel_flags,
    moderation,
    panel_median_flags,
    red_all_three_flags,
    region_mean_flags,
    self_assessment_gap_flags,
)
from reports.templatetags.moderation_grid import flag_mark_html
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    FactualAccuracyCommentFactory,
    PCTFactory,
    RegionReviewChangeFactory,
    RegionReviewFactory,
    RoleFactory,
    SelfAssessmentFactory,
    SelfAssessmentRatingFactory,
    SHAFactory,
    UserFactory,
)
from tests.factories.panels import MemberScoreFactory, PanelFactory, SeatFactory, SeatTypeFactory

# --- Builders -------------------------------------------------------------------------------


def add_pct(world, sha, *, levels=(2, 2, 2), lights=("amber",) * 3, name=None, stage=None):
    """A PCT of ``sha`` with an assessment at ``stage`` (moderation) and agreed ratings."""
    pct = PCTFactory(sha=sha, **({"name": name} if name else {}))
    assessment = AssessmentFactory(round=world.round, pct=pct, stage=stage or Stage.MODERATION)
    for competency, level in zip(world.competencies, levels, strict=True):
        AgreedRatingFactory(assessment=assessment, competency=competency, level=level)
    for area, light in zip(world.areas, lights, strict=True):
        AgreedRatingFactory(assessment=assessment, area=area, light=light)
    return assessment


def add_panel(world, assessment, members, *, excused=()):
    """Submitted members' scores: ``members`` is a list of (levels, lights); ``excused``
    members have an absence reason (and a draft that must not count)."""
    panel = PanelFactory(assessment=assessment)
    seats = []
    for number, (levels, lights) in enumerate([*members, *excused], start=1):
        is_excused = number > len(members)
        seat = SeatFactory(
            panel=panel,
            seat_type=SeatTypeFactory(number=number),
            submitted_at=None if is_excused else timezone.now(),
            absence_reason="Unwell on the panel day." if is_excused else "",
        )
        for competency, level in zip(world.competencies, levels, strict=True):
            MemberScoreFactory(seat=seat, competency=competency, level=level)
        for area, light in zip(world.areas, lights, strict=True):
            MemberScoreFactory(seat=seat, area=area, level=None, light=light)
        seats.append(seat)
    return seats


def add_self_assessment(world, assessment, levels):
    self_assessment = SelfAssessmentFactory(
        assessment=assessment, status="submitted", submitted_at=timezone.now()
    )
    for competency, level in zip(world.competencies, levels, strict=True):
        SelfAssessmentRatingFactory(
            self_assessment=self_assessment, competency=competency, level=level
        )


def flags_of(world, sha, rule):
    return [
        (f.subject, f.item) for f in moderation(round_=world.round, sha=sha).flags if f.rule == rule
    ]


# --- Flag 1: a regional mean far from England's (z-score) -------------------------------------


def test_region_mean_flag_raised_when_the_z_score_reaches_two(world):
    region, elsewhere = SHAFactory(), SHAFactory()
    for _n in range(3):
        add_pct(world, region, levels=(3, 2, 2))
    for level in [2] * 8 + [1, 3]:
        add_pct(world, elsewhere, levels=(level, 2, 2))

    flags = moderation(round_=world.round, sha=region).flags

    # England c1: 3,3,3 + eight 2s, 1, 3 → mean 2.23, sd 0.58; z = 0.77 / (0.58 / √3) = 2.3
    assert [(f.rule, f.subject, f.item) for f in flags] == [("region-mean", "Competency 1", "c1")]
    assert flags[0].detail.endswith("z = +2.3")


def test_region_mean_flag_not_raised_for_a_region_like_england(world):
    region, elsewhere = SHAFactory(), SHAFactory()
    for level in (2, 2, 3):
        add_pct(world, region, levels=(level, 2, 2))
    for level in [2] * 8 + [1, 3]:
        add_pct(world, elsewhere, levels=(level, 2, 2))

    assert flags_of(world, region, "region-mean") == []


def test_region_mean_rule_uses_the_z_score_not_the_raw_difference():
    # The same raw difference (+0.5) is flagged in a region of 16 PCTs, not in one of 2.
    # England: the region's PCTs and 40 others at 2, 1, 3, 2, … (z = 0.96 against 2.24).
    small = pd.DataFrame({"c1": [2.5, 2.5] + [2, 1, 3, 2] * 10})
    large = pd.DataFrame({"c1": [2.5] * 16 + [2, 1, 3, 2] * 10})

    flagged_small = region_mean_flags(small, pd.Series([True] * 2 + [False] * 40))
    flagged_large = region_mean_flags(large, pd.Series([True] * 16 + [False] * 40))

    assert ([f.subject for f in flagged_small], [f.subject for f in flagged_large]) == (
        [],
        ["Competency 1"],
    )


# --- Flag 2: an agreed level two from the members' median -------------------------------------


def test_panel_median_flag_raised_two_levels_from_the_members_median(world):
    sha = SHAFactory()
    assessment = add_pct(world, sha, name="Alpha", levels=(4, 2, 2))
    lights = ("amber",) * 3
    add_panel(world, assessment, [((level, 2, 2), lights) for level in (2, 2, 2, 1, 3)])

    flags = moderation(round_=world.round, sha=sha).flags

    assert [(f.rule, f.subject, f.item, f.detail) for f in flags] == [
        ("panel-median", "Alpha", "c1", "c1: agreed 4, members' median 2")
    ]


def test_panel_median_flag_not_raised_one_level_from_the_median(world):
    sha = SHAFactory()
    assessment = add_pct(world, sha, name="Alpha", levels=(3, 2, 2))
    add_panel(world, assessment, [((level, 2, 2), ("amber",) * 3) for level in (2, 2, 2, 1, 3)])

    assert flags_of(world, sha, "panel-median") == []


def test_panel_median_flag_on_a_plain_table():
    agreed = pd.DataFrame(
        {"ods_code": ["A", "B"], "pct": ["Alpha", "Beta"], "item": ["c1", "c1"], "level": [4, 2]}
    )
    members = pd.DataFrame(
        {"ods_code": ["A"] * 5 + ["B"] * 5, "item": ["c1"] * 10, "level": [2, 2, 2, 1, 3] * 2}
    )

    assert [f.subject for f in panel_median_flags(agreed, members)] == ["Alpha"]


# --- Flag 3: every member gave identical scores -------------------------------------------------


def test_identical_panel_flag_raised_when_all_five_members_agree_on_every_item(world):
    sha = SHAFactory()
    assessment = add_pct(world, sha, name="Alpha")
    add_panel(world, assessment, [((2, 3, 1), ("green", "amber", "red"))] * 5)

    flags = moderation(round_=world.round, sha=sha).flags

    assert [(f.rule, f.subject, f.detail) for f in flags] == [
        ("identical-panel", "Alpha", "all 5 members gave the same value on each of 6 items")
    ]


def test_identical_panel_flag_not_raised_when_one_member_differs_on_one_light(world):
    sha = SHAFactory()
    assessment = add_pct(world, sha, name="Alpha")
    same = ((2, 3, 1), ("green", "amber", "red"))
    add_panel(world, assessment, [same] * 4 + [((2, 3, 1), ("green", "amber", "amber"))])

    assert flags_of(world, sha, "identical-panel") == []


def test_identical_panel_flag_ignores_an_excused_member(world):
    sha = SHAFactory()
    assessment = add_pct(world, sha, name="Alpha")
    same = ((2, 3, 1), ("green", "amber", "red"))
    add_panel(world, assessment, [same] * 4, excused=[((4, 4, 4), ("red",) * 3)])

    assert flags_of(world, sha, "identical-panel") == [("Alpha", "")]


def test_identical_panel_flag_needs_every_member_to_score_every_item():
    members = pd.DataFrame(
        {
            "ods_code": ["A"] * 5,
            "seat": [1, 2, 3, 1, 2],  # seat 3 gave no light
            "item": ["c1", "c1", "c1", "strategy", "strategy"],
            "value": [2, 2, 2, "amber", "amber"],
        }
    )

    assert identical_panel_flags(members, {"A": "Alpha"}) == []


# --- Flag 4: far from the self-assessment, against the national gap -----------------------


def test_self_assessment_gap_flag_raised_beyond_two_sd_of_the_national_gap(world):
    region, elsewhere = SHAFactory(), SHAFactory()
    outlier = add_pct(world, region, name="Alpha", levels=(3, 3, 3))
    add_self_assessment(world, outlier, (2, 2, 2))  # gap +1
    for n in range(8):
        usual = add_pct(world, elsewhere, levels=(2, 2, 2))
        add_self_assessment(world, usual, (3, 2, 2) if n % 2 else (3, 3, 2))  # gap -1/3, -2/3

    flags = moderation(round_=world.round, sha=region).flags

    # National gaps: mean -0.33, sd 0.50; Alpha's +1.00 is 2.7 sd away.
    assert [(f.rule, f.subject, f.detail) for f in flags] == [
        (
            "self-assessment-gap",
            "Alpha",
            "mean gap +1.00 levels against a national mean of -0.33 (sd 0.50): +2.7 sd",
        )
    ]


def test_self_assessment_gap_flag_not_raised_for_the_usual_gap(world):
    region, elsewhere = SHAFactory(), SHAFactory()
    usual_here = add_pct(world, region, name="Alpha", levels=(2, 2, 2))
    add_self_assessment(world, usual_here, (3, 2, 2))
    for n in range(8):
        usual = add_pct(world, elsewhere, levels=(2, 2, 2))
        add_self_assessment(world, usual, (3, 2, 2) if n % 2 else (3, 3, 2))

    assert flags_of(world, region, "self-assessment-gap") == []


def test_self_assessment_gap_flag_only_for_the_region_on_a_plain_series():
    gaps = pd.Series({**{c: -0.5 for c in "ABCDEFGHIJ"}, "K": 1.5})

    assert [f.subject for f in self_assessment_gap_flags(gaps, {"A", "K"}, {"K": "Kappa"})] == [
        "Kappa"
    ]
    assert self_assessment_gap_flags(gaps, {"A"}, {}) == []


# --- Flag 5: red on all three ------------------------------------------------------------------


def test_red_all_three_flag_raised(world):
    sha = SHAFactory()
    add_pct(world, sha, name="Alpha", lights=("red", "red", "red"))

    assert flags_of(world, sha, "red-all-three") == [("Alpha", "")]


def test_red_all_three_flag_not_raised_with_one_amber(world):
    sha = SHAFactory()
    add_pct(world, sha, name="Alpha", lights=("red", "red", "amber"))

    assert flags_of(world, sha, "red-all-three") == []


def test_red_all_three_flag_on_a_plain_table():
    frame = pd.DataFrame(
        {
            "ods_code": ["A", "B"],
            "pct": ["Alpha", "Beta"],
            "strategy": ["red", "red"],
            "finance": ["red", "amber"],
            "board": ["red", "red"],
        }
    )

    assert [f.subject for f in red_all_three_flags(frame)] == ["Alpha"]


# --- Statistics -------------------------------------------------------------------------------


def test_statistics_put_the_region_beside_england(world):
    region, elsewhere = SHAFactory(), SHAFactory()
    for level in (1, 3):
        add_pct(world, region, levels=(level, 2, 2), lights=("green", "amber", "red"))
    for level in (2, 2, 4):
        add_pct(world, elsewhere, levels=(level, 2, 2), lights=("red", "amber", "red"))

    data = moderation(round_=world.round, sha=region)

    c1, strategy = data.competency_stats[0], data.area_stats[0]
    assert (c1.label, c1.region["counts"], c1.region["mean"], c1.region["median"]) == (
        "1. Competency 1",
        {1: 1, 2: 0, 3: 1, 4: 0},
        2.0,
        2.0,
    )
    assert (c1.england["n"], c1.england["counts"], c1.england["mean"], c1.england["iqr"]) == (
        5,
        {1: 1, 2: 2, 3: 1, 4: 1},
        2.4,
        1.0,
    )
    assert (strategy.label, strategy.region["counts"], strategy.england["counts"]) == (
        "Strategy",
        {"green": 2, "amber": 0, "red": 0},
        {"green": 2, "amber": 0, "red": 3},
    )


# --- The page ------------------------------------------------------------------------------------


def url(round_, sha, tail=""):
    return f"/reports/moderation/{round_.slug}/{sha.ods_code.lower()}/{tail}"


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


@pytest.fixture
def region(world):
    sha = SHAFactory(name="North East")
    assessments = [add_pct(world, sha, name=f"PCT {n}") for n in range(3)]
    return SimpleNamespace(round=world.round, sha=sha, assessments=assessments, world=world)


def outsiders(sha):
    """Staff of another SHA, the board of one of the region's PCTs, a user with no role."""
    return [
        staff_of(SHAFactory()),
        RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory(sha=sha)).user,
        UserFactory(),
    ]


def test_page_shows_the_region_to_its_staff(client, region):
    client.force_login(staff_of(region.sha))

    response = client.get(url(region.round, region.sha))

    page = response.content.decode()
    assert [pct.name for pct in response.context["data"].pcts] == [
        "PCT 0",
        "PCT 1",
        "PCT 2",
    ]
    assert [row.assessment.pct.name for row in response.context["rows"]] == [
        "PCT 0",
        "PCT 1",
        "PCT 2",
    ]
    assert page.count('class="mod-adjust"') == 3 * 6
    assert "How flags are raised" in page
    assert "z-score of 2 or more" in page
    assert "Sign off North East" in page


def test_page_is_404_for_other_staff_boards_and_outsiders(client, region):
    statuses = []
    for user in outsiders(region.sha):
        client.force_login(user)
        statuses.append(client.get(url(region.round, region.sha)).status_code)

    assert statuses == [404, 404, 404]


def test_page_lets_the_national_team_view_without_forms(client, region):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.get(url(region.round, region.sha))

    page = response.content.decode()
    assert (response.status_code, page.count('class="mod-adjust"'), "Sign off North" in page) == (
        200,
        0,
        False,
    )


def test_page_is_404_for_an_unknown_round_or_sha(client, region):
    client.force_login(staff_of(region.sha))

    assert [
        client.get(f"/reports/moderation/1999-00/{region.sha.ods_code}/").status_code,
        client.get(f"/reports/moderation/{region.round.slug}/ZZZ/").status_code,
    ] == [404, 404]


def test_page_shows_the_national_teams_comment_when_sent_back(client, region):
    RegionReviewFactory(
        round=region.round,
        sha=region.sha,
        status=RegionReview.Status.SENT_BACK,
        national_comment="Competency 6 looks generous in three PCTs.",
    )
    client.force_login(staff_of(region.sha))

    page = client.get(url(region.round, region.sha)).content.decode()

    assert 'data-test="sent-back"' in page
    assert "Competency 6 looks generous in three PCTs." in page
    assert "Sign off North East" in page


def test_a_confirmed_region_does_not_show_its_send_back_comment_as_the_confirmations(
    client, region
):
    """Walk N: "Confirmed by the national team ... Comment: <the send-back's comment>" read
    as if the confirmation had said it."""
    RegionReviewFactory(
        round=region.round,
        sha=region.sha,
        status=RegionReview.Status.CONFIRMED,
        national_comment="Competency 6 looks generous in three PCTs.",
    )
    client.force_login(staff_of(region.sha))

    page = client.get(url(region.round, region.sha)).content.decode()
    banner = page.split('data-test="confirmed"')[1].split("</div>")[0]

    assert "Comment:" not in banner
    assert "It had been sent back before, with the comment: Competency 6 looks generous" in banner


def test_page_lists_earlier_decisions_on_the_region(client, region):
    review = RegionReviewFactory(
        round=region.round, sha=region.sha, status=RegionReview.Status.SIGNED_OFF
    )
    national = UserFactory(username="nat", first_name="Nia", last_name="National")
    RegionReviewChangeFactory(review=review, decision=RegionReviewChange.Decision.SIGNED_OFF)
    RegionReviewChangeFactory(
        review=review,
        decision=RegionReviewChange.Decision.SENT_BACK,
        decided_by=national,
        comment="Competency 6 looks generous.",
    )
    RegionReviewChangeFactory(review=review, decision=RegionReviewChange.Decision.SIGNED_OFF)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.get(url(region.round, region.sha))

    decisions = list(response.context["review"].changes.all())
    assert [(c.decision, c.comment) for c in decisions] == [
        (RegionReviewChange.Decision.SIGNED_OFF, ""),
        (RegionReviewChange.Decision.SENT_BACK, "Competency 6 looks generous."),
        (RegionReviewChange.Decision.SIGNED_OFF, ""),
    ]
    page = response.content.decode()
    assert page.count('data-test="decision"') == 3
    assert '<th scope="row">Sent back</th>' in page
    assert "Nia National" in page


def test_page_lists_the_pcts_that_hold_up_sign_off(client, region):
    Assessment.objects.filter(pk=region.assessments[1].pk).update(stage=Stage.SCORING)
    client.force_login(staff_of(region.sha))

    response = client.get(url(region.round, region.sha))

    assert [pct.name for pct in response.context["data"].before_moderation] == ["PCT 1"]
    assert "<li>PCT 1 (Scoring)</li>" in response.content.decode()


@pytest.mark.parametrize(("shas", "pcts"), [(1, 1), (1, 3), (3, 1), (3, 3)])
def test_page_query_count_does_not_grow_with_pcts_or_shas(
    client, django_assert_num_queries, world, shas, pcts
):
    regions = [SHAFactory() for _n in range(shas)]
    for sha in regions:
        for _n in range(pcts):
            assessment = add_pct(world, sha)
            add_panel(world, assessment, [((2, 2, 3), ("amber", "green", "red"))] * 2)
            add_self_assessment(world, assessment, (3, 2, 2))
    RegionReviewFactory(round=world.round, sha=regions[0])
    client.force_login(staff_of(regions[0]))

    with django_assert_num_queries(20):  # 18 + the review's decisions + unanswered comments
        response = client.get(url(world.round, regions[0]))

    assert len(response.context["rows"]) == pcts


@pytest.mark.parametrize("decisions", [1, 3])
def test_page_query_count_does_not_grow_with_decisions(
    client, django_assert_num_queries, region, decisions
):
    review = RegionReviewFactory(round=region.round, sha=region.sha)
    for _n in range(decisions):
        RegionReviewChangeFactory(review=review)
    client.force_login(staff_of(region.sha))

    with django_assert_num_queries(20):  # 18 + the review's decisions + unanswered comments
        response = client.get(url(region.round, region.sha))

    assert len(response.context["review"].changes.all()) == decisions


# --- Adjusting a rating --------------------------------------------------------------------------


def c1_rating(assessment):
    return AgreedRating.objects.get(assessment=assessment, competency__number=1)


def test_staff_adjust_a_rating_with_a_reason_and_both_values_show(client, region):
    rating = c1_rating(region.assessments[0])  # level 2
    staff = staff_of(region.sha)
    client.force_login(staff)

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "3", "reason": "Evidence of clinical leadership.", "version": "1"},
        follow=True,
    )

    rating.refresh_from_db()
    assert (rating.level, rating.panel_level, rating.version) == (3, 2, 2)
    assert list(
        ModerationAdjustment.objects.values_list(
            "old_value", "new_value", "reason", "stage", "adjusted_by"
        )
    ) == [("2", "3", "Evidence of clinical leadership.", Stage.MODERATION, staff.pk)]
    assert list(
        RatingChange.objects.values_list("source", "old_value", "new_value", "note", "changed_by")
    ) == [("moderation", "2", "3", "Evidence of clinical leadership.", staff.pk)]
    assert [str(m) for m in response.context["messages"]] == [
        "PCT 0, 1. Competency 1: now 3 (the panel's 2 is kept)."
    ]
    page = response.content.decode()
    assert '<span class="wcc-level">3</span> <span class="mod-panel">(panel: 2)</span>' in page


def test_adjustment_without_a_reason_is_refused_with_a_message(client, region):
    rating = c1_rating(region.assessments[0])
    client.force_login(staff_of(region.sha))

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "3", "reason": "  ", "version": "1"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "PCT 0, 1. Competency 1: not changed. Give the reason for the change."
    ]
    assert (c1_rating(region.assessments[0]).level, ModerationAdjustment.objects.count()) == (2, 0)
    # the GOV.UK error summary, linked to the rating's reason (the moderation walk found a
    # plain alert that neither took focus nor linked anywhere)
    page = response.content.decode()
    assert "<title>Error: " in page
    assert (
        f'<a href="#r{rating.pk}">PCT 0, 1. Competency 1: not changed. Give the reason for the '
        "change.</a>" in page
    )
    assert page.count("Give the reason for the change.") == 2  # the summary, beside the cell
    assert f'id="r{rating.pk}" name="reason" value="  " aria-invalid="true"' in page


def test_adjustment_on_a_stale_version_says_what_the_value_is_now(client, region):
    rating = c1_rating(region.assessments[0])
    client.force_login(staff_of(region.sha))
    first = {"value": "3", "reason": "First look.", "version": "1"}
    client.post(url(region.round, region.sha, f"adjust/{rating.pk}/"), first, follow=True)

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "1", "reason": "Second look, on an old page.", "version": "1"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "PCT 0, 1. Competency 1: not changed. Someone else changed it since you opened the "
        "page (it is now 3). Your choice and reason are kept: save again to replace it."
    ]
    assert c1_rating(region.assessments[0]).level == 3


def test_adjustment_refused_once_the_assessment_has_left_moderation(client, region):
    Assessment.objects.filter(pk=region.assessments[0].pk).update(stage=Stage.CROSS_CHECK)
    rating = c1_rating(region.assessments[0])
    client.force_login(staff_of(region.sha))

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "3", "reason": "Too late.", "version": "1"},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        "PCT 0, 1. Competency 1: not changed. Regional moderation changes a rating only while "
        "its assessment is at regional moderation; this one is at National cross-check."
    ]
    assert c1_rating(region.assessments[0]).level == 2


def test_adjust_is_404_for_other_staff_boards_and_outsiders_and_403_for_national(client, region):
    rating = c1_rating(region.assessments[0])
    data = {"value": "3", "reason": "x", "version": "1"}
    statuses = []
    for user in [*outsiders(region.sha), RoleFactory(kind=Role.Kind.NATIONAL).user]:
        client.force_login(user)
        statuses.append(
            client.post(url(region.round, region.sha, f"adjust/{rating.pk}/"), data).status_code
        )

    assert statuses == [404, 404, 404, 403]
    assert c1_rating(region.assessments[0]).level == 2


def test_adjust_is_404_for_a_rating_of_another_region(client, region):
    other = add_pct(region.world, SHAFactory())
    client.force_login(staff_of(region.sha))

    response = client.post(
        url(region.round, region.sha, f"adjust/{c1_rating(other).pk}/"),
        {"value": "3", "reason": "x", "version": "1"},
    )

    assert (response.status_code, c1_rating(other).level) == (404, 2)


# --- Signing off -------------------------------------------------------------------------------


def test_sign_off_moves_the_region_to_cross_check_and_the_page_says_so(client, region):
    client.force_login(staff_of(region.sha))

    response = client.post(
        url(region.round, region.sha, "sign-off/"), {"confirm": "1"}, follow=True
    )

    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.CROSS_CHECK}
    assert RegionReview.objects.get().status == RegionReview.Status.SIGNED_OFF
    assert [str(m) for m in response.context["messages"]] == [
        "North East signed off: its assessments have gone to the national cross-check. "
        "Nobody was e-mailed; the national team sees it on the cross-check page."
    ]
    page = response.content.decode()
    assert 'data-test="signed-off"' in page
    assert (page.count('class="mod-adjust"'), "Sign off North East" in page) == (0, False)


def test_sign_off_first_shows_what_will_happen_and_changes_nothing(client, region):
    client.force_login(staff_of(region.sha))

    response = client.post(url(region.round, region.sha, "sign-off/"))

    assert response.templates[0].name == "confirm.html"
    assert response.context["happens"][0] == (
        "The 3 assessments of North East at regional moderation go to the national cross-check."
    )
    assert response.context["button"] == "Confirm and sign off North East"
    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.MODERATION}
    assert RegionReview.objects.count() == 0


def test_sign_off_refused_with_the_list_of_pcts_still_behind(client, region):
    Assessment.objects.filter(pk=region.assessments[1].pk).update(stage=Stage.CONSENSUS)
    client.force_login(staff_of(region.sha))

    response = client.post(url(region.round, region.sha, "sign-off/"), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "North East cannot be signed off while these PCTs are before regional moderation: "
        "PCT 1 (Panel consensus)"
    ]
    assert sorted(Assessment.objects.values_list("stage", flat=True)) == [
        Stage.CONSENSUS,
        Stage.MODERATION,
        Stage.MODERATION,
    ]


def test_sign_off_is_404_for_other_staff_boards_and_outsiders_and_403_for_national(client, region):
    statuses = []
    for user in [*outsiders(region.sha), RoleFactory(kind=Role.Kind.NATIONAL).user]:
        client.force_login(user)
        statuses.append(
            client.post(url(region.round, region.sha, "sign-off/"), {"confirm": "1"}).status_code
        )

    assert statuses == [404, 404, 404, 403]
    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.MODERATION}
    assert RegionReview.objects.count() == 0


# --- The live progress grid -----------------------------------------------------------------------


def test_progress_json_gives_each_pcts_stage_to_staff_and_national(client, region):
    Assessment.objects.filter(pk=region.assessments[0].pk).update(stage=Stage.CROSS_CHECK)
    expected = {
        "round": region.round.slug,
        "sha": region.sha.ods_code,
        "assessments": [
            {"ods_code": a.pct.ods_code, "stage": Stage.CROSS_CHECK if n == 0 else a.stage}
            for n, a in enumerate(region.assessments)
        ],
    }
    for user in (staff_of(region.sha), RoleFactory(kind=Role.Kind.NATIONAL).user):
        client.force_login(user)
        assert client.get(url(region.round, region.sha, "progress.json")).json() == expected


def test_progress_json_is_404_outside_the_region(client, region):
    statuses = []
    for user in outsiders(region.sha):
        client.force_login(user)
        statuses.append(client.get(url(region.round, region.sha, "progress.json")).status_code)

    assert statuses == [404, 404, 404]


def test_page_wires_the_grid_to_its_progress_url(client, region):
    client.force_login(staff_of(region.sha))

    page = client.get(url(region.round, region.sha)).content.decode()

    progress = f"/reports/moderation/{region.round.slug}/{region.sha.ods_code}/progress.json"
    assert f'data-progress-url="{progress}"' in page
    assert "reports/progress-grid.js" in page


def test_page_offers_the_vocabulary_with_each_current_value_chosen(client, region):
    """Each cell names its rating's kind of value and the value now stored; the page's
    script builds the form from the page's one form and the options of that kind."""
    client.force_login(staff_of(region.sha))

    page = client.get(url(region.round, region.sha)).content.decode()

    boxes = re.findall(
        r'<details class="mod-adjust" data-rating="(\d+)" data-version="1"'
        r' data-kind="(level|light)" data-value="([^"]*)">',
        page,
    )
    templates = dict(re.findall(r'<template id="mod-adjust-(level|light)">(.*?)</template>', page))
    options = {
        kind: re.findall(r'<option value="([^"]*)">([^<]*)</option>', html)
        for kind, html in templates.items()
    }
    stored = AgreedRating.objects.filter(
        assessment__in=region.assessments, sub_indicator__isnull=True
    )
    assert sorted(boxes) == sorted(
        (str(r.pk), "level", str(r.level)) if r.competency_id else (str(r.pk), "light", r.light)
        for r in stored
    )
    assert len(boxes) == 3 * 6
    assert options == {
        "level": [("1", "Level 1"), ("2", "Level 2"), ("3", "Level 3"), ("4", "Level 4")],
        "light": [("green", "Green"), ("amber", "Amber"), ("red", "Red")],
    }
    assert page.count('<select class="form-select form-select-sm mb-1" name="value">') == 1


# --- Links, unanswered comments, adjusting in place ---------------------------------------------


def test_page_links_each_pct_to_its_page_and_its_panels_consensus(client, region):
    client.force_login(staff_of(region.sha))

    page = client.get(url(region.round, region.sha)).content.decode()

    ods = region.assessments[0].pct.ods_code
    assert (
        f'<a href="/reports/pct/{ods}/2009-10/" data-test="pct-link">PCT 0</a>' in page,
        f'<a class="small" href="/panels/2009-10/{ods}/consensus/" data-test="consensus-link">'
        in page,
        page.count('data-test="pct-link"'),
    ) == (True, True, 3)


def test_page_lists_the_regions_unanswered_comments_with_links(client, region):
    first, second = region.assessments[0], region.assessments[1]
    Assessment.objects.filter(pk__in=[first.pk, second.pk]).update(stage=Stage.FACTUAL_ACCURACY)
    on_item = FactualAccuracyCommentFactory(assessment=first, rating=c1_rating(first))
    whole = FactualAccuracyCommentFactory(assessment=second)
    FactualAccuracyCommentFactory(assessment=second, response="Answered.")  # not listed
    FactualAccuracyCommentFactory(assessment=add_pct(region.world, SHAFactory()))  # elsewhere
    client.force_login(staff_of(region.sha))

    response = client.get(url(region.round, region.sha))

    assert response.context["unanswered"] == [on_item, whole]
    page = response.content.decode()
    assert "2 factual-accuracy comments to answer" in page
    assert (
        f'<a href="/reports/pct/{first.pct.ods_code}/2009-10/#comment-{on_item.pk}">'
        "PCT 0: 1. Competency 1</a>" in page
    )
    assert (
        f'<a href="/reports/pct/{second.pct.ods_code}/2009-10/#comment-{whole.pk}">'
        "PCT 1: the draft as a whole</a>" in page
    )


def test_page_has_no_comment_notice_when_all_are_answered(client, region):
    FactualAccuracyCommentFactory(assessment=region.assessments[0], response="Answered.")
    client.force_login(staff_of(region.sha))

    page = client.get(url(region.round, region.sha)).content.decode()

    assert 'data-test="unanswered"' not in page


@pytest.mark.parametrize("comments", [1, 3])
def test_page_query_count_does_not_grow_with_comments(
    client, django_assert_num_queries, region, comments
):
    for assessment in region.assessments[:comments]:
        FactualAccuracyCommentFactory(assessment=assessment, rating=c1_rating(assessment))
    client.force_login(staff_of(region.sha))

    with django_assert_num_queries(19):  # no review yet, so no decisions to prefetch
        response = client.get(url(region.round, region.sha))

    assert len(response.context["unanswered"]) == comments


def test_adjust_in_place_answers_the_changed_cell_and_saves_with_history(client, region):
    rating = c1_rating(region.assessments[0])  # level 2
    staff = staff_of(region.sha)
    client.force_login(staff)

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/") + "?inplace=1",
        {"value": "3", "reason": "Evidence of clinical leadership.", "version": "1"},
        headers={"accept": "application/json"},
    )

    assert (response.status_code, response["Content-Type"]) == (200, "application/json")
    data = client.get(url(region.round, region.sha)).context["data"]
    assert data.counts["adjusted"] == 1  # the page's counts above the grid, updated in place
    # the cell's flags as the page now shows them (the SHA walk: they stayed as before)
    ods = region.assessments[0].pct.ods_code
    cell_flags = [f for f in data.flags if f.ods_code == ods and f.item == "c1"]
    assert response.json() == {
        "ok": True,
        "message": "PCT 0, 1. Competency 1: now 3 (the panel's 2 is kept).",
        "counts": {**data.counts, "flags": len(data.flags)},
        "rating": {
            "id": rating.pk,
            "version": 2,
            "value": 3,
            "panel_value": 2,
            "moderated": True,
            "html": '<span class="wcc-level">3</span> <span class="mod-panel">(panel: 2)</span>',
            "flags_html": flag_mark_html(cell_flags) if cell_flags else "",
        },
    }
    rating.refresh_from_db()
    assert (rating.level, rating.panel_level, rating.version) == (3, 2, 2)
    assert list(
        RatingChange.objects.values_list("source", "old_value", "new_value", "note", "changed_by")
    ) == [("moderation", "2", "3", "Evidence of clinical leadership.", staff.pk)]
    # Nothing is left for the next page load: the message was shown in place.
    assert list(client.get(url(region.round, region.sha)).context["messages"]) == []


def test_adjust_in_place_refuses_a_change_sent_for_someone_else(client, region):
    """The two-tabs walk: with a colleague signed in in another tab of the same browser, the
    page's script sent the browser's current token and the change was recorded under the
    colleague's name. The script sends whom the page was served to."""
    rating = c1_rating(region.assessments[0])  # level 2
    first, colleague = staff_of(region.sha), staff_of(region.sha)
    colleague.first_name, colleague.last_name = "Cora", "Colleague"
    colleague.save()
    client.force_login(colleague)  # signed in last, in another tab

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/") + "?inplace=1",
        {"value": "3", "reason": "Typed in tab A.", "version": "1", "signed_in_as": first.pk},
        headers={"accept": "application/json"},
    )

    assert response.status_code == 409
    assert response.json()["message"] == (
        "PCT 0, 1. Competency 1: not changed. This browser is now signed in as Cora Colleague "
        "(someone signed in in another tab): the change would be recorded under that name. "
        "Your choice and reason are kept: sign in again as yourself in another tab and save "
        "again, or reload the page to work as Cora Colleague."
    )
    rating.refresh_from_db()
    assert rating.level == 2
    assert not RatingChange.objects.exists()
    page = client.get(url(region.round, region.sha)).content.decode()
    assert f'data-signed-in-as="{colleague.pk}"' in page


def test_setting_a_rating_back_to_the_panels_value_says_so(client, region):
    """The SHA walk read "now 2 (the panel's 2 is kept)"."""
    rating = c1_rating(region.assessments[0])  # level 2
    client.force_login(staff_of(region.sha))
    adjust_url = url(region.round, region.sha, f"adjust/{rating.pk}/")
    client.post(adjust_url, {"value": "3", "reason": "First look.", "version": "1"})

    back = client.post(
        adjust_url,
        {"value": "2", "reason": "On reflection.", "version": "2"},
        headers={"accept": "application/json"},
    )

    assert back.json()["message"] == "PCT 0, 1. Competency 1: back to the panel's 2."


def test_adjust_in_place_refuses_a_stale_version_with_the_current_value(client, region):
    rating = c1_rating(region.assessments[0])
    client.force_login(staff_of(region.sha))
    adjust_url = url(region.round, region.sha, f"adjust/{rating.pk}/")
    client.post(adjust_url, {"value": "3", "reason": "First look.", "version": "1"})

    response = client.post(
        adjust_url,
        {"value": "1", "reason": "Second look, on an old page.", "version": "1"},
        headers={"accept": "application/json"},
    )

    data = response.json()
    assert (response.status_code, data["ok"], data["message"]) == (
        409,
        False,
        "PCT 0, 1. Competency 1: not changed. Someone else changed it since you opened the "
        "page (it is now 3). Your choice and reason are kept: save again to replace it.",
    )
    assert (data["rating"]["value"], data["rating"]["version"]) == (3, 2)
    assert (c1_rating(region.assessments[0]).level, RatingChange.objects.count()) == (3, 1)


def test_adjust_in_place_refuses_a_missing_reason(client, region):
    rating = c1_rating(region.assessments[0])
    client.force_login(staff_of(region.sha))

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/") + "?inplace=1",
        {"value": "3", "reason": "", "version": "1"},
    )

    assert (response.status_code, response.json()["ok"], response.json()["message"]) == (
        422,
        False,
        "PCT 0, 1. Competency 1: not changed. Give the reason for the change.",
    )
    assert c1_rating(region.assessments[0]).level == 2


def test_adjust_without_script_comes_back_at_the_rating_with_the_message_beside_it(client, region):
    rating = c1_rating(region.assessments[0])
    client.force_login(staff_of(region.sha))

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "3", "reason": "Evidence.", "version": "1"},
    )
    assert response["Location"] == (
        f"/reports/moderation/2009-10/{region.sha.ods_code}/?page=1&adjusted={rating.pk}"
        f"#rating-{rating.pk}"
    )
    page = client.get(response["Location"]).content.decode()

    message = "PCT 0, 1. Competency 1: now 3 (the panel&#x27;s 2 is kept)."
    assert page.count(message) == 2  # at the top, and beside the rating
    assert (
        f'<span class="mod-live mod-live--success" role="status" id="live-{rating.pk}" '
        f'data-test="live">{message}</span>' in page
    )


def test_adjust_without_script_opens_the_ratings_own_page_and_saves_from_it(client, region):
    """Without script a cell's trigger opens a link to the rating's own page, with the form
    the script would build in the cell; it posts to the grid's adjust URL."""
    rating = c1_rating(region.assessments[0])  # level 2
    client.force_login(staff_of(region.sha))
    grid = client.get(url(region.round, region.sha)).content.decode()
    cell = grid.split(f'id="rating-{rating.pk}"')[1].split("</td>")[0]
    own = f"/reports/moderation/2009-10/{region.sha.ods_code}/adjust/{rating.pk}/form/"
    adjust = f"/reports/moderation/2009-10/{region.sha.ods_code}/adjust/{rating.pk}/"

    response = client.get(own)

    page = response.content.decode()
    form = page.split('data-test="adjust-page-form">')[1].split("</form>")[0]
    assert (
        response.status_code,
        f'<a class="mod-adjust__page" href="{own}">' in cell,
        f'<form method="post" action="{adjust}" class="mod-adjust__form"' in form,
        '<input type="hidden" name="version" value="1">' in form,
        '<option value="2" selected>Level 2</option>' in form,
        f'<input class="form-control form-control-sm mb-1" id="r{rating.pk}" name="reason"'
        " required>" in form,
        'name="csrfmiddlewaretoken"' in form,
        "<title>Adjust PCT 0: 1. Competency 1" in page,
    ) == (200, True, True, True, True, True, True, True)

    saved = client.post(adjust, {"value": "3", "reason": "Evidence.", "version": "1"})

    rating.refresh_from_db()
    assert (saved.status_code, saved["Location"], rating.level) == (
        302,
        f"/reports/moderation/2009-10/{region.sha.ods_code}/?page=1&adjusted={rating.pk}"
        f"#rating-{rating.pk}",
        3,
    )


def test_adjust_page_is_403_for_the_national_team_and_404_outside_the_region(client, region):
    rating = c1_rating(region.assessments[0])
    own = url(region.round, region.sha, f"adjust/{rating.pk}/form/")
    other_region = url(region.round, SHAFactory(), f"adjust/{rating.pk}/form/")
    statuses = []
    for user in [staff_of(region.sha), RoleFactory(kind=Role.Kind.NATIONAL).user]:
        client.force_login(user)
        statuses.append(client.get(own).status_code)
    for user in outsiders(region.sha):
        client.force_login(user)
        statuses.append(client.get(own).status_code)
    client.force_login(staff_of(region.sha))
    statuses.append(client.get(other_region).status_code)  # the rating is not of that region

    assert statuses == [200, 403, 404, 404, 404, 404]


def test_adjust_page_of_a_pct_not_at_moderation_has_no_form(client, region):
    rating = c1_rating(region.assessments[1])
    Assessment.objects.filter(pk=region.assessments[1].pk).update(stage=Stage.SCORING)
    client.force_login(staff_of(region.sha))

    response = client.get(url(region.round, region.sha, f"adjust/{rating.pk}/form/"))

    page = response.content.decode()
    assert (response.status_code, '<form method="post" action="/reports/moderation/' in page) == (
        200,
        False,
    )
    assert "PCT 1 is not at regional moderation" in page


def test_adjust_refused_without_script_comes_back_open_as_typed(client, region):
    rating = c1_rating(region.assessments[0])
    client.force_login(staff_of(region.sha))
    adjust = url(region.round, region.sha, f"adjust/{rating.pk}/")
    client.post(adjust, {"value": "3", "reason": "From another tab.", "version": "1"})

    stale = client.post(adjust, {"value": "4", "reason": "Typed <here>.", "version": "1"})
    page = client.get(stale["Location"]).content.decode()

    cell = page.split(f'id="rating-{rating.pk}"')[1].split("</td>")[0]
    assert '<details class="mod-adjust" open>' in cell
    assert '<option value="4" selected>Level 4</option>' in cell
    assert 'name="reason" value="Typed &lt;here&gt;." aria-invalid="true"' in cell
    assert '<input type="hidden" name="version" value="2">' in cell  # the stored one now
    assert "Someone else changed it since you opened the page (it is now 3)" in cell
    # Once shown, it is not shown again: a reload has the form closed and empty.
    again = client.get(stale["Location"]).content.decode()
    cell = again.split(f'id="rating-{rating.pk}"')[1].split("</td>")[0]
    assert '<details class="mod-adjust" data-rating=' in cell and "Typed" not in cell

    client.post(adjust, {"value": "2", "reason": "", "version": "2"})  # no reason given
    cell = client.get(stale["Location"]).content.decode().split(f'id="rating-{rating.pk}"')[1]
    assert '<details class="mod-adjust" open>' in cell.split("</td>")[0]
    assert '<option value="2" selected>Level 2</option>' in cell.split("</td>")[0]


def test_a_reason_longer_than_the_limit_is_refused_and_comes_back_whole(client, region):
    """Walk L: 100,000 characters were taken as a reason the board then read; one of 4,503
    refused without script came back cut to 4,000."""
    rating = c1_rating(region.assessments[0])
    client.force_login(staff_of(region.sha))
    adjust = url(region.round, region.sha, f"adjust/{rating.pk}/")
    reason = "x" * 4502 + "Z"

    refused = client.post(adjust, {"value": "4", "reason": reason, "version": "1"})
    page = client.get(refused["Location"]).content.decode()
    script = client.post(
        adjust,
        {"value": "4", "reason": reason, "version": "1"},
        HTTP_ACCEPT="application/json",
    )

    cell = page.split(f'id="rating-{rating.pk}"')[1].split("</td>")[0]
    assert "Keep the reason to 2,000 characters or fewer (it has 4,503)" in cell
    assert f'name="reason" value="{reason}"' in cell
    assert script.status_code == 422
    assert "Keep the reason to 2,000 characters or fewer" in script.json()["message"]
    rating.refresh_from_db()
    assert rating.version == 1


# --- Statistics and flags kept per process, never stale -------------------------------------


def test_kept_flags_show_a_panel_submitted_after_they_were_computed(world):
    sha = SHAFactory()
    assessment = add_pct(world, sha, name="Alpha", stage=Stage.SCORING)
    assert moderation(round_=world.round, sha=sha).flags == []  # computed and kept

    add_panel(world, assessment, [((2, 3, 1), ("green", "amber", "red"))] * 5)

    assert [f.rule for f in moderation(round_=world.round, sha=sha).flags] == ["identical-panel"]


def test_kept_flags_show_a_members_scores_saved_again_after_they_were_computed(world):
    sha = SHAFactory()
    assessment = add_pct(world, sha, name="Alpha", stage=Stage.SCORING)
    seats = add_panel(world, assessment, [((2, 3, 1), ("green", "amber", "red"))] * 5)
    assert [f.rule for f in moderation(round_=world.round, sha=sha).flags] == ["identical-panel"]

    # As ``member_scores_save`` does: the score changes and the seat's version is claimed.
    MemberScore.objects.filter(seat=seats[0], competency__number=1).update(level=4)
    Seat.objects.filter(pk=seats[0].pk).update(version=F("version") + 1)

    assert moderation(round_=world.round, sha=sha).flags == []


def test_kept_flags_show_a_self_assessment_submitted_after_they_were_computed(world):
    region, elsewhere = SHAFactory(), SHAFactory()
    outlier = add_pct(world, region, name="Alpha", levels=(3, 3, 3), stage=Stage.SELF_ASSESSMENT)
    for n in range(8):
        usual = add_pct(world, elsewhere, levels=(2, 2, 2))
        add_self_assessment(world, usual, (3, 2, 2) if n % 2 else (3, 3, 2))
    draft = SelfAssessmentFactory(assessment=outlier, status="draft")
    for competency in world.competencies:
        SelfAssessmentRatingFactory(self_assessment=draft, competency=competency, level=2)
    assert moderation(round_=world.round, sha=region).flags == []

    # As ``self_assessment_submit`` does: the version claimed, submitted, the stage moved on.
    SelfAssessment.objects.filter(pk=draft.pk).update(
        status="submitted", submitted_at=timezone.now(), version=F("version") + 1
    )
    Assessment.objects.filter(pk=outlier.pk).update(stage=Stage.PANEL_FORMATION)

    assert [f.rule for f in moderation(round_=world.round, sha=region).flags] == [
        "self-assessment-gap"
    ]


def test_page_shows_an_adjustment_in_statistics_and_cell_on_the_next_request(
    client, django_assert_num_queries, region
):
    rating = c1_rating(region.assessments[0])  # level 2, as every PCT's c1
    client.force_login(staff_of(region.sha))
    before = client.get(url(region.round, region.sha)).context["data"].competency_stats[0]

    client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "4", "reason": "Evidence of clinical leadership.", "version": "1"},
        headers={"accept": "application/json"},
    )
    # The in-place answer computed the new version's figures (it sends the region's counts):
    # the page reads them as kept, whatever the number of PCTs.
    with django_assert_num_queries(14):  # 13 + the region's moved PCTs
        response = client.get(url(region.round, region.sha))

    after = response.context["data"].competency_stats[0]
    assert (before.region["counts"], after.region["counts"]) == (
        {1: 0, 2: 3, 3: 0, 4: 0},
        {1: 0, 2: 2, 3: 0, 4: 1},
    )
    assert response.context["data"].counts["adjusted"] == 1
    assert (
        f'id="rating-{rating.pk}" data-test="cell-c1">'
        '<span data-test="value" data-value><span class="wcc-level">4</span> '
        '<span class="mod-panel">(panel: 2)</span></span>'
    ) in response.content.decode().replace("\n", "").replace("          ", "")


# --- The grid by pages, flagged PCTs first; finding a PCT ----------------------------------------


def red_pct(world, sha, name):
    """A PCT red on all three governance areas: flagged."""
    return add_pct(world, sha, name=name, lights=("red", "red", "red"))


def grid_names(response):
    return [row.assessment.pct.name for row in response.context["rows"]]


def test_grid_lists_flagged_pcts_first_then_the_others_by_name(client, region):
    red_pct(region.world, region.sha, "PCT 9")
    red_pct(region.world, region.sha, "PCT 5")
    client.force_login(staff_of(region.sha))

    response = client.get(url(region.round, region.sha))

    assert grid_names(response) == ["PCT 5", "PCT 9", "PCT 0", "PCT 1", "PCT 2"]
    assert response.context["data"].counts == {"total": 5, "flagged": 2, "adjusted": 0}


@pytest.fixture
def big_region(world):
    """A region of 27 PCTs (two pages of the grid), the last two by name flagged."""
    sha = SHAFactory(name="London")
    for n in range(25):
        add_pct(world, sha, name=f"PCT {n:02}")
    flagged = [red_pct(world, sha, "PCT 98"), red_pct(world, sha, "PCT 99")]
    return SimpleNamespace(round=world.round, sha=sha, flagged=flagged, world=world)


def test_grid_shows_25_pcts_a_page_and_the_whole_regions_counts(client, big_region):
    client.force_login(staff_of(big_region.sha))

    first = client.get(url(big_region.round, big_region.sha))
    second = client.get(url(big_region.round, big_region.sha) + "?page=2")

    assert grid_names(first) == ["PCT 98", "PCT 99", *[f"PCT {n:02}" for n in range(23)]]
    assert grid_names(second) == ["PCT 23", "PCT 24"]
    page = second.content.decode()
    assert re.findall(r'data-test="count-(\w+)">(\d+)<', page) == [
        ("flags", "2"),  # in the page's contents, above the counts
        ("total", "27"),
        ("flagged", "2"),
        ("adjusted", "0"),
    ]
    assert "PCTs 26 to 27 of 27 (page 2 of 2)" in page
    assert '<a href="?page=1#ratings-heading" rel="prev">' in page
    assert (
        '<a href="?page=2#ratings-heading" aria-current="page" aria-label="Page 2">2</a>'
    ) in page
    assert page.count('data-test="grid-row"') == 2  # the progress grid follows the page


@pytest.mark.parametrize("page", ["3", "0", "-1", "two", "", "1.5"])
def test_grid_page_out_of_range_or_not_a_number_is_404(client, big_region, page):
    client.force_login(staff_of(big_region.sha))

    response = client.get(url(big_region.round, big_region.sha), {"page": page})

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("wanted", "found"), [("pct 24", "PCT 24"), ("99", "PCT 99"), ("PCT 0", "PCT 00")]
)
def test_lookup_jumps_to_the_grid_page_holding_the_pct(client, big_region, wanted, found):
    client.force_login(staff_of(big_region.sha))
    ods = PCTFactory._meta.model.objects.get(name=found).ods_code

    response = client.get(url(big_region.round, big_region.sha), {"pct": wanted})

    page = 2 if found == "PCT 24" else 1
    assert response["Location"] == (
        f"/reports/moderation/2009-10/{big_region.sha.ods_code}/?page={page}#pct-{ods}"
    )
    assert f'id="pct-{ods}"' in client.get(response["Location"]).content.decode()


def test_lookup_finds_a_pct_by_its_ods_code_in_any_case(client, big_region):
    ods = big_region.flagged[1].pct.ods_code
    client.force_login(staff_of(big_region.sha))

    response = client.get(url(big_region.round, big_region.sha), {"pct": f" {ods.lower()} "})

    assert response["Location"].endswith(f"?page=1#pct-{ods}")


def test_lookup_of_a_part_shared_by_several_names_says_which_one_it_shows(client, big_region):
    client.force_login(staff_of(big_region.sha))

    response = client.get(url(big_region.round, big_region.sha), {"pct": "PCT 2"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        f"5 PCTs match “PCT 2”: this is PCT 20 "
        f"({PCTFactory._meta.model.objects.get(name='PCT 20').ods_code}). "
        "Enter an ODS code to find another."
    ]


def test_lookup_with_no_match_says_so_on_the_page(client, big_region):
    client.force_login(staff_of(big_region.sha))

    response = client.get(url(big_region.round, big_region.sha), {"pct": "Barsetshire"})

    page = response.content.decode()
    assert (response.status_code, grid_names(response)[:2]) == (200, ["PCT 98", "PCT 99"])
    assert "<title>Error: Moderation: London" in page
    assert 'data-test="error-summary"' in page
    assert response.context["lookup"].errors == {
        "pct": [
            "No PCT of London matches “Barsetshire”: enter its ODS code (such as "
            f"{big_region.flagged[0].pct.ods_code}) or part of its name."
        ]
    }
    assert 'aria-invalid="true"' in page


def test_lookup_with_nothing_entered_asks_for_a_code_or_name(client, region):
    client.force_login(staff_of(region.sha))

    response = client.get(url(region.round, region.sha), {"pct": " "})

    assert response.context["lookup"].errors == {
        "pct": ["Enter the ODS code or part of the name of a PCT."]
    }


def test_lookup_and_pages_are_404_outside_the_region(client, big_region):
    statuses = []
    for user in outsiders(big_region.sha):
        client.force_login(user)
        statuses += [
            client.get(url(big_region.round, big_region.sha), query).status_code
            for query in ({"page": "2"}, {"pct": "PCT 24"})
        ]

    assert statuses == [404] * 6


def test_adjust_without_script_comes_back_at_the_grid_page_of_the_rating(client, big_region):
    rating = c1_rating(Assessment.objects.get(pct__name="PCT 24"))
    client.force_login(staff_of(big_region.sha))

    response = client.post(
        url(big_region.round, big_region.sha, f"adjust/{rating.pk}/"),
        {"value": "3", "reason": "Evidence.", "version": "1"},
    )

    assert response["Location"].endswith(f"/?page=2&adjusted={rating.pk}#rating-{rating.pk}")
    assert f'id="rating-{rating.pk}"' in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("pcts", [2, 30])
def test_page_query_count_is_the_same_for_a_small_and_a_larger_region(
    client, django_assert_num_queries, world, pcts
):
    sha = SHAFactory()
    for n in range(pcts):
        assessment = add_pct(world, sha, lights=("red",) * 3 if n % 3 == 0 else ("amber",) * 3)
        add_panel(world, assessment, [((2, 2, 3), ("amber", "green", "red"))] * 2)
        add_self_assessment(world, assessment, (3, 2, 2))
    client.force_login(staff_of(sha))

    with django_assert_num_queries(19):  # statistics and flags computed
        client.get(url(world.round, sha))
    with django_assert_num_queries(14):  # kept: five fewer
        response = client.get(url(world.round, sha) + "?page=1")

    assert len(response.context["rows"]) == min(pcts, 25)
