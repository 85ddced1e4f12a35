"""What the "Your account" page and the home page of a person with no seat yet read about
the signed-in user: their roles and seats in words, their place on the people list, and
who looks after their account."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from assessments.models import Role
from panels.models import Person, Seat
from panels.selectors import seats_for_user
from wcc_site.login import account_sha


@dataclass(frozen=True)
class AccountSummary:
    person: Person | None
    roles: list[str]  # "Staff of the West Midlands SHA", one line each
    seats: list[str]  # "Seat 2 (...), on the Dudley PCT panel, 2009-10": ``seat_words``
    listed: str  # "the panel members of the West Midlands SHA" or "": not on the list
    email_by: str  # who changes the e-mail address


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
        person=person, roles=roles, seats=seats, listed=listed_as(person), email_by=email_by
    )
