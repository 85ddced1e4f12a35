"""The ``create_user`` command: an account by invitation, with a role or as a panel member."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest

from assessments.models import AccountChange, Role, RoleChange
from panels.models import Person, PersonChange
from tests.factories import ExternalOrganisationFactory, PCTFactory, SHAFactory, UserFactory

pytestmark = pytest.mark.django_db


def _run(*args) -> str:
    out = StringIO()
    call_command("create_user", *args, stdout=out)
    return out.getvalue()


def _link(output: str) -> str:
    return next(line for line in output.splitlines() if "/accounts/reset/" in line)


def test_create_user_national_prints_a_link_that_sets_the_password(
    client, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "http://testserver"

    with django_capture_on_commit_callbacks(execute=True):
        output = _run("--username", "nat", "--email", "nat@example.org", "--role", "national")

    user = User.objects.get(username="nat")
    assert user.has_usable_password() is False
    assert list(Role.objects.filter(user=user).values_list("kind", flat=True)) == ["national"]
    assert list(RoleChange.objects.values_list("action", "kind", "changed_by")) == [
        ("granted", "national", None)
    ]
    link = _link(output)
    assert [m.to for m in mail.outbox] == [["nat@example.org"]]
    assert link in mail.outbox[0].body

    landing = client.get(link.removeprefix("http://testserver"), follow=True)
    assert landing.templates[0].name == "registration/password_reset_confirm.html"
    assert landing.context["validlink"] is True
    form_url = landing.redirect_chain[-1][0]
    done = client.post(
        form_url,
        {"new_password1": "a long passphrase 42", "new_password2": "a long passphrase 42"},
        follow=True,
    )
    assert done.templates[0].name == "registration/password_reset_complete.html"
    assert (
        client.login(request=HttpRequest(), username="nat", password="a long passphrase 42") is True
    )


def test_create_user_sha_staff_takes_the_ods_code_in_any_case():
    sha = SHAFactory(ods_code="Q34")

    _run("--username", "staff", "--email", "s@example.org", "--role", "sha_staff", "--sha", "q34")

    role = Role.objects.get(user__username="staff")
    assert (role.kind, role.sha) == ("sha_staff", sha)


def test_create_user_board_of_a_pct():
    pct = PCTFactory(ods_code="5PG")

    _run("--username", "b", "--email", "b@example.org", "--role", "board", "--pct", "5pg")

    role = Role.objects.get(user__username="b")
    assert (role.kind, role.pct) == ("pct_board", pct)


def test_create_user_without_a_role_makes_a_panel_member():
    organisation = ExternalOrganisationFactory(name="Kaiser Permanente", country="United States")

    _run(
        "--username",
        "jay.doe",
        "--email",
        "jay@example.org",
        "--full-name",
        "Jay Doe",
        "--job-role",
        "external_executive",
        "--organisation",
        "kaiser permanente",
    )

    person = Person.objects.get()
    assert (person.full_name, person.user.username, person.external_organisation) == (
        "Jay Doe",
        "jay.doe",
        organisation,
    )
    assert Role.objects.count() == 0
    assert list(PersonChange.objects.order_by("pk").values_list("action", flat=True)) == [
        "added",
        "invited",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "boss"], "--role: unknown role “boss”"),
        (["--role", "sha_staff"], "--sha: --role sha_staff needs --sha CODE."),
        (["--role", "sha_staff", "--sha", "Q99"], "--sha: no SHA has the ODS code “Q99”."),
        (["--role", "board"], "--pct: --role board needs --pct CODE."),
        (["--role", "board", "--pct", "ZZZ"], "--pct: no PCT has the ODS code “ZZZ”."),
        (["--role", "national", "--sha", "Q34"], "--sha: not used with --role national."),
        ([], "--sha, --pct or --organisation: a panel member belongs to exactly one"),
        (["--sha", "Q34", "--job-role", "cook"], "--job-role: unknown job role “cook”"),
        (["--organisation", "Nowhere"], "--organisation: no organisation outside the NHS"),
        (
            ["--role", "national", "--full-name", "a\x01b"],
            "--full-name: write the name without control characters, direction marks or",
        ),
        (
            ["--sha", "Q34", "--full-name", "Ann \u202eBell"],
            "--full-name: write the name without control characters, direction marks or",
        ),
        (
            ["--sha", "Q34", "--full-name", "Ann\ufeffBell"],
            "--full-name: write the name without control characters, direction marks or",
        ),
    ],
)
def test_create_user_refuses_bad_arguments_and_writes_nothing(args, message):
    SHAFactory(ods_code="Q34")

    with pytest.raises(CommandError) as exc:
        _run("--username", "new", "--email", "new@example.org", *args)

    assert message in str(exc.value)
    assert User.objects.count() == 0
    assert Person.objects.count() == 0


def test_create_user_says_every_argument_wrong_on_its_own_at_once():
    """The ops walk: a missing organisation was said, and the bad e-mail address only once
    it was fixed."""
    SHAFactory(ods_code="Q34")

    with pytest.raises(CommandError) as exc:
        _run("--username", "new", "--email", "bad", "--sha", "Q99", "--pct", "ZZZ")

    assert str(exc.value).splitlines() == [
        "--email: “bad” is not a valid e-mail address.",
        "--sha: no SHA has the ODS code “Q99”.",
        "--pct: no PCT has the ODS code “ZZZ”.",
        "--sha, --pct or --organisation: a panel member belongs to exactly one organisation; "
        "give one of them.",
    ]


def test_create_user_says_a_bad_username_with_a_missing_organisation():
    """Walk L/M: without a role, only the missing organisation was said; the bad username
    only once that was fixed."""
    with pytest.raises(CommandError) as exc:
        _run("--username", "bad name!", "--email", "new@example.org")

    assert str(exc.value).splitlines() == [
        "--username: Enter a valid username. This value may contain only letters, numbers, "
        "and @/./+/-/_ characters.",
        "--sha, --pct or --organisation: a panel member belongs to exactly one organisation; "
        "give one of them.",
    ]
    assert User.objects.count() == 0


def test_create_user_says_every_problem_of_a_role_s_arguments_at_once():
    ExternalOrganisationFactory(name="King's Fund")

    with pytest.raises(CommandError) as exc:
        _run(
            "--username",
            "bad name!",
            "--email",
            "bad",
            "--role",
            "board",
            "--sha",
            "Q99",
            "--organisation",
            "King's Fund",
        )

    assert str(exc.value).splitlines() == [
        "--username: Enter a valid username. This value may contain only letters, numbers, "
        "and @/./+/-/_ characters.",
        "--email: “bad” is not a valid e-mail address.",
        "--sha: no SHA has the ODS code “Q99”.",
        "--pct: --role board needs --pct CODE.",
        "--sha: not used with --role board.",
        "--organisation: not used with --role board.",
    ]
    assert User.objects.count() == 0


def test_create_user_says_every_problem_of_a_panel_member_s_arguments_at_once():
    with pytest.raises(CommandError) as exc:
        _run(
            "--username",
            "x" * 151,
            "--email",
            "new@example.org",
            "--organisation",
            "Nowhere",
            "--job-role",
            "cook",
        )

    lines = str(exc.value).splitlines()
    assert lines[0].startswith("--username: Ensure this value has at most 150 characters")
    assert [line.split(":")[0] for line in lines[1:]] == ["--organisation", "--job-role"]
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    ("username", "email", "role_args", "message"),
    [
        ("Taken", "new@example.org", ["--role", "national"], "--username: The username “Taken”"),
        ("new", "taken@example.org", ["--role", "national"], "--email: The e-mail address"),
        ("new", "nonsense", ["--role", "national"], "--email: “nonsense” is not a valid"),
        ("new", "taken@example.org", ["--sha", "Q34"], "--email: The e-mail address"),
        ("new", "nonsense", ["--sha", "Q34"], "--email: “nonsense” is not a valid e-mail address."),
    ],
)
def test_create_user_refuses_a_taken_username_or_email_and_writes_nothing(
    django_capture_on_commit_callbacks, username, email, role_args, message
):
    SHAFactory(ods_code="Q34")
    UserFactory(username="taken", email="taken@example.org")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError) as exc:
        _run("--username", username, "--email", email, *role_args)

    assert message in str(exc.value)
    assert list(User.objects.values_list("username", flat=True)) == ["taken"]
    assert Person.objects.count() == 0
    assert AccountChange.objects.count() == 0
    assert RoleChange.objects.count() == 0
    assert mail.outbox == []


def test_create_user_exits_non_zero_from_the_command_line(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "create_user",
            "--username",
            "x",
            "--email",
            "x@e.org",
            "--role",
            "nope",
        ],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode != 0
    assert "--role: unknown role “nope”" in result.stderr
