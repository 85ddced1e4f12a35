"""Correcting the e-mail address of a board's, an SHA's staff's or the national team's
account (``role_email_change`` and the "Change the e-mail address" pages of ``/staff/``
and ``/boards/``). Walk AC: a staff account invited at a mistyped address could only be
removed and invited again, which made a second account and left the first listed nowhere.

Personas: the national team (may, every group), staff of SHA Alpha (may, Alpha's boards),
staff of SHA Beta (same role, other region: 404), a board member (outsider: 404)."""

import re

import pytest
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.exceptions import ValidationError

from assessments.accounts import account_deactivate
from assessments.models import AccountChange, Role
from assessments.role_accounts import RoleScope, role_email_change, role_invite
from tests.factories import PCTFactory, RoleFactory, SHAFactory, UserFactory

pytestmark = pytest.mark.django_db

TYPO = "sam.patel@secsha.nsh.uk"
RIGHT = "sam.patel@secsha.nhs.uk"


@pytest.fixture
def world():
    alpha = SHAFactory(ods_code="Q37", name="South East Coast")
    beta = SHAFactory(ods_code="Q35", name="SHA Beta")
    pct_a = PCTFactory(sha=alpha, name="Alpha PCT", ods_code="5AA")
    pct_b = PCTFactory(sha=beta, name="Beta PCT", ods_code="5BB")
    national = RoleFactory(
        kind=Role.Kind.NATIONAL,
        user=UserFactory(username="nat", first_name="Nadia", last_name="National"),
    ).user
    return {
        "alpha": alpha,
        "pct_a": pct_a,
        "pct_b": pct_b,
        "national": national,
        "staff_a": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=alpha).user,
        "staff_b": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=beta).user,
        "board_a": RoleFactory(
            kind=Role.Kind.PCT_BOARD, pct=pct_a, user=UserFactory(username="board.5aa")
        ).user,
    }


def _token(body: str) -> str:
    return re.search(r"/accounts/reset/\S+?/(\S+?)/", body).group(1)


def _sam(world, captured) -> User:
    """Sam Patel, invited as staff of South East Coast at a mistyped address."""
    with captured(execute=True):
        access = role_invite(
            scope=RoleScope.staff(world["alpha"]),
            full_name="Sam Patel",
            email=TYPO,
            by=world["national"],
        )
    return access.user


def _role(user, kind=Role.Kind.SHA_STAFF) -> Role:
    return Role.objects.select_related("user").get(user=user, kind=kind)


# --- The service --------------------------------------------------------------------------


def test_an_invited_accounts_address_corrected_gets_a_new_link_and_the_old_stops(
    world, django_capture_on_commit_callbacks, client
):
    sam = _sam(world, django_capture_on_commit_callbacks)
    old_token = _token(mail.outbox[-1].body)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        sent = role_email_change(role=_role(sam), email=RIGHT, was=TYPO, by=world["national"])

    sam.refresh_from_db()
    assert sent is True
    assert (sam.username, sam.email) == ("sam.patel", RIGHT)
    assert User.objects.filter(first_name="Sam").count() == 1  # no second account
    assert list(
        AccountChange.objects.filter(user=sam)
        .order_by("pk")
        .values_list("action", "changed_by", "note", "sent_to")
    ) == [
        ("invited", world["national"].pk, "", TYPO),
        ("email_changed", world["national"].pk, f"{TYPO} → {RIGHT}", ""),
        ("reinvited", world["national"].pk, "", RIGHT),
    ]
    assert [m.to for m in mail.outbox] == [[RIGHT]]
    assert "Any link sent to you before no longer works." in mail.outbox[0].body
    assert "You are one of the staff of South East Coast" in mail.outbox[0].body
    assert not default_token_generator.check_token(sam, old_token)
    assert default_token_generator.check_token(sam, _token(mail.outbox[0].body))
    # The old link's page says why it no longer works, without naming the new address.
    page = client.get(f"/accounts/reset/{_uid(sam)}/{old_token}/", follow=True)
    text = page.content.decode()
    assert "A newer link was sent on" in text
    assert RIGHT not in text


def _uid(user) -> str:
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    return urlsafe_base64_encode(force_bytes(user.pk))


