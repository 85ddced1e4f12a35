"""Who holds a role, given and taken away from the web: the board of a PCT (``/boards/``),
the staff of an SHA and the national assurance team (``/staff/``).

A :class:`RoleScope` names one such group. :func:`role_invite` gives someone its role:
when no account uses their e-mail address, an account is made by invitation
(``assessments.accounts.account_invite``, the one way any account is made, which e-mails
the link to set a password); when an active account uses it (a clinician who sits on
panels, a member of two boards), that account is given the role and its owner told by
e-mail, with a fresh link if they never set a password. :func:`role_remove` takes the role
away; the account stays with whatever else it holds. Both write their history through
``role_grant``/``role_revoke`` (``RoleChange``).

The selectors read a group's accounts with their state and its history of access given
and taken away, in a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from assessments.accounts import (
    Purpose,
    account_email_change,
    account_invite,
    account_reinvite,
    email_in_use,
    name_parts,
    role_grant,
    role_revoke,
    username_for,
)
from assessments.mail import mail_enqueue, rendered
from assessments.models import (
    AccountChange,
    Assessment,
    PrimaryCareTrust,
    Role,
    RoleChange,
    Stage,
    StrategicHealthAuthority,
)
from assessments.separation import board_conflict_finders
from assessments.text import checked_reason, has_controls

__all__ = [
    "FULL_NAME_MAX",
    "RoleAccess",
    "RoleAccount",
    "RoleScope",
    "board_refusals",
    "name_and_email_checked",
    "role_accounts",
    "role_email_change",
    "role_email_checked",
    "role_history",
    "role_invite",
    "role_remove",
    "role_remove_refusal",
]

FULL_NAME_MAX = 150  # first and last name together, as Django's user model holds them
HISTORY_SHOWN = 50


@dataclass(frozen=True)
class RoleScope:
    """One group of role holders: a PCT's board, an SHA's staff or the national team."""

    kind: str
    sha: StrategicHealthAuthority | None = None
    pct: PrimaryCareTrust | None = None

    @classmethod
    def board(cls, pct: PrimaryCareTrust) -> RoleScope:
        return cls(Role.Kind.PCT_BOARD, pct=pct)

    @classmethod
    def staff(cls, sha: StrategicHealthAuthority) -> RoleScope:
        return cls(Role.Kind.SHA_STAFF, sha=sha)

    @classmethod
    def national(cls) -> RoleScope:
        return cls(Role.Kind.NATIONAL)

    @classmethod
    def of(cls, role: Role) -> RoleScope:
        return cls(role.kind, sha=role.sha, pct=role.pct)

    @property
    def group(self) -> str:
        """ "the board of Sandwell", "the staff of West Midlands", "the national team"."""
        if self.pct is not None:
            return f"the board of {self.pct.name}"
        if self.sha is not None:
            return f"the staff of {self.sha.name}"
        return "the national assurance team"

    @property
    def does(self) -> str:
        """What the role's pages are for, as the e-mail and the pages say it."""
        if self.pct is not None:
            return "its self-assessment, its factual-accuracy check and its rating reports"
        if self.sha is not None:
            return (
                "its panel formation, regional moderation, factual-accuracy answers and the "
                "region's people and board accounts"
            )
        return "rounds, organisations, the national cross-check and publication"

    def _filter(self) -> dict:
        return {"kind": self.kind, "sha": self.sha, "pct": self.pct}

    def roles(self) -> QuerySet[Role]:
        return Role.objects.filter(**self._filter())

    def changes(self) -> QuerySet[RoleChange]:
        return RoleChange.objects.filter(**self._filter())


@dataclass(frozen=True)
class RoleAccess:
    """What :func:`role_invite` did: ``made`` a new account (its owner was e-mailed a link
    to set a password), or gave an existing one the role (``link_sent``: the owner had
    never set a password, so a fresh link went with the news)."""

    user: AbstractBaseUser
    made: bool
    link_sent: bool


def waiting_for(scope: RoleScope, *, new_account: bool = True) -> tuple[str, ...]:
    """Work already waiting for a new member of ``scope``, said in their e-mail: for a
    board, each round's self-assessment open for its PCT, with its deadline and address
    (the real-year walk: a board invited after the round opened was told nothing of it)."""
    if scope.pct is None:
        return ()
    lines = []
    for assessment in Assessment.objects.filter(
        pct=scope.pct, stage=Stage.SELF_ASSESSMENT
    ).select_related("round"):
        round_ = assessment.round
        due = (
            f", due {round_.self_assessment_due:%A %-d %B %Y}" if round_.self_assessment_due else ""
        )
        url = settings.SITE_URL.rstrip("/") + reverse(
            "assessments:self_assessment", args=[round_.slug, scope.pct.ods_code]
        )
        where = "Once your password is set, it is at" if new_account else "It is at"
        lines.append(
            f"{scope.pct.name}'s self-assessment for {round_.name} is open{due}. {where}:\n{url}"
        )
    return tuple(lines)


