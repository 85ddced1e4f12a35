"""What the "Your account" page and the home page of a person with no seat yet read about
the signed-in user: their roles and seats in words, their place on the people list, and
who looks after their account."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from assessments.models import Role
from panels.models import Person
from panels.selectors import last_replaced, seats_for_user
from wcc_site.login import account_sha


@dataclass(frozen=True)
class AccountSummary:
    person: Person | None
    roles: list[str]  # "Staff of the West Midlands SHA", one line each
    seats: list[str]  # "Seat 2 (...) on the Dudley PCT panel, 2009-10"
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
    seats = [
        # The chair's seat type says so in its name ("Local SHA director (chair)"): not
        # twice (walk AA: "Seat 1 (Local SHA director (chair), chair)").
        f"Seat {seat.seat_type.number}: {seat.seat_type.name}"
        f"{' (chair)' if seat.seat_type.is_chair and 'chair' not in seat.seat_type.name else ''}"
        f", on the {seat.panel.assessment.pct.name} panel, {seat.panel.assessment.round.name}"
        for seat in seats_for_user(user)
    ]
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
