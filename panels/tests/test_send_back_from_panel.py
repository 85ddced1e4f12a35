"""Sending the board's submitted self-assessment back from the panel's page
(``assessments.reopening``): the link on the panel's page and who sees it, the seats kept,
and scoring held until the board resubmits."""

import datetime

import pytest
from django.test import Client

from assessments.exceptions import TransitionError
from assessments.models import Role, SelfAssessment, Stage
from assessments.reopening import self_assessment_send_back
from assessments.services import self_assessment_submit
from panels.models import Seat
from panels.services.formation import panel_open_scoring, panel_open_scoring_check
from panels.tests.formation_builders import build_region
from tests.factories import RoleFactory, SelfAssessmentFactory

pytestmark = pytest.mark.django_db

SUBMITTED = datetime.datetime(2009, 9, 20, 12, tzinfo=datetime.UTC)


@pytest.fixture
def region():
    """A PCT at panel formation, every seat filled, its board's self-assessment submitted."""
    region = build_region(stage=Stage.PANEL_FORMATION)
    region.seated()
    SelfAssessmentFactory(
        assessment=region.assessment,
        status=SelfAssessment.Status.SUBMITTED,
        submitted_at=SUBMITTED,
    )
    return region


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def panel_url(region) -> str:
    return f"/panels/{region.round.slug}/{region.pct.ods_code}/"


def send_back_url(region) -> str:
    return f"/assessments/{region.round.slug}/{region.pct.ods_code}/self-assessment/send-back/"


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


def shows_link(user, region) -> bool:
    response = client_for(user).get(panel_url(region))
    assert response.status_code == 200
    return f'href="{send_back_url(region)}"' in response.content.decode()


def test_the_panels_page_links_staff_of_the_region_and_the_national_team(region):
    seat_holder = region.people[2].user

    assert [
        shows_link(user, region)
        for user in (
            staff_of(region.sha_a),
            RoleFactory(kind=Role.Kind.NATIONAL).user,
            seat_holder,
        )
    ] == [True, True, False]


@pytest.mark.parametrize("stage", [Stage.SCORING, Stage.CONSENSUS])
def test_no_link_once_scoring_has_opened(region, stage):
    region.assessment.stage = stage
    region.assessment.save()

    assert shows_link(staff_of(region.sha_a), region) is False


def test_no_link_without_a_submitted_self_assessment(region):
    SelfAssessment.objects.update(status=SelfAssessment.Status.DRAFT)

    assert shows_link(staff_of(region.sha_a), region) is False


def test_seats_stay_and_scoring_waits_until_the_board_resubmits(region):
    staff = staff_of(region.sha_a)
    board = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=region.pct).user
    seats = list(Seat.objects.order_by("pk").values_list("seat_type__number", "person_id"))

    self_assessment_send_back(
        assessment=region.assessment,
        by=staff,
        reason="The wrong financial strategy.",
        expected_version=region.assessment.version,
    )

    assert list(Seat.objects.order_by("pk").values_list("seat_type__number", "person_id")) == (
        seats
    )
    with pytest.raises(TransitionError) as refused:
        panel_open_scoring_check(assessment=region.assessment)
    assert str(refused.value) == (
        f"Scoring opens from Panel formation; the assessment of {region.pct} is at Self-assessment."
    )

    self_assessment_submit(
        assessment=region.assessment,
        by=board,
        expected_version=SelfAssessment.objects.get().version,
    )
    panel_open_scoring(assessment=region.assessment, by=staff)

    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.SCORING
