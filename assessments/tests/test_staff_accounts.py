"""Staff accounts (``/staff/``): the national team gives and takes away the national team's
and each SHA's staff roles; everyone else gets 404."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError

from assessments.form_errors import summary_entries
from assessments.models import Role, RoleChange
from assessments.role_accounts import RoleScope, role_invite, role_remove
from assessments.selectors import user_scope
from tests.factories import RoleFactory, SHAFactory, UserFactory
from tests.races import race

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    alpha = SHAFactory(ods_code="Q34", name="SHA Alpha")
    beta = SHAFactory(ods_code="Q35", name="SHA Beta")
    return {
        "alpha": alpha,
        "beta": beta,
        "staff_a": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=alpha).user,
        "national": RoleFactory(kind=Role.Kind.NATIONAL, user=UserFactory(username="nat")).user,
    }


def test_the_national_team_invites_staff_of_an_sha(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["national"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/staff/q35/", {"full_name": "Sam Staff", "email": "sam@beta.nhs.uk"}
        )

    assert response["Location"] == "/staff/Q35/"
    sam = User.objects.get(email="sam@beta.nhs.uk")
    assert user_scope(sam).sha_ids == {world["beta"].pk}
    assert [m.to for m in mail.outbox] == [["sam@beta.nhs.uk"]]
    page = client.get("/staff/Q35/").content.decode()
    assert "Sam Staff has been invited" in page
    assert "Invited: has not set a password yet" in page


def test_an_existing_account_joins_the_national_team_and_is_told(
    client, world, django_capture_on_commit_callbacks
):
    member = UserFactory(email="member@example.nhs.uk")  # a panel member's, say: no role
    with django_capture_on_commit_callbacks(execute=True):
        role_invite(
            scope=RoleScope.national(),
            full_name="Whoever",
            email=member.email,
            by=world["national"],
        )

    assert user_scope(User.objects.get(pk=member.pk)).is_national
    assert [m.subject for m in mail.outbox] == [
        "You are now one of the national assurance team in WCC Assurance"
    ]
    assert "rounds, organisations, the national cross-check and publication" in (
        mail.outbox[0].body
    )


def test_one_account_is_not_both_the_national_team_and_a_regions_staff(world):
    """Walk L: the national team made itself (and one SHA's staff) staff of another SHA with
    no warning; it then confirms what that region signs off."""
    with pytest.raises(ValidationError) as as_national:
        role_invite(
            scope=RoleScope.national(),
            full_name="Whoever",
            email=world["staff_a"].email,
            by=world["national"],
        )
    with pytest.raises(ValidationError) as as_staff:
        role_invite(
            scope=RoleScope.staff(world["beta"]),
            full_name="Whoever",
            email=world["national"].email,
            by=world["national"],
        )

    assert "an SHA's staff" in as_national.value.message_dict["email"][0]
    assert "cannot also be a region's staff" in as_staff.value.message_dict["email"][0]
    assert not user_scope(world["staff_a"]).is_national


def test_the_list_counts_each_group(client, world):
    client.force_login(world["national"])

    response = client.get("/staff/")

    assert response.context["national"].active == 1
    assert [
        (sha.ods_code, counts and counts.active) for sha, counts in response.context["rows"]
    ] == [
        ("Q34", 1),
        ("Q35", None),
    ]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_of_the_national_team_removing_each_other_at_once_leave_one():
    """Review AB: the "last active account" check counted without a lock, so two
    colleagues taking each other's access at once could leave the team with nobody. The
    second now waits for the first's lock on the team's roles and is refused."""
    ann, bob = (RoleFactory(kind=Role.Kind.NATIONAL) for _ in range(2))

    def remove(role, by):
        return lambda: role_remove(role=role, by=by, reason="Leaving the team.")

    one, two = race(remove(bob, ann.user), remove(ann, bob.user))

    assert (one.value, one.error) == (False, None)
    assert type(two.error) is ValidationError
    assert "last active account" in str(two.error)
    assert list(Role.objects.filter(kind=Role.Kind.NATIONAL)) == [ann]


@pytest.mark.parametrize("path", ["/staff/", "/staff/national/", "/staff/Q34/"])
def test_staff_pages_are_404_to_sha_staff(client, world, path):
    client.force_login(world["staff_a"])

    assert client.get(path).status_code == 404
    posted = client.post(path, {"full_name": "X", "email": "x@e.org"}).status_code
    assert posted == (405 if path == "/staff/" else 404)  # the list takes no POST at all
    assert not User.objects.filter(email="x@e.org").exists()


def test_nobody_removes_their_own_access_nor_the_last_national_account(client, world):
    me = Role.objects.get(user=world["national"])
    with pytest.raises(ValidationError, match="cannot take away your own access"):
        role_remove(role=me, by=world["national"], reason="Leaving.")
    with pytest.raises(ValidationError, match="last active account"):
        role_remove(role=me, by=None, reason="Leaving.")

    client.force_login(world["national"])
    response = client.get(f"/staff/national/{world['national'].pk}/remove/", follow=True)
    assert "cannot take away your own access" in response.content.decode()
    assert Role.objects.filter(pk=me.pk).exists()
    assert RoleChange.objects.count() == 0


def test_removing_an_sha_staff_role_after_the_check_page(client, world):
    client.force_login(world["national"])
    path = f"/staff/Q34/{world['staff_a'].pk}/remove/"

    assert "Remove" in client.get(path).content.decode()
    response = client.post(path, {"reason": "Moved to another region."})

    assert response["Location"] == "/staff/Q34/"
    assert not Role.objects.filter(user=world["staff_a"]).exists()
    assert list(RoleChange.objects.values_list("action", "reason")) == [
        (RoleChange.Action.REVOKED, "Moved to another region.")
    ]
    again = client.get(path, follow=True)  # the role is gone: a stale tab's link says so
    assert again.redirect_chain == [("/staff/Q34/", 302)]
    assert "That account is not one of the staff of " in again.content.decode()


def test_a_staff_role_of_another_sha_is_not_one_of_this_ones(client, world):
    client.force_login(world["national"])

    for path in (
        f"/staff/Q35/{world['staff_a'].pk}/remove/",
        f"/staff/national/{world['staff_a'].pk}/remove/",
        "/staff/national/99999999999999999999/remove/",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] != path
    assert Role.objects.filter(user=world["staff_a"]).exists()


@pytest.fixture(params=["staff", "national"])
def removal(request, world):
    """One removal of each kind the staff pages make: an SHA's staff member, a member of
    the national team (another than the one who removes)."""
    if request.param == "staff":
        return {"user": world["staff_a"], "group": "/staff/Q34/", "name": "the staff of SHA Alpha"}
    colleague = RoleFactory(kind=Role.Kind.NATIONAL).user
    return {"user": colleague, "group": "/staff/national/", "name": "the national assurance team"}


def test_removing_staff_or_national_access_without_a_reason_is_refused(world, removal):
    role = Role.objects.get(user=removal["user"])

    with pytest.raises(ValidationError) as refused:
        role_remove(role=role, by=world["national"], reason=" \u200b ")

    assert refused.value.message_dict == {"reason": ["Give the reason for removing their access."]}
    assert (Role.objects.filter(pk=role.pk).exists(), RoleChange.objects.count()) == (True, 0)


def test_the_staff_removal_check_page_asks_the_reason_and_a_refusal_keeps_what_was_typed(
    client, world, removal
):
    """People builder's left-out: only a board's removal asked why."""
    client.force_login(world["national"])
    url = f"{removal['group']}{removal['user'].pk}/remove/"

    check = client.get(url).content.decode()
    empty = client.post(url, {"reason": "  "})
    long = client.post(url, {"reason": "y" * 1001})

    assert 'name="reason"' in check
    assert f"Why they are no longer one of {removal['name']}" in check
    assert f"Your reason is kept in the history of {removal['name']}" in check
    assert "<strong>Nobody is e-mailed</strong>" in check  # walk Y: the page did not say
    assert summary_entries(empty.context["form"]) == [
        ("#id_reason", "Reason: Give the reason for removing their access.")
    ]
    assert "Their access was not removed" in empty.content.decode()
    assert summary_entries(long.context["form"]) == [
        ("#id_reason", "Reason: Keep the reason to 1,000 characters or fewer (it has 1001).")
    ]
    assert "y" * 1001 + "</textarea>" in long.content.decode()  # what was typed is kept
    assert Role.objects.filter(user=removal["user"]).exists()
    assert RoleChange.objects.count() == 0


def test_the_reason_for_a_staff_removal_is_kept_and_shown_in_the_groups_history(
    client, world, removal
):
    client.force_login(world["national"])

    response = client.post(
        f"{removal['group']}{removal['user'].pk}/remove/",
        {"reason": "Left the NHS in June.\nA successor is invited."},
    )

    assert response["Location"] == removal["group"]
    assert list(RoleChange.objects.values_list("action", "user", "changed_by", "reason")) == [
        (
            RoleChange.Action.REVOKED,
            removal["user"].pk,
            world["national"].pk,
            "Left the NHS in June.\nA successor is invited.",
        )
    ]
    assert not Role.objects.filter(user=removal["user"]).exists()
    history = client.get(removal["group"]).content.decode()
    assert '<td data-test="reason">Left the NHS in June.<br>A successor is invited.</td>' in history


def test_the_staff_removal_check_page_is_the_shared_check_page(client, world, removal):
    """Built on confirm.html (its what will happen, who will be told, confirm and go back),
    as a person's deactivation is."""
    client.force_login(world["national"])
    url = f"{removal['group']}{removal['user'].pk}/remove/"

    response = client.get(url)

    page = response.content.decode()
    assert response.context["title"] == (
        f"Remove {removal['user'].get_full_name() or removal['user'].get_username()} from "
        f"{removal['name']}?"
    )
    assert response.context["happens"][-1] == (
        f"Your reason is kept in the history of {removal['name']}, with your name."
    )
    assert 'data-test="confirmation"' in page
    assert '<form method="post" action="' + url + '" novalidate data-test="remove-form">' in page
    assert f'<a href="{removal["group"]}" class="btn btn-link btn-lg" data-test="go-back">' in page
    assert "You can invite them again later. Nothing has changed yet." in page
    assert Role.objects.filter(user=removal["user"]).exists()
