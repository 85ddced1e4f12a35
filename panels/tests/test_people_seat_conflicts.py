"""A person edit that makes a seat they hold a conflict (walk AC): Mark Ellis moved to the
PCT whose panel he sat on, the page said only "saved", and no panel page warned. The edit
asks first, naming each seat and the rule; confirmed, the history keeps it, the panel's
pages flag the member with the link to replace them, and SHA staff's home page lists the
seat. And: correcting the address of someone invited who has not set a password yet sends
them a new invitation, since the old link stopped working.

Personas: staff of SHA Alpha (may), staff of SHA Beta (same role, other region), a panel
member (outsider)."""

import html
import re

import pytest
from django.core import mail

from assessments.models import Role, Stage
from panels.models import JobRole, Panel, PersonChange, Seat
from panels.services.people import SeatsMadeIneligible, person_update
from panels.tests.formation_builders import build_region
from tests.factories import PCTFactory, RoleFactory

pytestmark = pytest.mark.django_db

RULE = (
    "Cat Services now works for Assessed PCT, the PCT assessed: nobody may sit on the panel "
    "of their own organisation."
)


@pytest.fixture
def region():
    region = build_region()
    region.panel = region.seated()
    region.staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_a).user
    return region


def text(response) -> str:
    """The page's words, without its tags."""
    words = re.sub(r"<[^>]+>", "", response.content.decode())
    return re.sub(r"\s+", " ", html.unescape(words))


def fields(person, **changes) -> dict:
    organisation = (
        f"sha-{person.sha_id}"
        if person.sha_id
        else f"pct-{person.pct_id}"
        if person.pct_id
        else f"ext-{person.external_organisation_id}"
    )
    return {
        "full_name": person.full_name,
        "email": person.email,
        "organisation": organisation,
        "job_role": person.job_role,
        "job_title": person.job_title,
    } | changes


def edit_url(person) -> str:
    return f"/people/{person.pk}/edit/"


def moved(region, *, confirmed=True):
    """Cat Services (seat 3, from a neighbouring PCT) moved to the PCT assessed."""
    cat = region.people[3]
    return person_update(
        person=cat,
        full_name=cat.full_name,
        email=cat.email,
        job_role=cat.job_role,
        job_title=cat.job_title,
        pct=region.pct,
        by=region.staff,
        conflicts_confirmed=confirmed,
    )


# --- The service ------------------------------------------------------------------------------


def test_a_move_to_the_pct_assessed_is_refused_unconfirmed_naming_the_seat(region):
    cat = region.people[3]

    with pytest.raises(SeatsMadeIneligible) as refused:
        moved(region, confirmed=False)

    assert [(c.where, c.why) for c in refused.value.conflicts] == [
        (
            "Seat 3 (Director of adult or children's services of another PCT) on the panel of "
            "Assessed PCT (2009-10)",
            RULE,
        )
    ]
    cat.refresh_from_db()
    assert cat.pct_id == region.other_pct_a.pk
    assert not PersonChange.objects.filter(person=cat).exists()


def test_a_confirmed_move_is_saved_and_its_history_names_the_seat_and_the_rule(region):
    cat = region.people[3]

    moved(region)

    cat.refresh_from_db()
    assert cat.pct_id == region.pct.pk
    assert list(cat.changes.values_list("action", "note", "changed_by")) == [
        (
            "edited",
            "Organisation: Neighbour PCT → Assessed PCT\n"
            "Confirmed though it makes a conflict: seat 3 (Director of adult or children's "
            f"services of another PCT) on the panel of Assessed PCT (2009-10). {RULE}",
            region.staff.pk,
        )
    ]


def test_a_move_to_another_pct_that_still_fits_the_seat_is_not_asked(region):
    cat = region.people[3]

    person_update(
        person=cat,
        full_name=cat.full_name,
        email=cat.email,
        job_role=cat.job_role,
        pct=PCTFactory(sha=region.sha_a, name="Third PCT"),
        by=region.staff,
    )

    cat.refresh_from_db()
    assert cat.pct.name == "Third PCT"


def test_a_new_job_role_the_seat_does_not_take_is_asked(region):
    bob = region.people[2]  # seat 2 takes a PEC chair or medical director

    with pytest.raises(SeatsMadeIneligible) as refused:
        person_update(
            person=bob,
            full_name=bob.full_name,
            email=bob.email,
            job_role=JobRole.CHIEF_EXECUTIVE,
            pct=bob.pct,
            by=region.staff,
        )

    assert [c.why for c in refused.value.conflicts] == [
        "Bob Medic is now chief executive of Neighbour PCT, and seat 2 (PEC chair or medical "
        "director of another PCT) does not take that role: each seat takes certain roles."
    ]


def test_a_seat_on_a_panel_past_consensus_is_history_and_not_asked(region):
    region.assessment.stage = Stage.MODERATION
    region.assessment.save(update_fields=["stage"])

    moved(region, confirmed=False)

    region.people[3].refresh_from_db()
    assert region.people[3].pct_id == region.pct.pk


