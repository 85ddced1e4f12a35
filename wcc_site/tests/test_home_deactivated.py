"""The work lists ("Waiting for you") name each panel scoring or at consensus that waits
for a member deactivated since, who has neither submitted nor been excused: for its chair
(excuse them) and for its region's SHA staff (replace them, or hand the chair on). One
query for all the panels of each list."""

import pytest
from django.utils import timezone

from assessments.models import Role, Stage
from panels.models import Panel, Person, Seat
from panels.tests.formation_builders import build_region
from tests.factories import PCTFactory, RoleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = build_region(stage=Stage.SCORING)
    region.panel = region.seated()
    return region


def another_panel(region, *, stage=Stage.SCORING, name="Other PCT", sha=None) -> Panel:
    """Another PCT (of SHA Alpha unless ``sha``) whose panel holds the same five people."""
    assessment = region.assessment_in(
        region.round, pct=PCTFactory(sha=sha or region.sha_a, name=name), stage=stage
    )
    panel = Panel.objects.create(assessment=assessment)
    for number, seat_type in region.seat_types.items():
        Seat.objects.create(panel=panel, seat_type=seat_type, person=region.people[number])
    return panel


def off(*people: Person) -> None:
    Person.objects.filter(pk__in=[p.pk for p in people]).update(is_active=False)


def queue(client, user, key: str) -> list[tuple[str, str, str]]:
    client.force_login(user)
    queues = {q.key: q for q in client.get("/").context["queues"]}
    return [(i.label, i.url, i.detail) for i in queues[key].items] if key in queues else []


def base(region, pct=None) -> str:
    return f"/panels/{region.round.slug}/{(pct or region.pct).ods_code}/"


# --- The chair ------------------------------------------------------------------------------


def test_the_chairs_home_lists_each_panel_waiting_for_a_deactivated_member(client, region):
    other = another_panel(region, stage=Stage.CONSENSUS)
    done = another_panel(region, name="Done PCT")
    Seat.objects.filter(panel=done, seat_type__number=2).update(submitted_at=timezone.now())
    excused = another_panel(region, name="Excused PCT")
    Seat.objects.filter(panel=excused, seat_type__number=2).update(absence_reason="Ill.")
    another_panel(region, stage=Stage.MODERATION, name="Moderated PCT")
    off(region.people[2])

    got = queue(client, region.people[1].user, "chair-held-up")

    name = region.round.name
    assert got == [
        (
            "Panel of Assessed PCT: Bob Medic was deactivated",
            base(region) + "consensus/",
            f"{name}, seat 2: excuse them (or SHA staff replace them)",
        ),
        (
            "Panel of Other PCT: Bob Medic was deactivated",
            base(region, other.assessment.pct) + "consensus/",
            f"{name}, seat 2: excuse them",
        ),
    ]


def test_the_chairs_home_lists_nothing_when_nobody_is_deactivated(client, region):
    assert queue(client, region.people[1].user, "chair-held-up") == []


def test_an_acting_chair_is_told_and_the_chair_it_stands_in_for_is_not(client, region):
    region.panel.acting_chair = Seat.objects.get(panel=region.panel, seat_type__number=3)
    region.panel.save(update_fields=["acting_chair"])
    off(region.people[2])

    assert [label for label, _u, _d in queue(client, region.people[3].user, "chair-held-up")] == [
        "Panel of Assessed PCT: Bob Medic was deactivated"
    ]
    assert queue(client, region.people[1].user, "chair-held-up") == []


# --- SHA staff ------------------------------------------------------------------------------


def test_sha_staffs_home_lists_what_to_do_for_each_waiting_panel(client, region):
    consensus = another_panel(region, stage=Stage.CONSENSUS, name="Consensus PCT")
    another_panel(region, stage=Stage.MODERATION, name="Moderated PCT")
    another_panel(region, name="Far Region PCT", sha=region.sha_b)
    off(region.people[1], region.people[2])
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a).user

    got = queue(client, staff, "held-up")

    name, cpct = region.round.name, consensus.assessment.pct
    assert got == [
        (
            "Panel of Assessed PCT: Ann Chair was deactivated",
            base(region) + "chair/hand/",
            f"{name}, seat 1: hand the chair to another member",
        ),
        (
            "Panel of Assessed PCT: Bob Medic was deactivated",
            base(region) + "seats/2/replace/",
            f"{name}, seat 2: replace them (or the chair excuses them)",
        ),
        (
            "Panel of Consensus PCT: Ann Chair was deactivated",
            base(region, cpct) + "chair/hand/",
            f"{name}, seat 1: hand the chair to another member",
        ),
        (
            "Panel of Consensus PCT: Bob Medic was deactivated",
            base(region, cpct) + "formation/",
            f"{name}, seat 2: at consensus: the chair excuses them",
        ),
    ]


def test_another_regions_staff_are_not_told(client, region):
    off(region.people[2])

    assert (
        queue(client, RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_b).user, "held-up") == []
    )


# --- Query counts ----------------------------------------------------------------------------


@pytest.mark.parametrize("panels", [1, 3])
def test_the_chairs_home_reads_the_waiting_panels_in_one_query(
    client, region, django_assert_num_queries, panels
):
    for n in range(panels - 1):
        another_panel(region, name=f"Other PCT {n}")
    off(region.people[2], region.people[3])
    client.force_login(region.people[1].user)

    with django_assert_num_queries(7):  # 5, then "Consensus to hold" and this list
        response = client.get("/")

    queues = {q.key: q for q in response.context["queues"]}
    assert len(queues["chair-held-up"].items) == 2 * panels


@pytest.mark.parametrize("panels", [1, 3])
def test_sha_staffs_home_reads_the_waiting_panels_in_one_query(
    client, region, django_assert_num_queries, panels
):
    for n in range(panels - 1):
        another_panel(region, name=f"Other PCT {n}")
    off(region.people[2], region.people[3])
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a).user)

    with django_assert_num_queries(13):  # 5 + eight SHA staff queues
        response = client.get("/")

    queues = {q.key: q for q in response.context["queues"]}
    assert queues["held-up"].count == 2 * panels
