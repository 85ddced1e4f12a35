"""Accounts by invitation, and the roles that say what an account may do.

Nobody is given a password. Every account is made by :func:`account_invite` (the
``create_user`` command for the first national account; the people pages of
``panels.views.people`` for everyone after), without a usable password; its owner is
e-mailed a link to Django's own set-password page (``password_reset_confirm``), built with
the password-reset token machinery (``default_token_generator``) and ``SITE_URL``. The
link works until the password is set or ``PASSWORD_RESET_TIMEOUT`` passes (three days by
default; the e-mail gives the time, :func:`link_expires_at`); inviting the person again sends a fresh one. The e-mail leaves through
``assessments.mail.mail_enqueue``, once the transaction commits.

Roles change only through :func:`role_grant` and :func:`role_revoke`, each writing a
``RoleChange`` row (the admin shows roles read-only). Accounts are invited, deactivated
and reactivated here too, each writing an ``AccountChange`` row.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from assessments.mail import mail_enqueue, rendered
from assessments.models import (
    AccountChange,
    PrimaryCareTrust,
    Role,
    RoleChange,
    StrategicHealthAuthority,
)
from assessments.text import ascii_letters, has_controls

__all__ = [
    "Invitation",
    "account_deactivate",
    "account_email_change",
    "account_invite",
    "account_password_set",
    "account_reactivate",
    "account_reinvite",
    "account_rename",
    "email_in_use",
    "invitation_link",
    "link_digest",
    "link_expires_at",
    "link_expiry_words",
    "name_parts",
    "role_grant",
    "role_revoke",
    "username_for",
]


@dataclass(frozen=True)
class Invitation:
    user: AbstractBaseUser
    link: str


def invitation_link(user: AbstractBaseUser, token: str | None = None) -> str:
    """The absolute address of the user's set-password page (Django's reset confirm), with
    ``token`` (a fresh one when not given)."""
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": token or default_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def link_digest(token: str) -> str:
    """What an invitation's history row keeps of its link's token (``AccountChange.
    link_digest``): its SHA-256, from which the token cannot be made again."""
    return hashlib.sha256(token.encode()).hexdigest()


# Django's token generator counts seconds from here (``PasswordResetTokenGenerator._num_seconds``),
# on the process's wall clock: ``datetime.now()``, naive, in TIME_ZONE (which Django sets
# as the process's TZ), so an hour off UTC in summer time.
_TOKEN_EPOCH = datetime.datetime(2001, 1, 1)  # noqa: DTZ001 (naive, as Django's)


def link_expires_at(token: str | None = None) -> datetime.datetime:
    """When a set-password link stops working: ``PASSWORD_RESET_TIMEOUT`` after the time
    its ``token`` was made (read from the token, as Django's token generator checks it),
    or after now for a link being made."""
    made = timezone.now()
    stamp = (token or "").partition("-")[0]
    if re.fullmatch(r"[0-9a-z]{1,13}", stamp):
        wall_clock = _TOKEN_EPOCH + datetime.timedelta(seconds=base36_to_int(stamp))
        made = timezone.make_aware(wall_clock, timezone.get_default_timezone())
    return made + datetime.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)


def link_expiry_words(when: datetime.datetime) -> str:
    """ "10:45pm on Thursday 10 December 2026 (UK time)", in Europe/London whatever the
    site's time zone (the e-mails and pages say when a link stops working, walk Y)."""
    local = when.astimezone(ZoneInfo("Europe/London"))
    hour = local.hour % 12 or 12
    noon = "am" if local.hour < 12 else "pm"
    return f"{hour}:{local:%M}{noon} on {local:%A} {local.day} {local:%B %Y} (UK time)"


def email_in_use(email: str, *, exclude_pk: int | None = None):
    """The account (other than ``exclude_pk``) that already uses ``email``, or None."""
    others = get_user_model().objects.filter(email__iexact=email.strip())
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    return others.order_by("pk").first()


# Words that are not a person's name, as people write them in a name field: titles
# before it ("Dr Siobhan Reilly") or after a comma ("Siobhan Reilly, Dr"), and letters after
# it written in capitals ("Siobhan Reilly OBE FRCP").
_TITLES = frozenset(
    [
        "dr",
        "prof",
        "professor",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "sir",
        "dame",
        "lord",
        "lady",
        "rev",
        "revd",
        "reverend",
    ]
)
_LETTERS_AFTER = frozenset(
    [
        "OBE",
        "MBE",
        "CBE",
        "KBE",
        "DBE",
        "FRCP",
        "FRCGP",
        "FRCS",
        "FRCN",
        "MRCP",
        "MRCGP",
        "PHD",
        "MD",
        "MB",
        "BS",
        "MBBS",
        "BSC",
        "MSC",
        "MA",
        "MBA",
        "RGN",
        "RN",
        "JP",
        "QC",
        "KC",
        "MP",
        "MEP",
        "MSP",
    ]
)


def _name_words(full_name: str) -> list[str]:
    """The words of a person's name, given names first, without titles and letters after
    it: ``"Reilly, Dr Siobhan"`` and ``"Siobhan Reilly, Dr"`` give ``["Siobhan", "Reilly"]``.
    A name written surname first (one word before a comma) is turned round."""

    def title(word: str) -> bool:
        return word.strip(".").lower() in _TITLES

    def letters_after(word: str) -> bool:
        bare = word.strip(".")
        return (bare.isupper() or bare == "PhD") and bare.upper() in _LETTERS_AFTER

    before, comma, after = full_name.partition(",")
    head = before.split()
    while len(head) > 1 and title(head[0]):
        head = head[1:]
    head = head[:1] + [w for w in head[1:] if not letters_after(w)]
    tail = [w for w in after.replace(",", " ").split() if not (title(w) or letters_after(w))]
    if comma and len(head) == 1 and tail:
        return tail + head  # "Reilly, Siobhan"
    return head or tail


def name_parts(full_name: str) -> tuple[str, str]:
    """The first and last names an account keeps, from a full name: the last word is the
    last name (``"Mary Ann Smith"`` -> ``("Mary Ann", "Smith")``; one word is a first name;
    titles and letters after the name are left out, see :func:`_name_words`)."""
    words = _name_words(full_name)
    if len(words) < 2:
        return " ".join(words), ""
    return " ".join(words[:-1]), words[-1]


def username_for(full_name: str) -> str:
    """A free username from a name: ``firstname.lastname`` in plain lower-case letters (a
    double-barrelled last name keeps both parts: ``zoe.obrien-angstrom``), with a number
    added if it is taken (``jane.smith2``)."""

    def plain(
        word: str,
    ) -> str:  # "O'Brien-Ångström" (any apostrophe) → "obrien-angstrom", "Łukasz" → "lukasz"
        ascii_word = ascii_letters(word)
        parts = re.findall(r"[a-z0-9]+", re.sub("['\u2019`]", "", ascii_word.lower()))
        return "-".join(parts)

    words = [w for w in (plain(word) for word in _name_words(full_name)) if w]
    base = ".".join(words[:1] + words[-1:] if len(words) > 1 else words) or "member"
    taken = set(
        get_user_model()
        .objects.filter(username__istartswith=base)
        .values_list("username", flat=True)
    )
    taken = {name.lower() for name in taken}
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}{n}"
    return candidate


