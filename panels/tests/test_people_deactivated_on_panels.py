"""A member deactivated while their panel is at work is marked on every panel page (the
formation page, the panel's page, the region's formation list), with what to do, read
from the seats already loaded (no query per seat)."""

import re

import pytest
from django.utils import timezone

from assessments.models import Role, Stage
from panels.models import Panel, Person, Seat
from panels.tests.formation_builders import build_region
from tests.factories import PCTFactory, RoleFactory

pytestmark = pytest.mark.django_db


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


def url(region, page=""):
    return f"/panels/{region.round.slug}/{region.pct.ods_code}/" + (f"{page}/" if page else "")


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def marks(response) -> list[str]:
    """What each "Deactivated" mark's line says, in seat order."""
    return [
        re.sub(r"<[^>]+>", "", m)
        for m in re.findall(r'data-test="deactivated-todo">(.*?)</span>', text(response))
    ]


def off(*people: Person) -> None:
    Person.objects.filter(pk__in=[p.pk for p in people]).update(is_active=False)


@pytest.fixture
def region():
    region = build_region(stage=Stage.SCORING)
    region.panel = region.seated()
    return region


def at(region, stage) -> None:
    region.assessment.stage = stage
    region.assessment.save(update_fields=["stage"])


# --- The formation page (SHA staff) ---------------------------------------------------------


def test_formation_page_marks_a_deactivated_member_with_replace_them(client, region):
    off(region.people[2])
    client.force_login(staff_of(region.sha_a))

    response = client.get(url(region, "formation"))

    page = text(response)
    assert marks(response) == [
        "Bob Medic was deactivated on the people list and has not submitted: the panel "
        "waits for them. Replace them, or the chair excuses them on the consensus page."
    ]
    assert f'href="{url(region)}seats/2/replace/">Replace them</a>' in page
    assert page.count('data-test="deactivated"') == 1


def test_formation_page_marks_a_deactivated_chair_with_hand_the_chair(client, region):
    off(region.people[1])
    client.force_login(staff_of(region.sha_a))

    response = client.get(url(region, "formation"))

    assert marks(response) == [
        "Ann Chair was deactivated on the people list and has not submitted: the panel "
        "waits for them. Hand the chair to another member."
    ]


def test_formation_page_at_consensus_sends_to_the_chair(client, region):
    at(region, Stage.CONSENSUS)
    off(region.people[3])
    client.force_login(staff_of(region.sha_a))

    response = client.get(url(region, "formation"))

    assert marks(response) == [
        "Cat Services was deactivated on the people list and has not submitted: the panel "
        "waits for them. The chair excuses them on the consensus page."
    ]


def test_no_mark_for_a_deactivated_member_who_submitted_or_was_excused(client, region):
    Seat.objects.filter(panel=region.panel, seat_type__number=2).update(submitted_at=timezone.now())
    Seat.objects.filter(panel=region.panel, seat_type__number=3).update(absence_reason="Ill.")
    off(region.people[2], region.people[3])
    client.force_login(staff_of(region.sha_a))

    for page in ("formation", ""):
        response = client.get(url(region, page))
        assert 'data-test="deactivated"' not in text(response), page


def test_no_mark_once_the_panel_is_done(client, region):
    at(region, Stage.MODERATION)
    off(region.people[2])
    client.force_login(staff_of(region.sha_a))

    for page in ("formation", ""):
        assert 'data-test="deactivated"' not in text(client.get(url(region, page))), page


# --- The panel's page ------------------------------------------------------------------------


def test_panel_page_tells_the_chair_to_excuse_them(client, region):
    off(region.people[2])
    client.force_login(region.people[1].user)

    response = client.get(url(region))

    assert marks(response) == ["The panel waits for them: excuse them on the consensus page."]
    assert f'href="{url(region, "consensus")}">excuse them</a>' in text(response)


def test_panel_page_tells_sha_staff_to_replace_them(client, region):
    off(region.people[2])
    client.force_login(staff_of(region.sha_a))

    response = client.get(url(region))

    assert marks(response) == ["The panel waits for them: replace them, or the chair excuses them."]