def purpose_of(scope: RoleScope) -> Purpose:
    return Purpose(role=scope.group, does=scope.does, waiting=waiting_for(scope))


def _tell_of_access(*, user, scope: RoleScope, by) -> None:
    context = {
        "user": user,
        "scope": scope,
        "by": by,
        "site_url": settings.SITE_URL,
        "waiting": waiting_for(scope, new_account=False),  # they log in as usual
    }
    mail_enqueue(messages=[rendered("role_access", context, user.email)])


def name_and_email_checked(full_name: str, email: str) -> tuple[str, str]:
    """The name (spaces collapsed) and the address, or ``ValidationError`` keyed by
    ``full_name`` and ``email`` saying what is wrong with each."""
    full_name = " ".join(full_name.split())
    email = email.strip()
    errors: dict[str, list[str]] = {}
    if not full_name:
        errors["full_name"] = ["Enter their full name."]
    elif has_controls(full_name):
        errors["full_name"] = [
            "Enter their name without control characters, direction marks or invisible "
            "characters (such as NUL, a right-to-left override or a zero-width space)."
        ]
    elif len(full_name) > FULL_NAME_MAX:
        errors["full_name"] = [f"Enter a name of at most {FULL_NAME_MAX} characters."]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [
            "Enter an e-mail address in the right form, like name@example.nhs.uk."
            if email
            else "Enter their e-mail address."
        ]
    if errors:
        raise ValidationError(errors)
    return full_name, email


ASSESSORS = (Role.Kind.NATIONAL, Role.Kind.SHA_STAFF)


def board_refusals(
    accounts: Collection[AbstractBaseUser], pcts: Collection[PrimaryCareTrust]
) -> dict[tuple[int, int], str]:
    """Why each of ``accounts`` may not act for each of ``pcts``' boards, for the pairs
    refused, as {(account id, PCT id): why}. Those who assess PCTs (the national team, SHA
    staff) and those who answer for one are kept apart: a staff or national account may
    act for no board; and (``assessments.separation``, from the panels app) nobody acts
    for the board of a PCT whose panel they sit on. One query, and one a finder, whatever
    the numbers."""
    user_ids = [account.pk for account in accounts]
    pct_ids = [pct.pk for pct in pcts]
    refusals: dict[tuple[int, int], str] = {}
    assessing = Role.objects.filter(user_id__in=user_ids, kind__in=ASSESSORS)
    for role in assessing.select_related("sha").order_by("pk"):
        for pct_id in pct_ids:
            refusals.setdefault(
                (role.user_id, pct_id),
                # Not which team or region (walk L: SHA staff learnt another region's
                # usernames and roles by trying addresses).
                "is the address of an account that assesses PCTs (SHA staff or the national "
                "assurance team): the same account cannot also act for a PCT's board. Use the "
                "person's other address.",
            )
    for finder in board_conflict_finders:
        for pair, why in finder(user_ids, pct_ids).items():
            refusals.setdefault(pair, why)
    return refusals


def _separation_refusal(*, user, email: str, scope: RoleScope) -> str | None:
    """Why ``user`` may not join ``scope``, or None: ``board_refusals`` for a board; for the
    staff or the national team, an account that acts for a board."""
    if scope.pct is not None:
        why = board_refusals([user], [scope.pct]).get((user.pk, scope.pct.pk))
        return None if why is None else f"{email} {why}"
    kinds = set(Role.objects.filter(user=user).values_list("kind", flat=True))
    if Role.Kind.PCT_BOARD in kinds:
        return (
            f"{email} is the address of an account that acts for a PCT's board: SHA staff "
            "and the national team moderate the PCTs' ratings, the boards' own included, so "
            "the same account cannot do both (sitting on panels of other PCTs is allowed). "
            "Use the person's other address."
        )
    # The national team confirms or sends back what a region's staff signed off: one account
    # may not do both (walk L: the national team made itself, unwarned, staff of a region).
    other = Role.Kind.SHA_STAFF if scope.kind == Role.Kind.NATIONAL else Role.Kind.NATIONAL
    if other in kinds:
        return (
            f"{email} is the address of an account of "
            + (
                "an SHA's staff, whose regions' moderation the national team cross-checks"
                if other == Role.Kind.SHA_STAFF
                else "the national assurance team, which cross-checks the regions' moderation"
            )
            + ": the same account cannot also be "
            + ("one of the national team." if other == Role.Kind.SHA_STAFF else "a region's staff.")
            + " Use the person's other address."
        )
    return None


