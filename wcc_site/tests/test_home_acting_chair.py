"""The home page's "Consensus to hold" while SHA staff have handed a panel's chair to
another member (``panels.services.formation.panel_acting_chair_set``): it is listed for
the acting chair, and no longer for the chair, whose other panels stay listed."""

import pytest
from django.utils import timezone
from django.utils.formats import date_format

from assessments.models import Assessment, Stage
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


def waiting(response) -> dict[str, list[tuple[str, str, str]]]:
    return {
        q.key: [(item.label, item.url, item.detail) for item in q.items]
        for q in response.context["queues"]
    }


def test_acting_chair_while_scoring_is_told_they_chair_since_when_and_what_it_means(client, region):
    """Walk W: the acting chair's "Waiting for you" showed only "Scores due"; the consensus
    link was only under "My panels", and nothing said they chaired the panel."""
    Assessment.objects.filter(pk=region.assessment.pk).update(stage=Stage.SCORING)
    Seat.objects.filter(panel=region.panel).update(submitted_at=None)
    hand_to(region, 3)
    since = date_format(timezone.localdate(), "j F Y")
    consensus = f"/panels/{region.round.slug}/{region.pct.ods_code}/consensus/"
    client.force_login(region.people[3].user)

    response = client.get("/")

    assert waiting(response)["acting-chair"] == [
        (
            "Assessed PCT",
            consensus,
            f"{region.round.name}, acting chair since {since} (Ann Chair is ill). While "
            "members score, you may excuse a member who cannot take part; once scoring "
            "ends, you record the panel's consensus.",
        )
    ]
    assert list(waiting(response)) == ["scores", "acting-chair"]
    page = response.content.decode()
    assert f'<a href="{consensus}">Assessed PCT</a>' in page
    assert "Panels you chair as acting chair" in page
    assert page.count('data-test="acting-mark"') == 1  # beside their seat in "My panels"
    # The chair's seat holder, and a member, are not told they chair it.
    client.force_login(region.people[1].user)
    assert "acting-chair" not in waiting(client.get("/"))
    client.force_login(region.people[2].user)
    assert "acting-chair" not in waiting(client.get("/"))


def test_acting_chair_at_consensus_is_said_so_in_consensus_to_hold(client, region):
    hand_to(region, 3)
    since = date_format(timezone.localdate(), "j F Y")
    client.force_login(region.people[3].user)

    response = client.get("/")

    assert [detail for _l, _u, detail in waiting(response)["consensus"]] == [
        f"{region.round.name}, acting chair since {since} (Ann Chair is ill)"
    ]
    assert "acting-chair" not in waiting(response)


def test_the_chair_handed_back_is_not_called_acting_chair(client, region):
    hand_to(region, 3)
    panel = Panel.objects.get(pk=region.panel.pk)
    panel_acting_chair_set(
        panel=panel, seat=None, reason="Back", by=UserFactory(), expected_version=panel.version
    )
    client.force_login(region.people[1].user)

    response = client.get("/")

    assert [detail for _l, _u, detail in waiting(response)["consensus"]] == [region.round.name]
    assert 'data-test="acting-mark"' not in response.content.decode()


@pytest.mark.parametrize("n", [1, 3])
def test_home_of_an_acting_chair_while_scoring_reads_in_constant_queries(
    client, region, django_assert_num_queries, n
):
    Assessment.objects.filter(pk=region.assessment.pk).update(stage=Stage.SCORING)
    Seat.objects.filter(panel=region.panel).update(submitted_at=None)
    hand_to(region, 3)
    for i in range(n - 1):  # more panels handed to them while scoring
        other = AssessmentFactory(
            round=region.round,
            pct=PCTFactory(sha=region.sha_a, name=f"Other PCT {i}"),
            stage=Stage.SCORING,
        )
        panel = Panel.objects.create(assessment=other)
        Seat.objects.create(panel=panel, seat_type=region.seat_types[1], person=region.people[1])
        mine = Seat.objects.create(
            panel=panel, seat_type=region.seat_types[3], person=region.people[3]
        )
        panel_acting_chair_set(
            panel=panel, seat=mine, reason="Ill", by=UserFactory(), expected_version=panel.version
        )
    client.force_login(region.people[3].user)

    with django_assert_num_queries(7):  # as before: the chair's two lists read the dates
        response = client.get("/")

    assert len(waiting(response)["acting-chair"]) == n