def test_panel_page_of_a_deactivated_chair_says_sha_staff_hand_it_on(client, region):
    off(region.people[1])
    client.force_login(region.people[2].user)  # a member

    response = client.get(url(region))

    assert marks(response) == [
        "The panel waits for them: SHA staff hand the chair to another member."
    ]


def test_panel_page_of_an_acting_chair_deactivated_says_hand_the_chair(client, region):
    region.panel.acting_chair = Seat.objects.get(panel=region.panel, seat_type__number=3)
    region.panel.save(update_fields=["acting_chair"])
    off(region.people[3])
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.get(url(region))

    assert marks(response) == ["The panel waits for them: hand the chair to another member."]


# --- The region's formation list -------------------------------------------------------------


def test_formation_list_marks_a_deactivated_member_of_a_panel_at_work(client, region):
    off(region.people[2], region.people[1])
    client.force_login(staff_of(region.sha_a))

    page = text(client.get(f"/panels/{region.round.slug}/formation/"))

    assert (
        f'2. Bob Medic <strong class="wcc-tag wcc-tag--waiting" data-test="deactivated">'
        f'deactivated: <a href="{url(region)}seats/2/replace/">replace them</a> or the '
        "chair excuses them</strong>" in page
    )
    assert (
        f'1. Ann Chair <strong class="wcc-tag wcc-tag--waiting" data-test="deactivated">'
        f'deactivated: <a href="{url(region)}chair/hand/">hand the chair on</a></strong>' in page
    )


# --- Query counts: the marks read the seats already loaded -----------------------------------


@pytest.mark.parametrize("deactivated", [0, 1, 3])
def test_formation_page_queries_do_not_grow_with_deactivated_members(
    client, region, django_assert_num_queries, deactivated
):
    off(*[region.people[n] for n in range(2, 2 + deactivated)])
    client.force_login(staff_of(region.sha_a))

    with django_assert_num_queries(13):
        response = client.get(url(region, "formation"))

    assert len(marks(response)) == deactivated


@pytest.mark.parametrize("deactivated", [0, 1, 3])
def test_panel_page_queries_do_not_grow_with_deactivated_members(
    client, region, django_assert_num_queries, deactivated
):
    off(*[region.people[n] for n in range(2, 2 + deactivated)])
    client.force_login(region.people[1].user)

    with django_assert_num_queries(7):
        response = client.get(url(region))

    assert len(marks(response)) == deactivated


@pytest.mark.parametrize("panels", [1, 3])
def test_formation_list_queries_do_not_grow_with_deactivated_members(
    client, region, django_assert_num_queries, panels
):
    for _ in range(panels - 1):
        assessment = region.assessment_in(
            region.round, pct=PCTFactory(sha=region.sha_a), stage=Stage.SCORING
        )
        panel = Panel.objects.create(assessment=assessment)
        for number, seat_type in region.seat_types.items():
            Seat.objects.create(panel=panel, seat_type=seat_type, person=region.people[number])
    off(region.people[1], region.people[2])
    client.force_login(staff_of(region.sha_a))

    with django_assert_num_queries(11):
        page = text(client.get(f"/panels/{region.round.slug}/formation/"))

    assert page.count('data-test="deactivated"') == 2 * panels


def test_a_chair_deactivated_at_consensus_with_scores_in_is_marked_and_listed(
    client, region, django_assert_num_queries
):
    """Walk W: their scores in, the chair deactivated at consensus was marked nowhere and
    listed on no home page, though only the chair records consensus."""
    at(region, Stage.CONSENSUS)
    Seat.objects.filter(panel=region.panel).update(submitted_at=timezone.now())
    off(region.people[1], region.people[2])  # the chair, and a member whose part is done
    staff = staff_of(region.sha_a)
    client.force_login(staff)

    with django_assert_num_queries(13):
        formation = client.get(url(region, "formation"))
    panel = client.get(url(region))
    home = {q.key: q for q in client.get("/").context["queues"]}

    assert marks(formation) == [
        "Ann Chair was deactivated on the people list and chairs the panel (only the chair "
        "records consensus): the panel waits for them. Hand the chair to another member."
    ]
    assert marks(panel) == [
        "The panel waits for them: only the chair records consensus; hand the chair to "
        "another member."
    ]
    assert [i.label for i in home["held-up"].items] == [
        f"Panel of {region.pct.name}: Ann Chair was deactivated"
    ]