def test_the_reset_token_depends_on_the_address_alone(world, django_capture_on_commit_callbacks):
    """An account in use: its password (and so its hash) stays; a "Forgotten your
    password?" link sent to the old address stops working only because the address is
    part of Django's token."""
    board = world["board_a"]
    token = default_token_generator.make_token(board)
    password_before = board.password

    with django_capture_on_commit_callbacks(execute=True):
        sent = role_email_change(
            role=_role(board, Role.Kind.PCT_BOARD),
            email="board.new@alpha.nhs.uk",
            was="board.5aa@example.org",
            by=world["staff_a"],
        )

    board.refresh_from_db()
    assert sent is False
    assert board.password == password_before
    assert board.check_password("pass-for-tests")
    assert not default_token_generator.check_token(board, token)
    assert list(AccountChange.objects.values_list("user", "action", "changed_by", "note")) == [
        (
            board.pk,
            "email_changed",
            world["staff_a"].pk,
            "board.5aa@example.org → board.new@alpha.nhs.uk",
        )
    ]
    # The old address is told, and nobody else.
    assert [m.to for m in mail.outbox] == [["board.5aa@example.org"]]
    assert mail.outbox[0].subject == "Your e-mail address on WCC Assurance was changed"
    assert "was changed to board.new@alpha.nhs.uk" in mail.outbox[0].body
    assert "Your username and password stay as they were" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter their new e-mail address."),
        ("not-an-address", "Enter an e-mail address in the right form"),
        ("BOARD.5AA@example.org", "is already the account's address"),
        ("nat@example.org", "is already used by another account"),
    ],
)
def test_an_address_that_cannot_be_given_is_refused_on_the_field(world, email, message):
    board = world["board_a"]

    with pytest.raises(ValidationError) as exc:
        role_email_change(
            role=_role(board, Role.Kind.PCT_BOARD),
            email=email,
            was=board.email,
            by=world["staff_a"],
        )

    assert list(exc.value.error_dict) == ["email"]
    assert message in exc.value.messages[0]
    assert "nat " not in exc.value.messages[0]  # naming no other account
    board.refresh_from_db()
    assert board.email == "board.5aa@example.org"
    assert not AccountChange.objects.exists()
    assert mail.outbox == []


def test_a_deactivated_account_is_refused(world):
    board = world["board_a"]
    account_deactivate(user=board, by=world["national"])

    with pytest.raises(ValidationError) as exc:
        role_email_change(
            role=_role(board, Role.Kind.PCT_BOARD),
            email="new@alpha.nhs.uk",
            was=board.email,
            by=world["national"],
        )

    assert "is deactivated" in exc.value.error_dict["email"][0].message
    assert list(AccountChange.objects.values_list("action", flat=True)) == ["deactivated"]


def test_an_account_on_the_people_list_is_corrected_there(world):
    """A panel member's address lives on the people list, which the account follows:
    corrected on the account alone, the two addresses would differ."""
    from tests.factories import PersonFactory

    board = world["board_a"]
    PersonFactory(user=board, email=board.email, pct=world["pct_a"])

    with pytest.raises(ValidationError) as exc:
        role_email_change(
            role=_role(board, Role.Kind.PCT_BOARD),
            email="new@alpha.nhs.uk",
            was=board.email,
            by=world["national"],
        )

    assert "is also on the people list" in exc.value.error_dict["email"][0].message
    board.refresh_from_db()
    assert board.email != "new@alpha.nhs.uk"


def test_a_stale_check_page_is_refused(world):
    board = world["board_a"]

    with pytest.raises(ValidationError) as exc:
        role_email_change(
            role=_role(board, Role.Kind.PCT_BOARD),
            email="new@alpha.nhs.uk",
            was="what.it.was@example.org",
            by=world["staff_a"],
        )

    assert "changed to board.5aa@example.org since you checked it" in exc.value.messages[0]
    board.refresh_from_db()
    assert board.email == "board.5aa@example.org"
    assert not AccountChange.objects.exists()


def test_staff_may_not_move_an_account_that_is_also_another_regions_board(world):
    board = world["board_a"]
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=world["pct_b"], user=board)

    with pytest.raises(ValidationError) as exc:
        role_email_change(
            role=Role.objects.get(user=board, pct=world["pct_a"]),
            email="new@alpha.nhs.uk",
            was=board.email,
            by=world["staff_a"],
        )
    assert "ask the national assurance team" in exc.value.messages[0]

    role_email_change(
        role=Role.objects.get(user=board, pct=world["pct_a"]),
        email="new@alpha.nhs.uk",
        was=board.email,
        by=world["national"],
    )
    board.refresh_from_db()
    assert board.email == "new@alpha.nhs.uk"


# --- The pages ----------------------------------------------------------------------------