def _history(*, user, action: str, by, note: str = "", token: str = "") -> None:
    row = AccountChange(user=user, action=action, changed_by=by, note=note)
    if token:  # an invitation: which link it sent, and where
        row.link_digest, row.sent_to = link_digest(token), user.email
    row.full_clean()
    row.save()


@dataclass(frozen=True)
class Purpose:
    """What an invitation is for, said in its e-mail (the real-year walk: every invitation
    read the same, naming neither the role nor the organisation): ``role``, "the board of
    Berkshire East"; ``does``, what its pages are for; ``waiting``, lines for work already
    waiting (a self-assessment open, with its deadline and address)."""

    role: str = ""
    does: str = ""
    waiting: tuple[str, ...] = ()


def _send_invitation(
    *, user, by, again: bool, purpose: Purpose | None = None, token: str
) -> Invitation:
    link = invitation_link(user, token)
    context = {
        "user": user,
        "link": link,
        "site_url": settings.SITE_URL,
        "by": by,
        "again": again,
        "expires": link_expiry_words(link_expires_at()),
        "purpose": purpose or Purpose(),
    }
    mail_enqueue(messages=[rendered("invitation", context, user.email)])
    return Invitation(user=user, link=link)


@transaction.atomic
def account_invite(
    *,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    by: AbstractBaseUser | None,
    purpose: Purpose | None = None,
) -> Invitation:
    """Create an account without a usable password and e-mail its owner a set-password link
    (saying what it is for: ``purpose``).

    Refused (``ValidationError`` keyed by ``username`` or ``email``) when the username is
    taken (in any case), the e-mail address is invalid or already used by another account.
    Writes an ``AccountChange`` (invited).
    """
    user_model = get_user_model()
    username = username.strip()
    email = email.strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["Enter a username."]
    elif user_model.objects.filter(username__iexact=username).exists():
        errors["username"] = [f"The username “{username}” is already taken."]
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = [f"“{email}” is not a valid e-mail address."]
    else:
        other = email_in_use(email)
        if other is not None:
            errors["email"] = [f"The e-mail address {email} is already used by another account."]
    if errors:
        raise ValidationError(errors)
    user = user_model(username=username, email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.full_clean()
    user.save()
    token = default_token_generator.make_token(user)
    _history(user=user, action=AccountChange.Action.INVITED, by=by, token=token)
    return _send_invitation(user=user, by=by, again=False, purpose=purpose, token=token)


@transaction.atomic
def account_reinvite(
    *, user: AbstractBaseUser, by: AbstractBaseUser | None, purpose: Purpose | None = None
) -> Invitation:
    """Send a fresh set-password link to an account whose password was never set.

    Refused when the account already has a password (its owner uses "Forgotten your
    password?") or is deactivated. Writes an ``AccountChange`` (invited again). Links sent
    before stop working (walk L: a link re-sent, often because the first went astray, left
    the first one working): a new unusable password changes what Django's token is made of.
    """
    if user.has_usable_password():
        raise ValidationError(
            f"{user.get_username()} has already set a password; they can use “Forgotten "
            "your password?” on the login page."
        )
    if not user.is_active:
        raise ValidationError(f"The account {user.get_username()} is deactivated.")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    token = default_token_generator.make_token(user)
    _history(user=user, action=AccountChange.Action.REINVITED, by=by, token=token)
    return _send_invitation(user=user, by=by, again=True, purpose=purpose, token=token)


@transaction.atomic
def account_deactivate(*, user: AbstractBaseUser, by: AbstractBaseUser | None) -> None:
    """The account can no longer log in (its roles and history stay)."""
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    _history(user=user, action=AccountChange.Action.DEACTIVATED, by=by)


@transaction.atomic
def account_reactivate(*, user: AbstractBaseUser, by: AbstractBaseUser | None) -> None:
    """The account can log in again."""
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    _history(user=user, action=AccountChange.Action.REACTIVATED, by=by)


@transaction.atomic
def account_password_set(*, user: AbstractBaseUser, password: str) -> None:
    """The account's owner sets its password (an invitation or reset link, or the
    change-password page; the form has checked it). Refused for a deactivated account (walk
    Y: its invitation link still set one). Ends a django-axes lock-out of its username:
    the link proved the owner, and the new password must work at once (walk Y: a reset
    left the account locked for the cool-off). Writes an ``AccountChange`` (password set)."""
    if not user.is_active:
        raise ValidationError(f"The account {user.get_username()} is deactivated.")
    user.set_password(password)
    user.save(update_fields=["password"])
    axes_reset(username=user.get_username())
    _history(user=user, action=AccountChange.Action.PASSWORD_SET, by=user)


@transaction.atomic
def account_rename(*, user: AbstractBaseUser, full_name: str, by: AbstractBaseUser | None) -> None:
    """Change the name of an account of nobody on the people list (a board member's, SHA
    staff's, the national team's): its first and last names, split as the invitation
    splits them (:func:`name_parts`). Writes an ``AccountChange`` (renamed) giving the old
    and the new name; nothing when the name is the same."""
    full_name = full_name.strip()
    if not full_name or has_controls(full_name):
        raise ValidationError(
            {
                "full_name": "Enter your name without control characters, direction marks or "
                "invisible characters."
            }
        )
    first, last = name_parts(full_name)
    was = user.get_full_name()
    if (user.first_name, user.last_name) == (first, last):
        return
    user.first_name, user.last_name = first, last
    user.full_clean()
    user.save(update_fields=["first_name", "last_name"])
    _history(
        user=user,
        action=AccountChange.Action.RENAMED,
        by=by,
        note=f"{was or '—'} → {user.get_full_name()}",
    )


@transaction.atomic
def account_email_change(
    *,
    user: AbstractBaseUser,
    email: str,
    by: AbstractBaseUser | None,
    purpose: Purpose | None = None,
) -> bool:
    """Correct the e-mail address of ``user`` (checked by the caller: valid, nobody else's,
    not the same, an active account) and say so where it matters, once the transaction
    commits. An account whose password was never set is sent a new link at the new address
    (:func:`account_reinvite`, saying what it is for: ``purpose``): the link sent to the old
    one stops working, Django's token being made from the address and the password's hash.
    An account in use is left as it is, its old address told of the change and by whom
    (as ``panels.services.people.person_update`` tells a panel member's). Writes an
    ``AccountChange`` (e-mail address corrected, ``note``: the old and new address).
    Returns whether a new link was sent."""
    was = user.email
    user.email = email
    user.save(update_fields=["email"])
    _history(user=user, action=AccountChange.Action.EMAIL_CHANGED, by=by, note=f"{was} → {email}")
    if not user.has_usable_password():
        account_reinvite(user=user, by=by, purpose=purpose)
        return True
    if was:
        context = {
            "user": user,
            "old_email": was,
            "by": by,
            "site_url": settings.SITE_URL,
        }
        mail_enqueue(messages=[rendered("account_email_changed", context, was)])
    return False


def _role_history(*, role: Role, action: str, by, reason: str = "") -> None:
    row = RoleChange(
        user_id=role.user_id,
        action=action,
        kind=role.kind,
        sha_id=role.sha_id,
        pct_id=role.pct_id,
        changed_by=by,
        reason=reason,
    )
    row.full_clean()
    row.save()


@transaction.atomic
def role_grant(
    *,
    user: AbstractBaseUser,
    kind: str,
    sha: StrategicHealthAuthority | None = None,
    pct: PrimaryCareTrust | None = None,
    by: AbstractBaseUser | None,
) -> Role:
    """Give ``user`` a role: the national team (no scope), staff of ``sha``, or the board
    of ``pct``. Refused (``ValidationError``) when the scope does not fit the kind or the
    user holds the role already. Writes a ``RoleChange`` (given)."""
    role = Role(user=user, kind=kind, sha=sha, pct=pct)
    role.full_clean()  # the kind, its scope and the one-role-per-scope constraints
    role.save()
    _role_history(role=role, action=RoleChange.Action.GRANTED, by=by)
    return role


@transaction.atomic
def role_revoke(*, role: Role, by: AbstractBaseUser | None, reason: str = "") -> None:
    """Take a role away. Writes a ``RoleChange`` (taken away, with ``reason`` when given)
    before deleting the role."""
    _role_history(role=role, action=RoleChange.Action.REVOKED, by=by, reason=reason)
    role.delete()
