"""Governance sub-indicators in members' scoring and the chair's consensus: rated like the
other items where the framework has them, required on submit and on close, and shown beside
the area's headline light on the consensus page."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.models import AgreedRating, Assessment, Stage
from panels.models import MemberScore, Panel, Seat
from panels.services.scoring import (
    AgreedInput,
    MemberInput,
    consensus_close,
    consensus_record,
    member_scores_save,
)
from panels.tests.scoring_builders import build_scoring_panel

pytestmark = pytest.mark.django_db


def _seat(seat) -> Seat:
    return Seat.objects.select_related(
        "panel__assessment__round__framework", "person", "seat_type"
    ).get(pk=seat.pk)


def save(seat, values, submit=False):
    seat = _seat(seat)
    return member_scores_save(
        seat=seat, values=values, by=seat.person.user, expected_version=seat.version, submit=submit
    )


def _at_consensus(panel):
    for seat in panel.seats:
        save(seat, panel.full_scores(), submit=True)
    return Assessment.objects.select_related("round__framework").get(pk=panel.assessment.pk)


def _record(panel, values):
    stored = Panel.objects.select_related("assessment__round__framework").get(pk=panel.panel.pk)
    return consensus_record(
        panel=stored, values=values, by=panel.chair.person.user, expected_version=stored.version
    )


def test_member_submit_needs_each_sub_indicator():
    panel = build_scoring_panel(sub_indicators=2)
    values = panel.full_scores()
    del values[panel.subs[1]]

    with pytest.raises(ValidationError) as refused:
        save(panel.chair, values, submit=True)

    assert refused.value.messages == ["Financial management: Finance factor 2: choose a light."]
    assert _seat(panel.chair).submitted_at is None


def test_member_scores_sub_indicators_as_ratings_with_the_sub_indicator_set():
    panel = build_scoring_panel(sub_indicators=2)
    values = panel.full_scores() | {panel.subs[0]: MemberInput("red", "Missed its control total.")}

    save(panel.chair, values, submit=True)

    assert list(
        MemberScore.objects.filter(seat=panel.chair, sub_indicator__isnull=False)
        .order_by("sub_indicator__number")
        .values_list("sub_indicator__number", "light", "notes_for_board")
    ) == [(1, "red", "Missed its control total."), (2, "amber", "")]


def test_consensus_close_needs_each_sub_indicator_agreed():
    panel = build_scoring_panel(sub_indicators=2)
    assessment = _at_consensus(panel)
    values = panel.agreed()
    del values[panel.subs[0]]
    _record(panel, values)

    with pytest.raises(ValidationError) as refused:
        consensus_close(assessment=assessment, by=panel.chair.person.user)

    assert refused.value.messages == [
        "Financial management: Finance factor 1: no agreed value yet."
    ]


def test_consensus_records_and_closes_with_sub_indicators():
    panel = build_scoring_panel(sub_indicators=2)
    assessment = _at_consensus(panel)
    _record(
        panel,
        panel.agreed() | {panel.subs[1]: AgreedInput("green", "Sound in-year control.")},
    )

    consensus_close(assessment=assessment, by=panel.chair.person.user)

    assert list(
        AgreedRating.objects.filter(assessment=assessment, sub_indicator__isnull=False)
        .order_by("sub_indicator__number")
        .values_list("sub_indicator__number", "light", "panel_light", "rationale")
    ) == [(1, "amber", "amber", "Because."), (2, "green", "green", "Sound in-year control.")]
    assert Assessment.objects.get(pk=assessment.pk).stage == Stage.MODERATION


def test_framework_without_sub_indicators_needs_none():
    panel = build_scoring_panel()
    assessment = _at_consensus(panel)
    _record(panel, panel.agreed())

    consensus_close(assessment=assessment, by=panel.chair.person.user)

    assert Assessment.objects.get(pk=assessment.pk).stage == Stage.MODERATION


# --- Pages ------------------------------------------------------------------------------


def url(panel, page):
    a = panel.assessment
    return f"/panels/{a.round.slug}/{a.pct.ods_code}/{page}/"


def test_scoring_page_offers_each_sub_indicator_before_its_area(client):
    panel = build_scoring_panel(sub_indicators=2)
    client.force_login(panel.chair.person.user)

    response = client.get(url(panel, "score"))

    assert [code for row, *_ in response.context["form"].items for code in [row.code]] == [
        "c1",
        "c2",
        "strategy",
        "finance_1",
        "finance_2",
        "finance",
        "board",
    ]
    assert response.context["form"].fields["finance_1"].choices == [
        ("green", "Green: No concerns"),
        ("amber", "Amber: Some concerns"),
        ("red", "Red: Serious concerns"),
    ]


def test_scoring_form_post_saves_sub_indicator_lights(client):
    panel = build_scoring_panel(sub_indicators=1)
    client.force_login(panel.chair.person.user)
    data = {"version": "1", "action": "save", "finance_1": "red", "finance_1_notes": "Overspent."}

    client.post(url(panel, "score"), data)

    score = MemberScore.objects.get(seat=panel.chair, sub_indicator=panel.subs[0])
    assert (score.light, score.notes_for_board) == ("red", "Overspent.")


def test_submit_check_page_names_each_sub_indicator_with_its_area(client):
    panel = build_scoring_panel(sub_indicators=1)
    client.force_login(panel.chair.person.user)
    data = {"version": "1", "action": "submit"}
    data |= {f"c{c.number}": "3" for c in panel.competencies}
    data |= {item.code: "green" for item in (*panel.areas, *panel.subs)}

    check = client.post(url(panel, "score"), data)

    assert check.templates[0].name == "panels/scoring_confirm.html"
    assert f"<dt>{panel.subs[0]}</dt>" in check.text
    assert f"<dt>{panel.subs[0].area.name}: {panel.subs[0].name}</dt>" in check.text


def test_consensus_page_shows_sub_indicator_lights_beside_the_area(client):
    panel = build_scoring_panel(sub_indicators=2)
    _at_consensus(panel)
    _record(panel, {panel.subs[0]: AgreedInput("red", "Missed its control total.")})
    client.force_login(panel.chair.person.user)

    response = client.get(url(panel, "consensus"))

    finance = next(r for r in response.context["view"].rows if r.code == "finance")
    assert [(sub.code, sub.agreed.light if sub.agreed else None) for sub in finance.subs] == [
        ("finance_1", "red"),
        ("finance_2", None),
    ]
    page = response.content.decode()
    assert page.count('data-test="sub-agreed"') == 2
    assert '<span class="light-red">Red</span>' in page.split('data-test="sub-finance_1"')[1]


@pytest.mark.parametrize("subs", [1, 3])
def test_consensus_page_query_count_does_not_grow_with_sub_indicators(
    client, django_assert_num_queries, subs
):
    panel = build_scoring_panel(sub_indicators=subs)
    _at_consensus(panel)
    Seat.objects.filter(panel=panel.panel).update(submitted_at=timezone.now())
    client.force_login(panel.chair.person.user)

    with django_assert_num_queries(17):
        client.get(url(panel, "consensus"))


@pytest.mark.parametrize("subs", [1, 3])
def test_score_page_query_count_does_not_grow_with_sub_indicators(
    client, django_assert_num_queries, subs
):
    panel = build_scoring_panel(sub_indicators=subs)
    client.force_login(panel.chair.person.user)

    with django_assert_num_queries(16):
        client.get(url(panel, "score"))
