"""``create_user``: an account by invitation, with a role or as a panel member.

    manage.py create_user --username U --email E [--role national|sha_staff|board]
                          [--sha CODE] [--pct CODE] [--full-name NAME]
                          [--job-role ROLE] [--organisation NAME] [--job-title TITLE]

The account has no usable password: the command prints the link to set one and e-mails
it (``assessments.accounts.account_invite``). With ``--role``: the national team, staff of
``--sha`` or the board of ``--pct``. Without: a panel member, i.e. a person (affiliated
with ``--sha``, ``--pct`` or the outside ``--organisation``) whose account this is.

Bad input: a message naming the argument, a non-zero exit status, and nothing written
(one transaction). It lives in ``panels`` because a panel member is a ``Person``.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

from assessments.accounts import account_invite, email_in_use, name_parts, role_grant
from assessments.mail import mail_sent_at_once
from assessments.models import PrimaryCareTrust, Role, StrategicHealthAuthority
from assessments.role_accounts import RoleScope, purpose_of
from assessments.text import has_controls
from panels.models import ExternalOrganisation, JobRole
from panels.services.people import person_create, person_invite

ROLES = {
    "national": Role.Kind.NATIONAL,
    "sha_staff": Role.Kind.SHA_STAFF,
    "board": Role.Kind.PCT_BOARD,
}
# Service error keys -> the command's arguments, so that each message names its argument.
ARGUMENTS = {
    "username": "--username",
    "email": "--email",
    "full_name": "--full-name",
    "job_role": "--job-role",
    "job_title": "--job-title",
}


def _refusal(exc: ValidationError) -> CommandError:
    if hasattr(exc, "error_dict"):
        lines = [
            f"{ARGUMENTS.get(key, key)}: {message}"
            for key, errors in exc.message_dict.items()
            for message in errors
        ]
    else:
        lines = exc.messages
    return CommandError("\n".join(lines))


def _username_problems(username: str) -> list[str]:
    """What is wrong with ``--username`` on its own, by the account model's own rules
    (whether it is taken is said by ``account_invite``, with the e-mail address)."""
    field = get_user_model()._meta.get_field("username")
    username = username.strip()
    if not username:
        return ["--username: Enter a username."]
    try:
        field.run_validators(username)
    except ValidationError as exc:
        return [f"--username: {message}" for message in exc.messages]
    return []


class Command(BaseCommand):
    help = "Create an account without a usable password and send its owner a set-password link."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument(
            "--role",
            help="national, sha_staff (with --sha) or board (with --pct); "
            "none: a panel member (a person on the people list)",
        )
        parser.add_argument("--sha", help="ODS code of the SHA (Q30 to Q39), any case")
        parser.add_argument("--pct", help="ODS code of the PCT, any case")
        parser.add_argument("--full-name", help="the person's name (default: the username)")
        parser.add_argument(
            "--job-role",
            default=JobRole.OTHER.value,
            help="a panel member's job role: " + ", ".join(JobRole.values),
        )
        parser.add_argument("--job-title", default="")
        parser.add_argument(
            "--organisation",
            help="a panel member's organisation outside the NHS (its name, as listed)",
        )

    def handle(self, *args, **options):
        role = options["role"]
        # Every argument that is wrong on its own is said at once (the ops walk was told of
        # a missing organisation, and of the bad e-mail address only once that was fixed).
        problems = _username_problems(options["username"])
        if role is not None and role not in ROLES:
            problems.append(
                f"--role: unknown role “{role}”; use one of: {', '.join(ROLES)} "
                "(or none, for a panel member)."
            )
        if options["full_name"] and has_controls(options["full_name"]):
            problems.append(
                "--full-name: write the name without control characters, direction marks or "
                "invisible characters (such as NUL, a right-to-left override or a zero-width "
                "space)."
            )
        try:
            validate_email(options["email"].strip())
        except ValidationError:
            problems.append(f"--email: “{options['email']}” is not a valid e-mail address.")
        sha, pct = None, None
        try:
            sha = self._sha(options["sha"])
        except CommandError as exc:
            problems.append(str(exc))
        try:
            pct = self._pct(options["pct"])
        except CommandError as exc:
            problems.append(str(exc))
        # The arguments that must go together, with every problem above (the L/M walk: a
        # bad username was said only once the missing organisation had been given).
        organisation = None
        if role is None:
            organisation, more = self._member_arguments(options)
            problems += more
        elif role in ROLES:
            problems += self._role_arguments(options, ROLES[role])
        if problems:
            raise CommandError("\n".join(problems))
        try:
            with transaction.atomic():
                if role is None:
                    invitation = self._panel_member(
                        options, sha=sha, pct=pct, organisation=organisation
                    )
                else:
                    invitation = self._with_role(options, ROLES[role], sha=sha, pct=pct)
        except ValidationError as exc:
            raise _refusal(exc) from exc
        user = invitation.user
        self.stdout.write(f"Created {user.get_username()} <{user.email}> without a password.")
        self.stdout.write("Link to set the password:")
        self.stdout.write(invitation.link)
        sent = "sent" if mail_sent_at_once() else "queued for the worker"
        self.stdout.write(f"The same link has been e-mailed to {user.email} ({sent}).")

    # --- Arguments -------------------------------------------------------------------

    def _sha(self, code):
        if code is None:
            return None
        sha = StrategicHealthAuthority.objects.filter(ods_code=code.strip().upper()).first()
        if sha is None:
            raise CommandError(f"--sha: no SHA has the ODS code “{code}”.")
        return sha

    def _pct(self, code):
        if code is None:
            return None
        pct = PrimaryCareTrust.objects.filter(ods_code=code.strip().upper()).first()
        if pct is None:
            raise CommandError(f"--pct: no PCT has the ODS code “{code}”.")
        return pct

    def _role_arguments(self, options, kind) -> list[str]:
        """What is wrong with the organisation arguments of an account with a role."""
        problems = []
        needs = {Role.Kind.SHA_STAFF: "--sha", Role.Kind.PCT_BOARD: "--pct"}.get(kind)
        given = [name for name in ("--sha", "--pct") if options[name[2:]] is not None]
        if needs and needs not in given:
            problems.append(f"{needs}: --role {options['role']} needs {needs} CODE.")
        problems += [
            f"{name}: not used with --role {options['role']}." for name in given if name != needs
        ]
        if options["organisation"]:
            problems.append(f"--organisation: not used with --role {options['role']}.")
        return problems

    def _member_arguments(self, options) -> tuple[ExternalOrganisation | None, list[str]]:
        """A panel member's organisation outside the NHS (if named) and what is wrong with
        the arguments of a panel member."""
        problems, organisation = [], None
        if options["organisation"]:
            organisation = ExternalOrganisation.objects.filter(
                name__iexact=options["organisation"].strip()
            ).first()
            if organisation is None:
                problems.append(
                    f"--organisation: no organisation outside the NHS is called "
                    f"“{options['organisation']}”. The national team adds one at "
                    "/people/organisations/add/ (People, then Add an organisation outside "
                    "the NHS)."
                )
        # The arguments given, found or not (one not found is said above).
        given = [name for name in ("sha", "pct", "organisation") if options[name] is not None]
        if len(given) != 1:
            problems.append(
                "--sha, --pct or --organisation: a panel member belongs to exactly one "
                "organisation; give one of them."
            )
        if options["job_role"] not in JobRole.values:
            problems.append(
                f"--job-role: unknown job role “{options['job_role']}”; use one of: "
                + ", ".join(JobRole.values)
                + "."
            )
        return organisation, problems

    def _with_role(self, options, kind, *, sha, pct):
        first_name, last_name = name_parts(options["full_name"] or "")
        invitation = account_invite(
            username=options["username"],
            email=options["email"],
            first_name=first_name,
            last_name=last_name,
            by=None,
            purpose=purpose_of(RoleScope(kind, sha=sha, pct=pct)),
        )
        role_grant(user=invitation.user, kind=kind, sha=sha, pct=pct, by=None)
        return invitation

    def _panel_member(self, options, *, sha, pct, organisation):
        taken = email_in_use(options["email"])
        if taken is not None:  # the command makes an account: it never links to another
            raise CommandError(
                f"--email: The e-mail address {options['email']} is already used by another "
                f"account ({taken.get_username()}); the people pages can link a person to it."
            )
        person = person_create(
            full_name=options["full_name"] or options["username"],
            email=options["email"],
            job_role=options["job_role"],
            job_title=options["job_title"],
            sha=sha,
            pct=pct,
            external_organisation=organisation,
            by=None,
        )
        return person_invite(person=person, by=None, username=options["username"])
