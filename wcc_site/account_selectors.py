"""What the "Your account" page and the home page of a person with no seat yet read about
the signed-in user: their roles and seats in words, their place on the people list, and
who looks after their account; and why an invitation's link no longer works."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.formats import date_format

from assessments.accounts import link_digest, link_expires_at, link_expiry_words
from assessments.models import AccountChange, Role, RoleChange
from panels.models import Person, PersonChange, Seat
from panels.selectors import last_replaced, seats_for_user
from wcc_site.login import account_sha, deactivated_message


@dataclass(frozen=True)
class AccountSummary:
    person: Person | None
    roles: list[str]  # "Staff of the West Midlands SHA", one line each
    seats: list[str]  # "Seat 2 (...), on the Dudley PCT panel, 2009-10": ``seat_words``
    listed: str  # "the panel members of the West Midlands SHA" or "": not on the list
    email_by: str  # who changes the e-mail address
    replaced: str = ""  # "you were replaced on the panel of ..." (``replaced_from``) or ""


def person_of(user: AbstractBaseUser) -> Person | None:
    """The user's person on the people list (with their SHA or PCT's), or None."""
    return Person.objects.filter(user=user).select_related("sha", "pct__sha").first()


def listed_as(person: Person | None) -> str:
    """Whose list of panel members the person is on: "the panel members of the West
    Midlands SHA", or "the national pool of panel members from outside the NHS" for a
    person of an organisation outside the NHS (shared by every SHA); "" for nobody."""
    if person is None:
        return ""
    sha = person.sha or (person.pct.sha if person.pct_id else None)
    if sha is None:
        return "the national pool of panel members from outside the NHS"
    return f"the panel members of the {sha.name} SHA"


# A chair's seat type names the chair in brackets ("Local SHA director (chair)"): the seat's
# words say "Chair" first instead, so that no bracket sits inside another (walk AA: "Seat 1
# (Local SHA director (chair), chair) on the ... panel").
_CHAIR_IN_NAME = re.compile(r"\s*\(chair\)\s*$", re.IGNORECASE)


def seat_words(seat: Seat) -> str:
    """ "Chair, seat 1 (Local SHA director), on the Birmingham East and North panel, <round>";
    "Acting chair, seat 3 (...)" for the seat that chairs while the chair cannot; "Seat 2
    (...)" for any other. Reads the seat's panel, assessment, PCT, round and seat type,
    which ``seats_for_user`` brings in its one query."""
    seat_type = seat.seat_type
    name = _CHAIR_IN_NAME.sub("", seat_type.name) if seat_type.is_chair else seat_type.name
    chairs = "Chair" if seat_type.is_chair else "Acting chair"
    who = f"{chairs}, seat" if seat.presides else "Seat"
    standing_in = "; an acting chair stands in" if seat_type.is_chair and not seat.presides else ""
    assessment = seat.panel.assessment
    return (
        f"{who} {seat_type.number} ({name}{standing_in}), on the {assessment.pct.name} panel, "
        f"{assessment.round.name}"
    )


def replaced_from(person: Person | None) -> str:
    """How a person who held a seat and holds none now was taken off the latest one:
    "you were replaced on the panel of Brighton and Hove City (2010-11) on 8 December
    2026", or "" for a person never taken off a seat (walk AC: a member replaced was told
    no panel had given them a seat yet). One query."""
    change = last_replaced(person=person)
    if change is None:
        return ""
    assessment = change.seat.panel.assessment
    how = "replaced on" if change.new_person_id is not None else "taken off"
    when = timezone.localdate(change.changed_at)
    return (
        f"you were {how} the panel of {assessment.pct.name} ({assessment.round.slug}) "
        f"on {when:%-d %B %Y}"
    )


def access_removed_from(user: AbstractBaseUser) -> str:
    """For an account with no role left: the latest access taken away from it, in words
    ("your access as the board of Dudley was removed on 8 December 2026: ask the staff of
    the West Midlands SHA if you need it again"), or "" (walk AD: a board member whose
    access was removed was told they had never been given a role). One query."""
    removed = (
        RoleChange.objects.filter(user=user, action=RoleChange.Action.REVOKED)
        .select_related("sha", "pct__sha")
        .order_by("-changed_at", "-pk")
        .first()
    )
    if removed is None:
        return ""
    kinds = Role.Kind
    if removed.kind == kinds.PCT_BOARD and removed.pct is not None:
        group, ask = (
            f"the board of {removed.pct.name}",
            f"the staff of the {removed.pct.sha.name} SHA",
        )
    elif removed.kind == kinds.SHA_STAFF and removed.sha is not None:
        group, ask = f"staff of the {removed.sha.name} SHA", "the national assurance team"
    else:
        group, ask = "a member of the national assurance team", "the national assurance team"
    return (
        f"your access as {group} was removed on {_day(removed.changed_at)}: ask {ask} if you "
        "need it again"
    )


def account_summary(user: AbstractBaseUser) -> AccountSummary:
    """The user's account in words, in a fixed number of queries."""
    roles = []
    kinds = Role.Kind
    order = [kinds.NATIONAL, kinds.SHA_STAFF, kinds.PCT_BOARD]  # as the home page's sections
    held = Role.objects.filter(user=user).select_related("sha", "pct").order_by("pk")
    for role in sorted(held, key=lambda r: order.index(r.kind)):
        if role.kind == kinds.NATIONAL:
            roles.append("Member of the national assurance team")
        elif role.kind == kinds.SHA_STAFF:
            roles.append(f"Staff of the {role.sha.name} SHA")
        else:
            roles.append(f"Board of {role.pct.name}")
    seats = [seat_words(seat) for seat in seats_for_user(user)]
    person = person_of(user)
    sha = account_sha(user)
    if any(role.kind in (kinds.NATIONAL, kinds.SHA_STAFF) for role in held):
        # Their accounts are the national team's to manage (the staff accounts pages).
        email_by = "the national assurance team"
    elif sha is not None:
        email_by = f"the staff of the {sha.name} SHA"
    elif person is not None:
        email_by = "the staff of the SHA whose panels you sit on"
    else:
        email_by = "the national assurance team"
    return AccountSummary(
        person=person,
        roles=roles,
        seats=seats,
        listed=listed_as(person),
        email_by=email_by,
        replaced="" if seats else replaced_from(person),
    )


