"""Walk AC on the home pages: a member taken off their seat was told no panel had given them
one yet; SHA staff were not told of a seat whose holder may no longer sit in it.

Personas: the replaced member, staff of SHA Alpha (may), staff of SHA Beta (other region)."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import Role, Stage
from panels.models import JobRole, Panel, Seat, SeatChange
from panels.services.formation import panel_seats_set
from panels.tests.formation_builders import build_region, person
from tests.factories import PCTFactory, RoleFactory, SeatChangeFactory
from wcc_site.account_selectors import replaced_from

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = build_region()
    region.panel = region.seated()
    region.staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a).user
    return region


def text(response) -> str:
    words = re.sub(r"<[^>]+>", "", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(words))


def replace_cat(region):
    """Seat 3 given to someone else at panel formation: Cat Services is off the panel."""
    other = person(JobRole.DIRECTOR_CHILDRENS_SERVICES, pct=region.other_pct_a, name="Di Other")
    panel_seats_set(
        panel=region.panel,
        people={3: other},
        by=region.staff,
        expected_version=region.panel.version,
    )


def today() -> str:
    return f"{timezone.localdate():%-d %B %Y}"


# --- The member taken off a panel ---------------------------------------------------------------


def test_a_replaced_members_home_says_which_panel_and_when(client, region):
    replace_cat(region)
    client.force_login(region.people[3].user)

    response = client.get("/")

    assert (
        "You no longer sit on any panel: you were replaced on the panel of Assessed PCT "
        f"(2009-10) on {today()}."
    ) in text(response)
    assert "no panel has given you a seat yet" not in text(response)


def test_a_replaced_members_account_page_says_so(client, region):
    replace_cat(region)
    client.force_login(region.people[3].user)

    response = client.get(reverse("account"))

    assert (
        "On the list of the panel members of the SHA Alpha SHA: you no longer sit on any panel "
        f"(you were replaced on the panel of Assessed PCT (2009-10) on {today()})"
    ) in text(response)


def test_a_member_whose_seat_was_emptied_is_told_they_were_taken_off(client, region):
    panel_seats_set(
        panel=region.panel, people={3: None}, by=region.staff, expected_version=region.panel.version
    )
    client.force_login(region.people[3].user)

    response = client.get("/")

    assert (
        "You no longer sit on any panel: you were taken off the panel of Assessed PCT "
        f"(2009-10) on {today()}."
    ) in text(response)


def test_handing_the_chair_on_or_excusing_is_not_a_replacement(region):
    """The chair handing the chair to another member (old: the chair, new: the acting
    chair), or a member excused, keeps their seat: not "replaced"."""
    seat_1 = region.panel.seats.get(seat_type__number=1)
    seat_3 = region.panel.seats.get(seat_type__number=3)
    SeatChangeFactory(
        seat=seat_1,
        how=SeatChange.How.ACTING,
        old_person=region.people[1],
        new_person=region.people[2],
    )
    SeatChangeFactory(
        seat=seat_3,
        how=SeatChange.How.EXCUSED,
        old_person=region.people[3],
        new_person=region.people[3],
    )

    assert replaced_from(region.people[1]) == ""
    assert replaced_from(region.people[3]) == ""


def test_a_member_never_seated_is_still_told_no_panel_gave_them_one(client, region):
    newcomer = person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="Nel New")
    client.force_login(newcomer.user)

    response = client.get("/")

    assert "but no panel has given you a seat yet" in text(response)
    assert 'data-test="replaced"' not in response.content.decode()


# --- SHA staff: "Seats to replace" --------------------------------------------------------------


def move_to_assessed(*people) -> None:
    """As a confirmed edit leaves them: working for the PCT whose panel they sit on."""
    for p in people:
        p.pct = p.seats.first().panel.assessment.pct
        p.save(update_fields=["pct"])


def queues(client, user) -> dict:
    client.force_login(user)
    return {q.key: q for q in client.get("/").context["queues"]}


def test_sha_staff_see_a_seat_to_replace_with_the_rule_and_the_link(client, region):
    move_to_assessed(region.people[3])

    found = queues(client, region.staff)["to-replace"]

    assert found.title == "Seats to replace"
    assert found.count == 1
    assert [(i.label, i.url, i.detail) for i in found.items] == [
        (
            "Panel of Assessed PCT: Cat Services may no longer sit on it",
            f"/panels/2009-10/{region.pct.ods_code}/formation/#id_seat_3",
            f"{region.round.name}, seat 3: Cat Services now works for Assessed PCT, the PCT "
            "assessed: nobody may sit on the panel of their own organisation. Choose someone "
            "else for seat 3.",
        )
    ]


def test_another_regions_staff_are_not_told(client, region):
    move_to_assessed(region.people[3])

    found = queues(client, RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_b).user)

    assert "to-replace" not in found


def test_a_seat_on_a_panel_at_moderation_is_not_listed(client, region):
    move_to_assessed(region.people[3])
    region.assessment.stage = Stage.MODERATION
    region.assessment.save(update_fields=["stage"])

    assert "to-replace" not in queues(client, region.staff)


def test_an_sha_director_moved_to_another_sha_is_listed(client, region):
    chair = region.people[1]
    chair.sha = region.sha_b
    chair.save(update_fields=["sha"])

    found = queues(client, region.staff)["to-replace"]

    assert [i.detail for i in found.items] == [
        f"{region.round.name}, seat 1: Ann Chair now works for SHA Beta, and seat 1 (Local SHA "
        "director (chair)) takes someone from the assessed PCT's own SHA. Choose someone else "
        "for seat 1."
    ]


@pytest.mark.parametrize("panels", [1, 3])
def test_sha_staffs_home_reads_the_seats_to_replace_in_the_held_up_query(
    client, region, django_assert_num_queries, panels
):
    for n in range(panels - 1):
        assessment = region.assessment_in(
            region.round, pct=PCTFactory(sha=region.sha_a, name=f"Other PCT {n}")
        )
        panel = Panel.objects.create(assessment=assessment)
        Seat.objects.create(panel=panel, seat_type=region.seat_types[2], person=region.people[2])
    region.people[2].pct = region.pct  # a conflict on the first panel only
    region.people[2].save(update_fields=["pct"])
    region.people[2].seats.exclude(panel=region.panel).update(person=None)
    for n, seat in enumerate(Seat.objects.filter(person=None)):
        mover = person(JobRole.MEDICAL_DIRECTOR, pct=seat.panel.assessment.pct, name=f"M {n}")
        seat.person = mover
        seat.save(update_fields=["person"])
    client.force_login(region.staff)

    with django_assert_num_queries(13):  # 5 + eight SHA staff queues, as before
        response = client.get("/")

    found = {q.key: q for q in response.context["queues"]}["to-replace"]
    assert found.count == panels
