"""The people pages (``/people/``): list, add, edit, invite, deactivate, reactivate.

Personas: staff of SHA Alpha (may), staff of SHA Beta (same role, other region), the
national team, and a panel member with no role (an outsider)."""

import re

import pytest
from django.core import mail
from django.http import HttpRequest

from assessments.models import AccountChange, Role
from panels.models import JobRole, Person, PersonChange
from tests.factories import (
    ExternalOrganisationFactory,
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SeatTypeFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    alpha = SHAFactory(ods_code="Q34", name="SHA Alpha")
    beta = SHAFactory(ods_code="Q35", name="SHA Beta")
    SeatTypeFactory(
        number=5,
        name="PCT chief executive from another SHA area",
        eligible_roles=[JobRole.CHIEF_EXECUTIVE],
        affiliation="other_sha_pct",
    )
    SeatTypeFactory(
        number=4,
        name="International reviewer",
        eligible_roles=[JobRole.EXTERNAL_EXECUTIVE],
        affiliation="outside_nhs",
    )
    kaiser = ExternalOrganisationFactory(name="Kaiser Permanente", country="United States")
    pct_a = PCTFactory(sha=alpha, name="Alpha PCT", ods_code="5AA")
    pct_b = PCTFactory(sha=beta, name="Beta PCT", ods_code="5BB")
    return {
        "alpha": alpha,
        "beta": beta,
        "pct_a": pct_a,
        "pct_b": pct_b,
        "kaiser": kaiser,
        "ann": PersonFactory(full_name="Ann Alpha", pct=pct_a, email="ann@example.nhs.uk"),
        "bob": PersonFactory(full_name="Bob Beta", pct=pct_b),
        "kim": PersonFactory(
            full_name="Kim Kaiser",
            pct=None,
            external_organisation=kaiser,
            job_role=JobRole.EXTERNAL_EXECUTIVE,
            email="kim@kp.example.org",
        ),
        "staff_a": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=alpha).user,
        "staff_b": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=beta).user,
        "national": RoleFactory(kind=Role.Kind.NATIONAL).user,
        "member": PersonFactory(full_name="Meg Member", pct=pct_a, user=UserFactory()).user,
    }


def _names(response) -> list[str]:
    return [row.person.full_name for row in response.context["rows"]]


def test_people_list_for_staff_shows_their_region_and_shared_reviewers(client, world):
    client.force_login(world["staff_a"])

    response = client.get("/people/")

    assert response.status_code == 200
    assert _names(response) == ["Ann Alpha", "Kim Kaiser", "Meg Member"]
    rows = {row.person.full_name: row for row in response.context["rows"]}
    assert [t.number for t in rows["Ann Alpha"].seat_types] == [5]
    assert [t.number for t in rows["Kim Kaiser"].seat_types] == [4]
    assert [r.status for r in response.context["rows"]] == [
        "Not invited",
        "Not invited",
        "Account active",
    ]


def test_people_list_for_the_national_team_shows_everyone(client, world):
    client.force_login(world["national"])

    response = client.get("/people/")

    assert _names(response) == ["Ann Alpha", "Bob Beta", "Kim Kaiser", "Meg Member"]


def test_people_list_is_404_for_a_panel_member_and_login_for_anonymous(client, world):
    client.force_login(world["member"])

    assert client.get("/people/").status_code == 404
    client.logout()
    assert client.get("/people/")["Location"] == "/accounts/login/?next=/people/"


@pytest.mark.parametrize("count", [1, 3])
def test_people_list_queries_do_not_grow_with_people(
    client, django_assert_num_queries, world, count
):
    for n in range(count):
        PersonFactory(pct=world["pct_a"], user=UserFactory(username=f"extra{n}"))
    client.force_login(world["staff_a"])

    with django_assert_num_queries(6):  # session, user, roles, the count, people, seat types
        response = client.get("/people/")

    assert len(response.context["rows"]) == 3 + count


