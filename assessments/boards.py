"""Board accounts: who may act for each PCT's board (``/boards/``).

A board's pages (its self-assessment, its factual-accuracy check, its draft and final
reports) are open to the accounts holding the PCT's board role. SHA staff give those
accounts for their region's PCTs, the national team for any PCT:
:func:`board_member_invite` makes an account by invitation (``assessments.accounts``,
the one way any account is made) or, when the e-mail address already has an account (a
clinician who also sits on panels, a member of two boards), gives that account the role
and tells its owner. Taking access away is :func:`board_access_remove`: the role goes,
the account stays (its owner may hold other roles or seats). Both write their history
through ``role_grant``/``role_revoke`` (``RoleChange``).

The selectors read a page of PCTs with their accounts' counts, one PCT's accounts with
their state, and the PCT's history of access given and taken away, each in a fixed
number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string

from assessments.accounts import (
    account_invite,
    account_reinvite,
    email_in_use,
    role_grant,
    role_revoke,
    username_for,
)
from assessments.mail import mail_enqueue
from assessments.models import (
    AccountChange,
    PrimaryCareTrust,
    Role,
    RoleChange,
    StrategicHealthAuthority,
)
from assessments.selectors import user_scope

__all__ = [
    "BoardAccess",
    "BoardAccount",
    "board_access_history",
    "board_access_remove",
    "board_accounts",
    "board_counts",
    "board_member_invite",
    "board_pcts",
    "board_shas",
]

BOARD = Role.Kind.PCT_BOARD
FULL_NAME_MAX = 150  # first and last name together, as Django's user model holds them


@dataclass(frozen=True)
class BoardAccess:
    """What :func:`board_member_invite` did: ``made`` a new account (its owner was e-mailed
    a link to set a password), or gave an existing one the role (``link_sent``: the owner
    had never set a password, so a fresh link went with the news)."""

    user: AbstractBaseUser
    made: bool
    link_sent: bool


def _split_name(full_name: str) -> tuple[str, str]:
    words = full_name.split()
    if len(words) == 1:
        return full_name, ""
    return " ".join(words[:-1]), words[-1]


def _tell_of_access(*, user, pct: PrimaryCareTrust, by) -> None:
    context = {"user": user, "pct": pct, "by": by, "site_url": settings.SITE_URL}
    subject = render_to_string("email/board_access_subject.txt", context).strip()
    body = render_to_string("email/board_access.txt", context)
    mail_enqueue(messages=[(subject, body, None, [user.email])])


@transaction.atomic
def board_member_invite(
    *, pct: PrimaryCareTrust, full_name: str, email: str, by: AbstractBaseUser | None
) -> BoardAccess:
    """Give the person with ``email`` access to the board pages of ``pct``.

    No account uses the address: one is made (username from the name) and its owner is
    e-mailed the link to set a password. An active account uses it: that account is given
    the role and its owner told by e-mail (with a fresh link if they never set a
    password). Refused (``ValidationError`` keyed by ``full_name`` or ``email``, nothing
    written) for an empty or too long name, an invalid address, a closed PCT, an account
    that already has the role, or a deactivated account (reactivated on the people pages
    first). Writes ``AccountChange`` (a new account) and ``RoleChange`` rows.
    """
    full_name = " ".join(full_name.split())
    email = email.strip()
    errors: dict[str, list[str]] = {}
    if not full_name:
        errors["full_name"] = ["Enter their full name."]
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
    if pct.closed_on is not None:
        raise ValidationError(
            f"{pct.name} closed on {pct.closed_on:%-d %B %Y}: a closed PCT has no board to "
            "give access to."
        )
    user = email_in_use(email)
    if user is None:
        first_name, last_name = _split_name(full_name)
        invitation = account_invite(
            username=username_for(full_name),
            email=email,
            first_name=first_name,
            last_name=last_name,
            by=by,
        )
        role_grant(user=invitation.user, kind=BOARD, pct=pct, by=by)
        return BoardAccess(user=invitation.user, made=True, link_sent=True)
    if Role.objects.filter(user=user, kind=BOARD, pct=pct).exists():
        raise ValidationError(
            {
                "email": [
                    f"{email} already has access to the board of {pct.name} (username "
                    f"{user.get_username()})."
                ]
            }
        )
    if not user.is_active:
        raise ValidationError(
            {
                "email": [
                    f"The account that uses {email} ({user.get_username()}) is "
                    "deactivated. Reactivate it on the people pages first, or use "
                    "another address."
                ]
            }
        )
    role_grant(user=user, kind=BOARD, pct=pct, by=by)
    if user.has_usable_password():
        _tell_of_access(user=user, pct=pct, by=by)
        return BoardAccess(user=user, made=False, link_sent=False)
    account_reinvite(user=user, by=by)  # they never set a password: a fresh link
    return BoardAccess(user=user, made=False, link_sent=True)


@transaction.atomic
def board_access_remove(*, role: Role, by: AbstractBaseUser | None) -> None:
    """Take the board role ``role`` away (its account, other roles and seats stay).
    Writes a ``RoleChange`` (taken away)."""
    if role.kind != BOARD:
        raise ValidationError("Only a board's access is taken away here.")
    role_revoke(role=role, by=by)


# --- Reading ------------------------------------------------------------------------------


def board_shas(user) -> list[StrategicHealthAuthority]:
    """The SHAs whose PCTs' board accounts ``user`` keeps, by name (one query)."""
    scope = user_scope(user)
    shas = StrategicHealthAuthority.objects.order_by("name")
    if not scope.is_national:
        shas = shas.filter(pk__in=scope.sha_ids)
    return list(shas)


