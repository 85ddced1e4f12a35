"""Board accounts (``assessments.boards`` and the ``/boards/`` pages): who may act for each
PCT's board, given and taken away by SHA staff for their region and by the national team.

Personas: staff of SHA Alpha (may, for Alpha's PCTs), staff of SHA Beta (same role, other
region), the national team, and the board of an Alpha PCT (may not)."""

import datetime
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import AccountChange, Role, RoleChange, Stage
from assessments.role_accounts import RoleScope, role_invite, role_remove
from assessments.selectors import user_scope
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BOARD = Role.Kind.PCT_BOARD


@pytest.fixture
def world():
    alpha = SHAFactory(ods_code="Q34", name="SHA Alpha")
    beta = SHAFactory(ods_code="Q35", name="SHA Beta")
    pct_a = PCTFactory(sha=alpha, name="Alpha PCT", ods_code="5AA")
    pct_a2 = PCTFactory(sha=alpha, name="Another Alpha PCT", ods_code="5AB")
    pct_b = PCTFactory(sha=beta, name="Beta PCT", ods_code="5BB")
    board_a = RoleFactory(kind=BOARD, pct=pct_a, user=UserFactory(username="board.5aa")).user
    return {
        "alpha": alpha,
        "pct_a": pct_a,
        "pct_a2": pct_a2,
        "pct_b": pct_b,
        "board_a": board_a,
        "staff_a": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=alpha).user,
        "staff_b": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=beta).user,
        "national": RoleFactory(kind=Role.Kind.NATIONAL).user,
    }


def _invite(pct, by, full_name="Dana Director", email="dana@example.nhs.uk"):
    return role_invite(scope=RoleScope.board(pct), full_name=full_name, email=email, by=by)


# --- The service --------------------------------------------------------------------------


def test_inviting_someone_new_makes_an_account_with_the_board_role_and_mails_the_link(
    django_capture_on_commit_callbacks, world, settings
):
    settings.SITE_URL = "https://wcc.example.org"
    by = world["staff_a"]

    with django_capture_on_commit_callbacks(execute=True):
        access = _invite(world["pct_a2"], by, full_name="  Dana   Director ")

    user = User.objects.get(email="dana@example.nhs.uk")
    assert (access.user, access.made, access.link_sent) == (user, True, True)
    assert (user.username, user.first_name, user.last_name) == ("dana.director", "Dana", "Director")
    assert user.has_usable_password() is False
    assert user_scope(user).pct_ids == {world["pct_a2"].pk}
    assert list(RoleChange.objects.values_list("user", "action", "kind", "pct", "changed_by")) == [
        (user.pk, "granted", BOARD, world["pct_a2"].pk, by.pk)
    ]
    assert list(AccountChange.objects.values_list("user", "action")) == [(user.pk, "invited")]
    assert [m.to for m in mail.outbox] == [["dana@example.nhs.uk"]]
    assert "https://wcc.example.org/accounts/reset/" in mail.outbox[0].body


def test_an_invitation_says_what_it_is_for_and_the_self_assessment_waiting(
    django_capture_on_commit_callbacks, world, settings
):
    """The real-year walk: every invitation read the same, naming neither the role nor the
    PCT, and a board invited after the round opened was told nothing of its
    self-assessment."""
    settings.SITE_URL = "https://wcc.example.org"
    due = datetime.date(2010, 12, 14)
    round_ = AssessmentRoundFactory(slug="2010-11", name="WCC 2010/11", self_assessment_due=due)
    AssessmentFactory(round=round_, pct=world["pct_a2"], stage=Stage.SELF_ASSESSMENT)

    with django_capture_on_commit_callbacks(execute=True):
        _invite(world["pct_a2"], world["staff_a"])
        role_invite(
            scope=RoleScope.staff(world["alpha"]),
            full_name="Sam Okafor",
            email="sam@example.nhs.uk",
            by=world["national"],
        )

    board, staff = (" ".join(m.body.split()) for m in mail.outbox)
    assert (
        "You are one of the board of Another Alpha PCT: you will work on its self-assessment, "
        "its factual-accuracy check and its rating reports."
    ) in board
    assert (
        "Another Alpha PCT's self-assessment for WCC 2010/11 is open, due Tuesday 14 December "
        "2010. Once your password is set, it is at: "
        "https://wcc.example.org/assessments/2010-11/5AB/self-assessment/"
    ) in board
    assert "You are one of the staff of SHA Alpha: you will work on its panel formation" in staff
    assert "self-assessment for" not in staff


