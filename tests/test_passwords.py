"""Django's password pages with the site's look: forgotten password and set password."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.http import HttpRequest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _link(body: str) -> str:
    return re.search(r"http://testserver(/accounts/reset/\S+)", body).group(1)


def test_login_page_links_to_forgotten_password(client):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    assert 'href="/accounts/password_reset/" data-test="forgotten-password"' in (
        response.content.decode()
    )


def test_password_reset_page_is_the_sites_own(client):
    response = client.get("/accounts/password_reset/")

    assert response.status_code == 200
    assert [t.name for t in response.templates][:2] == [
        "registration/password_reset_form.html",
        "base.html",
    ]
    assert "<h1>Forgotten your password?</h1>" in response.content.decode()


def test_password_reset_mails_a_link_through_the_queue_and_the_link_sets_the_password(
    client, django_capture_on_commit_callbacks
):
    UserFactory(username="jo", email="jo@example.org")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post("/accounts/password_reset/", {"email": "JO@example.org"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert len(callbacks) == 1  # mail_enqueue's on-commit hook
    assert [m.to for m in mail.outbox] == [["jo@example.org"]]
    assert mail.outbox[0].subject == "Set your WCC Assurance password"
    landing = client.get(_link(mail.outbox[0].body), follow=True)
    assert "<h1>Set your password</h1>" in landing.content.decode()
    client.post(
        landing.redirect_chain[-1][0],
        {"new_password1": "quiet harbour lamp 7", "new_password2": "quiet harbour lamp 7"},
    )
    assert (
        client.login(request=HttpRequest(), username="jo", password="quiet harbour lamp 7") is True
    )


def test_password_reset_reaches_an_invited_account_without_a_password(
    client, django_capture_on_commit_callbacks
):
    user = User.objects.create_user(username="invited", email="inv@example.org")
    assert user.has_usable_password() is False

    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password_reset/", {"email": "inv@example.org"})

    assert [m.to for m in mail.outbox] == [["inv@example.org"]]


def test_password_reset_sends_nothing_to_a_deactivated_account(
    client, django_capture_on_commit_callbacks
):
    UserFactory(username="gone", email="gone@example.org", is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": "gone@example.org"})

    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


def test_set_password_shows_errors_in_a_summary_linked_to_the_field(
    client, django_capture_on_commit_callbacks
):
    UserFactory(username="jo", email="jo@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password_reset/", {"email": "jo@example.org"})
    landing = client.get(_link(mail.outbox[0].body), follow=True)

    response = client.post(
        landing.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Set your password " in page
    assert 'data-test="error-summary"' in page
    # On the new password field, not its confirmation (walk Y).
    assert '<a href="#id_new_password1">New password: This password is too short.' in page
    assert '<a href="#id_new_password2">' not in page


def test_a_used_link_says_so(client):
    response = client.get("/accounts/reset/MQ/bad-token/", follow=True)

    assert response.status_code == 200
    assert "<h1>This link does not work</h1>" in response.content.decode()


@pytest.mark.django_db
def test_a_blank_login_links_each_error_to_its_field(client):
    """The accessibility walk: the summary said only "Check the fields marked below", and
    neither field was described by its error."""
    response = client.post("/accounts/login/", {"username": "", "password": ""})

    page = response.content.decode()
    assert '<li><a href="#id_username">Username: Enter your username.</a></li>' in page
    assert '<li><a href="#id_password">Password: Enter your password.</a></li>' in page
    assert 'aria-invalid="true" aria-describedby="id_username_error"' in page
    assert (
        'id="id_password_error"><span class="visually-hidden">Error: </span>Enter your password.'
        in page
    )
    assert "Check the fields marked below" not in page


@pytest.mark.django_db
def test_a_wrong_password_is_said_in_the_summary(client):
    UserFactory(username="ann")

    response = client.post("/accounts/login/", {"username": "ann", "password": "wrong"})

    page = response.content.decode()
    assert 'data-test="error-summary"' in page
    # Linked to the username, which is marked (the accessibility walk: neither was).
    assert (
        '<li><a href="#id_username">Username: Enter the username and password of your '
        "account: these do not match one. Both are case-sensitive.</a></li>" in page
    )
    assert 'aria-invalid="true" aria-describedby="id_username_error"' in page


@pytest.mark.django_db
def test_an_address_gets_three_set_password_emails_an_hour(
    client, django_capture_on_commit_callbacks
):
    """The outsider walk: twenty posts queued twenty e-mails to one person."""
    from django.core.cache import cache

    cache.clear()
    UserFactory(username="rachel", email="rachel@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        answers = [
            client.post("/accounts/password_reset/", {"email": "rachel@example.org"})
            for _ in range(5)
        ]

    # The page reads the same each time: it tells nobody whether the address has an account.
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, "/accounts/password_reset/done/")
    }
    assert [m.to for m in mail.outbox] == [["rachel@example.org"]] * 3


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter the e-mail address of your account."),
        ("not-an-address", "Enter an e-mail address such as name@example.nhs.uk."),
        ("a" * 250 + "@example.org", "Enter an e-mail address of at most 254 characters."),
    ],
)
def test_the_password_reset_form_says_one_thing_in_its_own_words(client, email, message):
    """The bad-input walk: "This field is required.", and two errors for a long address."""
    response = client.post("/accounts/password_reset/", {"email": email})

    assert response.context["form"].errors == {"email": [message]}
    # the re-test walk: the summary's first line read "Password reset." (the view's title)
    assert "Password reset.</p>" not in response.content.decode()
    assert "No link was sent.</p>" in response.content.decode()
