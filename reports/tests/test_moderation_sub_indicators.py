"""Regional moderation of sub-indicator lights (walk N: a wrong sub-indicator light agreed
at consensus could not be corrected): the service on a sub-indicator rating, the area's
sub-indicators page and its adjust forms, the grid's link to it, and the PCT page after."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import (
    AgreedRating,
    Assessment,
    ModerationAdjustment,
    RatingChange,
    Role,
    Stage,
)
from assessments.regions import agreed_rating_moderate
from reports.tests.test_moderation import add_pct, outsiders, staff_of, url
from tests.factories import AgreedRatingFactory, RoleFactory, SHAFactory, SubIndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region(world):
    sha = SHAFactory(name="North East")
    assessments = [add_pct(world, sha, name=f"PCT {n}") for n in range(3)]
    finance = next(area for area in world.areas if area.code == "finance")
    subs = [SubIndicatorFactory(area=finance, number=n, name=f"Factor {n}") for n in (1, 2)]
    for sub in subs:  # the first PCT's finance factors only
        AgreedRatingFactory(assessment=assessments[0], sub_indicator=sub, light="green")
    return type(
        "Region", (), {"round": world.round, "sha": sha, "assessments": assessments, "subs": subs}
    )


def sub_rating(region, number=1) -> AgreedRating:
    return AgreedRating.objects.get(assessment=region.assessments[0], sub_indicator__number=number)


def subs_url(region, ods=None):
    ods = ods or region.assessments[0].pct.ods_code
    return reverse(
        "reports:moderation_sub_indicators", args=[region.round.slug, region.sha.ods_code, ods]
    )


# --- The service -----------------------------------------------------------------------------


def test_moderate_a_sub_indicator_keeps_the_panels_light_and_writes_both_history_rows(region):
    rating = sub_rating(region)
    staff = staff_of(region.sha)

    agreed_rating_moderate(
        rating=rating, value="red", reason="The deficit was missed.", by=staff, expected_version=1
    )

    rating.refresh_from_db()
    assert (rating.light, rating.panel_light, rating.version) == ("red", "green", 2)
    assert list(
        ModerationAdjustment.objects.values_list("rating", "old_value", "new_value", "reason")
    ) == [(rating.pk, "green", "red", "The deficit was missed.")]
    assert list(
        RatingChange.objects.values_list(
            "source", "sub_indicator", "area", "competency", "old_value", "new_value"
        )
    ) == [("moderation", region.subs[0].pk, None, None, "green", "red")]


def test_moderate_a_sub_indicator_refuses_a_level_a_stale_version_and_a_later_stage(region):
    rating = sub_rating(region)
    staff = staff_of(region.sha)
    refusals = []
    for value, version in (("3", 1), ("red", 7)):
        try:
            agreed_rating_moderate(
                rating=rating, value=value, reason="x", by=staff, expected_version=version
            )
        except (ConflictError, ValidationError) as exc:
            refusals.append(type(exc).__name__)
    Assessment.objects.filter(pk=rating.assessment_id).update(stage=Stage.CROSS_CHECK)
    with pytest.raises(TransitionError):
        agreed_rating_moderate(
            rating=rating, value="red", reason="Too late.", by=staff, expected_version=1
        )

    assert refusals == ["ValidationError", "ConflictError"]
    assert (sub_rating(region).light, ModerationAdjustment.objects.count()) == ("green", 0)
    assert RatingChange.objects.count() == 0


# --- The pages -------------------------------------------------------------------------------


def test_grid_links_a_pcts_row_to_its_sub_indicators_only_where_there_are_some(client, region):
    client.force_login(staff_of(region.sha))

    page = client.get(url(region.round, region.sha)).content.decode()

    assert page.count('data-test="sub-indicators-link"') == 1
    assert f'href="{subs_url(region)}"' in page


def test_sub_indicators_page_lists_the_lights_each_with_its_form(client, region):
    client.force_login(staff_of(region.sha))

    response = client.get(subs_url(region))

    page = response.content.decode()
    assert [
        (group["area"].code, [row["label"] for row in group["rows"]])
        for group in response.context["areas"]
    ] == [("finance", ["1. Factor 1", "2. Factor 2"])]
    assert (page.count('class="mod-adjust__form"'), page.count("<h1>")) == (2, 1)
    action = reverse(
        "reports:moderation_adjust",
        args=[region.round.slug, region.sha.ods_code, sub_rating(region).pk],
    )
    assert f'action="{action}"' in page


def test_staff_adjust_a_sub_indicator_from_its_page_and_the_pct_page_shows_it(client, region):
    rating = sub_rating(region)
    staff = staff_of(region.sha)
    client.force_login(staff)

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "red", "reason": "The deficit was missed.", "version": "1"},
        follow=True,
    )

    rating.refresh_from_db()
    assert (rating.light, rating.panel_light) == ("red", "green")
    assert response.redirect_chain == [
        (f"{subs_url(region)}?adjusted={rating.pk}#rating-{rating.pk}", 302)
    ]
    assert [str(m) for m in response.context["messages"]] == [
        "PCT 0, Financial management: Factor 1: now red (the panel's green is kept)."
    ]
    page = response.content.decode()
    assert (
        '<span class="light-red">Red</span> <span class="mod-panel">(panel: Green)</span>' in page
    )
    assert "Green to red: The deficit was missed." in page
    assert list(RatingChange.objects.values_list("sub_indicator", "changed_by")) == [
        (region.subs[0].pk, staff.pk)
    ]
    pct = region.assessments[0].pct
    pct_page = client.get(f"/reports/pct/{pct.ods_code}/{region.round.slug}/").content.decode()
    assert "from green to red: The deficit was missed." in pct_page


def test_a_refused_sub_indicator_adjustment_comes_back_as_typed_with_its_error(client, region):
    rating = sub_rating(region)
    client.force_login(staff_of(region.sha))

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "amber", "reason": "  ", "version": "1"},
        follow=True,
    )

    page = response.content.decode()
    assert sub_rating(region).light == "green"
    assert "<title>Error: " in page
    assert (
        f'<a href="#r{rating.pk}">PCT 0, Financial management: Factor 1: not changed. Give the reason for '
        "the change.</a>" in page
    )
    assert f'id="r{rating.pk}" name="reason" value="  " aria-invalid="true"' in page
    assert '<option value="amber" selected>' in page


def test_sub_indicators_page_is_404_outside_the_region_and_read_only_nationally(client, region):
    statuses = []
    for user in outsiders(region.sha):
        client.force_login(user)
        statuses.append(client.get(subs_url(region)).status_code)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    national = client.get(subs_url(region))

    assert statuses == [404, 404, 404]
    assert (national.status_code, national.content.decode().count("mod-adjust__form")) == (200, 0)


def test_sub_indicators_page_is_404_for_a_pct_of_another_region_or_an_unknown_one(
    client, region, world
):
    elsewhere = add_pct(world, SHAFactory())
    client.force_login(staff_of(region.sha))

    assert (
        client.get(subs_url(region, ods=elsewhere.pct.ods_code)).status_code,
        client.get(subs_url(region, ods="NOPE")).status_code,
    ) == (404, 404)


def test_sub_indicator_adjust_refused_after_sign_off(client, region):
    Assessment.objects.update(stage=Stage.CROSS_CHECK)  # the region signed off
    rating = sub_rating(region)
    client.force_login(staff_of(region.sha))

    page = client.get(subs_url(region)).content.decode()
    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "red", "reason": "Too late.", "version": "1"},
        follow=True,
    )

    assert (page.count("mod-adjust__form"), 'data-test="not-adjustable"' in page) == (0, True)
    assert [str(m) for m in response.context["messages"]] == [
        "PCT 0, Financial management: Factor 1: not changed. Regional moderation changes a rating only "
        "while its assessment is at regional moderation; this one is at National cross-check."
    ]
    assert (sub_rating(region).light, ModerationAdjustment.objects.count()) == ("green", 0)


def test_area_adjust_page_offers_its_sub_indicators(client, region):
    area_rating = AgreedRating.objects.get(assessment=region.assessments[0], area__code="finance")
    client.force_login(staff_of(region.sha))

    page = client.get(
        url(region.round, region.sha, f"adjust/{area_rating.pk}/form/")
    ).content.decode()

    assert (
        f'<a href="{subs_url(region)}#finance">Financial management sub-indicators of PCT 0 (2)</a>'
        in page
    )


@pytest.mark.parametrize("n", [1, 3])
def test_sub_indicators_page_query_count_does_not_grow_with_sub_indicators(
    client, django_assert_num_queries, world, n
):
    sha = SHAFactory()
    assessment = add_pct(world, sha)
    finance = next(area for area in world.areas if area.code == "finance")
    for number in range(1, n + 1):
        sub = SubIndicatorFactory(area=finance, number=number)
        rating = AgreedRatingFactory(assessment=assessment, sub_indicator=sub, light="green")
        agreed_rating_moderate(
            rating=rating, value="red", reason="r", by=staff_of(sha), expected_version=1
        )
    client.force_login(staff_of(sha))
    address = reverse(
        "reports:moderation_sub_indicators",
        args=[world.round.slug, sha.ods_code, assessment.pct.ods_code],
    )

    with django_assert_num_queries(9):
        response = client.get(address)

    assert [len(group["rows"]) for group in response.context["areas"]] == [n]


@pytest.mark.parametrize("pcts", [1, 3])
def test_grid_query_count_does_not_grow_with_pcts_that_have_sub_indicators(
    client, django_assert_num_queries, world, pcts
):
    sha = SHAFactory()
    finance = next(area for area in world.areas if area.code == "finance")
    subs = [SubIndicatorFactory(area=finance, number=n) for n in (1, 2, 3)]
    for _n in range(pcts):
        assessment = add_pct(world, sha)
        for sub in subs:
            AgreedRatingFactory(assessment=assessment, sub_indicator=sub, light="amber")
    client.force_login(staff_of(sha))

    with django_assert_num_queries(19):  # as without sub-indicators (test_moderation.py)
        response = client.get(url(world.round, sha))

    page = response.content.decode()
    assert (page.count('data-test="sub-indicators-link"'), page.count('class="mod-adjust"')) == (
        pcts,
        pcts * 6,  # the grid's 6 items (3 areas, 3 competencies): none for a sub-indicator
    )


def test_adjust_a_sub_indicator_on_a_stale_page_keeps_what_was_typed(client, region):
    rating = sub_rating(region)
    client.force_login(staff_of(region.sha))
    first = {"value": "amber", "reason": "First look.", "version": "1"}
    client.post(url(region.round, region.sha, f"adjust/{rating.pk}/"), first, follow=True)

    response = client.post(
        url(region.round, region.sha, f"adjust/{rating.pk}/"),
        {"value": "red", "reason": "Second look, on an old page.", "version": "1"},
        follow=True,
    )

    page = response.content.decode()
    assert [str(m) for m in response.context["messages"]] == [
        "PCT 0, Financial management: Factor 1: not changed. Someone else changed it since you "
        "opened the page (it is now amber). Your choice and reason are kept: save again to "
        "replace it."
    ]
    assert sub_rating(region).light == "amber"
    assert 'value="Second look, on an old page."' in page
    assert '<option value="red" selected>' in page
    assert f'name="version" value="{sub_rating(region).version}"' in page