def board_pcts(
    user, *, sha: StrategicHealthAuthority | None = None, search: str = "", without: bool = False
) -> QuerySet[PrimaryCareTrust]:
    """The open PCTs whose board accounts ``user`` keeps (every one for the national team,
    their region's for SHA staff, none for anyone else), by SHA then name; narrowed to
    ``sha``, to an ODS code or part of a name (``search``), and to those with no active
    board account (``without``). Lazy: page it."""
    scope = user_scope(user)
    pcts = PrimaryCareTrust.objects.filter(closed_on__isnull=True).select_related("sha")
    if not scope.is_national:
        pcts = pcts.filter(sha_id__in=scope.sha_ids)
    if sha is not None:
        pcts = pcts.filter(sha=sha)
    if search := search.strip():
        pcts = pcts.filter(Q(ods_code__iexact=search) | Q(name__icontains=search))
    if without:
        active = Role.objects.filter(kind=BOARD, pct=OuterRef("pk"), user__is_active=True)
        pcts = pcts.filter(~Exists(active))
    return pcts.order_by("sha__name", "name")


@dataclass(frozen=True)
class Counts:
    active: int = 0  # has set a password and may log in
    waiting: int = 0  # invited, has not set a password yet


def board_counts(pct_ids) -> dict[int, Counts]:
    """Per PCT of ``pct_ids``: its board accounts that are in use and those still waiting
    for their owner to set a password (deactivated accounts are not counted). One query."""
    tally: dict[int, list[int]] = {}
    rows = Role.objects.filter(kind=BOARD, pct_id__in=list(pct_ids), user__is_active=True)
    for pct_id, password in rows.values_list("pct_id", "user__password"):
        counts = tally.setdefault(pct_id, [0, 0])
        counts[0 if _usable(password) else 1] += 1
    return {pct_id: Counts(*counts) for pct_id, counts in tally.items()}


def _usable(password: str) -> bool:
    # Django marks an unusable password with a leading "!" (``set_unusable_password``).
    return bool(password) and not password.startswith("!")


@dataclass(frozen=True)
class BoardAccount:
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


def board_accounts(pct: PrimaryCareTrust) -> list[BoardAccount]:
    """The accounts holding the board role of ``pct``, by name, each with when it was last
    invited. Two queries."""
    roles = list(
        Role.objects.filter(kind=BOARD, pct=pct)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    sent = AccountChange.objects.filter(
        user_id__in=[role.user_id for role in roles],
        action__in=[AccountChange.Action.INVITED, AccountChange.Action.REINVITED],
    ).order_by("changed_at")
    # In time order, so the latest invitation of each account wins.
    invited: dict[int, datetime] = dict(sent.values_list("user_id", "changed_at"))
    return [BoardAccount(role=r, user=r.user, invited_at=invited.get(r.user_id)) for r in roles]


HISTORY_SHOWN = 50


def board_access_history(pct: PrimaryCareTrust) -> list[RoleChange]:
    """The latest access given and taken away for the board of ``pct`` (at most
    ``HISTORY_SHOWN``), newest first, with whose and by whom. One query."""
    changes = RoleChange.objects.filter(kind=BOARD, pct=pct).select_related("user", "changed_by")
    return list(changes.order_by("-changed_at", "-pk")[:HISTORY_SHOWN])
