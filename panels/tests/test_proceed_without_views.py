"""Proceeding without the board's self-assessment from the panel formation page
(``panels.views.formation.proceed_without_self_assessment``): personas, the reason page
and its errors, the check page, "Go back" and the confirmation."""

import datetime
import re

import pytest
import time_machine
from django.test import Client

from assessments.form_errors import summary_entries
from assessments.models import Role, Stage, StageChange
from panels.tests.formation_builders import build_region
from tests.factories import RoleFactory, SHAFactory

pytestmark = pytest.mark.django_db

AFTER = datetime.datetime(2009, 10, 5, 12, tzinfo=datetime.UTC)


@pytest.fixture
def region():
    region = build_region(stage=Stage.SELF_ASSESSMENT)
    region.round.self_assessment_due = datetime.date(2009, 9, 30)
    region.round.save()
    return region


def url(region, page="proceed-without-self-assessment"):
    return f"/panels/{region.round.slug}/{region.pct.ods_code}/{page}/"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@time_machine.travel(AFTER)
def test_proceed_page_shows_the_reason_form_and_the_deadline(region):
    response = client_for(staff_of(region.sha_a)).get(url(region))

    assert response.templates[0].name == "panels/proceed_without.html"
    assert "The self-assessment deadline was 30 September 2009" in text(response)
    assert 'name="reason"' in text(response)


@time_machine.travel(AFTER)
def test_without_a_deadline_the_formation_page_says_why_it_cannot_proceed(region):
    region.round.self_assessment_due = None
    region.round.save()
    client = client_for(staff_of(region.sha_a))

    refused = client.get(url(region), follow=True)
    formation = client.get(url(region, "formation"))

    assert refused.redirect_chain == [(url(region, "formation"), 302)]
    assert "has no self-assessment deadline: the boards were given no date to miss" in text(refused)
    assert "proceed-without-self-assessment/" not in formation.content.decode()
    assert "has no self-assessment deadline: once the national team sets one" in text(formation)


@time_machine.travel(AFTER)
@pytest.mark.parametrize("method", ["get", "post"])
def test_proceed_page_not_found_for_other_regions_staff_and_the_board(region, method):
    outsiders = [
        staff_of(region.sha_b),
        RoleFactory(kind=Role.Kind.PCT_BOARD, pct=region.pct).user,
        RoleFactory(kind=Role.Kind.SHA_STAFF, sha=SHAFactory()).user,
    ]
    answers = [
        getattr(client_for(user), method)(url(region), {"reason": "x"}).status_code
        for user in outsiders
    ]

    assert answers == [404, 404, 404]
    assert StageChange.objects.count() == 0


@time_machine.travel(AFTER)
def test_proceed_page_sends_the_logged_out_to_login(region):
    response = Client().get(url(region))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@time_machine.travel(AFTER)
def test_proceed_blank_reason_shows_the_error_summary_linked_to_the_field(region):
    response = client_for(staff_of(region.sha_a)).post(url(region), {"reason": " ", "version": 1})

    assert response.templates[0].name == "panels/proceed_without.html"
    assert summary_entries(response.context["form"]) == [
        (
            "#id_reason",
            "Reason: Give the reason for proceeding without the board's self-assessment.",
        )
    ]
    assert "<title>Error: Proceed without" in response.content.decode()  # once, not twice
    assert StageChange.objects.count() == 0


@time_machine.travel(AFTER)
def test_proceed_check_page_says_what_happens_and_who_is_told(region):
    board = RoleFactory(
        kind=Role.Kind.PCT_BOARD, pct=region.pct, user__first_name="Bea", user__last_name="Board"
    ).user
    response = client_for(staff_of(region.sha_a)).post(
        url(region), {"reason": "No board account", "version": region.assessment.version}
    )

    assert response.templates[0].name == "confirm.html"
    assert response.context["button"] == "Confirm and proceed without the self-assessment"
    assert response.context["happens"][1] == (
        "Assessed PCT moves on to panel formation, with your reason in its history: "
        "No board account"
    )
    assert response.context["told"] == (
        f"The board's members ({board.get_full_name()}) are e-mailed your reason and your name."
    )
    assert response.context["carry"] == [
        ("reason", "No board account"),
        ("version", str(region.assessment.version)),
    ]
    assert StageChange.objects.count() == 0


@time_machine.travel(AFTER)
def test_proceed_go_back_keeps_the_typed_reason(region):
    client = client_for(staff_of(region.sha_a))
    check = client.post(url(region), {"reason": "Board late by a month", "version": 1})

    back = client.get(check.context["back"])

    assert back.context["form"].initial["reason"] == "Board late by a month"
    assert "Board late by a month</textarea>" in back.content.decode()


