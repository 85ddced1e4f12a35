"""Replacing a panel member while scoring, from the panel's formation page
(``panels.views.formation.replace_seat``): the Replace actions, the page and its errors,
the check page, "Go back", the confirmation, the conflict and the personas."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from assessments.form_errors import summary_entries
from assessments.models import Role, Stage
from panels.models import JobRole, MemberScore, Seat, SeatChange
from panels.tests.formation_builders import build_region, person
from tests.factories import CompetencyFactory, MemberScoreFactory, RoleFactory, SHAFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = build_region(stage=Stage.SCORING)
    region.panel = region.seated()
    region.newcomer = person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="Nia Newcomer")
    return region


def url(region, page="seats/2/replace"):
    return f"/panels/{region.round.slug}/{region.pct.ods_code}/{page}/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha, user__first_name="Sam").user


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def seat(region, number=2) -> Seat:
    return Seat.objects.select_related("panel").get(panel=region.panel, seat_type__number=number)


def posted(region, number=2, **extra) -> dict:
    held = seat(region, number)
    return {
        "person": str(region.newcomer.pk),
        "reason": "Bob Medic left the NHS",
        "seat_version": str(held.version),
        "panel_version": str(held.panel.version),
        **extra,
    }


def test_formation_page_at_scoring_offers_replace_for_each_seat_not_submitted(region):
    Seat.objects.filter(pk=seat(region, 3).pk).update(submitted_at=timezone.now())
    Seat.objects.filter(pk=seat(region, 4).pk).update(absence_reason="Ill")

    response = client_for(staff_of(region.sha_a)).get(url(region, "formation"))

    page = response.content.decode()
    links = re.findall(r'href="(/panels/[^"]+/replace/)"', page)
    assert links == [url(region, f"seats/{n}/replace") for n in (1, 2, 5)]
    assert "Cat Services submitted their scores on" in text(response)
    assert "The chair excused Dan Outside from the panel" in text(response)
    assert "a member who has not submitted can be replaced" in text(response)


def test_formation_page_at_consensus_offers_no_replace(region):
    region.assessment.stage = Stage.CONSENSUS
    region.assessment.save(update_fields=["stage"])

    response = client_for(staff_of(region.sha_a)).get(url(region, "formation"))

    assert "/replace/" not in response.content.decode()
    assert "The seats can no longer be changed: the assessment is at" in text(response)


def test_replace_page_offers_the_eligible_people_but_the_holder(region):
    MemberScoreFactory(seat=seat(region), competency=CompetencyFactory())

    response = client_for(staff_of(region.sha_a)).get(url(region))

    assert response.templates[0].name == "panels/replace_seat.html"
    choices = [label for _pk, label in response.context["form"].fields["person"].widget.choices]
    assert [c.split(" — ")[0] for c in choices] == ["Choose someone", "Nia Newcomer"]
    assert "They have saved draft scores on 1 item:" in text(response)
    assert 'name="reason"' in text(response)


def test_replace_page_for_a_submitted_seat_says_why_on_the_formation_page(region):
    Seat.objects.filter(pk=seat(region).pk).update(submitted_at=timezone.now())

    response = client_for(staff_of(region.sha_a)).get(url(region), follow=True)

    assert response.redirect_chain == [(url(region, "formation"), 302)]
    assert "a seat whose scores are in cannot be replaced" in text(response)


def test_replace_page_before_scoring_redirects_with_the_stage(region):
    region.assessment.stage = Stage.PANEL_FORMATION
    region.assessment.save(update_fields=["stage"])

    response = client_for(staff_of(region.sha_a)).get(url(region), follow=True)

    assert response.redirect_chain == [(url(region, "formation"), 302)]
    assert "only while the panel is scoring" in text(response)


def test_replace_page_for_a_seat_that_does_not_exist_is_not_found(region):
    response = client_for(staff_of(region.sha_a)).get(url(region, "seats/9/replace"))

    assert response.status_code == 404


@pytest.mark.parametrize("method", ["get", "post"])
def test_replace_page_not_found_for_other_regions_staff_members_and_the_board(region, method):
    outsiders = [
        staff_of(region.sha_b),
        RoleFactory(kind=Role.Kind.SHA_STAFF, sha=SHAFactory()).user,
        region.people[1].user,  # the chair
        region.people[2].user,  # the member replaced
        RoleFactory(kind=Role.Kind.PCT_BOARD, pct=region.pct).user,
    ]
    answers = [
        getattr(client_for(user), method)(url(region), posted(region, confirm="1")).status_code
        for user in outsiders
    ]

    assert answers == [404, 404, 404, 404, 404]
    assert (seat(region).person, SeatChange.objects.count()) == (region.people[2], 0)


def test_replace_page_sends_the_logged_out_to_login(region):
    response = Client().get(url(region))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_replace_without_a_choice_or_reason_shows_the_errors_linked_and_keeps_the_typing(region):
    response = client_for(staff_of(region.sha_a)).post(
        url(region), posted(region, person="", reason=" ")
    )

    assert response.templates[0].name == "panels/replace_seat.html"
    assert summary_entries(response.context["form"]) == [
        ("#id_person", "Who takes the seat: Choose who takes the seat."),
        ("#id_reason", "Reason: Give the reason for replacing the member."),
    ]
    assert "<title>Error: Replace a member" in response.content.decode()
    assert SeatChange.objects.count() == 0


def test_replace_with_an_ineligible_person_shows_the_rule_beside_the_choice(region):
    chief = person(JobRole.CHIEF_EXECUTIVE, pct=region.other_pct_a, name="Cy Chief")

    response = client_for(staff_of(region.sha_a)).post(
        url(region), posted(region, person=str(chief.pk), reason="Typed reason kept")
    )

    entries = summary_entries(response.context["form"])
    assert [href for href, _message in entries] == ["#id_person"]
    assert "Cy Chief (chief executive, Neighbour PCT) is not eligible" in entries[0][1]
    assert "Typed reason kept" in text(response)
    assert SeatChange.objects.count() == 0


def test_replace_page_for_a_seat_nobody_else_may_take_says_how_to_add_someone(region):
    response = client_for(staff_of(region.sha_a)).get(url(region, "seats/1/replace"))

    assert "Nobody else is eligible for seat 1 on this panel yet." in text(response)
    assert 'href="/people/"' in text(response)


def test_replace_check_page_says_a_passed_deadline_has_passed(region):
    region.round.scoring_due = timezone.localdate() - datetime.timedelta(days=3)
    region.round.save(update_fields=["scoring_due"])

    response = client_for(staff_of(region.sha_a)).post(url(region), posted(region))

    assert response.context["happens"][2] == (
        "Nia Newcomer starts with an empty scoring page and is asked to score as soon as they "
        f"can: the round's scoring deadline, {region.round.scoring_due:%-d %B %Y}, has passed."
    )


def test_replace_check_page_says_what_happens_and_who_is_told(region):
    region.round.scoring_due = timezone.localdate().replace(year=2031)
    region.round.save(update_fields=["scoring_due"])
    for _ in range(3):
        MemberScoreFactory(seat=seat(region), competency=CompetencyFactory())

    response = client_for(staff_of(region.sha_a)).post(url(region), posted(region))

    assert response.templates[0].name == "confirm.html"
    happens = response.context["happens"]
    assert happens[0] == (
        f"Nia Newcomer takes seat 2 ({seat(region).seat_type.name}) in place of Bob Medic, "
        "with your reason in the panel's history: Bob Medic left the NHS"
    )
    assert happens[2] == (
        "Nia Newcomer starts with an empty scoring page and is asked to score by "
        f"{region.round.scoring_due:%-d %B %Y}."
    )
    assert happens[1] == (
        "Bob Medic's draft scores on 3 items are deleted, and cannot be brought back."
    )
    assert "Nia Newcomer is e-mailed that they joined the panel" in response.context["told"]
    assert "Bob Medic is e-mailed that they are no longer on the panel" in response.context["told"]
    assert "Ann Chair, the chair, is e-mailed" in response.context["told"]
    assert (seat(region).person, MemberScore.objects.count()) == (region.people[2], 3)


def test_replace_go_back_shows_what_was_typed(region):
    client = client_for(staff_of(region.sha_a))
    check = client.post(url(region), posted(region, reason="Typed before going back"))

    response = client.get(check.context["back"])

    assert response.context["form"].initial["reason"] == "Typed before going back"
    assert response.context["form"].initial["person"] == str(region.newcomer.pk)
    assert "Typed before going back" in text(response)


def test_replace_confirmed_replaces_and_says_who_was_told(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    MemberScoreFactory(seat=seat(region), competency=CompetencyFactory())
    client = client_for(staff_of(region.sha_a))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(region), posted(region, confirm="1"), follow=True)

    assert response.redirect_chain == [(url(region, "formation"), 302)]
    assert (
        "Nia Newcomer now holds seat 2 on the panel of Assessed PCT in place of Bob Medic. "
        "Both, and the chair, have been e-mailed."
    ) in text(response)
    assert (seat(region).person, MemberScore.objects.count()) == (region.newcomer, 0)
    change = SeatChange.objects.get()
    assert (change.how, change.note) == (SeatChange.How.REPLACED, "Bob Medic left the NHS")
    assert len(mailoutbox) == 3


def test_replace_confirmed_on_a_stale_seat_keeps_the_typing_and_asks_again(region):
    data = posted(region, confirm="1", reason="Kept after the conflict")
    Seat.objects.filter(pk=seat(region).pk).update(
        version=seat(region).version + 1
    )  # a draft saved

    response = client_for(staff_of(region.sha_a)).post(url(region), data)

    assert response.templates[0].name == "panels/replace_seat.html"
    assert summary_entries(response.context["form"])[0][1].startswith(
        "This panel or seat was changed by someone else since you opened it"
    )
    assert response.context["form"]["seat_version"].value() == seat(region).version
    assert "Kept after the conflict" in text(response)
    assert (seat(region).person, SeatChange.objects.count()) == (region.people[2], 0)


def test_history_page_shows_the_replacement_with_its_reason(region):
    client = client_for(staff_of(region.sha_a))
    client.post(url(region), posted(region, confirm="1"))

    response = client.get(url(region, "history"))

    rows = [e for e in response.context["entries"] if e.kind == "seat"]
    assert [(e.old, e.new, e.source, e.note) for e in rows] == [
        ("Bob Medic", "Nia Newcomer", "Replaced while scoring", "Bob Medic left the NHS")
    ]
    assert "Replaced while scoring" in text(response)


def test_after_replacement_the_old_holder_loses_the_scoring_page_and_the_new_one_has_it(region):
    client_for(staff_of(region.sha_a)).post(url(region), posted(region, confirm="1"))

    old = client_for(region.people[2].user).get(url(region, "score"))
    new = client_for(region.newcomer.user).get(url(region, "score"))

    assert (old.status_code, new.templates[0].name) == (404, "panels/scoring.html")
    # Walk R: the old link gave the site's bare 404; it says what happened (still a 404).
    page = old.content.decode()
    assert "You no longer sit on the panel of" in page
    assert "gave your seat on the panel of" in page
    detail = f"/panels/{region.round.slug}/{region.pct.ods_code}/"
    for where in (detail, url(region, "consensus")):
        again = client_for(region.people[2].user).get(where)
        assert again.status_code == 404
        assert "You no longer sit on the panel" in again.content.decode()
    stranger = client_for(staff_of(region.sha_b)).get(url(region, "score"))
    assert stranger.status_code == 404
    assert "You no longer sit on the panel" not in stranger.content.decode()


@pytest.mark.parametrize("people", [1, 3])
def test_replace_page_queries_do_not_grow_with_the_people_offered(
    region, client, django_assert_num_queries, people
):
    for n in range(people - 1):
        person(JobRole.PEC_CHAIR, pct=region.other_pct_a, name=f"Pec Chair {n}")
    client.force_login(staff_of(region.sha_a))
    client.get(url(region, "formation"))  # the session and the user are loaded once

    with django_assert_num_queries(7):
        response = client.get(url(region))

    assert len(response.context["form"].fields["person"].widget.choices) == people + 1