def test_an_existing_account_is_given_the_role_and_told_not_duplicated(
    django_capture_on_commit_callbacks, world
):
    clinician = UserFactory(username="cli", email="cli@example.nhs.uk", first_name="Cy")

    with django_capture_on_commit_callbacks(execute=True):
        access = _invite(world["pct_a"], world["national"], email="CLI@example.nhs.uk")

    assert (access.user, access.made, access.link_sent) == (clinician, False, False)
    assert Role.objects.filter(user=clinician, kind=BOARD, pct=world["pct_a"]).exists()
    assert User.objects.filter(email__iexact="cli@example.nhs.uk").count() == 1
    assert [m.subject for m in mail.outbox] == [
        "You are now one of the board of Alpha PCT in WCC Assurance"
    ]
    assert "/accounts/reset/" not in mail.outbox[0].body


def test_an_existing_account_without_a_password_gets_a_fresh_link(
    django_capture_on_commit_callbacks, world
):
    waiting = UserFactory(username="wait", email="wait@example.nhs.uk")
    waiting.set_unusable_password()
    waiting.save()

    with django_capture_on_commit_callbacks(execute=True):
        access = _invite(world["pct_a"], world["staff_a"], email="wait@example.nhs.uk")

    assert (access.made, access.link_sent) == (False, True)
    assert "/accounts/reset/" in mail.outbox[0].body
    assert AccountChange.objects.get(user=waiting).action == "reinvited"


@pytest.mark.parametrize(
    ("full_name", "email", "key", "message"),
    [
        (" ", "x@example.nhs.uk", "full_name", "Enter their full name."),
        ("A" * 151, "x@example.nhs.uk", "full_name", "at most 150 characters"),
        ("Dana", "", "email", "Enter their e-mail address."),
        ("Dana", "not-an-address", "email", "Enter an e-mail address in the right form"),
        ("Dana", "board.5aa@example.org", "email", "is already one of the board of Alpha PCT"),
        ("Dana", "gone@example.nhs.uk", "email", "uses gone@example.nhs.uk is deactivated"),
    ],
)
def test_refusals_name_the_field_and_write_nothing(
    django_capture_on_commit_callbacks, world, full_name, email, key, message
):
    world["board_a"].email = "board.5aa@example.org"
    world["board_a"].save()
    UserFactory(username="gone", email="gone@example.nhs.uk", is_active=False)
    users, roles = User.objects.count(), Role.objects.count()

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as exc:
        _invite(world["pct_a"], world["staff_a"], full_name=full_name, email=email)

    assert list(exc.value.message_dict) == [key]
    assert message in exc.value.message_dict[key][0]
    assert (User.objects.count(), Role.objects.count()) == (users, roles)
    assert RoleChange.objects.count() == 0
    assert mail.outbox == []


def test_a_closed_pct_has_no_board_to_give_access_to(world):
    world["pct_a2"].closed_on = datetime.date(2010, 3, 31)
    world["pct_a2"].save()

    with pytest.raises(ValidationError, match="closed on 31 March 2010"):
        _invite(world["pct_a2"], world["national"])

    assert not User.objects.filter(email="dana@example.nhs.uk").exists()


def test_removing_access_takes_the_role_and_keeps_the_account(world):
    role = Role.objects.get(user=world["board_a"], kind=BOARD)

    role_remove(role=role, by=world["staff_a"], reason="  Left the board in May.  ")

    assert not Role.objects.filter(pk=role.pk).exists()
    world["board_a"].refresh_from_db()
    assert world["board_a"].is_active
    assert list(RoleChange.objects.values_list("action", "pct", "changed_by", "reason")) == [
        ("revoked", world["pct_a"].pk, world["staff_a"].pk, "Left the board in May.")
    ]
    with pytest.raises(ValidationError, match="cannot take away your own access"):
        role_remove(
            role=Role.objects.get(user=world["staff_a"]), by=world["staff_a"], reason="Mine."
        )