@transaction.atomic
def role_invite(
    *, scope: RoleScope, full_name: str, email: str, by: AbstractBaseUser | None
) -> RoleAccess:
    """Give the person with ``email`` the role of ``scope``.

    No account uses the address: one is made (username from the name) and its owner is
    e-mailed the link to set a password. An active account uses it: that account is given
    the role and its owner told by e-mail (with a fresh link if they never set a
    password). Refused (``ValidationError`` keyed by ``full_name`` or ``email``, nothing
    written) for an empty or too long name, an invalid address, a closed PCT, an account
    that already has the role, a deactivated account, or an account on the other side of
    the assessment (a board's for staff, staff's or the national team's for a board).
    Writes ``AccountChange`` (a new account) and ``RoleChange`` rows.
    """
    full_name, email = name_and_email_checked(full_name, email)
    pct = scope.pct
    if pct is not None and pct.closed_on is not None:
        raise ValidationError(
            f"{pct.name} closed on {pct.closed_on:%-d %B %Y}: a closed PCT has no board to "
            "give access to."
        )
    user = email_in_use(email)
    if user is None:
        first_name, last_name = name_parts(full_name)
        invitation = account_invite(
            username=username_for(full_name),
            email=email,
            first_name=first_name,
            last_name=last_name,
            by=by,
            purpose=purpose_of(scope),
        )
        role_grant(user=invitation.user, kind=scope.kind, sha=scope.sha, pct=pct, by=by)
        return RoleAccess(user=invitation.user, made=True, link_sent=True)
    if scope.roles().filter(user=user).exists():
        raise ValidationError(
            {"email": [f"{email} is already one of {scope.group} ({user.get_username()})."]}
        )
    if not user.is_active:
        raise ValidationError(
            {
                "email": [
                    f"The account that uses {email} is "
                    "deactivated. Reactivate it on the people pages first, or use "
                    "another address."
                ]
            }
        )
    separation = _separation_refusal(user=user, email=email, scope=scope)
    if separation is not None:
        raise ValidationError({"email": [separation]})
    role_grant(user=user, kind=scope.kind, sha=scope.sha, pct=pct, by=by)
    if user.has_usable_password():
        _tell_of_access(user=user, scope=scope, by=by)
        return RoleAccess(user=user, made=False, link_sent=False)
    account_reinvite(user=user, by=by, purpose=purpose_of(scope))  # never set a password
    return RoleAccess(user=user, made=False, link_sent=True)


# What the check page of a removal asks when no reason is given.
REMOVE_REASON_MISSING = "Give the reason for removing their access."


def role_remove_refusal(*, role: Role, by: AbstractBaseUser | None) -> str | None:
    """Why ``by`` may not take ``role`` away, or None: not one's own role (a colleague does
    it), nor the last active account of the national team (no one could give it back from
    the web)."""
    if by is not None and role.user_id == by.pk:
        return (
            f"You cannot take away your own access as one of {RoleScope.of(role).group}: "
            "ask a colleague."
        )
    if role.kind == Role.Kind.NATIONAL:
        others = RoleScope.national().roles().exclude(pk=role.pk).filter(user__is_active=True)
        if not others.exists():
            return (
                "This is the national assurance team's last active account: invite someone "
                "else to the team first."
            )
    return None


def role_remove_cancels_link(*, role: Role) -> bool:
    """Whether taking ``role`` away also cancels the account's link to set a password: it
    never set one and holds no other role (walk N: after "Remove access", the link sent to
    a wrong address still made a working account, with no access, for whoever had it)."""
    user = role.user
    return (
        not user.has_usable_password()
        and not Role.objects.filter(user=user).exclude(pk=role.pk).exists()
    )


