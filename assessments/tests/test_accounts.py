"""Accounts by invitation and the roles' history (``assessments.accounts``)."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError

from assessments.accounts import (
    account_deactivate,
    account_invite,
    account_reinvite,
    role_grant,
    role_revoke,
)
from assessments.models import AccountChange, Role, RoleChange
from tests.factories import SHAFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_account_invite_makes_an_account_without_a_password_and_mails_the_link(
    django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://wcc.example.org"
    by = UserFactory(username="national")

    with django_capture_on_commit_callbacks(execute=True):
        invitation = account_invite(
            username="jane.smith", email="jane@example.org", first_name="Jane", by=by
        )

    user = User.objects.get(username="jane.smith")
    assert invitation.user == user
    assert user.has_usable_password() is False
    assert invitation.link.startswith("https://wcc.example.org/accounts/reset/")
    assert [m.to for m in mail.outbox] == [["jane@example.org"]]
    assert invitation.link in mail.outbox[0].body
    assert list(AccountChange.objects.values_list("user__username", "action", "changed_by")) == [
        ("jane.smith", "invited", by.pk)
    ]


@pytest.mark.parametrize(
    ("username", "email", "key", "message"),
    [
        ("Taken", "new@example.org", "username", "The username “Taken” is already taken."),
        ("new", "TAKEN@example.org", "email", "already used by another account."),
        ("new", "not-an-address", "email", "“not-an-address” is not a valid e-mail address."),
    ],
)
def test_account_invite_refuses_bad_input_and_writes_nothing(
    django_capture_on_commit_callbacks, username, email, key, message
):
    UserFactory(username="taken", email="taken@example.org")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as exc:
        account_invite(username=username, email=email, by=None)

    assert list(exc.value.message_dict) == [key]
    assert message in exc.value.message_dict[key][0]
    assert User.objects.count() == 1
    assert AccountChange.objects.count() == 0
    assert mail.outbox == []


def test_account_reinvite_refuses_an_account_with_a_password():
    user = UserFactory(username="has.password")

    with pytest.raises(ValidationError) as exc:
        account_reinvite(user=user, by=None)

    assert "has already set a password" in exc.value.messages[0]
    assert AccountChange.objects.count() == 0


def test_a_new_link_ends_the_links_sent_before(django_capture_on_commit_callbacks):
    """Walk L: the first link still set a password after a new one was sent (and after
    access was removed), though the e-mail says a link works once."""
    from django.contrib.auth.tokens import default_token_generator

    first = account_invite(username="jo.bloggs", email="jo@example.org", by=None)
    token = first.link.rstrip("/").rsplit("/", 1)[1]
    user = User.objects.get(pk=first.user.pk)
    assert default_token_generator.check_token(user, token)

    with django_capture_on_commit_callbacks(execute=True):
        again = account_reinvite(user=user, by=None)

    user.refresh_from_db()
    assert not default_token_generator.check_token(user, token)
    assert default_token_generator.check_token(user, again.link.rstrip("/").rsplit("/", 1)[1])
    assert "Any link sent to you before no longer works." in mail.outbox[-1].body


def test_account_deactivate_closes_the_account_with_a_history_row():
    user, by = UserFactory(), UserFactory()

    account_deactivate(user=user, by=by)

    user.refresh_from_db()
    assert user.is_active is False
    assert list(AccountChange.objects.values_list("action", flat=True)) == ["deactivated"]


def test_role_grant_and_revoke_write_the_roles_history():
    user, by = UserFactory(username="staff"), UserFactory(username="boss")
    sha = SHAFactory(ods_code="Q34")

    role = role_grant(user=user, kind=Role.Kind.SHA_STAFF, sha=sha, by=by)
    role_revoke(role=role, by=by)

    assert Role.objects.filter(user=user).count() == 0
    rows = RoleChange.objects.order_by("pk").values_list(
        "user__username", "action", "kind", "sha__ods_code", "changed_by__username"
    )
    assert list(rows) == [
        ("staff", "granted", "sha_staff", "Q34", "boss"),
        ("staff", "revoked", "sha_staff", "Q34", "boss"),
    ]


def test_role_grant_refuses_a_scope_that_does_not_fit_and_writes_nothing():
    user = UserFactory()

    with pytest.raises(ValidationError):
        role_grant(user=user, kind=Role.Kind.SHA_STAFF, by=None)

    assert Role.objects.count() == 0
    assert RoleChange.objects.count() == 0


def test_role_grant_refuses_a_role_held_already():
    role = role_grant(user=UserFactory(), kind=Role.Kind.NATIONAL, by=None)

    with pytest.raises(ValidationError):
        role_grant(user=role.user, kind=Role.Kind.NATIONAL, by=None)

    assert RoleChange.objects.count() == 1


@pytest.mark.parametrize(
    ("full_name", "parts"),
    [
        ("Mary Ann  Smith", ("Mary Ann", "Smith")),
        ("Cher", ("Cher", "")),
        ("  ", ("", "")),
    ],
)
def test_name_parts_keeps_the_last_word_as_the_last_name(full_name, parts):
    from assessments.accounts import name_parts

    assert name_parts(full_name) == parts


@pytest.mark.parametrize(
    ("full_name", "parts"),
    [
        # the SHA walk: "Siobhan Reilly, Dr" became the account siobhan.dr
        ("Siobhan Reilly, Dr", ("Siobhan", "Reilly")),
        ("Dr Siobhan Reilly", ("Siobhan", "Reilly")),
        ("Reilly, Dr Siobhan", ("Siobhan", "Reilly")),
        ("Prof. Ann Lee OBE FRCP", ("Ann", "Lee")),
        ("Ann Lee, MBE", ("Ann", "Lee")),
        ("Mr. Ed Miliband MP", ("Ed", "Miliband")),  # the re-test walk: ed.mp
        ("Ma Long", ("Ma", "Long")),  # a name, not letters after one
        ("Anna Ma", ("Anna", "Ma")),
        ("Dr", ("Dr", "")),
        ("Mary Ann Smith", ("Mary Ann", "Smith")),
    ],
)
def test_name_parts_leave_out_titles_and_letters_after_the_name(full_name, parts):
    from assessments.accounts import name_parts

    assert name_parts(full_name) == parts