@time_machine.travel(AFTER)
def test_proceed_confirm_moves_on_and_returns_to_formation(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=region.pct)
    client = client_for(staff_of(region.sha_a))
    version = region.assessment.version
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(region), {"reason": "No board account", "version": version, "confirm": "1"}
        )

    assert response.status_code == 302
    assert response["Location"] == url(region, "formation")
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.PANEL_FORMATION
    assert list(StageChange.objects.values_list("note", "without_self_assessment")) == [
        ("No board account", True)
    ]
    assert len(mailoutbox) == 1
    page = client.get(response["Location"])
    assert [str(m) for m in page.context["messages"]] == [
        "Assessed PCT is at panel formation without its board's self-assessment; the board "
        "has been e-mailed."
    ]


@time_machine.travel(AFTER)
def test_proceed_confirm_by_the_national_team(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_for(RoleFactory(kind=Role.Kind.NATIONAL).user)

    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=region.pct, user__email="board@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(region), {"reason": "Late", "version": 1, "confirm": "1"})

    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.PANEL_FORMATION
    # The walk of today's fixes: it read "<the SHA> has moved…", decided by the national team.
    assert "so the national assurance team has moved" in " ".join(mailoutbox[0].body.split())


@time_machine.travel(AFTER)
def test_proceed_confirm_on_a_stale_version_keeps_the_reason(region):
    client = client_for(staff_of(region.sha_a))

    response = client.post(url(region), {"reason": "Late", "version": 99, "confirm": "1"})

    assert response.templates[0].name == "panels/proceed_without.html"
    assert response.context["form"]["reason"].value() == "Late"
    # In the error summary, linked to the reason (it was only a message above the page).
    ((link, message),) = summary_entries(response.context["form"])
    assert (link, "was changed by someone else" in message) == ("#id_reason", True)
    assert 'name="version" value="1"' in response.content.decode()  # now stored: confirm again
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.SELF_ASSESSMENT


@time_machine.travel(datetime.datetime(2009, 9, 30, 12, tzinfo=datetime.UTC))
def test_proceed_before_the_deadline_returns_to_formation_saying_why(region):
    client = client_for(staff_of(region.sha_a))

    response = client.get(url(region))

    assert response["Location"] == url(region, "formation")
    page = client.get(response["Location"])
    assert "The board has until 30 September 2009" in text(page)
    assert "proceed-without-self-assessment" not in text(page)


@time_machine.travel(AFTER)
def test_formation_page_links_to_proceed_without_past_the_deadline(region):
    response = client_for(staff_of(region.sha_a)).get(url(region, "formation"))

    assert f'href="{url(region)}"' in text(response)


@time_machine.travel(AFTER)
def test_formation_page_has_no_link_once_past_self_assessment(region):
    region.assessment.stage = Stage.PANEL_FORMATION
    region.assessment.save()

    response = client_for(staff_of(region.sha_a)).get(url(region, "formation"))

    assert "proceed-without-self-assessment" not in text(response)


@time_machine.travel(AFTER)
def test_consensus_page_says_the_sha_proceeded_without_the_self_assessment(region):
    from assessments.proceeding import assessment_proceed_without_self_assessment
    from tests.factories.panels import PanelFactory

    staff = staff_of(region.sha_a)
    assessment_proceed_without_self_assessment(
        assessment=region.assessment, by=staff, reason="No board account", expected_version=1
    )
    region.assessment.refresh_from_db()
    region.assessment.stage = Stage.CONSENSUS
    region.assessment.save()
    PanelFactory(assessment=region.assessment)

    response = client_for(staff).get(url(region, "consensus"))

    assert response.context["view"].proceeded_without.reason == "No board account"
    assert (
        "The board did not submit a self-assessment: the SHA proceeded without it on "
        "5 October 2009 (No board account)."
    ) in text(response)


@time_machine.travel(AFTER)
def test_the_reason_box_cuts_nothing_and_says_its_limit(region):
    """The accessibility walk: maxlength kept a pasted reason's first 1,000 characters
    without a word."""
    client = client_for(staff_of(region.sha_a))

    page = client.get(url(region))
    refused = client.post(url(region), {"reason": "x" * 1200, "version": 1})

    assert "maxlength" not in page.content.decode()
    assert "in at most 1,000 characters" in text(page)
    assert refused.context["form"].errors["reason"] == [
        "Keep the reason to 1,000 characters or fewer (it has 1200)."
    ]
    assert "x" * 1200 in refused.content.decode()


@time_machine.travel(AFTER)
def test_the_board_reads_on_its_closed_draft_who_proceeded_without_it_and_why(region):
    """The walk of today's fixes: the board's home still offered "Draft: continue", and the
    page said only that the assessment was at panel formation."""
    from assessments.models import SelfAssessment

    SelfAssessment.objects.create(assessment=region.assessment)
    staff = client_for(staff_of(region.sha_a))
    staff.post(url(region), {"reason": "No answer to two reminders.", "version": 1, "confirm": "1"})
    board = client_for(RoleFactory(kind=Role.Kind.PCT_BOARD, pct=region.pct).user)

    page = text(
        board.get(f"/assessments/{region.round.slug}/{region.pct.ods_code}/self-assessment/")
    )
    home = text(board.get("/"))

    assert "The self-assessment is closed, not submitted:" in page
    assert "Their reason: No answer to two reminders." in page
    assert "Draft: continue" not in home
    assert "Not submitted: view" in home
