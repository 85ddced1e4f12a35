"""A person's own account, from invitation to leaving (walk Y): a deactivated person's
link sets nothing, a set password ends a lock-out, "Your account" and its name change,
the home page of a panel member with no seat yet, and until when each link works."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from assessments.accounts import account_deactivate, link_expires_at, link_expiry_words
from assessments.models import AccountChange, Role
from panels.models import PersonChange
from panels.services.people import person_deactivate, person_invite, person_update
from tests.factories import (
    ExternalOrganisationFactory,
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)
from wcc_site.account_selectors import account_summary

pytestmark = pytest.mark.django_db

NEW = "quiet harbour lamp 7"
LOCKED = "Too many failed attempts: try again in 15 minutes or reset your password."
# 22:40 UTC on Monday 7 December 2026 (GMT: the same in London); links last three days.
NOW = datetime(2026, 12, 7, 22, 40, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def _path(link: str) -> str:
    return urlparse(link).path


def _mailed_link(body: str) -> str:
    return re.search(r"https?://\S+(/accounts/reset/\S+/)", body).group(1)


def _set_password(client, path: str, password: str = NEW):
    landing = client.get(path, follow=True)
    return landing, client.post(
        landing.redirect_chain[-1][0] if landing.redirect_chain else path,
        {"new_password1": password, "new_password2": password},
    )


@pytest.fixture(autouse=True)
def _fresh_reset_counts():
    """The reset e-mails sent to an address are counted in the cache: left for no other test."""
    yield
    cache.clear()


@pytest.fixture
def west_midlands():
    return SHAFactory(name="West Midlands")


@pytest.fixture
def ruth(west_midlands, django_capture_on_commit_callbacks):
    """Ruth, a panel member of a West Midlands PCT, invited from the people list."""
    person = PersonFactory(
        full_name="Ruth Okafor", email="ruth@example.org", pct=PCTFactory(sha=west_midlands)
    )
    with django_capture_on_commit_callbacks(execute=True):
        invitation = person_invite(person=person, by=UserFactory(first_name="Sam"))
    person.refresh_from_db()
    return person, _path(invitation.link)


# 1. A deactivated person's invitation link


def test_deactivated_persons_link_says_why_and_sets_nothing(client, ruth):
    person, path = ruth
    with time_machine.travel(NOW, tick=False):
        person_deactivate(person=person, reason="Left the PCT.", by=UserFactory())

        landing, response = _set_password(client, path)

    page = landing.content.decode()
    assert "<h1>This link no longer works</h1>" in page
    assert (
        "This account was deactivated on 7 December 2026. If you need it again, ask the "
        "staff of the West Midlands SHA."
    ) in page
    assert 'name="new_password1"' not in page
    assert "<h1>This link no longer works</h1>" in response.content.decode()
    user = get_user_model().objects.get(pk=person.user_id)
    assert user.has_usable_password() is False
    assert not AccountChange.objects.filter(user=user, action=AccountChange.Action.PASSWORD_SET)


def test_deactivated_while_the_form_is_open_sets_nothing(client, ruth):
    person, path = ruth
    landing = client.get(path, follow=True)
    form_path = landing.redirect_chain[-1][0]
    account_deactivate(user=person.user, by=None)

    response = client.post(form_path, {"new_password1": NEW, "new_password2": NEW})

    assert response.status_code == 200
    assert "<h1>This link no longer works</h1>" in response.content.decode()
    person.user.refresh_from_db()
    assert person.user.has_usable_password() is False


def test_a_made_up_link_to_a_deactivated_account_says_nothing_of_it(client):
    UserFactory(username="gone", is_active=False)
    uid = get_user_model().objects.get(username="gone").pk

    response = client.get(f"/accounts/reset/{_b64(uid)}/forged-token/", follow=True)

    page = response.content.decode()
    assert "<h1>This link does not work</h1>" in page
    assert "deactivated" not in page


def _b64(pk: int) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(pk))


def test_an_active_persons_link_sets_the_password_with_its_history_row(client, ruth):
    person, path = ruth

    _, response = _set_password(client, path)

    assert response["Location"] == "/accounts/reset/done/"
    assert Client().login(request=HttpRequest(), username=person.user.username, password=NEW)
    assert list(
        AccountChange.objects.filter(user=person.user).values_list("action", flat=True)
    ) == [
        AccountChange.Action.PASSWORD_SET,
        AccountChange.Action.INVITED,
    ]


# 2. A set password ends a django-axes lock-out


def test_a_reset_ends_the_lock_out_and_the_new_password_works_at_once(
    client, django_capture_on_commit_callbacks
):
    UserFactory(username="jo", email="jo@example.org")
    for _ in range(10):
        client.post("/accounts/login/", {"username": "jo", "password": "wrong"})
    locked = client.post("/accounts/login/", {"username": "jo", "password": "pass-for-tests"})
    assert (locked.status_code, locked.context["locked_out"]) == (429, LOCKED)
    assert AccessAttempt.objects.filter(username="jo").count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password_reset/", {"email": "jo@example.org"})
    _set_password(client, _mailed_link(mail.outbox[-1].body))
    response = client.post("/accounts/login/", {"username": "jo", "password": NEW})

    assert AccessAttempt.objects.filter(username="jo").count() == 0
    assert (response.status_code, response["Location"]) == (302, "/")


def test_a_set_password_leaves_other_usernames_locked(client, ruth):
    _person, path = ruth
    for _ in range(10):
        client.post("/accounts/login/", {"username": "someone.else", "password": "wrong"})

    _set_password(client, path)

    assert AccessAttempt.objects.filter(username="someone.else").count() == 1


# 6. Strength errors on the new password field


def test_change_password_puts_strength_errors_on_the_new_password(client):
    client.force_login(UserFactory(username="jo"))

    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pass-for-tests", "new_password1": "123", "new_password2": "123"},
    )

    form = response.context["form"]
    assert set(form.errors) == {"new_password1"}
    assert "This password is too short." in " ".join(form.errors["new_password1"])
    page = response.content.decode()
    assert "<title>Error: Change your password " in page
    assert '<a href="#id_new_password1">New password: This password is too short.' in page


def test_change_password_keeps_a_mismatch_on_the_confirmation(client):
    client.force_login(UserFactory(username="jo"))

    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pass-for-tests", "new_password1": NEW, "new_password2": NEW + "x"},
    )

    assert list(response.context["form"].errors) == ["new_password2"]


def test_change_password_changes_it_and_stays_signed_in(client):
    user = UserFactory(username="jo")
    client.force_login(user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": "pass-for-tests", "new_password1": NEW, "new_password2": NEW},
        follow=True,
    )

    assert "<h1>Your password is changed</h1>" in response.content.decode()
    assert response.wsgi_request.user == user
    user.refresh_from_db()
    assert user.check_password(NEW) is True
    assert AccountChange.objects.filter(user=user).get().action == "password_set"


def test_change_password_refuses_a_wrong_current_password(client):
    user = UserFactory(username="jo")
    client.force_login(user)

    response = client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW, "new_password2": NEW},
    )

    assert response.context["form"].errors == {
        "old_password": ["Enter your current password: the one given is not it."]
    }
    user.refresh_from_db()
    assert user.check_password("pass-for-tests") is True


# 7. Until when a link works


def test_invitation_gives_the_date_and_time_its_link_stops_working(
    west_midlands, django_capture_on_commit_callbacks
):
    person = PersonFactory(full_name="Ruth Okafor", email="ruth@example.org")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        person_invite(person=person, by=None)

    assert (
        "the link works once, until 10:40pm on Thursday 10 December 2026 (UK time)"
        in mail.outbox[-1].body
    )


def test_reset_email_and_pages_give_the_date_and_time_the_link_stops_working(
    client, django_capture_on_commit_callbacks
):
    UserFactory(username="jo", email="jo@example.org")
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                "/accounts/password_reset/", {"email": "jo@example.org"}, follow=True
            )
        landing = client.get(_mailed_link(mail.outbox[-1].body), follow=True)

    until = "10:40pm on Thursday 10 December 2026 (UK time)"
    assert f"the link works once, until {until}" in mail.outbox[-1].body
    assert f"The link works once, until {until}." in response.content.decode()
    assert f"This link works until {until}." in landing.content.decode()


def test_link_expiry_is_said_in_london_time_in_summer():
    summer = datetime(2026, 6, 1, 8, 5, tzinfo=UTC)

    assert link_expiry_words(summer) == "9:05am on Monday 1 June 2026 (UK time)"
    with time_machine.travel(summer, tick=False):
        assert link_expires_at() == datetime(2026, 6, 4, 8, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "made",
    [NOW.astimezone(LONDON), datetime(2026, 7, 1, 12, 0, tzinfo=LONDON)],
    ids=["winter", "summer"],
)
def test_a_links_end_read_from_its_token_is_when_django_stops_taking_it(made):
    """Review AB: Django's token counts seconds on the local wall clock, an hour ahead of
    UTC in summer; the end said on the page and in the e-mail is the end Django keeps.
    (time_machine moves the local wall clock only when given a ZoneInfo time.)"""
    user = UserFactory()
    with time_machine.travel(made, tick=False):
        token = default_token_generator.make_token(user)
    ends = link_expires_at(token)

    assert ends == made + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
    with time_machine.travel(ends - timedelta(minutes=1), tick=False):
        assert default_token_generator.check_token(user, token)
    with time_machine.travel(ends + timedelta(minutes=1), tick=False):
        assert not default_token_generator.check_token(user, token)


# 4. A panel member with no seat yet


def test_panel_member_with_no_seat_is_told_they_are_on_the_list(client, west_midlands):
    user = UserFactory(username="ruth")
    PersonFactory(user=user, pct=PCTFactory(sha=west_midlands))
    client.force_login(user)

    page = client.get("/").content.decode()

    assert 'data-test="no-role"' not in page
    assert (
        "You are on the list of the panel members of the West Midlands SHA, but no panel has "
        "given you a seat yet"
    ) in page
    assert "SHA staff will e-mail you when they give you a seat on a panel" in page


def test_person_of_an_outside_organisation_is_on_the_national_pool(client):
    user = UserFactory(username="kp")
    PersonFactory(user=user, pct=None, external_organisation=ExternalOrganisationFactory())
    client.force_login(user)

    page = client.get("/").content.decode()

    assert "the national pool of panel members from outside the NHS" in page


def test_account_on_no_list_still_has_no_role(client):
    client.force_login(UserFactory(username="nobody"))

    page = client.get("/").content.decode()

    assert 'data-test="no-role"' in page
    assert 'data-test="no-seat"' not in page


def test_an_account_whose_access_was_removed_is_told_so_not_that_it_never_had_a_role(client):
    """Walk AD: a board member whose access was removed read "You have no role yet"."""
    from assessments.role_accounts import role_remove

    west = SHAFactory(name="West Midlands")
    role = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory(sha=west, name="Dudley"))
    national = RoleFactory(kind=Role.Kind.NATIONAL).user
    with time_machine.travel(NOW, tick=False):
        role_remove(role=role, by=national, reason="Left the board.")
    client.force_login(role.user)

    page = client.get("/").content.decode()

    assert 'data-test="no-role"' not in page
    assert (
        "Your account works, but your access as the board of Dudley was removed on 7 December "
        "2026: ask the staff of the West Midlands SHA if you need it again"
    ) in page
    assert "Left the board." not in page


# 3. Your account


def test_header_links_to_your_account_for_the_signed_in_only(client):
    assert 'data-test="account-link"' not in client.get("/help/").content.decode()
    client.force_login(UserFactory())

    assert 'href="/accounts/you/" data-test="account-link">Your account</a>' in (
        client.get("/help/").content.decode()
    )


def test_your_account_says_roles_and_whom_to_ask_for_the_address(client, west_midlands):
    user = UserFactory(username="sam", first_name="Sam", last_name="Staff")
    RoleFactory(user=user, kind=Role.Kind.SHA_STAFF, sha=west_midlands, pct=None)
    board = PCTFactory(name="Dudley PCT", sha=west_midlands)
    RoleFactory(user=user, kind=Role.Kind.PCT_BOARD, sha=None, pct=board)
    client.force_login(user)

    response = client.get("/accounts/you/")

    summary = response.context["account"]
    assert summary.roles == ["Staff of the West Midlands SHA", "Board of Dudley PCT"]
    assert summary.email_by == "the national assurance team"  # who manage staff accounts
    page = response.content.decode()
    assert '<td data-test="account-username">sam</td>' in page
    assert "only the national assurance team can change it" in page


def test_a_board_members_address_is_changed_by_their_shas_staff(client, west_midlands):
    user = UserFactory(username="bo")
    pct = PCTFactory(name="Dudley PCT", sha=west_midlands)
    RoleFactory(user=user, kind=Role.Kind.PCT_BOARD, sha=None, pct=pct)
    client.force_login(user)

    summary = client.get("/accounts/you/").context["account"]

    assert (summary.roles, summary.email_by) == (
        ["Board of Dudley PCT"],
        "the staff of the West Midlands SHA",
    )


def test_your_account_lists_a_listed_persons_place(client, west_midlands):
    user = UserFactory(username="ruth")
    PersonFactory(full_name="Ruth Okafor", user=user, pct=PCTFactory(sha=west_midlands))
    client.force_login(user)

    summary = client.get("/accounts/you/").context["account"]

    assert (summary.roles, summary.seats, summary.listed) == (
        [],
        [],
        "the panel members of the West Midlands SHA",
    )


def test_listed_person_changes_their_name_on_the_list_and_account(client, west_midlands):
    user = UserFactory(username="ruth", first_name="Ruth", last_name="Okafor")
    person = PersonFactory(
        full_name="Ruth Okafor", email=user.email, user=user, pct=PCTFactory(sha=west_midlands)
    )
    client.force_login(user)

    response = client.post("/accounts/you/name/", {"full_name": "Dr Ruth Adeyemi"})

    assert response["Location"] == "/accounts/you/"
    person.refresh_from_db()
    user.refresh_from_db()
    assert person.full_name == "Dr Ruth Adeyemi"
    assert (user.first_name, user.last_name) == ("Ruth", "Adeyemi")
    change = PersonChange.objects.filter(person=person).get()
    assert (change.action, change.changed_by, change.note) == (
        "edited",
        user,
        "Name: Ruth Okafor → Dr Ruth Adeyemi",
    )


def test_account_on_no_list_changes_its_name_with_an_account_history_row(client):
    user = UserFactory(username="nat", first_name="Nat", last_name="Team")
    client.force_login(user)

    client.post("/accounts/you/name/", {"full_name": "Natalie Teamwork"})

    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Natalie", "Teamwork")
    change = AccountChange.objects.filter(user=user).get()
    assert (change.action, change.note) == ("renamed", "Nat Team → Natalie Teamwork")


def test_a_refused_name_is_shown_as_typed(client):
    user = UserFactory(username="nat", first_name="Nat", last_name="Team")
    client.force_login(user)
    typed = "Nat\u202eTeam"

    response = client.post("/accounts/you/name/", {"full_name": typed})

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["full_name"]
    assert f'value="{typed}"' in response.content.decode()
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Nat", "Team")
    assert not AccountChange.objects.filter(user=user).exists()


def test_a_name_too_long_is_refused_and_kept(client):
    user = UserFactory(username="nat", first_name="Nat", last_name="Team")
    client.force_login(user)
    typed = "N" * 151

    response = client.post("/accounts/you/name/", {"full_name": typed})

    assert response.context["form"].errors == {
        "full_name": ["Enter a name of at most 150 characters."]
    }
    assert f'value="{typed}"' in response.content.decode()


# 5. SHA staff editing a person


def _edit(person, **changes):
    details = {
        "full_name": person.full_name,
        "email": person.email,
        "job_role": person.job_role,
        "job_title": person.job_title,
        "sha": person.sha,
        "pct": person.pct,
        "external_organisation": person.external_organisation,
    } | changes
    return person_update(
        person=person, by=UserFactory(first_name="Sam", last_name="Staff"), **details
    )


def test_editing_a_persons_name_renames_their_account(ruth):
    person, _ = ruth

    _edit(person, full_name="Ruth Adeyemi-Okafor, OBE")

    person.user.refresh_from_db()
    assert (person.user.first_name, person.user.last_name) == ("Ruth", "Adeyemi-Okafor")


def test_correcting_the_address_of_a_person_invited_sends_the_new_one_a_link_only(
    ruth, django_capture_on_commit_callbacks
):
    """Ruth has not set a password yet: the link at her old address stopped working with the
    change, so a new invitation goes to the new one (walk AC), and the old address, perhaps
    a mistyped one a stranger holds, is not told the new one (review AE)."""
    person, old_link = ruth
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _edit(person, email="ruth.new@example.org")

    assert [m.to for m in mail.outbox] == [["ruth.new@example.org"]]
    new_link = _path(_mailed_link(mail.outbox[0].body))
    assert new_link != old_link
    person.user.refresh_from_db()
    assert person.user.email == "ruth.new@example.org"


def test_changing_the_address_of_a_person_with_a_password_sends_no_invitation(
    ruth, client, django_capture_on_commit_callbacks
):
    person, link = ruth
    _set_password(client, link)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        _edit(person, email="ruth.new@example.org")

    assert [m.to for m in mail.outbox] == [["ruth@example.org"]]


def test_changing_the_address_of_a_person_without_an_account_tells_nobody(
    django_capture_on_commit_callbacks,
):
    person = PersonFactory(email="old@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        _edit(person, email="new@example.org")

    assert mail.outbox == []


def test_your_account_names_a_chairs_seat_once(client, west_midlands):
    """Walk AA: "Seat 1 (Local SHA director (chair), chair) on the ... panel"; then "Seat 1:
    Local SHA director (chair), on ...": the chair is said first, with no bracket in a
    bracket."""
    from tests.factories import AssessmentFactory, PanelFactory, SeatFactory, SeatTypeFactory

    user = UserFactory(username="michael")
    person = PersonFactory(full_name="Michael Harrison", user=user)
    panel = PanelFactory(
        assessment=AssessmentFactory(pct=PCTFactory(sha=west_midlands, name="Dudley PCT"))
    )
    chair = SeatTypeFactory(number=1, name="Local SHA director (chair)", is_chair=True)
    SeatFactory(panel=panel, seat_type=chair, person=person)
    client.force_login(user)

    seats = client.get("/accounts/you/").context["account"].seats

    assert seats == [
        f"Chair, seat 1 (Local SHA director), on the Dudley PCT panel, "
        f"{panel.assessment.round.name}"
    ]


def test_your_account_names_an_acting_chair_and_the_chair_it_stands_in_for(west_midlands):
    from tests.factories import AssessmentFactory, PanelFactory, SeatFactory, SeatTypeFactory

    user = UserFactory(username="michael")
    person = PersonFactory(full_name="Michael Harrison", user=user)
    dudley = PanelFactory(
        assessment=AssessmentFactory(pct=PCTFactory(sha=west_midlands, name="Dudley PCT"))
    )
    chair = SeatTypeFactory(number=1, name="Local SHA director (chair)", is_chair=True)
    pec = SeatTypeFactory(number=2, name="PEC chair or medical director of another PCT")
    SeatFactory(panel=dudley, seat_type=chair, person=person)
    walsall = PanelFactory(
        assessment=AssessmentFactory(
            pct=PCTFactory(sha=west_midlands, name="Walsall PCT"), round=dudley.assessment.round
        )
    )
    walsall.acting_chair = SeatFactory(panel=walsall, seat_type=pec, person=person)
    walsall.save(update_fields=["acting_chair"])
    dudley.acting_chair = SeatFactory(panel=dudley, seat_type=pec)
    dudley.save(update_fields=["acting_chair"])
    round_name = dudley.assessment.round.name

    seats = account_summary(user).seats

    assert seats == [
        f"Seat 1 (Local SHA director; an acting chair stands in), on the Dudley PCT panel, "
        f"{round_name}",
        f"Acting chair, seat 2 (PEC chair or medical director of another PCT), on the Walsall "
        f"PCT panel, {round_name}",
    ]


def test_your_account_names_a_members_seat_without_the_chair(west_midlands):
    from tests.factories import AssessmentFactory, PanelFactory, SeatFactory, SeatTypeFactory

    user = UserFactory(username="janet")
    person = PersonFactory(full_name="Janet Richards", user=user)
    panel = PanelFactory(
        assessment=AssessmentFactory(pct=PCTFactory(sha=west_midlands, name="Dudley PCT"))
    )
    pec = SeatTypeFactory(number=2, name="PEC chair or medical director of another PCT")
    SeatFactory(panel=panel, seat_type=pec, person=person)

    assert account_summary(user).seats == [
        f"Seat 2 (PEC chair or medical director of another PCT), on the Dudley PCT panel, "
        f"{panel.assessment.round.name}"
    ]


# A link that no longer works says why, to whoever holds it (walk Y)

GENERIC = "The link to set your password has been used already or has expired."


def _link_page(client, path: str) -> str:
    return client.get(path, follow=True).content.decode()


def test_a_replaced_link_names_the_newer_ones_address_and_date(client, ruth):
    person, old = ruth
    with time_machine.travel(NOW, tick=False):
        new = _path(person_invite(person=person, by=UserFactory()).link)

        page = _link_page(client, old)

    assert "<h1>This link does not work</h1>" in page
    assert (
        "A newer link was sent to ruth@example.org on 7 December 2026: use the link in that e-mail."
    ) in page
    assert GENERIC not in page
    assert 'name="new_password1"' in _link_page(Client(), new)


def test_a_link_replaced_while_its_form_was_open_says_so_and_sets_nothing(client, ruth):
    person, old = ruth
    form_path = client.get(old, follow=True).redirect_chain[-1][0]
    with time_machine.travel(NOW, tick=False):
        person_invite(person=person, by=UserFactory())

        response = client.post(form_path, {"new_password1": NEW, "new_password2": NEW})

    assert "A newer link was sent to ruth@example.org on 7 December 2026" in (
        response.content.decode()
    )
    person.user.refresh_from_db()
    assert person.user.has_usable_password() is False


def test_a_link_replaced_at_another_address_does_not_name_it(client, ruth):
    person, old = ruth
    with time_machine.travel(NOW, tick=False):
        person_update(
            person=person,
            full_name=person.full_name,
            email="ruth.new@example.org",
            job_role=person.job_role,
            pct=person.pct,
            by=UserFactory(),
        )
        person_invite(person=person, by=UserFactory())

        page = _link_page(client, old)

    assert (
        "A newer link was sent on 7 December 2026, to another address: ask whoever invited "
        "you if it has not reached you."
    ) in page
    assert "ruth.new@example.org" not in page


def test_a_link_of_an_account_whose_address_was_corrected_points_to_the_new_link(client, ruth):
    person, old = ruth
    person_update(
        person=person,
        full_name=person.full_name,
        email="ruth.new@example.org",
        job_role=person.job_role,
        pct=person.pct,
        by=UserFactory(),
    )

    page = _link_page(client, old)

    # The correction sent a new invitation to the new address (walk AC), which the old
    # link's page points to without naming it.
    assert (
        f"A newer link was sent on {timezone.localdate():%-d %B %Y}, to another address"
    ) in page
    assert "ruth.new@example.org" not in page


def test_an_older_link_after_the_password_was_set_with_a_newer_one_says_so(client, ruth):
    """Walk AD: the older link said "use the link in that e-mail" (already used), and
    both pages said "Your password has not been set" (it had been)."""
    person, old = ruth
    with time_machine.travel(NOW, tick=False):
        new = _path(person_invite(person=person, by=UserFactory()).link)
        _set_password(client, new)

        older, used = _link_page(Client(), old), _link_page(Client(), new)

    assert (
        "A newer link was sent on 7 December 2026, and the password of this account was set "
        "with it on 7 December 2026. Log in with it"
    ) in older
    assert "This link was used: the password of this account was set on 7 December" in used
    for page in (older, used):
        assert "has not been set" not in page
        assert "Opening this link changed nothing." in page


def test_a_used_link_says_when_the_password_was_set(client, ruth):
    _, path = ruth
    with time_machine.travel(NOW, tick=False):
        _set_password(client, path)

        page = _link_page(Client(), path)

    assert ("This link was used: the password of this account was set on 7 December 2026.") in page


def test_a_withdrawn_invitations_link_says_so(client, django_capture_on_commit_callbacks):
    from assessments.role_accounts import RoleScope, role_invite, role_remove

    pct = PCTFactory(name="Dudley PCT")
    national = UserFactory()
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            role_invite(
                scope=RoleScope.board(pct),
                full_name="Amir Shah",
                email="amir@example.org",
                by=national,
            )
        path = _mailed_link(mail.outbox[-1].body)
        role = Role.objects.get(user__email="amir@example.org", pct=pct)
        role_remove(role=role, by=national, reason="Wrong address typed.")

        page = _link_page(client, path)

    assert (
        "The invitation was withdrawn on 7 December 2026: the access it was for was taken "
        "away. If you need it, ask whoever invited you."
    ) in page


def test_an_expired_link_says_when_it_stopped_working(client, ruth):
    _, path = ruth
    expired = link_expiry_words(link_expires_at(path.rstrip("/").rsplit("/", 1)[1]))

    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC)):
        page = _link_page(client, path)

    assert f"This link stopped working at {expired}: ask whoever invited you" in page


def test_a_made_up_link_to_a_reinvited_account_says_nothing_of_it(client, ruth):
    person, old = ruth
    person_invite(person=person, by=UserFactory())
    stamp = old.rstrip("/").rsplit("/", 1)[1].partition("-")[0]

    page = _link_page(client, f"/accounts/reset/{_b64(person.user_id)}/{stamp}-{'0' * 32}/")

    assert GENERIC in page
    assert "ruth@example.org" not in page
    assert "newer link" not in page


def test_an_invitations_history_row_keeps_its_links_digest_and_address(ruth):
    from assessments.accounts import link_digest

    person, path = ruth
    token = path.rstrip("/").rsplit("/", 1)[1]

    row = AccountChange.objects.get(user=person.user)

    assert (row.action, row.link_digest, row.sent_to) == (
        AccountChange.Action.INVITED,
        link_digest(token),
        "ruth@example.org",
    )
    assert token not in row.link_digest


# One's own name change refuses a stale page


def test_the_name_page_carries_the_name_it_showed(client):
    user = UserFactory(username="nat", first_name="Nat", last_name="Team")
    client.force_login(user)

    form = client.get("/accounts/you/name/").context["form"]

    assert (form["full_name"].value(), form["seen_name"].value()) == ("Nat Team", "Nat Team")


def test_a_name_renamed_by_staff_since_the_page_opened_is_not_overwritten(client, west_midlands):
    user = UserFactory(username="ruth", first_name="Ruth", last_name="Okafor")
    person = PersonFactory(
        full_name="Ruth Okafor", email=user.email, user=user, pct=PCTFactory(sha=west_midlands)
    )
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        _edit(person, full_name="Ruth Okafor-Bell")  # SHA staff, Sam Staff, meanwhile

    response = client.post(
        "/accounts/you/name/", {"full_name": "Dr Ruth Adeyemi", "seen_name": "Ruth Okafor"}
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "full_name": [
            "Your name was changed to “Ruth Okafor-Bell” on 7 December 2026 at 22:40 by Sam "
            "Staff, since you opened this page. “Dr Ruth Adeyemi” was not saved. Save again "
            "to replace “Ruth Okafor-Bell” with it, or cancel to keep “Ruth Okafor-Bell”."
        ]
    }
    page = response.content.decode()
    assert 'value="Dr Ruth Adeyemi"' in page
    assert 'name="seen_name" value="Ruth Okafor-Bell"' in page
    person.refresh_from_db()
    assert person.full_name == "Ruth Okafor-Bell"
    assert PersonChange.objects.filter(person=person).count() == 1


def test_saving_again_after_the_refusal_replaces_the_name(client, west_midlands):
    user = UserFactory(username="ruth", first_name="Ruth", last_name="Okafor")
    person = PersonFactory(
        full_name="Ruth Okafor", email=user.email, user=user, pct=PCTFactory(sha=west_midlands)
    )
    client.force_login(user)
    _edit(person, full_name="Ruth Okafor-Bell")
    client.post("/accounts/you/name/", {"full_name": "Ruth Adeyemi", "seen_name": "Ruth Okafor"})

    response = client.post(
        "/accounts/you/name/", {"full_name": "Ruth Adeyemi", "seen_name": "Ruth Okafor-Bell"}
    )

    assert response["Location"] == "/accounts/you/"
    person.refresh_from_db()
    assert person.full_name == "Ruth Adeyemi"
    assert PersonChange.objects.filter(person=person).first().note == (
        "Name: Ruth Okafor-Bell → Ruth Adeyemi"
    )


def test_a_name_changed_in_another_window_says_it_was_you(client):
    user = UserFactory(username="nat", first_name="Nat", last_name="Team")
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        client.post("/accounts/you/name/", {"full_name": "Natalie Team", "seen_name": "Nat Team"})

    response = client.post(
        "/accounts/you/name/", {"full_name": "Nathan Team", "seen_name": "Nat Team"}
    )

    assert (
        response.context["form"]
        .errors["full_name"][0]
        .startswith(
            "Your name was changed to “Natalie Team” on 7 December 2026 at 22:40 by you in another "
            "window or browser, since you opened this page. “Nathan Team” was not saved."
        )
    )
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Natalie", "Team")
    assert AccountChange.objects.filter(user=user).count() == 1