@transaction.atomic
def role_remove(*, role: Role, by: AbstractBaseUser | None, reason: str) -> bool:
    """Take ``role`` away (its account, other roles and seats stay); refused
    (``ValidationError``) as ``role_remove_refusal`` says, and without a reason, whatever
    the group (``checked_reason``: keyed ``reason``). Writes a ``RoleChange`` (taken away)
    that keeps the reason. Where ``role_remove_cancels_link``, a new unusable password makes the
    link e-mailed to the account stop working (Django's token is made from the password's
    hash). Returns whether it did. Taking a national-team role locks the team's roles
    first, so that two colleagues removing each other at once cannot both pass the "last
    active account" check: the second waits, then counts without the first's."""
    if role.kind == Role.Kind.NATIONAL:
        list(RoleScope.national().roles().select_for_update().values_list("pk", flat=True))
    refusal = role_remove_refusal(role=role, by=by)
    if refusal is not None:
        raise ValidationError(refusal)
    reason = checked_reason(reason, missing=REMOVE_REASON_MISSING)
    cancels = role_remove_cancels_link(role=role)
    role_revoke(role=role, by=by, reason=reason)
    if cancels:
        role.user.set_unusable_password()
        role.user.save(update_fields=["password"])
    return cancels


def _new_address_checked(email: str) -> str:
    """The new address of an account, stripped, or ``ValidationError`` keyed ``email``
    worded as the invitation's (``name_and_email_checked``)."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(
            {
                "email": [
                    "Enter an e-mail address in the right form, like name@example.nhs.uk."
                    if email
                    else "Enter their new e-mail address."
                ]
            }
        ) from None
    return email


def _manages_every_role_of(*, user, by) -> bool:
    """Whether ``by`` keeps every role ``user`` holds: the national team keeps all; SHA
    staff their region's boards. Whoever has an account's address can set its password, so
    a board member of two regions' PCTs has their address corrected by the national team,
    not by one region's staff (who could so take the other region's board access)."""
    if by is None:
        return True
    kinds = Role.objects.filter(user=by).values_list("kind", "sha_id")
    if any(kind == Role.Kind.NATIONAL for kind, _ in kinds):
        return True
    regions = {sha_id for kind, sha_id in kinds if kind == Role.Kind.SHA_STAFF}
    if user.is_staff or user.is_superuser:  # an administrator's: the national team's to do
        return False
    held = Role.objects.filter(user=user).values_list("kind", "pct__sha_id")
    return bool(regions) and all(
        kind == Role.Kind.PCT_BOARD and sha_id in regions for kind, sha_id in held
    )


def role_email_checked(*, role: Role, email: str, by: AbstractBaseUser | None) -> str:
    """The new address of ``role``'s account (stripped), or ``ValidationError`` keyed
    ``email`` saying why it may not be given: not an address, the account's own already,
    another account's (naming nothing else of it, as the invitation's refusal), a
    deactivated account, an account on the people list (corrected there), or an account
    holding access ``by`` does not keep (another region's board; ``_manages_every_role_of``).
    Writes nothing: the form page asks it
    before the check page, and :func:`role_email_change` again when confirmed."""
    email = _new_address_checked(email)
    user = role.user
    if not user.is_active:
        raise ValidationError(
            {
                "email": [
                    f"The account {user.get_username()} is deactivated: reactivate it on the "
                    "people pages first."
                ]
            }
        )
    if email.lower() == (user.email or "").lower():
        raise ValidationError(
            {"email": [f"{email} is already the account's address: enter the new one."]}
        )
    if email_in_use(email, exclude_pk=user.pk) is not None:
        raise ValidationError(
            {
                "email": [
                    f"The e-mail address {email} is already used by another account: two "
                    "accounts may not share one, since each gets set-password links at it."
                ]
            }
        )
    # A panel member's address lives on the people list, which the account's follows
    # (``panels.services.people.person_update``): corrected here, the two would differ.
    if type(user).objects.filter(pk=user.pk, person__isnull=False).exists():
        raise ValidationError(
            {
                "email": [
                    f"{user.get_full_name() or user.get_username()} is also on the people list "
                    "(a panel member): correct the address on their page under People, which "
                    "changes the account's too."
                ]
            }
        )
    if not _manages_every_role_of(user=user, by=by):
        raise ValidationError(
            {
                "email": [
                    "This account also has access you do not keep (the board of a PCT in "
                    "another region, say), which its address would carry with it: ask the "
                    "national assurance team to correct it."
                ]
            }
        )
    return email


@transaction.atomic
def role_email_change(*, role: Role, email: str, was: str, by: AbstractBaseUser | None) -> bool:
    """Correct the e-mail address of ``role``'s account from ``was`` (what the check page
    showed) to ``email``: refused (``ValidationError`` keyed ``email``, nothing written) as
    :func:`role_email_checked` says, and when the address is no longer ``was`` (changed
    in another window since the check page was shown: the new one is checked again).
    The account row is locked first, so two corrections at once cannot both pass that
    check; and when the role was taken away meanwhile (not keyed). The username, password
    and roles stay. ``account_email_change`` writes the
    history and e-mails: a new link at the new address (the old one stops working) for an
    account whose password was never set, else a notice to the old address. Returns
    whether a new link was sent."""
    user = type(role.user).objects.select_for_update().get(pk=role.user_id)
    role.user = user
    if (user.email or "") != was:
        raise ValidationError(
            {
                "email": [
                    f"The account's address changed to {user.email or 'none'} since you checked "
                    "it: nothing was changed. Check the new address below and confirm again."
                ]
            }
        )
    if not Role.objects.filter(pk=role.pk).exists():  # taken away since the check page
        raise ValidationError(
            f"{user.get_username()} is no longer one of {RoleScope.of(role).group}: its "
            "access was taken away since the page was loaded. Nothing was changed."
        )
    email = role_email_checked(role=role, email=email, by=by)
    return account_email_change(
        user=user, email=email, by=by, purpose=purpose_of(RoleScope.of(role))
    )


# --- Reading ------------------------------------------------------------------------------


def _usable(password: str) -> bool:
    # Django marks an unusable password with a leading "!" (``set_unusable_password``).
    return bool(password) and not password.startswith("!")


@dataclass(frozen=True)
class RoleAccount:
    role: Role
    user: AbstractBaseUser
    invited_at: datetime | None  # the latest invitation (or new link) sent

    @property
    def waiting(self) -> bool:
        return self.user.is_active and not self.user.has_usable_password()

    @property
    def state(self) -> str:
        if not self.user.is_active:
            return "Deactivated"
        if self.waiting:
            return "Invited: has not set a password yet"
        return "Active"


def role_accounts(scope: RoleScope) -> list[RoleAccount]:
    """The accounts holding the role of ``scope``, by name, each with when it was last
    invited. Two queries."""
    roles = list(
        scope.roles()
        .select_related("user", "sha", "pct")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    sent = AccountChange.objects.filter(
        user_id__in=[role.user_id for role in roles],
        action__in=[AccountChange.Action.INVITED, AccountChange.Action.REINVITED],
    ).order_by("changed_at")
    # In time order, so the latest invitation of each account wins.
    invited: dict[int, datetime] = dict(sent.values_list("user_id", "changed_at"))
    return [RoleAccount(role=r, user=r.user, invited_at=invited.get(r.user_id)) for r in roles]


def role_history(scope: RoleScope) -> list[RoleChange | AccountChange]:
    """The latest access given and taken away for ``scope``, and the e-mail addresses
    corrected of the accounts that hold or held it (``AccountChange``, its ``note`` the
    old and new address), at most ``HISTORY_SHOWN``, newest first, with whose and by whom.
    Two queries."""
    changes = scope.changes().select_related("user", "changed_by")
    access = list(changes.order_by("-changed_at", "-pk")[:HISTORY_SHOWN])
    corrected = list(
        AccountChange.objects.filter(
            action=AccountChange.Action.EMAIL_CHANGED,
        )
        .filter(
            Q(user_id__in=scope.roles().values("user_id"))
            | Q(user_id__in=scope.changes().values("user_id"))
        )
        .select_related("user", "changed_by")
        .order_by("-changed_at", "-pk")[:HISTORY_SHOWN]
    )
    merged = sorted([*access, *corrected], key=lambda row: row.changed_at, reverse=True)
    return merged[:HISTORY_SHOWN]


@dataclass(frozen=True)
class Counts:
    active: int = 0  # has set a password and may log in
    waiting: int = 0  # invited, has not set a password yet


def role_counts(roles: QuerySet[Role], key: str) -> dict[int, Counts]:
    """Per value of ``key`` (``pct_id``, ``sha_id``) among ``roles``: the accounts in use
    and those still waiting for their owner to set a password (deactivated accounts are
    not counted). One query."""
    tally: dict[int, list[int]] = {}
    for group, password in roles.filter(user__is_active=True).values_list(key, "user__password"):
        counts = tally.setdefault(group, [0, 0])
        counts[0 if _usable(password) else 1] += 1
    return {group: Counts(*counts) for group, counts in tally.items()}