def own_name(user: AbstractBaseUser, person: Person | None) -> str:
    """The name the user's account page shows and their name page starts from: their
    person's on the people list, else their account's."""
    return person.full_name if person is not None else user.get_full_name()


def name_changed_by(user: AbstractBaseUser, person: Person | None) -> tuple[object, object]:
    """Who last changed the user's name, and when, from its history (the person's edit that
    changed their name, else the account's renaming): ``(None, None)`` when none says."""
    if person is not None:
        row = (
            PersonChange.objects.filter(
                person=person, action=PersonChange.Action.EDITED, note__startswith="Name: "
            )
            .select_related("changed_by")
            .first()
        )
    else:
        row = (
            AccountChange.objects.filter(user=user, action=AccountChange.Action.RENAMED)
            .select_related("changed_by")
            .first()
        )
    return (row.changed_by, row.changed_at) if row is not None else (None, None)


def _day(when) -> str:
    return date_format(timezone.localtime(when), "j F Y")


def link_failure(user: AbstractBaseUser, token: str | None) -> str | None:
    """Why an invitation's link to set a password no longer works, said to whoever holds
    it (walk Y: every such link read "used already or has expired"): None unless ``token``
    is one an invitation sent (its ``AccountChange.link_digest``), so that a made-up link
    learns nothing of the account. In order: the account deactivated since; a password set
    since (with this link or a newer one); a newer link sent (to the same address: named;
    to another: not); the access it
    was for taken away (which cancels the link, ``role_remove``); the account's address
    changed since; the link's three days passed."""
    if not token:
        return None
    invitations = AccountChange.objects.filter(
        user=user, action__in=[AccountChange.Action.INVITED, AccountChange.Action.REINVITED]
    )
    sent = invitations.filter(link_digest=link_digest(token)).order_by("-pk").first()
    if sent is None:
        return None
    if not user.is_active:
        return deactivated_message(user)
    newer = invitations.filter(pk__gt=sent.pk).order_by("-pk").first()
    password_set = (
        AccountChange.objects.filter(
            user=user, action=AccountChange.Action.PASSWORD_SET, pk__gt=sent.pk
        )
        .order_by("pk")
        .first()
    )
    if password_set is not None:  # first: whichever link set it, the account is in use
        how = (
            "This link was used: the password of this account was set"
            if newer is None or newer.pk > password_set.pk
            else f"A newer link was sent on {_day(newer.changed_at)}, and the password of "
            "this account was set with it"
        )
        return (
            f"{how} on {_day(password_set.changed_at)}. Log in with it, or use “Forgotten your "
            "password?” on the log-in page."
        )
    if newer is not None:
        if newer.sent_to and newer.sent_to.lower() == sent.sent_to.lower():
            return (
                f"A newer link was sent to {newer.sent_to} on {_day(newer.changed_at)}: use "
                "the link in that e-mail."
            )
        return (
            f"A newer link was sent on {_day(newer.changed_at)}, to another address: ask "
            "whoever invited you if it has not reached you."
        )
    removed = (
        RoleChange.objects.filter(
            user=user, action=RoleChange.Action.REVOKED, changed_at__gte=sent.changed_at
        )
        .order_by("-changed_at", "-pk")
        .first()
    )
    if removed is not None and not Role.objects.filter(user=user).exists():
        return (
            f"The invitation was withdrawn on {_day(removed.changed_at)}: the access it was "
            "for was taken away. If you need it, ask whoever invited you."
        )
    if sent.sent_to and user.email.lower() != sent.sent_to.lower():
        return (
            f"This link was sent to {sent.sent_to}, and the account's e-mail address has "
            "changed since: a link works only while the address it went to is the account's. "
            "Ask whoever invited you for a new one."
        )
    expires = link_expires_at(token)
    if expires <= timezone.now():
        return (
            f"This link stopped working at {link_expiry_words(expires)}: ask whoever invited "
            "you for a new one, or use “Forgotten your password?” on the log-in page."
        )
    return None