def test_person_add_for_staff_adds_a_person_of_their_region_with_history(client, world):
    client.force_login(world["staff_a"])

    response = client.post(
        "/people/add/",
        {
            "full_name": " Dee Doctor ",
            "email": "dee@example.nhs.uk",
            "organisation": f"pct-{world['pct_a'].pk}",
            "job_role": JobRole.MEDICAL_DIRECTOR,
            "job_title": "Medical Director",
        },
    )

    person = Person.objects.get(full_name="Dee Doctor")
    assert response["Location"] == f"/people/{person.pk}/"
    assert (person.pct, person.job_role, person.is_active) == (
        world["pct_a"],
        "medical_director",
        True,
    )
    assert list(person.changes.values_list("action", "changed_by")) == [
        ("added", world["staff_a"].pk)
    ]


def test_person_page_history_names_who_made_each_change(client, world):
    """The trail walk: the person page's history read "Added moderator.q34", the username."""
    staff = world["staff_a"]
    staff.first_name, staff.last_name = "Sam", "Staff"
    staff.save(update_fields=["first_name", "last_name"])
    client.force_login(staff)
    client.post(
        "/people/add/",
        {
            "full_name": "Dee Doctor",
            "organisation": f"pct-{world['pct_a'].pk}",
            "job_role": JobRole.MEDICAL_DIRECTOR,
        },
    )
    person = Person.objects.get(full_name="Dee Doctor")

    page = client.get(f"/people/{person.pk}/").text

    history = page.split('data-test="history"')[1].split("</table>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", history)
    assert cells[1:3] == ["Added", "Sam Staff"]
    assert staff.username not in history


