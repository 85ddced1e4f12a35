"""The panel's history (``panels.selectors.assessment_history``, ``/history/``) lists each
holder of one of its seats deactivated while the panel was at work, with the reason, by
whom and when."""

import datetime
import re

import pytest
from django.utils import timezone

from assessments.models import Role, Stage
from panels.models import Panel, PersonChange, Seat, SeatChange
from panels.selectors import assessment_history
from panels.tests.formation_builders import build_region
from tests.factories import RoleFactory, StageChangeFactory, UserFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2009, 11, 2, 9, 0, tzinfo=datetime.UTC)


def at(days: int) -> datetime.datetime:
    return T0 + datetime.timedelta(days=days)


@pytest.fixture
def region():
    region = build_region(stage=Stage.SCORING)
    region.panel = region.seated()
    Panel.objects.filter(pk=region.panel.pk).update(created_at=at(0))
    StageChangeFactory(
        assessment=region.assessment,
        from_stage=Stage.PANEL_FORMATION,
        to_stage=Stage.SCORING,
        changed_at=at(1),
    )
    return region


def deactivated(person, *, when, by=None, note="Left the NHS in June."):
    return PersonChange.objects.create(
        person=person,
        action=PersonChange.Action.DEACTIVATED,
        changed_at=when,
        changed_by=by,
        note=note,
    )


def people_entries(region):
    return [
        (e.when, e.who, e.item, e.change, e.note)
        for e in assessment_history(assessment=region.assessment)
        if e.kind == "person"
    ]


def test_a_holder_deactivated_while_scoring_is_in_the_panels_history(region):
    staff = UserFactory(first_name="Sam", last_name="Staff")
    deactivated(region.people[2], when=at(3), by=staff)

    assert people_entries(region) == [
        (
            at(3),
            staff,
            f"Seat 2: {region.seat_types[2].name}",
            "Bob Medic deactivated",
            "Left the NHS in June.",
        )
    ]


def test_deactivations_before_the_panel_or_after_consensus_are_not(region):
    deactivated(region.people[2], when=at(-5))  # before the panel was formed
    StageChangeFactory(
        assessment=region.assessment,
        from_stage=Stage.CONSENSUS,
        to_stage=Stage.MODERATION,
        changed_at=at(10),
    )
    deactivated(region.people[3], when=at(12))  # the panel's work was done
    deactivated(region.people[4], when=at(8))  # still at work then

    assert [e[3] for e in people_entries(region)] == ["Dan Outside deactivated"]


def test_a_holder_replaced_after_being_deactivated_stays_in_the_history(region):
    deactivated(region.people[2], when=at(3))
    seat = Seat.objects.get(panel=region.panel, seat_type__number=2)
    SeatChange.objects.create(
        seat=seat,
        how=SeatChange.How.REPLACED,
        old_person=region.people[2],
        new_person=region.people[5],  # any person: the history reads the change
        changed_at=at(4),
    )
    Seat.objects.filter(pk=seat.pk).update(person=None)

    assert [(e[2], e[3]) for e in people_entries(region)] == [
        (f"Seat 2: {region.seat_types[2].name}", "Bob Medic deactivated")
    ]


def test_a_person_deactivated_after_leaving_the_panel_is_not(region):
    seat = Seat.objects.get(panel=region.panel, seat_type__number=2)
    SeatChange.objects.create(
        seat=seat, how=SeatChange.How.REPLACED, old_person=region.people[2], changed_at=at(2)
    )
    Seat.objects.filter(pk=seat.pk).update(person=None)
    deactivated(region.people[2], when=at(3))

    assert people_entries(region) == []


def test_another_panels_member_is_not_in_this_history(region):
    other = build_region(stage=Stage.SCORING, slug="2010-11")
    other.seated()
    deactivated(other.people[2], when=timezone.now())

    assert people_entries(region) == []


def test_the_history_page_shows_the_deactivation_and_its_reason(client, region):
    deactivated(region.people[2], when=at(3), by=UserFactory(first_name="Sam", last_name="Staff"))
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a).user)

    page = re.sub(
        r"\s+",
        " ",
        client.get(f"/panels/{region.round.slug}/{region.pct.ods_code}/history/").content.decode(),
    )

    assert (
        '<tr data-test="entry" data-kind="person"> <td><time datetime="2009-11-05T09:00:00+00:00">'
        "5 Nov 2009 09:00</time></td> <td>Sam Staff</td> "
        f'<th scope="row">Seat 2: {region.seat_types[2].name}</th> <td>Bob Medic deactivated</td> '
        "<td>Deactivated on the people list</td> <td>Left the NHS in June.</td>" in page
    )


@pytest.mark.parametrize("people", [1, 3])
def test_history_queries_do_not_grow_with_deactivated_holders(
    client, region, django_assert_num_queries, people
):
    for n in range(2, 2 + people):
        deactivated(region.people[n], when=at(3))
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a).user)

    with django_assert_num_queries(9):
        response = client.get(f"/panels/{region.round.slug}/{region.pct.ods_code}/history/")

    assert [e.kind for e in response.context["entries"]].count("person") == people
