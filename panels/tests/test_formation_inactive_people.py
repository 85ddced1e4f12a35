"""Panel formation and deactivated people: never offered or given a new seat; the seats
they hold stay theirs."""

import pytest

from assessments.models import Role, Stage
from panels.eligibility import seat_types_open_to
from panels.models import Seat, SeatChange
from panels.selectors import eligible_people
from panels.services.formation import (
    SeatRefused,
    panel_copy_previous,
    panel_ensure,
    panel_open_scoring,
    panel_seats_set,
)
from panels.tests.formation_builders import build_region
from tests.factories import RoleFactory, UserFactory

pytestmark = pytest.mark.django_db


def _deactivate(person):
    person.is_active = False
    person.save(update_fields=["is_active"])


def test_eligible_people_leaves_out_a_deactivated_person():
    region = build_region()
    _deactivate(region.people[4])

    offered = eligible_people(seat_type=region.seat_types[4], assessment=region.assessment)

    assert list(offered) == []


def test_panel_seats_set_refuses_a_deactivated_person_naming_them_and_writes_nothing():
    region = build_region()
    panel = panel_ensure(assessment=region.assessment)
    _deactivate(region.people[4])

    with pytest.raises(SeatRefused) as caught:
        panel_seats_set(panel=panel, people=region.people, by=UserFactory(), expected_version=1)

    assert caught.value.message_dict == {
        "seat_4": [
            f"Seat 4 ({region.seat_types[4].name}): {region.people[4].full_name} has been "
            "deactivated and can no longer be given a seat."
        ]
    }
    assert set(Seat.objects.filter(panel=panel).values_list("person", flat=True)) == {None}
    assert SeatChange.objects.count() == 0


def test_a_deactivated_holder_keeps_their_seat_but_scoring_does_not_open():
    """They could not log in to score: the panel would wait for them until the chair
    excused them. The seat is theirs until someone else is chosen."""
    region = build_region()
    panel = region.seated()
    _deactivate(region.people[4])

    panel_seats_set(panel=panel, people={1: region.people[1]}, by=UserFactory(), expected_version=1)
    with pytest.raises(SeatRefused) as caught:
        panel_open_scoring(assessment=region.assessment, by=UserFactory())

    assert caught.value.message_dict == {
        "seat_4": [
            f"Seat 4 ({region.seat_types[4].name}): {region.people[4].full_name} has been "
            "deactivated and could not log in to score; choose someone else for the seat."
        ]
    }
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.PANEL_FORMATION
    assert Seat.objects.get(panel=panel, seat_type__number=4).person == region.people[4]


def test_panel_copy_previous_skips_a_deactivated_holder():
    region = build_region()
    region.last_years_panel()
    _deactivate(region.people[4])

    result = panel_copy_previous(assessment=region.assessment, by=UserFactory())

    assert [s.seat_type.number for s in result.copied] == [1, 2, 3, 5]
    assert result.skipped == [
        f"Seat 4 ({region.seat_types[4].name}): {region.people[4].full_name} has been "
        "deactivated and can no longer be given a seat."
    ]


def test_seat_types_open_to_follows_job_role_and_kind_of_organisation():
    region = build_region()
    seat_types = list(region.seat_types.values())

    open_to = {
        number: [t.number for t in seat_types_open_to(person, seat_types)]
        for number, person in region.people.items()
    }

    assert open_to == {1: [1], 2: [2], 3: [3], 4: [4], 5: [5]}


def test_deactivating_a_seat_holder_names_the_panels_it_holds_up(client):
    region = build_region(stage=Stage.SCORING)
    region.seated()
    person = region.people[2]
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.post(
        f"/people/{person.pk}/deactivate/", {"confirm": "1", "reason": "Left the NHS."}, follow=True
    )

    warning = [str(m) for m in response.context["messages"]][-1]
    assert warning.startswith(f"{person.full_name} sits on panels still at work: ")
    assert f"{region.pct.name} 2009-10 (seat 2, scoring)" in warning
    assert "until its chair excuses them" in warning
    assert (
        "where they chair the panel, SHA staff can hand the chair to another member (while "
        "scoring or at consensus)" in warning
    )


def test_deactivating_asks_first_saying_what_follows(client):
    """Walk N: the button deactivated at once; what it meant was said only afterwards."""
    region = build_region(stage=Stage.SCORING)
    region.seated()
    person = region.people[2]
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    check = client.post(f"/people/{person.pk}/deactivate/")

    page = check.content.decode()
    assert check.status_code == 200
    assert f"Deactivate {person.full_name}?" in page
    assert "They can no longer log in" in page
    assert f"{region.pct.name} 2009-10 (seat 2, scoring)" in page
    assert check.context["told"] == (
        f"Ann Chair, who chairs the panel of {region.pct.name}, is e-mailed that it waits for "
        f"{person.full_name}, with your reason: they can excuse them."
    )
    assert 'name="reason"' in page
    assert "You can reactivate them later" in page and "cannot be undone" not in page
    person.refresh_from_db()
    assert person.is_active


def test_deactivating_someone_with_no_panel_at_work_says_nothing_more(client):
    region = build_region(stage=Stage.MODERATION)
    region.seated()
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.post(
        f"/people/{region.people[2].pk}/deactivate/",
        {"confirm": "1", "reason": "Left the NHS."},
        follow=True,
    )

    assert [m.level_tag for m in response.context["messages"]] == ["success"]


def test_scoring_does_not_open_with_a_member_who_has_no_account():
    region = build_region()
    panel = region.seated()
    member = region.people[3]
    member.user = None
    member.save(update_fields=["user"])

    with pytest.raises(SeatRefused) as caught:
        panel_open_scoring(assessment=region.assessment, by=UserFactory())

    assert caught.value.message_dict["seat_3"] == [
        f"Seat 3 ({region.seat_types[3].name}): {member.full_name} has no account yet and "
        "could not log in to score; invite them on the people pages first."
    ]
    assert Seat.objects.get(panel=panel, seat_type__number=3).person == member


def test_a_member_deactivated_while_the_panel_forms_leaves_their_seat_to_fill(client):
    """The SHA walk: the formation list still counted the seat as filled (17 complete,
    85 of 85) and showed the name unmarked."""
    from panels.selectors import formation_counts

    region = build_region()
    region.seated()
    person = region.people[2]
    person.is_active = False
    person.save(update_fields=["is_active"])
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a).user)

    page = client.get(f"/panels/{region.round.slug}/formation/").content.decode()

    counts = formation_counts(round=region.round)[region.sha_a.pk]
    assert (counts.filled, counts.panels_complete, counts.ready) == (4, 0, 0)
    assert 'data-test="filled">4/5<' in page
    assert f"2. {person.full_name} " in page and 'data-test="deactivated"' in page
