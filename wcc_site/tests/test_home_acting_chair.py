"""The home page's "Consensus to hold" while SHA staff have handed a panel's chair to
another member (``panels.services.formation.panel_acting_chair_set``): it is listed for
the acting chair, and no longer for the chair, whose other panels stay listed."""

import pytest
from django.utils import timezone

from assessments.models import Stage
from panels.models import Panel, Seat
from panels.services.formation import panel_acting_chair_set
from panels.tests.formation_builders import build_region
from tests.factories import AssessmentFactory, PCTFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = build_region(stage=Stage.CONSENSUS)
    region.panel = region.seated()
    Seat.objects.filter(panel=region.panel).update(submitted_at=timezone.now())
    return region


def hand_to(region, number: int) -> None:
    panel = Panel.objects.get(pk=region.panel.pk)
    panel_acting_chair_set(
        panel=panel,
        seat=Seat.objects.get(panel=panel, seat_type__number=number),
        reason="Ann Chair is ill",
        by=UserFactory(),
        expected_version=panel.version,
    )


def consensus_list(client, user) -> list[str]:
    client.force_login(user)
    queues = {q.key: q for q in client.get("/").context["queues"]}
    return [item.label for item in queues["consensus"].items] if "consensus" in queues else []


def test_consensus_to_hold_moves_to_the_acting_chair(client, region):
    assert consensus_list(client, region.people[1].user) == ["Assessed PCT"]
    assert consensus_list(client, region.people[3].user) == []

    hand_to(region, 3)

    assert consensus_list(client, region.people[1].user) == []
    assert consensus_list(client, region.people[3].user) == ["Assessed PCT"]


def test_the_chairs_other_panels_stay_on_their_list(client, region):
    other = AssessmentFactory(
        round=region.round,
        pct=PCTFactory(sha=region.sha_a, name="Other PCT"),
        stage=Stage.CONSENSUS,
    )
    Seat.objects.create(
        panel=Panel.objects.create(assessment=other),
        seat_type=region.seat_types[1],
        person=region.people[1],
    )

    hand_to(region, 3)

    assert consensus_list(client, region.people[1].user) == ["Other PCT"]


@pytest.mark.parametrize("acting", [False, True])
def test_home_of_an_acting_chair_reads_their_list_in_one_query_more(
    client, region, django_assert_num_queries, acting
):
    if acting:
        hand_to(region, 3)
    client.force_login(region.people[3].user)

    # Whether they chair a panel is read from the seats already loaded (``Seat.presides``):
    # only its lists (consensus to hold, panels waiting for a deactivated member) are
    # two more queries.
    with django_assert_num_queries(7 if acting else 5):
        response = client.get("/")

    assert [q.key for q in response.context["queues"]] == (["consensus"] if acting else [])