def test_the_national_team_corrects_a_staff_address_after_a_check_page(
    client, world, django_capture_on_commit_callbacks
):
    sam = _sam(world, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    client.force_login(world["national"])
    url = f"/staff/Q37/{sam.pk}/email/"

    group = client.get("/staff/Q37/").content.decode()
    assert f'href="{url}" data-test="change-email"' in group
    form = client.get(url).content.decode()
    assert TYPO in form
    check = client.post(url, {"email": RIGHT})
    text = check.content.decode()
    assert check.templates[0].name == "roles/email_confirm.html"
    assert f"Their e-mail address changes from {TYPO} to {RIGHT}." in text
    assert f"the link to set one, e-mailed to {TYPO}, stops working" in text
    assert "sam.patel" in text
    assert sam.account_changes.count() == 1  # nothing yet: the invitation only

    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(url, {"email": RIGHT, "was": TYPO, "confirm": "1"})

    assert done["Location"] == "/staff/Q37/"
    sam.refresh_from_db()
    assert sam.email == RIGHT
    assert [m.to for m in mail.outbox] == [[RIGHT]]
    page = client.get("/staff/Q37/").content.decode()
    assert f"Sam Patel&#x27;s e-mail address is now {RIGHT}" in page
    history = re.findall(r'<td data-test="what">([^<]*)</td><td>([^<]*)</td>', page)
    assert history[0] == (f"E-mail address corrected: {TYPO} → {RIGHT}", "Nadia National")


def test_the_check_page_of_an_account_in_use_says_the_old_address_is_told(client, world):
    client.force_login(world["staff_a"])

    text = client.post(
        f"/boards/5AA/{world['board_a'].pk}/email/", {"email": "new@alpha.nhs.uk"}
    ).content.decode()

    assert "They have set a password: it stays, and nothing else changes." in text
    assert "board.5aa@example.org is told of the change and by whom" in text
    assert "stops working" not in text


def test_a_refused_address_shows_the_form_again_with_what_was_typed(client, world):
    client.force_login(world["staff_a"])
    url = f"/boards/5AA/{world['board_a'].pk}/email/"

    response = client.post(url, {"email": "nat@example.org"})

    text = response.content.decode()
    assert response.templates[0].name == "roles/email.html"
    assert 'data-test="error-summary"' in text
    assert 'value="nat@example.org"' in text
    assert "is already used by another account" in text


def test_a_stale_confirmation_shows_the_form_again_with_what_was_typed(client, world):
    client.force_login(world["staff_a"])
    url = f"/boards/5AA/{world['board_a'].pk}/email/"

    response = client.post(
        url, {"email": "new@alpha.nhs.uk", "was": "older@example.org", "confirm": "1"}
    )

    text = response.content.decode()
    assert response.templates[0].name == "roles/email.html"
    assert 'value="new@alpha.nhs.uk"' in text
    assert "since you checked it: nothing was changed" in text
    assert not AccountChange.objects.exists()


def test_go_back_from_the_check_page_keeps_what_was_typed(client, world):
    client.force_login(world["staff_a"])
    url = f"/boards/5AA/{world['board_a'].pk}/email/"

    back = client.post(url, {"email": "new@alpha.nhs.uk"}).context["back"]

    assert back.startswith(url + "?typed=")
    assert 'value="new@alpha.nhs.uk"' in client.get(back).content.decode()


@pytest.mark.parametrize(
    ("persona", "status"), [("staff_a", 200), ("staff_b", 404), ("board_a", 404)]
)
def test_only_those_who_keep_the_board_reach_its_address_page(client, world, persona, status):
    client.force_login(world[persona])

    get = client.get(f"/boards/5AA/{world['board_a'].pk}/email/")
    post = client.post(
        f"/boards/5AA/{world['board_a'].pk}/email/",
        {"email": "x@example.org", "was": "board.5aa@example.org", "confirm": "1"},
    )

    assert get.status_code == status
    assert post.status_code == (302 if status == 200 else 404)
    assert User.objects.filter(email="x@example.org").exists() is (status == 200)


def test_staff_pages_are_the_national_teams_only(client, world):
    client.force_login(world["staff_a"])

    assert client.get(f"/staff/Q37/{world['staff_a'].pk}/email/").status_code == 404
    assert client.get(f"/staff/national/{world['national'].pk}/email/").status_code == 404


def test_an_account_not_of_the_group_is_sent_back_to_the_group(client, world):
    client.force_login(world["national"])

    response = client.get(f"/staff/Q37/{world['board_a'].pk}/email/")

    assert response["Location"] == "/staff/Q37/"
    assert not AccountChange.objects.exists()


def test_an_account_whose_access_was_taken_away_meanwhile_is_refused(world):
    board = world["board_a"]
    role = _role(board, Role.Kind.PCT_BOARD)
    Role.objects.filter(pk=role.pk).delete()  # a colleague's removal, since the check page

    with pytest.raises(ValidationError) as exc:
        role_email_change(role=role, email="new@alpha.nhs.uk", was=board.email, by=board)

    assert "is no longer one of the board of Alpha PCT" in exc.value.messages[0]
    board.refresh_from_db()
    assert board.email == "board.5aa@example.org"


@pytest.mark.parametrize("accounts", [1, 3])
def test_the_group_page_reads_the_same_queries_whatever_its_accounts_and_corrections(
    client, world, django_assert_num_queries, accounts
):
    # Accounts given their role without a history row (as the demo's are): their
    # corrections are shown all the same.
    users = [
        RoleFactory(kind=Role.Kind.PCT_BOARD, pct=world["pct_a"]).user for _ in range(accounts)
    ]
    for n, user in enumerate(users):
        role_email_change(
            role=_role(user, Role.Kind.PCT_BOARD),
            email=f"new{n}@alpha.nhs.uk",
            was=user.email,
            by=world["staff_a"],
        )
    client.force_login(world["staff_a"])

    # session, user, roles, the PCT, its accounts, their invitations, the access history,
    # the addresses corrected
    with django_assert_num_queries(8):
        history = client.get("/boards/5AA/").context["history"]

    assert [(row.user, row.note) for row in reversed(history)] == [
        (user, f"{user.username}@example.org → new{n}@alpha.nhs.uk") for n, user in enumerate(users)
    ]