def test_person_add_offers_staff_only_their_regions_organisations(client, world):
    client.force_login(world["staff_a"])

    response = client.post(
        "/people/add/",
        {
            "full_name": "Sly",
            "organisation": f"pct-{world['pct_b'].pk}",
            "job_role": JobRole.CHIEF_EXECUTIVE,
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["organisation"]
    assert (
        '<a href="#id_organisation">Organisation: Choose their organisation from the list.' in page
    )
    assert "<title>Error: Add a person" in page
    assert Person.objects.filter(full_name="Sly").count() == 0


def test_adding_someone_who_may_sit_in_no_seat_warns_and_says_who_can_fix_it(client, world):
    """The SHA walk: a Kaiser Permanente chief executive was saved with "Seats they may
    hold: None", and staff may not edit a reviewer from outside the NHS."""
    client.force_login(world["staff_a"])

    response = client.post(
        "/people/add/",
        {
            "full_name": "Kim Wrongrole",
            "organisation": f"ext-{world['kaiser'].pk}",
            "job_role": JobRole.CHIEF_EXECUTIVE,
        },
        follow=True,
    )

    said = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert said[-1] == (
        "warning",
        "Kim Wrongrole may sit in no seat as chief executive of Kaiser Permanente: each seat "
        "takes certain roles. Check the job role: only the national team changes a reviewer "
        "from outside the NHS, so ask them.",
    )


def test_person_add_refuses_an_address_of_someone_else_on_the_list(client, world):
    """Two people of one address could never both be invited: refused, naming the other."""
    client.force_login(world["staff_a"])

    response = client.post(
        "/people/add/",
        {
            "full_name": "Copy Cat",
            "email": "ANN@example.nhs.uk",
            "organisation": f"sha-{world['alpha'].pk}",
            "job_role": JobRole.SHA_DIRECTOR,
        },
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "email": ["ANN@example.nhs.uk is already the address of Ann Alpha on the people list."]
    }
    assert Person.objects.filter(full_name="Copy Cat").count() == 0


def test_person_add_takes_the_address_of_an_account_of_nobody_on_the_list(client, world):
    """A PCT's chief executive who acts for its board is the natural seat-5 member of
    another SHA's panels: their board account's address is theirs on the list too."""
    UserFactory(username="board.ceo", email="ceo@example.nhs.uk")
    client.force_login(world["staff_a"])

    response = client.post(
        "/people/add/",
        {
            "full_name": "Cy Chief",
            "email": "ceo@example.nhs.uk",
            "organisation": f"pct-{world['pct_a'].pk}",
            "job_role": JobRole.CHIEF_EXECUTIVE,
        },
    )

    assert response.status_code == 302
    assert Person.objects.filter(full_name="Cy Chief").exists()


def test_person_edit_saves_and_writes_what_changed(client, world):
    ann = world["ann"]
    client.force_login(world["staff_a"])

    response = client.post(
        f"/people/{ann.pk}/edit/",
        {
            "full_name": "Ann Alpha",
            "email": "ann@example.nhs.uk",
            "organisation": f"pct-{world['pct_a'].pk}",
            "job_role": JobRole.PEC_CHAIR,
            "job_title": "PEC chair",
        },
    )

    ann.refresh_from_db()
    assert response["Location"] == f"/people/{ann.pk}/"
    assert (ann.job_role, ann.job_title) == ("pec_chair", "PEC chair")
    assert list(ann.changes.values_list("action", "note")) == [
        (
            "edited",
            "Job role: Chief executive → Professional executive committee chair\n"
            "Job title: — → PEC chair",
        )
    ]


def test_person_page_history_shows_the_old_and_new_name_and_address(client, world):
    ann = world["ann"]
    client.force_login(world["staff_a"])
    client.post(
        f"/people/{ann.pk}/edit/",
        {
            "full_name": "Ann Beta",
            "email": "ann.beta@example.nhs.uk",
            "organisation": f"pct-{world['pct_a'].pk}",
            "job_role": ann.job_role,
            "job_title": "",
        },
    )

    page = client.get(f"/people/{ann.pk}/").content.decode()

    assert (
        "Name: Ann Alpha → Ann Beta<br>E-mail address: ann@example.nhs.uk → ann.beta@example.nhs.uk"
    ) in page


def test_a_person_edit_from_before_another_windows_save_is_refused_keeping_it(client, world):
    """The concurrency walk: tab B's e-mail change put back the name tab A had just
    changed, and said "saved"."""
    ann = world["ann"]
    client.force_login(world["staff_a"])
    url = f"/people/{ann.pk}/edit/"
    stale = client.get(url).context["form"]["version"].value()
    fields = {
        "full_name": ann.full_name,
        "email": "ann@example.nhs.uk",
        "organisation": f"pct-{world['pct_a'].pk}",
        "job_role": ann.job_role,
        "job_title": ann.job_title,
    }
    client.post(url, fields | {"version": stale, "full_name": "Ann Renamed"})

    refused = client.post(url, fields | {"version": stale, "email": "ann.b@example.nhs.uk"})

    ann.refresh_from_db()
    assert (ann.full_name, ann.email) == ("Ann Renamed", "ann@example.nhs.uk")
    form = refused.context["form"]
    assert form.non_field_errors()[0].startswith("Ann Renamed's details changed since you opened")
    assert form["email"].value() == "ann.b@example.nhs.uk"  # kept, to save again


@pytest.mark.parametrize("url", ["/people/{pk}/", "/people/{pk}/edit/"])
def test_person_pages_are_404_for_other_regions_staff_and_a_panel_member(client, world, url):
    for user in (world["staff_b"], world["member"]):
        client.force_login(user)

        assert client.get(url.format(pk=world["ann"].pk)).status_code == 404


@pytest.mark.parametrize("action", ["edit", "invite", "deactivate", "reactivate"])
def test_person_writes_are_404_for_other_regions_staff(client, world, action):
    client.force_login(world["staff_b"])

    response = client.post(f"/people/{world['ann'].pk}/{action}/")

    assert response.status_code == 404
    assert PersonChange.objects.count() == 0


def test_shared_reviewer_is_seen_and_invited_by_any_sha_but_changed_by_national_only(
    client, world, django_capture_on_commit_callbacks
):
    kim = world["kim"]
    client.force_login(world["staff_b"])

    assert client.get(f"/people/{kim.pk}/").status_code == 200
    assert client.get(f"/people/{kim.pk}/edit/").status_code == 403
    assert client.post(f"/people/{kim.pk}/deactivate/").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        invited = client.post(f"/people/{kim.pk}/invite/")
    kim.refresh_from_db()
    assert invited.status_code == 302
    assert (kim.is_active, kim.user.username) == (True, "kim.kaiser")
    client.force_login(world["national"])
    assert client.get(f"/people/{kim.pk}/edit/").status_code == 200


def test_person_invite_makes_the_account_and_mails_a_link_that_works(
    client, world, django_capture_on_commit_callbacks
):
    ann = world["ann"]
    client.force_login(world["staff_a"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/people/{ann.pk}/invite/", follow=True)

    ann.refresh_from_db()
    assert ann.user.username == "ann.alpha"
    assert ann.user.has_usable_password() is False
    assert response.context["row"].status == "Invited"
    assert [m.to for m in mail.outbox] == [["ann@example.nhs.uk"]]
    assert (
        "You are one of the members of the assurance review panels: you will work on the "
        "panels you sit on"
    ) in " ".join(mail.outbox[0].body.split())
    assert list(ann.changes.values_list("action", flat=True)) == ["invited"]
    assert list(AccountChange.objects.values_list("action", "changed_by")) == [
        ("invited", world["staff_a"].pk)
    ]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    client.logout()
    landing = client.get(link, follow=True)
    client.post(
        landing.redirect_chain[-1][0],
        {"new_password1": "plum tree harbour 9", "new_password2": "plum tree harbour 9"},
    )
    assert (
        client.login(request=HttpRequest(), username="ann.alpha", password="plum tree harbour 9")
        is True
    )


def test_an_invite_from_a_page_before_another_windows_invite_sends_nothing(
    client, world, django_capture_on_commit_callbacks
):
    """The concurrency walk: a second tab's Invite sent a second e-mail, said as the first."""
    ann = world["ann"]
    client.force_login(world["staff_a"])
    page = client.get(f"/people/{ann.pk}/").content.decode()
    seen = re.search(r'name="version" value="(\d+)"', page).group(1)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/people/{ann.pk}/invite/", {"version": seen})
        stale = client.post(f"/people/{ann.pk}/invite/", {"version": seen}, follow=True)

    assert [m.to for m in mail.outbox] == [["ann@example.nhs.uk"]]
    assert [str(m) for m in stale.context["messages"]][-1] == (
        "Nothing was sent: Ann Alpha was invited or changed in another window since you opened "
        "this page. It shows them as they are now."
    )


def test_person_invite_links_the_account_already_using_their_address(client, world):
    """No second account for the same person: their place on the list joins the account
    (a board member's, say) that already uses their address."""
    someone = UserFactory(username="someone", email="ann@example.nhs.uk")
    client.force_login(world["staff_a"])

    response = client.post(f"/people/{world['ann'].pk}/invite/", follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "Ann Alpha already has an account (someone), which now holds their place on the "
        "people list: they log in as usual."
    ]
    world["ann"].refresh_from_db()
    assert world["ann"].user == someone
    assert list(PersonChange.objects.values_list("action", "note")) == [
        ("invited", "Linked to the existing account someone.")
    ]


def test_person_deactivate_and_reactivate_close_and_open_the_account(client, world):
    meg = Person.objects.get(full_name="Meg Member")
    client.force_login(world["national"])

    client.post(f"/people/{meg.pk}/deactivate/", {"confirm": "1", "reason": "Left the NHS."})
    meg.refresh_from_db()
    meg.user.refresh_from_db()
    assert (meg.is_active, meg.user.is_active) == (False, False)

    client.post(f"/people/{meg.pk}/reactivate/")
    meg.refresh_from_db()
    meg.user.refresh_from_db()
    assert (meg.is_active, meg.user.is_active) == (True, True)
    assert list(meg.changes.order_by("pk").values_list("action", flat=True)) == [
        "deactivated",
        "reactivated",
    ]


@pytest.mark.parametrize(
    ("holder", "linked", "message"),
    [
        ("national", False, "of the national assurance team, who cross-check the panels"),
        ("staff_b", False, "of another organisation than Alpha PCT, where Ann Alpha is listed"),
        ("board_b", False, "of another organisation than Alpha PCT, where Ann Alpha is listed"),
        ("board_a", True, ""),
    ],
)
def test_invite_links_an_existing_account_only_of_the_persons_own_organisation(
    client, world, holder, linked, message
):
    """The SHA and verify walks: Invite linked the national team's account (which then sat
    on a panel) and another SHA's staff account to a person said to be Dudley's."""
    account = {
        "national": lambda: world["national"],
        "staff_b": lambda: RoleFactory(kind=Role.Kind.SHA_STAFF, sha=world["beta"]).user,
        "board_b": lambda: RoleFactory(kind=Role.Kind.PCT_BOARD, pct=world["pct_b"]).user,
        "board_a": lambda: RoleFactory(kind=Role.Kind.PCT_BOARD, pct=world["pct_a"]).user,
    }[holder]()
    ann = world["ann"]
    ann.email = account.email = f"{holder}@example.nhs.uk"
    ann.save(update_fields=["email"])
    account.save(update_fields=["email"])
    client.force_login(world["staff_a"])

    response = client.post(f"/people/{ann.pk}/invite/", follow=True)

    ann.refresh_from_db()
    assert (ann.user == account) is linked
    said = [str(m) for m in response.context["messages"]]
    if linked:
        assert said[0].startswith("Ann Alpha already has an account")
    else:
        assert message in said[0] and said[0].endswith(
            "Use the person's own address."
            if holder == "national"
            else "correct their organisation."
        )
        assert not PersonChange.objects.filter(action="invited").exists()


@pytest.mark.parametrize("kind", ["national", "sha_staff", "pct_board"])
def test_deactivating_a_person_never_locks_out_an_account_with_other_roles(client, world, kind):
    """The real-year walk: SHA staff added the national lead's address to the people list,
    pressed Invite (which links the existing account) then Deactivate, and the national
    team could no longer log in."""
    holder = {
        "national": lambda: world["national"],
        "sha_staff": lambda: world["staff_a"],
        "pct_board": lambda: RoleFactory(kind=Role.Kind.PCT_BOARD, pct=world["pct_a"]).user,
    }[kind]()
    ann = world["ann"]
    ann.user = holder
    ann.save(update_fields=["user"])
    client.force_login(world["staff_a"])

    page = client.get(f"/people/{ann.pk}/")
    response = client.post(
        f"/people/{ann.pk}/deactivate/", {"confirm": "1", "reason": "Left the NHS."}, follow=True
    )

    assert "their account keeps its other access and can still log in" in page.text
    holder.refresh_from_db()
    ann.refresh_from_db()
    assert (ann.is_active, holder.is_active) == (False, True)
    assert [str(m) for m in response.context["messages"]] == [
        f"Ann Alpha is deactivated: they can no longer be given a new seat. Their account "
        f"({holder.get_username()}) can still log in, since it also holds the national "
        "team's, SHA staff's or a board's access; that is removed on its own page. The seats "
        "they hold are unchanged."
    ]
    assert PersonChange.objects.get(action="deactivated").note == (
        f"Left the NHS.\n\nAccount {holder.get_username()} kept: it holds other roles."
    )
    client.post(f"/people/{ann.pk}/reactivate/")
    holder.refresh_from_db()
    assert holder.is_active


def test_a_person_without_an_address_is_told_to_add_one_not_offered_invite(client, world):
    """The SHA walk: an *Invite* button that then refused, "has no e-mail address"."""
    bob = world["bob"]  # no e-mail address
    bob.email = ""
    bob.save(update_fields=["email"])
    client.force_login(world["national"])

    page = client.get(f"/people/{bob.pk}/").content.decode()

    assert 'data-test="no-email"' in page and f'href="/people/{bob.pk}/edit/">add one</a>' in page
    assert f'action="/people/{bob.pk}/invite/"' not in page


def test_person_invite_refused_for_a_deactivated_person(client, world):
    ann = world["ann"]
    client.force_login(world["staff_a"])
    client.post(f"/people/{ann.pk}/deactivate/", {"confirm": "1", "reason": "Left the NHS."})

    response = client.post(f"/people/{ann.pk}/invite/", follow=True)

    assert [str(m) for m in response.context["messages"]][-1] == (
        "Ann Alpha is deactivated: reactivate them first."
    )
    ann.refresh_from_db()
    assert ann.user is None


def test_home_links_to_people_for_staff_and_national_only(client, world):
    for user, shown in (
        (world["staff_a"], True),
        (world["national"], True),
        (world["member"], False),
    ):
        client.force_login(user)

        page = client.get("/").content.decode()

        assert ('href="/people/"' in page) is shown


# --- Organisations outside the NHS ---------------------------------------------------------


def test_national_team_adds_an_organisation_outside_the_nhs_then_staff_offer_it(client, world):
    # On a fresh install there is none, and seat 4 (international reviewer) takes only their
    # people: without this page only the Django admin could add one.
    from panels.models import ExternalOrganisation

    client.force_login(world["national"])
    listed = client.get("/people/")
    response = client.post(
        "/people/organisations/add/",
        {"name": " Vancouver Coastal Health ", "sector": "Health system", "country": "Canada"},
        follow=True,
    )

    assert 'data-test="organisation-add"' in listed.content.decode()
    organisation = ExternalOrganisation.objects.get(name="Vancouver Coastal Health")
    assert (organisation.sector, organisation.country) == ("Health system", "Canada")
    assert response.redirect_chain[-1][0] == "/people/add/"
    assert "Vancouver Coastal Health has been added" in response.content.decode()
    client.force_login(world["staff_a"])
    offered = client.get("/people/add/").content.decode()
    assert f'value="ext-{organisation.pk}"' in offered


def test_an_organisation_already_listed_is_refused_by_name(client, world):
    client.force_login(world["national"])

    response = client.post(
        "/people/organisations/add/",
        {"name": "kaiser permanente", "sector": "Health system", "country": "United States"},
    )

    assert response.status_code == 200
    assert "Kaiser Permanente is already listed." in response.content.decode()


@pytest.mark.parametrize("who", ["staff_a", "member"])
def test_only_the_national_team_adds_an_organisation_outside_the_nhs(client, world, who):
    from panels.models import ExternalOrganisation

    client.force_login(world[who])

    response = client.post(
        "/people/organisations/add/", {"name": "X", "sector": "Y", "country": "Z"}
    )

    assert response.status_code in (403, 404)
    assert not ExternalOrganisation.objects.filter(name="X").exists()
    assert 'data-test="organisation-add"' not in client.get("/people/").content.decode()


def test_person_add_says_what_is_missing_in_the_sites_words(client, world):
    client.force_login(world["staff_a"])

    response = client.post("/people/add/", {"email": "not-an-address"})

    assert dict(response.context["form"].errors) == {
        "full_name": ["Enter their full name."],
        "email": ["Enter an e-mail address in the right form, like name@example.nhs.uk."],
        "organisation": ["Choose their organisation."],
        "job_role": ["Choose their job role."],
    }


def test_a_persons_page_lists_the_panels_they_sit_on_linking_those_in_scope(client, world):
    """The moderation walk: a chair of seventeen panels had a page that named none of them,
    while its Deactivate text spoke of "the seats they hold"."""
    from tests.factories import AssessmentFactory, PanelFactory, SeatFactory, SeatTypeFactory

    ann = world["ann"]
    own = AssessmentFactory(pct=PCTFactory(sha=world["alpha"], name="Gamma PCT"))
    other = AssessmentFactory(pct=world["pct_b"], round=own.round)
    chair = SeatTypeFactory(number=1, name="Chair")
    SeatFactory(panel=PanelFactory(assessment=own), seat_type=chair, person=ann)
    SeatFactory(panel=PanelFactory(assessment=other), seat_type=chair, person=ann)
    client.force_login(world["staff_a"])

    page = client.get(f"/people/{ann.pk}/").content.decode()

    held = page.split('data-test="seats-held"')[1].split("</section>")[0]
    assert f'<a href="/panels/{own.round.slug}/{own.pct.ods_code}/">Gamma PCT</a>' in held
    assert "Beta PCT" in held and f"/panels/{own.round.slug}/5BB/" not in held  # another region's
    assert held.count("1. Chair") == 2