def test_removing_an_invited_boards_access_cancels_the_link_it_was_sent(
    client, world, django_capture_on_commit_callbacks
):
    """Walk N: after "Remove access", the link sent to a wrong address still set a password
    and made a working account, with no access, for whoever had the e-mail."""
    with django_capture_on_commit_callbacks(execute=True):
        access = _invite(world["pct_a"], world["staff_a"], email="wrong@example.org")
    link = re.search(r"/accounts/reset/[^/\s]+/[^/\s]+/", mail.outbox[-1].body).group(0)
    assert client.get(link, follow=True).context["validlink"] is True
    role = Role.objects.get(user=access.user, kind=BOARD)
    client.force_login(world["staff_a"])

    check = client.get(f"/boards/5AA/{access.user.pk}/remove/").content.decode()
    done = client.post(
        f"/boards/5AA/{access.user.pk}/remove/", {"reason": "A wrong address."}, follow=True
    ).content.decode()

    assert "the link to set one, e-mailed to wrong@example.org, stops working" in check
    assert "The link e-mailed to them no longer works." in done
    assert not Role.objects.filter(pk=role.pk).exists()
    client.logout()
    assert client.get(link, follow=True).context["validlink"] is False
    # An account with another role keeps its link, and one with a password its password.
    other = _invite(world["pct_a2"], world["staff_a"], email="two@example.org").user
    RoleFactory(kind=BOARD, pct=world["pct_a"], user=other)
    assert (
        role_remove(role=Role.objects.get(user=other, pct=world["pct_a"]), by=None, reason="Moved")
        is False
    )
    assert (
        role_remove(role=Role.objects.get(user=world["board_a"]), by=None, reason="Moved") is False
    )


# --- The pages ----------------------------------------------------------------------------


def _codes(response) -> list[str]:
    return [pct.ods_code for pct, _counts in response.context["rows"]]


def test_the_list_shows_staff_their_region_and_the_national_team_every_pct(client, world):
    client.force_login(world["staff_a"])
    response = client.get("/boards/")
    assert _codes(response) == ["5AA", "5AB"]
    assert response.context["one_region"] is True
    counts = dict(response.context["rows"])
    assert (counts[world["pct_a"]].active, counts.get(world["pct_a2"])) == (1, None)

    client.force_login(world["national"])
    assert _codes(client.get("/boards/")) == ["5AA", "5AB", "5BB"]


def test_the_list_filters_the_pcts_with_no_board_account(client, world):
    client.force_login(world["national"])

    response = client.get("/boards/", {"without": "on"})

    assert _codes(response) == ["5AB", "5BB"]
    assert "with no board account" in response.content.decode()
    assert _codes(client.get("/boards/", {"without": "on", "sha": "q35"})) == ["5BB"]


def test_the_list_is_404_for_a_board_and_sends_the_anonymous_to_log_in(client, world):
    client.force_login(world["board_a"])
    assert client.get("/boards/").status_code == 404
    assert client.get("/boards/5AA/").status_code == 404
    client.logout()
    assert client.get("/boards/")["Location"] == "/accounts/login/?next=/boards/"


@pytest.mark.parametrize("extra", [1, 4])
def test_the_list_queries_do_not_grow_with_the_pcts(
    client, django_assert_num_queries, world, extra
):
    for n in range(extra):
        pct = PCTFactory(sha=world["alpha"], ods_code=f"5C{n}")
        RoleFactory(kind=BOARD, pct=pct)
    client.force_login(world["staff_a"])

    # session, user, roles, the SHAs, the count, the page of PCTs, their accounts
    with django_assert_num_queries(7):
        client.get("/boards/")


