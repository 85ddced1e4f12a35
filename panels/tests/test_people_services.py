"""The people services (``panels.services.people``)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from assessments.models import AccountChange, Role
from panels.models import Person, PersonChange, Seat
from panels.services.people import (
    person_create,
    person_deactivate,
    person_invite,
    person_update,
    username_for,
)
from tests.factories import (
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SeatFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_person_create_refuses_two_organisations_and_writes_nothing():
    pct = PCTFactory()

    with pytest.raises(ValidationError):
        person_create(
            full_name="Two Hats",
            email="",
            job_role="chief_executive",
            sha=pct.sha,
            pct=pct,
            by=None,
        )

    assert PersonChange.objects.count() == 0


@pytest.mark.parametrize("name", ["Ann\x07 Bell", "Ann \u202eRight-to-left", "Ann\u200b"])
def test_person_create_and_update_refuse_control_characters_and_direction_marks(name):
    pct = PCTFactory()
    person = PersonFactory(full_name="Ann Plain", pct=pct)

    for call in (
        lambda: person_create(
            full_name=name, email="", job_role="chief_executive", pct=pct, by=None
        ),
        lambda: person_update(
            person=person, full_name=name, email="", job_role="chief_executive", pct=pct, by=None
        ),
    ):
        with pytest.raises(ValidationError) as excinfo:
            call()
        assert excinfo.value.message_dict == {
            "full_name": [
                "Enter their name without control characters, direction marks or invisible "
                "characters (such as NUL, a right-to-left override or a zero-width space)."
            ]
        }

    person.refresh_from_db()
    assert person.full_name == "Ann Plain"
    assert PersonChange.objects.count() == 0


def test_a_name_may_hold_the_joiners_that_scripts_write_it_with():
    """The zero-width non-joiner is part of how Persian spells "Mehrdad"; only the other
    invisible characters are refused."""
    name = "\u0645\u0647\u0631\u200c\u062f\u0627\u062f Karimi"

    person = person_create(
        full_name=name, email="", job_role="chief_executive", pct=PCTFactory(), by=None
    )

    assert person.full_name == name


def test_username_for_spells_letters_that_do_not_decompose():
    """The real-year walk: "Siân Ó Brádaigh-Łukasz" became sian.bradaigh-ukasz."""
    assert username_for("Siân Ó Brádaigh-Łukasz") == "sian.bradaigh-lukasz"
    assert username_for("Søren Straße") == "soren.strasse"


def test_username_for_is_plain_and_free():
    UserFactory(username="jose.nunez")

    assert username_for("José Núñez") == "jose.nunez2"
    assert username_for("Cher") == "cher"
    # the board walk: "O'Brien" was dropped for "Ångström" (with a typographic apostrophe)
    assert username_for("Zoë O\u2019Brien-Ångström") == "zoe.obrien-angstrom"
    assert username_for("Mary Ann O'Neill") == "mary.oneill"
    assert username_for("  ***  ") == "member"
    # the SHA walk: "Siobhan Reilly, Dr" became siobhan.dr
    assert username_for("Siobhan Reilly, Dr") == "siobhan.reilly"
    assert username_for("Dr. Ann Lee OBE") == "ann.lee"


def test_a_persons_address_may_not_become_another_accounts():
    """The concurrency walk: a panel member's address changed to a board's account's; a
    password reset for it then sent both accounts' links to the board's mailbox."""
    UserFactory(username="board.5pg", email="board.5pg@example.nhs.uk")
    person = PersonFactory(email="old@example.org", user=UserFactory(email="old@example.org"))

    with pytest.raises(ValidationError) as refused:
        person_update(
            person=person,
            full_name=person.full_name,
            email="BOARD.5pg@example.nhs.uk",
            job_role=person.job_role,
            pct=person.pct,
            by=None,
        )

    assert refused.value.message_dict["email"][0].startswith(
        "The e-mail address BOARD.5pg@example.nhs.uk is another account's"
    )
    person.user.refresh_from_db()
    assert person.user.email == "old@example.org"


def test_adding_a_person_with_another_organisations_account_address_is_refused_at_once():
    """Walk L: SHA staff added people with the national team's or another region's staff
    address; only the invitation refused, and the people stayed on the list, never to be
    invited. The refusal names neither the account nor its region."""
    from assessments.models import Role
    from tests.factories import RoleFactory, SHAFactory

    other = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=SHAFactory(name="SHA Beta")).user
    national = RoleFactory(kind=Role.Kind.NATIONAL).user
    pct = PCTFactory(name="Alpha PCT")

    for account, says in (
        (other, "of another organisation than Alpha PCT"),
        (national, "of the national assurance team"),
    ):
        with pytest.raises(ValidationError) as refused:
            person_create(
                full_name="Ann Alpha", email=account.email, job_role="clinician", pct=pct, by=None
            )
        message = refused.value.message_dict["email"][0]
        assert says in message
        assert f"{account.get_username()}," not in message and "SHA Beta" not in message
    assert not Person.objects.filter(full_name="Ann Alpha").exists()


def test_person_update_carries_the_email_to_the_account():
    person = PersonFactory(email="old@example.org", user=UserFactory(email="old@example.org"))

    person_update(
        person=person,
        full_name=person.full_name,
        email="new@example.org",
        job_role=person.job_role,
        pct=person.pct,
        by=None,
    )

    person.user.refresh_from_db()
    assert person.user.email == "new@example.org"
    assert list(person.changes.values_list("note", flat=True)) == [
        "E-mail address: old@example.org → new@example.org"
    ]


def test_person_update_history_keeps_the_old_and_new_values_of_what_changed():
    """Walk U: the row said only "Changed: full name, email.", so the old ones were lost."""
    old_pct, new_pct = PCTFactory(name="Dudley PCT"), PCTFactory(name="Walsall PCT")
    person = PersonFactory(full_name="Janet Richards", email="", pct=old_pct, job_title="CE")

    person_update(
        person=person,
        full_name="Janet Smith",
        email="janet.smith@example.nhs.uk",
        job_role=person.job_role,
        job_title="CE",
        pct=new_pct,
        by=None,
    )

    assert list(person.changes.values_list("action", "note")) == [
        (
            "edited",
            "Name: Janet Richards → Janet Smith\n"
            "E-mail address: — → janet.smith@example.nhs.uk\n"
            "Organisation: Dudley PCT → Walsall PCT",
        )
    ]


def test_person_update_with_nothing_changed_writes_no_history():
    person = PersonFactory(email="same@example.org")

    person_update(
        person=person,
        full_name=person.full_name,
        email="same@example.org",
        job_role=person.job_role,
        pct=person.pct,
        by=None,
    )

    assert PersonChange.objects.count() == 0


def test_person_invite_again_sends_a_fresh_link_to_the_same_account(
    django_capture_on_commit_callbacks,
):
    person = PersonFactory(full_name="Ida Invite", email="ida@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        first = person_invite(person=person, by=None)
        second = person_invite(person=person, by=None)

    assert first.user == second.user
    assert [m.to for m in mail.outbox] == [["ida@example.org"], ["ida@example.org"]]
    assert list(AccountChange.objects.order_by("pk").values_list("action", flat=True)) == [
        "invited",
        "reinvited",
    ]


def test_person_invite_refused_without_an_email_address():
    person = PersonFactory(full_name="No Mail", email="")

    with pytest.raises(ValidationError) as exc:
        person_invite(person=person, by=None)

    assert exc.value.message_dict == {"email": ["No Mail has no e-mail address: add one first."]}


def test_person_invite_refused_once_the_password_is_set():
    person = PersonFactory(user=UserFactory(username="set.up"))

    with pytest.raises(ValidationError) as exc:
        person_invite(person=person, by=None)

    assert "set.up has already set a password" in exc.value.messages[0]


def test_person_deactivate_keeps_the_seats_they_hold():
    seat = SeatFactory()

    person_deactivate(person=seat.person, reason="Left the NHS.", by=None)

    assert Seat.objects.get(pk=seat.pk).person == seat.person
    seat.person.refresh_from_db()
    assert seat.person.is_active is False


@pytest.mark.parametrize(
    "kind", [Role.Kind.PCT_BOARD, Role.Kind.SHA_STAFF, Role.Kind.NATIONAL, "administrator"]
)
def test_person_update_does_not_move_an_account_that_does_more_than_sit_on_panels(kind):
    """The review: SHA staff editing a person linked to a board account (a board of another
    region too) rewrote the account's address; a password reset there then handed them it."""
    if kind == "administrator":
        user = UserFactory(email="ceo@pct.example", is_staff=True)
    else:
        where = {
            Role.Kind.PCT_BOARD: {"pct": PCTFactory()},
            Role.Kind.SHA_STAFF: {"sha": SHAFactory()},
        }
        user = RoleFactory(
            kind=kind, user=UserFactory(email="ceo@pct.example"), **where.get(kind, {})
        ).user
    person = PersonFactory(full_name="Bea Board", email="ceo@pct.example", user=user)

    with pytest.raises(ValidationError) as refused:
        person_update(
            person=person,
            full_name=person.full_name,
            email="mine@staff.example",
            job_role=person.job_role,
            pct=person.pct,
            by=None,
        )

    assert "Bea Board's account is also" in refused.value.message_dict["email"][0]
    user.refresh_from_db()
    person.refresh_from_db()
    assert user.email == person.email == "ceo@pct.example"
    assert PersonChange.objects.count() == 0


def test_person_update_still_changes_the_rest_of_such_a_persons_details():
    user = RoleFactory(
        kind=Role.Kind.PCT_BOARD, pct=PCTFactory(), user=UserFactory(email="ceo@pct.example")
    ).user
    person = PersonFactory(full_name="Bea Board", email="ceo@pct.example", user=user)

    person_update(
        person=person,
        full_name="Beatrice Board",
        email="ceo@pct.example",
        job_role=person.job_role,
        pct=person.pct,
        by=None,
    )

    person.refresh_from_db()
    assert person.full_name == "Beatrice Board"