# --- The edit page ----------------------------------------------------------------------------


def test_the_edit_shows_a_check_page_naming_the_seat_and_saves_nothing(client, region):
    cat = region.people[3]
    client.force_login(region.staff)

    response = client.post(edit_url(cat), fields(cat, organisation=f"pct-{region.pct.pk}"))

    assert response.templates[0].name == "panels/person_conflict.html"
    page = text(response)
    assert (
        "Seat 3 (Director of adult or children's services of another PCT) on the panel of "
        f"Assessed PCT (2009-10): {RULE} Choose someone else for seat 3 once the change is "
        "saved."
    ) in page
    formation = f"/panels/2009-10/{region.pct.ods_code}/formation/#id_seat_3"
    assert f'href="{formation}" data-test="conflict-todo"' in response.content.decode()
    cat.refresh_from_db()
    assert cat.pct_id == region.other_pct_a.pk
    assert not PersonChange.objects.filter(person=cat).exists()


def test_confirming_the_check_page_saves_and_records_the_conflict(client, region):
    cat = region.people[3]
    client.force_login(region.staff)
    check = client.post(edit_url(cat), fields(cat, organisation=f"pct-{region.pct.pk}"))
    carried = dict(check.context["carry"])

    response = client.post(edit_url(cat), carried | {"confirm": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"/people/{cat.pk}/"
    cat.refresh_from_db()
    assert cat.pct_id == region.pct.pk
    assert [c.note.splitlines()[-1] for c in cat.changes.all()] == [
        "Confirmed though it makes a conflict: seat 3 (Director of adult or children's "
        f"services of another PCT) on the panel of Assessed PCT (2009-10). {RULE}"
    ]


def test_after_confirming_the_person_page_says_what_is_left_to_do(client, region):
    cat = region.people[3]
    client.force_login(region.staff)
    check = client.post(edit_url(cat), fields(cat, organisation=f"pct-{region.pct.pk}"))

    response = client.post(
        edit_url(cat), dict(check.context["carry"]) | {"confirm": "1"}, follow=True
    )

    page = text(response)
    assert (
        "Seat 3 (Director of adult or children's services of another PCT) on the panel of "
        f"Assessed PCT (2009-10): {RULE} Choose someone else for seat 3."
    ) in page
    assert f"No longer eligible {RULE}" in page


def test_go_back_from_the_check_page_shows_what_was_typed(client, region):
    cat = region.people[3]
    client.force_login(region.staff)
    check = client.post(
        edit_url(cat),
        fields(cat, organisation=f"pct-{region.pct.pk}", job_title="Director of Children"),
    )

    back = client.get(check.context["back"])

    form = back.context["form"]
    assert (form["organisation"].value(), form["job_title"].value()) == (
        f"pct-{region.pct.pk}",
        "Director of Children",
    )


def test_the_check_page_is_404_for_another_regions_staff_and_a_member(client, region):
    cat = region.people[3]
    data = fields(cat, organisation=f"pct-{region.pct.pk}")
    for user in (
        RoleFactory(kind=Role.Kind.SHA_STAFF, sha=region.sha_b).user,
        region.people[1].user,
    ):
        client.force_login(user)
        assert client.post(edit_url(cat), data).status_code == 404
        assert client.post(edit_url(cat), data | {"confirm": "1"}).status_code == 404
    cat.refresh_from_db()
    assert cat.pct_id == region.other_pct_a.pk


# --- The panel's pages flag the member --------------------------------------------------------


def test_the_formation_and_panel_pages_flag_the_member_with_what_to_do(client, region):
    moved(region)
    client.force_login(region.staff)
    base = f"/panels/2009-10/{region.pct.ods_code}/"

    formation = client.get(base + "formation/")
    panel = client.get(base)

    flagged = [(c.seat.seat_type.number, c.why) for c in formation.context["page"].conflicts]
    assert flagged == [(3, RULE)]
    assert [(c.seat.seat_type.number, c.why) for c in panel.context["conflicts"]] == [(3, RULE)]
    for response in (formation, panel):
        assert f"Seat 3: {RULE} Choose someone else for seat 3." in text(response)


def test_while_scoring_the_flag_links_to_the_replace_page(client, region):
    region.assessment.stage = Stage.SCORING
    region.assessment.save(update_fields=["stage"])
    moved(region)
    client.force_login(region.staff)

    response = client.get(f"/panels/2009-10/{region.pct.ods_code}/formation/")

    replace = f"/panels/2009-10/{region.pct.ods_code}/seats/3/replace/"
    assert f'<a href="{replace}" data-test="seat-conflict-todo">Replace them</a>' in (
        response.content.decode()
    )


def test_a_member_sees_the_flag_without_the_link(client, region):
    moved(region)
    client.force_login(region.people[1].user)

    response = client.get(f"/panels/2009-10/{region.pct.ods_code}/")

    assert f"Seat 3: {RULE} SHA staff will replace them." in text(response)
    assert 'data-test="seat-conflict-todo"' not in response.content.decode()


def test_no_flag_for_eligible_members(client, region):
    client.force_login(region.staff)

    response = client.get(f"/panels/2009-10/{region.pct.ods_code}/formation/")

    assert response.context["page"].conflicts == []
    assert 'data-test="seat-conflicts"' not in response.content.decode()


@pytest.mark.parametrize("conflicts", [0, 1, 3])
def test_the_formation_page_reads_the_flags_in_its_own_queries(
    client, region, django_assert_num_queries, conflicts
):
    movers = [region.people[n] for n in (2, 3, 5)][:conflicts]
    for person in movers:
        person.pct = region.pct
        person.save(update_fields=["pct"])  # as a confirmed edit leaves them
    client.force_login(region.staff)

    with django_assert_num_queries(13):  # as with no flag
        response = client.get(f"/panels/2009-10/{region.pct.ods_code}/formation/")

    assert len(response.context["page"].conflicts) == conflicts


@pytest.mark.parametrize("conflicts", [0, 1, 3])
def test_the_panel_page_reads_the_flags_in_its_own_queries(
    client, region, django_assert_num_queries, conflicts
):
    movers = [region.people[n] for n in (2, 3, 5)][:conflicts]
    for person in movers:
        person.pct = region.pct
        person.save(update_fields=["pct"])
    client.force_login(region.staff)

    with django_assert_num_queries(7):  # as with no flag
        response = client.get(f"/panels/2009-10/{region.pct.ods_code}/")

    assert len(response.context["conflicts"]) == conflicts


# --- A new address of someone invited: a new invitation ---------------------------------------


def test_a_new_address_of_someone_invited_sends_a_new_invitation(
    client, region, django_capture_on_commit_callbacks
):
    cat = region.people[3]
    cat.user.set_unusable_password()
    cat.user.save(update_fields=["password"])
    old = cat.email
    client.force_login(region.staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit_url(cat), fields(cat, email="cat.services@example.nhs.uk"), follow=True
        )

    assert (
        f"Changes to Cat Services saved. The link sent to {old} no longer works: a new "
        "invitation has been sent to cat.services@example.nhs.uk."
    ) in text(response)
    invitations = [m for m in mail.outbox if m.to == ["cat.services@example.nhs.uk"]]
    assert len(invitations) == 1
    assert list(cat.changes.values_list("action", flat=True)) == ["invited", "edited"]
    assert cat.changes.first().note == (
        "Sent a new link to set a password to cat.services@example.nhs.uk: the link sent to "
        f"{old} stopped working when the address changed."
    )


def test_a_new_address_of_someone_with_a_password_sends_no_invitation(
    client, region, django_capture_on_commit_callbacks
):
    cat = region.people[3]  # the factory's account has a password
    client.force_login(region.staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            edit_url(cat), fields(cat, email="cat.services@example.nhs.uk"), follow=True
        )

    assert "Changes to Cat Services saved." in text(response)
    assert "no longer works" not in text(response)
    assert [m.to for m in mail.outbox if m.to == ["cat.services@example.nhs.uk"]] == []
    assert list(cat.changes.values_list("action", flat=True)) == ["edited"]


@pytest.mark.parametrize("panels", [1, 3])
def test_the_person_page_reads_the_flags_in_its_own_queries(
    client, region, django_assert_num_queries, panels
):
    cat = region.people[3]
    for n in range(panels - 1):
        assessment = region.assessment_in(
            region.round, pct=PCTFactory(sha=region.sha_a, name=f"Other PCT {n}")
        )
        Seat.objects.create(
            panel=Panel.objects.create(assessment=assessment),
            seat_type=region.seat_types[3],
            person=cat,
        )
    moved(region)
    client.force_login(region.staff)

    with django_assert_num_queries(8):
        response = client.get(f"/people/{cat.pk}/")

    assert [conflict for _seat, _may_see, conflict in response.context["seats"]] == [
        RULE,
        *[""] * (panels - 1),
    ]


def test_a_mistyped_address_corrected_before_any_password_is_not_told_the_new_one(
    client, region, django_capture_on_commit_callbacks
):
    """Review AE: the corrected address went to the mistyped one, which a stranger may hold;
    the new invitation goes to the new address only."""
    cat = region.people[3]
    cat.user.set_unusable_password()
    cat.user.save(update_fields=["password"])
    old = cat.email
    client.force_login(region.staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit_url(cat), fields(cat, email="cat.services@example.nhs.uk"), follow=True)
    to_old = [m for m in mail.outbox if m.to == [old]]
    assert to_old == []
    assert any(m.to == ["cat.services@example.nhs.uk"] for m in mail.outbox)