def test_a_pct_page_is_404_to_staff_of_another_region(client, world):
    client.force_login(world["staff_b"])

    assert client.get("/boards/5AA/").status_code == 404
    assert client.post("/boards/5AA/", {"full_name": "X", "email": "x@e.org"}).status_code == 404
    assert client.get(f"/boards/5AA/{world['board_a'].pk}/remove/").status_code == 404
    assert not User.objects.filter(email="x@e.org").exists()


def test_inviting_on_the_pct_page_redirects_with_what_was_done(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["staff_a"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/boards/5ab/", {"full_name": "Dana Director", "email": "dana@example.nhs.uk"}
        )

    assert response["Location"] == "/boards/5AB/"
    page = client.get("/boards/5AB/").content.decode()
    assert "Dana Director has been invited: an account (dana.director) was made" in page
    assert "Invited: has not set a password yet" in page
    assert "Given" in page  # the history


def test_a_refused_invitation_keeps_what_was_typed_with_the_error_summary(client, world):
    client.force_login(world["staff_a"])

    response = client.post("/boards/5AA/", {"full_name": "Dana Director", "email": "dana@"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page and "Nobody was invited" in page
    assert 'href="#id_email"' in page
    assert 'value="Dana Director"' in page and 'value="dana@"' in page
    assert "<title>Error: " in page


def test_a_new_link_and_removing_access_from_the_pct_page(
    client, world, django_capture_on_commit_callbacks
):
    waiting = RoleFactory(kind=BOARD, pct=world["pct_a"], user=UserFactory(username="w")).user
    waiting.set_unusable_password()
    waiting.save()
    client.force_login(world["staff_a"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/boards/5AA/{waiting.pk}/new-link/")
    assert response["Location"] == "/boards/5AA/"
    assert len(mail.outbox) == 1
    # board_a has set a password: no link, a message saying why
    client.post(f"/boards/5AA/{world['board_a'].pk}/new-link/")
    assert "has already set a password" in client.get("/boards/5AA/").content.decode()

    confirm = client.get(f"/boards/5AA/{waiting.pk}/remove/")
    assert "Remove access" in confirm.content.decode()
    assert Role.objects.filter(user=waiting, kind=BOARD).exists()  # asking changes nothing
    response = client.post(f"/boards/5AA/{waiting.pk}/remove/", {"reason": "Never joined."})
    assert response["Location"] == "/boards/5AA/"
    assert not Role.objects.filter(user=waiting, kind=BOARD).exists()


def test_a_stale_tabs_new_link_or_removal_of_an_account_already_removed_says_so(client, world):
    """A colleague took the access away while this page was open: say so, change nothing."""
    gone = world["board_a"]
    Role.objects.filter(user=gone, kind=BOARD).delete()
    client.force_login(world["staff_a"])

    for response in (
        client.get(f"/boards/5AA/{gone.pk}/remove/", follow=True),
        client.post(f"/boards/5AA/{gone.pk}/remove/", follow=True),
        client.post(f"/boards/5AA/{gone.pk}/new-link/", follow=True),
        client.get("/boards/5AA/99999999999999999999/remove/", follow=True),
    ):
        assert response.redirect_chain == [("/boards/5AA/", 302)]
        assert "That account is not one of the board of " in response.content.decode()
    assert len(mail.outbox) == 0 and not RoleChange.objects.exists()


# --- A file of board members --------------------------------------------------------------


def _upload(client, text: str, name: str = "boards.csv"):
    return client.post(
        "/boards/file/",
        {"file": SimpleUploadedFile(name, text.encode(), "text/csv")},
        follow=True,  # kept in the session and shown by GET (assessments.kept_files)
    )


def test_a_file_is_previewed_row_by_row_then_done_on_confirming(
    client, world, django_capture_on_commit_callbacks
):
    UserFactory(username="cli", email="cli@example.nhs.uk")
    world["board_a"].email = "b@example.nhs.uk"
    world["board_a"].save()
    client.force_login(world["staff_a"])
    text = (
        "ods_code,full_name,email\n"
        "5ab,Dana Director,dana@example.nhs.uk\n"
        "5AB,Cy Clinician,CLI@example.nhs.uk\n"
        "5AA,Board Member,b@example.nhs.uk\n"
    )

    preview = _upload(client, text)

    plan = preview.context["plan"]
    assert [(i.row, i.pct.ods_code, i.what) for i in plan.invites] == [
        (2, "5AB", "A new account, and a link to set a password"),
        (3, "5AB", "Their account cli is given access and told"),
        (4, "5AA", "Already has access (board.5aa): nothing to do"),
    ]
    assert not User.objects.filter(email="dana@example.nhs.uk").exists()  # nothing yet
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/boards/file/confirm/",
            {"filename": "boards.csv", "text": text, "signature": plan.signature},
            follow=True,
        )

    assert "Loaded boards.csv: 2 board accounts given (1 already had access)" in (
        done.content.decode()
    )
    assert set(
        Role.objects.filter(kind=BOARD, pct=world["pct_a2"]).values_list("user__email", flat=True)
    ) == {"dana@example.nhs.uk", "cli@example.nhs.uk"}
    assert sorted(m.to[0] for m in mail.outbox) == ["cli@example.nhs.uk", "dana@example.nhs.uk"]


def test_the_preview_is_shown_by_get_so_that_back_and_reload_never_post_the_file(client, world):
    """The SHA walk: Back after confirming showed Chromium's "Confirm Form Resubmission"
    (the preview was the upload's POST answer). The upload is kept and redirected to."""
    client.force_login(world["staff_a"])
    text = "ods_code,full_name,email\n5AB,Dana Director,dana@example.nhs.uk\n"

    upload = client.post(
        "/boards/file/", {"file": SimpleUploadedFile("boards.csv", text.encode(), "text/csv")}
    )

    assert (upload.status_code, upload["Location"]) == (302, "/boards/file/")
    preview = client.get("/boards/file/")
    assert client.get("/boards/file/").context["plan"] == preview.context["plan"]  # reload
    client.post(
        "/boards/file/confirm/",
        {"filename": "boards.csv", "text": text, "signature": preview.context["plan"].signature},
        follow=True,
    )
    back = client.get("/boards/file/", follow=True)  # Back, after confirming
    assert back.redirect_chain == [("/boards/#file-h", 302)]
    assert [str(m) for m in back.context["messages"]] == [
        "No file of board accounts is waiting to be checked: choose one below."
    ]
    assert User.objects.filter(email="dana@example.nhs.uk").count() == 1


def test_a_file_with_any_error_does_nothing_and_names_each_row_and_column(client, world):
    client.force_login(world["staff_a"])
    text = (
        "ods_code,full_name,email\n"
        "5AB,Dana Director,dana@example.nhs.uk\n"
        "5BB,Other Region,o@example.nhs.uk\n"
        "ZZZ,Nobody Knows,z@\n"
        "5AB,,not-an-address\n"
        "5ab,Dana Again,DANA@example.nhs.uk\n"
    )

    preview = _upload(client, text)

    # The corrected file is chosen on this page (the SHA walk went back to the list for it).
    assert 'data-test="file-form"' in preview.content.decode()
    assert preview.context["plan"].errors == [
        "boards.csv: row 3, column ods_code: 5BB: not one of your region's open PCTs",
        "boards.csv: row 4, column ods_code: ZZZ: no PCT has this ODS code",
        "boards.csv: row 4, column email: Enter an e-mail address in the right form, like "
        "name@example.nhs.uk.",
        "boards.csv: row 5, column full_name: Enter their full name.",
        "boards.csv: row 5, column email: Enter an e-mail address in the right form, like "
        "name@example.nhs.uk.",
        "boards.csv: row 6, column email: DANA@example.nhs.uk for 5AB is already in row 2",
    ]
    assert "<title>Error: " in preview.content.decode()
    refused = client.post(
        "/boards/file/confirm/",
        {"filename": "boards.csv", "text": text, "signature": "x"},
        follow=True,
    )
    assert "Nothing was done" in refused.content.decode()
    assert not User.objects.filter(email="dana@example.nhs.uk").exists()


def test_a_file_whose_plan_changed_since_the_preview_does_nothing(client, world):
    client.force_login(world["staff_a"])
    text = "ods_code,full_name,email\n5AB,Dana Director,dana@example.nhs.uk\n"
    signature = _upload(client, text).context["plan"].signature
    UserFactory(username="dana", email="dana@example.nhs.uk")  # meanwhile

    response = client.post(
        "/boards/file/confirm/", {"filename": "boards.csv", "text": text, "signature": signature}
    )

    assert "have changed since the preview" in response.content.decode()
    assert not Role.objects.filter(kind=BOARD, pct=world["pct_a2"]).exists()


def test_a_file_that_is_not_one_is_refused_on_the_list_page(client, world):
    client.force_login(world["staff_a"])

    response = _upload(client, "ods_code,name\n5AB,X\n")
    missing = response.context["plan"].errors
    latin1 = client.post(
        "/boards/file/",
        {
            "file": SimpleUploadedFile(
                "b.csv", "ods_code,full_name,email\n5AB,Zoë,z@e.org\n".encode("latin-1")
            )
        },
    )

    assert missing == ["boards.csv: header: missing column(s): full_name, email"]
    semicolons = _upload(client, "ods_code;full_name;email\n5AB;Zoe;z@e.org\n")
    assert semicolons.context["plan"].errors == [
        "boards.csv: header: the values are separated by semicolons (;), not commas: save the "
        'file as CSV with commas (in Excel, "CSV UTF-8 (Comma delimited)")'
    ]
    assert latin1.status_code == 200 and "not UTF-8 text" in latin1.content.decode()
    assert "The file was not read" in latin1.content.decode()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            'ods_code,full_name,email\n5AA,"Ann Open,ann@example.org\n5AA,Bob,bob@example.org\n',
            'boards.csv: row 2: not valid CSV: a quote (") opened in this row is never closed',
        ),
        (
            "ods_code,full_name,email\n5AA,Ann,ann@example.org,extra,more\n",
            "boards.csv: row 2: 5 values under a header of 3 columns; the values past the "
            "header would be lost",
        ),
        (
            'ods_code,full_name,email\n5AA,"Bob Jones,bob@example.org\n5AB,Cat Lee",cat@example.org\n',
            "boards.csv: row 2, column full_name: the value runs over more than one line, so a "
            'quote (") opened in it closes in a later row: close it in this row.',
        ),
    ],
)
def test_a_file_of_broken_csv_says_so_not_a_column_it_misread(client, world, text, error):
    """The real-year walk: an unclosed quote was reported as a missing e-mail address, and
    values past the header were dropped without a word."""
    client.force_login(world["staff_a"])

    assert _upload(client, text).context["plan"].errors == [error]
    assert not RoleChange.objects.exists()


@pytest.mark.parametrize("rows", [1, 5])
def test_a_files_preview_reads_the_same_queries_whatever_its_rows(
    client, django_assert_num_queries, world, rows
):
    client.force_login(world["staff_a"])
    text = "ods_code,full_name,email\n" + "".join(
        f"5AB,Person {n},p{n}@example.nhs.uk\n" for n in range(rows)
    )

    client.post(
        "/boards/file/", {"file": SimpleUploadedFile("boards.csv", text.encode(), "text/csv")}
    )

    # The preview, by GET: session, user, roles, the PCTs in scope, the PCTs known, the
    # accounts using the addresses (none here, so their roles need no query)
    with django_assert_num_queries(6):
        assert client.get("/boards/file/").context["plan"].invites


def test_those_who_assess_and_those_assessed_are_kept_apart(world):
    """One account is never both a board's and SHA staff's or the national team's."""
    world["staff_a"].email = "staff@alpha.nhs.uk"
    world["staff_a"].save()
    world["board_a"].email = "board@alpha.nhs.uk"
    world["board_a"].save()

    with pytest.raises(ValidationError) as as_board:
        _invite(world["pct_a2"], world["national"], email="staff@alpha.nhs.uk")
    with pytest.raises(ValidationError) as as_staff:
        role_invite(
            scope=RoleScope.staff(world["alpha"]),
            full_name="B",
            email="board@alpha.nhs.uk",
            by=world["national"],
        )

    assert (
        "is the address of an account that assesses PCTs (SHA staff or the national "
        "assurance team): the same account cannot also act for a PCT's board"
        in (as_board.value.message_dict["email"][0])
    )
    # Walk Y: "cannot also assess PCTs" read as wrong to a panel member, who assesses
    # other PCTs too; it is moderating that a board's account may not do.
    assert (
        "is the address of an account that acts for a PCT's board: SHA staff and the national "
        "team moderate the PCTs' ratings, the boards' own included, so the same account cannot "
        "do both (sitting on panels of other PCTs is allowed)"
        in (as_staff.value.message_dict["email"][0])
    )
    assert RoleChange.objects.count() == 0


def test_another_regions_code_in_the_filter_is_said_so_beside_a_list_to_choose_from(client, world):
    client.force_login(world["staff_a"])

    response = client.get("/boards/", {"sha": "q35"})

    page = response.content.decode()
    assert "“Q35” is not a region whose board accounts you keep." in page
    assert 'id="id_sha"' in page  # the summary's link has its field
    assert _codes(response) == ["5AA", "5AB"]


def test_removing_a_boards_access_without_a_reason_is_refused_and_changes_nothing(world):
    role = Role.objects.get(user=world["board_a"], kind=BOARD)

    with pytest.raises(ValidationError) as refused:
        role_remove(role=role, by=world["staff_a"], reason=" \u200b ")

    assert refused.value.message_dict == {"reason": ["Give the reason for removing their access."]}
    assert (Role.objects.filter(pk=role.pk).exists(), RoleChange.objects.exists()) == (True, False)


def test_the_removal_check_page_asks_the_reason_and_a_refusal_keeps_what_was_typed(client, world):
    """Walk U: taking a board member's access away kept no reason."""
    url = f"/boards/5AA/{world['board_a'].pk}/remove/"
    client.force_login(world["staff_a"])
    check = client.get(url).content.decode()
    assert 'name="reason"' in check

    refused = client.post(url, {"reason": "x" * 1001})

    page = refused.content.decode()
    assert refused.status_code == 200
    assert refused.context["form"].errors == {
        "reason": ["Keep the reason to 1,000 characters or fewer (it has 1001)."]
    }
    assert '<a href="#id_reason">Reason: Keep the reason to 1,000 characters' in page
    assert "x" * 1001 in page  # what was typed is kept
    assert Role.objects.filter(user=world["board_a"], kind=BOARD).exists()

    empty = client.post(url, {"reason": ""})
    assert empty.context["form"].errors == {
        "reason": ["Give the reason for removing their access."]
    }
    assert not RoleChange.objects.exists()


def test_the_reason_for_a_removal_is_kept_and_shown_in_the_boards_history(client, world):
    client.force_login(world["staff_a"])

    response = client.post(
        f"/boards/5AA/{world['board_a'].pk}/remove/",
        {"reason": "Left the board on 1 May.\nHer successor is invited."},
    )

    assert response["Location"] == "/boards/5AA/"
    assert list(RoleChange.objects.values_list("action", "user", "changed_by", "reason")) == [
        (
            "revoked",
            world["board_a"].pk,
            world["staff_a"].pk,
            "Left the board on 1 May.\nHer successor is invited.",
        )
    ]
    history = client.get("/boards/5AA/").content.decode()
    assert (
        '<td data-test="reason">Left the board on 1 May.<br>Her successor is invited.</td>'
        in history
    )


def test_removing_the_last_account_of_a_board_says_what_follows(client, world):
    client.force_login(world["staff_a"])

    page = client.get(f"/boards/5AA/{world['board_a'].pk}/remove/").content.decode()

    assert "They are the last account of the board of Alpha PCT." in page


def test_a_file_of_too_many_rows_is_refused_saying_how_many_at_most(client, world, monkeypatch):
    monkeypatch.setattr("assessments.boards.BOARD_FILE_MAX_ROWS", 2)
    client.force_login(world["staff_a"])
    text = "ods_code,full_name,email\n" + "".join(
        f"5AB,Person {n},p{n}@example.nhs.uk\n" for n in range(3)
    )

    assert _upload(client, text).context["plan"].errors == [
        "boards.csv: 3 rows; load at most 2 at a time (split the file, by region say)."
    ]


def test_a_file_refuses_at_the_preview_what_confirming_would_refuse(client, world):
    """A staff account cannot act for a board, a NUL is no name, and one new address is one
    person: each said at once with its row (blank lines count as a spreadsheet counts them)."""
    world["staff_b"].email = "staff.b@example.nhs.uk"
    world["staff_b"].save()
    client.force_login(world["staff_a"])
    text = (
        "ods_code,full_name,email\n"
        "\n"
        "5AA,Sam Staff,staff.b@example.nhs.uk\n"
        "5AA,Nul\x00Name,nul@example.nhs.uk\n"
        "\n"
        "5AA,Sam Same,same@example.nhs.uk\n"
        "5AB,Samantha Other,SAME@example.nhs.uk\n"
    )

    errors = _upload(client, text).context["plan"].errors

    assert errors == [
        # Neither the account's username nor its region (walk L).
        "boards.csv: row 3, column email: staff.b@example.nhs.uk is the address of an account "
        "that assesses PCTs (SHA staff or the national assurance team): the same account "
        "cannot also act for a PCT's board. Use the person's other address.",
        "boards.csv: row 4, column full_name: Enter their name without control characters, "
        "direction marks or invisible characters (such as NUL, a right-to-left override or "
        "a zero-width space).",
        "boards.csv: row 7, column full_name: SAME@example.nhs.uk is Sam Same in row 6; one "
        "address is one person's account",
    ]


def test_a_new_address_on_two_rows_is_one_account_given_both_boards(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["staff_a"])
    text = (
        "ods_code,full_name,email\n"
        "5AA,Sam Same,same@example.nhs.uk\n"
        "5AB,sam  same,SAME@example.nhs.uk\n"
    )

    plan = _upload(client, text).context["plan"]
    assert [i.what for i in plan.invites] == [
        "A new account, and a link to set a password",
        "The new account of row 2 is given access too",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/boards/file/confirm/",
            {"filename": "boards.csv", "text": text, "signature": plan.signature},
        )

    same = User.objects.get(email__iexact="same@example.nhs.uk")
    assert set(Role.objects.filter(user=same).values_list("pct__ods_code", flat=True)) == {
        "5AA",
        "5AB",
    }


def test_the_preview_confirms_as_multipart_and_says_when_the_file_has_no_rows(client, world):
    """The file goes back with the confirmation: as multipart, 1 MB of accented text stays
    1 MB, where a URL-encoded form would pass Django's 2.5 MB limit on request data."""
    client.force_login(world["staff_a"])

    page = _upload(client, "ods_code,full_name,email\n5AB,Zoë Ångström,z@example.nhs.uk\n")
    assert 'enctype="multipart/form-data" data-test="confirm"' in page.content.decode()
    empty = _upload(client, "ods_code,full_name,email\n").content.decode()
    assert "The file has no rows under its header: nothing would change." in empty


def test_a_refused_uploads_page_links_back_to_the_list(client, world):
    """The refusal is the POST's answer at /boards/file/; its pages lead to /boards/."""
    for n in range(50):
        PCTFactory(sha=world["alpha"], ods_code=f"5{n:02d}", name=f"PCT {n:02d}")
    client.force_login(world["staff_a"])

    page = client.post("/boards/file/", {}).content.decode()

    assert "Choose a CSV file to upload." in page
    assert 'href="/boards/?page=2#pcts-h"' in page and 'href="?page=' not in page


def test_the_removal_check_page_of_a_boards_last_account_says_so_first(client, world):
    client.force_login(world["staff_a"])

    response = client.get(f"/boards/5AA/{world['board_a'].pk}/remove/")

    happens = response.context["happens"]
    assert happens[0] == (
        "<strong>They are the last account of the board of Alpha PCT.</strong> Nobody will "
        "then be able to act for the board: it will not be told when a round opens, nor be "
        "able to fill in its self-assessment or check its draft."
    )
    assert len(happens) == 3
    assert 'data-test="confirmation"' in response.content.decode()
