"""The login page for a deactivated account (walk W): its right password tells it when it
was deactivated and whom to ask; a wrong one reads as any other, and still counts towards
django-axes' lock-out."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from assessments.accounts import account_deactivate
from assessments.models import AccountChange, Role
from panels.services.people import person_deactivate
from tests.factories import PCTFactory, PersonFactory, RoleFactory, SHAFactory, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
GENERIC = (
    "Enter the username and password of your account: these do not match one. Both are "
    "case-sensitive."
)
LOCKED = "Too many failed attempts: try again in 15 minutes or reset your password."
DEACTIVATED_ON = datetime(2026, 3, 9, 11, 30, tzinfo=UTC)


def login_post(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def errors(response) -> dict:
    return response.context["form"].errors


@pytest.fixture
def sha():
    return SHAFactory(name="West Midlands")


@pytest.fixture
def janet(sha):
    """A panel member of a West Midlands PCT, deactivated on the people list on 9 March."""
    user = UserFactory(username="janet.richards")
    person = PersonFactory(full_name="Janet Richards", user=user, pct=PCTFactory(sha=sha))
    with time_machine.travel(DEACTIVATED_ON, tick=False):
        person_deactivate(person=person, reason="Left the PCT.", by=UserFactory())
    user.refresh_from_db()
    return user


def test_deactivated_account_with_its_right_password_is_told_when_and_whom_to_ask(client, janet):
    response = login_post(client, "janet.richards", "pass-for-tests")

    assert response.status_code == 200
    assert errors(response) == {
        "username": [
            "This account was deactivated on 9 March 2026. If you need it again, ask the "
            "staff of the West Midlands SHA."
        ]
    }
    assert "deactivated on 9 March 2026" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_deactivated_account_with_a_wrong_password_reads_as_any_failed_login(client, janet):
    response = login_post(client, "janet.richards", "wrong")

    assert errors(response) == {"username": [GENERIC]}
    assert "deactivated" not in response.content.decode()


def test_unknown_username_reads_as_any_failed_login(client, janet):
    response = login_post(client, "nobody.here", "pass-for-tests")

    assert errors(response) == {"username": [GENERIC]}


def test_active_account_logs_in_and_its_wrong_password_is_generic(janet):
    UserFactory(username="alice")

    right = login_post(Client(), "alice", "pass-for-tests")
    wrong = login_post(Client(), "alice", "wrong")

    assert (right.status_code, right["Location"]) == (302, "/")
    assert errors(wrong) == {"username": [GENERIC]}


def test_sha_staff_account_names_its_sha_and_national_account_says_your_sha(sha):
    staff = UserFactory(username="sam.staff")
    RoleFactory(user=staff, kind=Role.Kind.SHA_STAFF, sha=sha, pct=None)
    national = UserFactory(username="nat.team")
    RoleFactory(user=national, kind=Role.Kind.NATIONAL, sha=None, pct=None)
    for user in (staff, national):
        with time_machine.travel(DEACTIVATED_ON, tick=False):
            account_deactivate(user=user, by=None)

    staff_page = login_post(Client(), "sam.staff", "pass-for-tests")
    national_page = login_post(Client(), "nat.team", "pass-for-tests")

    assert errors(staff_page)["username"] == [
        "This account was deactivated on 9 March 2026. If you need it again, ask the staff "
        "of the West Midlands SHA."
    ]
    assert errors(national_page)["username"] == [
        "This account was deactivated on 9 March 2026. If you need it again, ask your SHA's staff."
    ]


def test_account_deactivated_with_no_history_row_says_so_without_a_date():
    UserFactory(username="old.account", is_active=False)

    response = login_post(Client(), "old.account", "pass-for-tests")

    assert errors(response)["username"] == [
        "This account was deactivated. If you need it again, ask your SHA's staff."
    ]


def test_attempts_on_a_deactivated_account_count_towards_the_lock_out(client, janet):
    for _ in range(10):
        login_post(client, "janet.richards", "wrong")

    # Locked: even the right password is no longer checked, so it says nothing more.
    response = login_post(client, "janet.richards", "pass-for-tests")

    assert (response.status_code, response.context["locked_out"]) == (429, LOCKED)
    assert "deactivated" not in response.content.decode()


def test_right_passwords_of_a_deactivated_account_count_as_failures_too(client, janet):
    for _ in range(10):
        login_post(client, "janet.richards", "pass-for-tests")

    response = login_post(client, "janet.richards", "pass-for-tests")

    assert (response.status_code, response.context["locked_out"]) == (429, LOCKED)


def test_open_session_of_a_deactivated_account_is_logged_out_on_its_next_request(sha):
    user = UserFactory(username="still.open")
    client = Client()
    client.force_login(user)
    assert client.get("/").wsgi_request.user == user

    account_deactivate(user=user, by=None)
    response = client.get("/")

    assert response.wsgi_request.user.is_authenticated is False
    assert AccountChange.objects.filter(user=user).values_list("action", flat=True).get() == (
        AccountChange.Action.DEACTIVATED
    )
