"""The people who may sit on panels: added, edited, invited, deactivated, reactivated.

Each service writes a ``PersonChange`` in its transaction. Inviting makes the person's
account through ``assessments.accounts.account_invite`` (the one way any account is
made), so the person is e-mailed a link to set their password. Deactivating (with a
reason) closes the account and stops the person being offered for new seats
(``panels.selectors``) or accepted into one (``panels.services.formation``); the seats
they hold stay theirs, and the chairs of the panels that wait for them are e-mailed.
"""

from __future__ import annotations

import copy

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.accounts import (
    Invitation,
    Purpose,
    account_deactivate,
    account_invite,
    account_reactivate,
    account_reinvite,
    email_in_use,
    name_parts,
    username_for,
)
from assessments.exceptions import ConflictError
from assessments.models import PrimaryCareTrust, Role, StrategicHealthAuthority
from assessments.text import checked_reason, has_controls
from panels.models import ExternalOrganisation, Person, PersonChange
from panels.notifications import notify_email_changed, notify_person_deactivated
from panels.selectors import (
    SeatConflict,
    account_serves_beyond_panels,
    deactivation_told,
    person_version,
    seats_made_ineligible,
)

__all__ = [
    "external_organisation_create",
    "person_create",
    "person_deactivate",
    "person_invite",
    "person_reactivate",
    "person_update",
    "username_for",
]


class SeatsMadeIneligible(ValidationError):
    """An edit would leave the person in seats they may no longer hold (``conflicts``: each
    seat and the rule): refused until confirmed (``person_update(conflicts_confirmed=True)``),
    so that the check page names them before anything is saved."""

    def __init__(self, conflicts: list[SeatConflict]):
        self.conflicts = conflicts
        super().__init__([conflict.why for conflict in conflicts])


# What an edit may change that a seat's eligibility depends on (``seat_conflict``).
ELIGIBILITY_FIELDS = frozenset({"job_role", "sha", "pct", "external_organisation"})

# What a panel member's invitation says the account is for.
PANEL_MEMBER = Purpose(
    role="the members of the assurance review panels",
    does="the panels you sit on (scoring each PCT on your own, and the panel's consensus if "
    "you chair it)",
)

# Why a person's address is not changed when their account does more than sit on panels.
ACCOUNT_EMAIL_ELSEWHERE = (
    "{name}'s account is also a PCT board member's, SHA staff's or the national team's, and "
    "whoever has its e-mail address can reset its password, so the address is not changed "
    "here. To move that access to a new address, remove it and invite the new address where "
    "it is given (the board's, the SHA's or the national team's accounts page)."
)


def external_organisation_create(*, name: str, sector: str, country: str) -> ExternalOrganisation:
    """Add an organisation outside the NHS (an international reviewer's health system or
    another industry), which every SHA may then give its people. A name already listed, in
    any case, is refused and named."""
    name, sector, country = (v.strip() for v in (name, sector, country))
    taken = ExternalOrganisation.objects.filter(name__iexact=name).first()
    if taken is not None:
        raise ValidationError({"name": [f"{taken.name} is already listed."]})
    organisation = ExternalOrganisation(name=name, sector=sector, country=country)
    organisation.full_clean()
    organisation.save()
    return organisation


def _history(*, person: Person, action: str, by, note: str = "") -> None:
    row = PersonChange(person=person, action=action, changed_by=by, note=note)
    row.full_clean()
    row.save()


def _email_free(*, email: str, person: Person) -> None:
    """Refuse an e-mail address another person on the list already has, or that an account
    belonging to another person uses (the person's own is fine). An account of nobody on
    the list (a board member's, SHA staff's) is fine: inviting links the person to it."""
    if not email:
        return
    others = Person.objects.exclude(pk=person.pk) if person.pk else Person.objects.all()
    twin = others.filter(email__iexact=email).first()
    if twin is not None:
        raise ValidationError(
            {"email": [f"{email} is already the address of {twin.full_name} on the people list."]}
        )
    account = email_in_use(email, exclude_pk=person.user_id)
    if account is not None and others.filter(user=account).exists():
        raise ValidationError(
            {"email": [f"The e-mail address {email} is already used by another account."]}
        )
    # An account of nobody on the list may hold the person's place only where inviting
    # would take it: said now, not at the invitation (walk L: such people stayed on the
    # list, never to be invited).
    refusal = _link_refusal(person, account) if account is not None else ""
    if refusal:
        raise ValidationError({"email": [refusal]})


def _name_checked(full_name: str) -> str:
    full_name = full_name.strip()
    if has_controls(full_name):
        raise ValidationError(
            {
                "full_name": "Enter their name without control characters, direction marks "
                "or invisible characters (such as NUL, a right-to-left override or a "
                "zero-width space)."
            }
        )
    return full_name


@transaction.atomic
def person_create(
    *,
    full_name: str,
    email: str,
    job_role: str,
    job_title: str = "",
    sha: StrategicHealthAuthority | None = None,
    pct: PrimaryCareTrust | None = None,
    external_organisation: ExternalOrganisation | None = None,
    by: AbstractBaseUser | None,
) -> Person:
    """Add a person, affiliated with exactly one organisation. Writes a ``PersonChange``."""
    person = Person(
        full_name=_name_checked(full_name),
        email=email.strip(),
        job_role=job_role,
        job_title=job_title.strip(),
        sha=sha,
        pct=pct,
        external_organisation=external_organisation,
    )
    _email_free(email=person.email, person=person)
    person.full_clean()
    person.save()
    _history(person=person, action=PersonChange.Action.ADDED, by=by)
    return person


@transaction.atomic
def person_update(
    *,
    person: Person,
    full_name: str,
    email: str,
    job_role: str,
    job_title: str = "",
    sha: StrategicHealthAuthority | None = None,
    pct: PrimaryCareTrust | None = None,
    external_organisation: ExternalOrganisation | None = None,
    by: AbstractBaseUser | None,
    expected_version: int | None = None,
    conflicts_confirmed: bool = False,
) -> Person:
    """Change a person's details; their account's e-mail address and name follow theirs, and
    a changed address's old one is told (``notify_email_changed``). Writes a
    ``PersonChange`` naming the fields that changed (nothing when none did).
    ``ConflictError`` when the person is no longer at ``expected_version``
    (:func:`person_version`): changed in another window since the page was opened, whose
    change this one would undo unseen (the concurrency walk).

    A new organisation or job role that makes a seat they hold on a panel not yet at
    moderation one they may no longer hold (their own PCT's panel, say) is refused with
    ``SeatsMadeIneligible`` unless ``conflicts_confirmed``; confirmed, the history row names
    each such seat and the rule (walk AC: Mark Ellis moved to the PCT whose panel he sat
    on, and nothing said so). A person invited who has not set a password yet whose address
    changes is sent a new invitation at the new one (``person_invite_pending``): the link
    at the old address stopped working with the change (walk AC)."""
    if expected_version is not None and person_version(person) != expected_version:
        raise ConflictError(f"{person.full_name}'s details changed.", current=person)
    new = {
        "full_name": _name_checked(full_name),
        "email": email.strip(),
        "job_role": job_role,
        "job_title": job_title.strip(),
        "sha": sha,
        "pct": pct,
        "external_organisation": external_organisation,
    }
    changed = [name for name, value in new.items() if getattr(person, name) != value]
    if not changed:
        return person
    conflicts: list[SeatConflict] = []
    if ELIGIBILITY_FIELDS & set(changed):
        after = copy.copy(person)
        for name, value in new.items():
            setattr(after, name, value)
        conflicts = seats_made_ineligible(person=person, changed=after)
        if conflicts and not conflicts_confirmed:
            raise SeatsMadeIneligible(conflicts)
    reinvite = "email" in changed and person_invite_pending(person)
    was = _details(person)
    for name, value in new.items():
        setattr(person, name, value)
    if "email" in changed:
        if person.user_id is not None and not person.email:
            raise ValidationError(
                {"email": ["This person has an account: their e-mail address is needed."]}
            )
        _email_free(email=person.email, person=person)
        if person.user_id is not None and account_serves_beyond_panels(person):
            # Whoever has an account's address can reset its password: the people list may
            # not hand a board's, SHA staff's or the national team's account to a new address
            # (the review: SHA staff could so take over a board account of another region).
            raise ValidationError(
                {"email": [ACCOUNT_EMAIL_ELSEWHERE.format(name=person.full_name)]}
            )
        account = (
            email_in_use(person.email, exclude_pk=person.user_id)
            if person.user_id is not None and person.email
            else None
        )
        if account is not None:  # the concurrency walk: a takeover through a shared address
            raise ValidationError(
                {
                    "email": [
                        f"The e-mail address {person.email} is another account's: two "
                        "accounts may not share one, since each gets set-password links at it."
                    ]
                }
            )
    person.full_clean()
    person.save(
        update_fields=[
            "full_name",
            "email",
            "job_role",
            "job_title",
            "sha",
            "pct",
            "external_organisation",
        ]
    )
    if person.user_id is not None and {"email", "full_name"} & set(changed):
        # The account follows: its address (where its set-password links go) and its name,
        # split as the invitation splits it (walk Y: "Welcome, <old name>" after an edit).
        user = person.user
        user.email = person.email
        first, last = name_parts(person.full_name)
        # The account's names hold 150 characters each; the people list keeps the whole.
        user.first_name, user.last_name = first[:150], last[:150]
        user.save(update_fields=["email", "first_name", "last_name"])
    # The old address is told of the change, unless the account was never taken up: then
    # the old one was the mistyped address a stranger may hold, who must not learn the new
    # one (review AE); the new invitation goes to the new address instead.
    told_old = person.user_id is not None and "email" in changed and was["E-mail address"]
    if told_old and not reinvite:
        notify_email_changed(person=person, old_email=was["E-mail address"], by=by)
    now = _details(person)
    _history(
        person=person,
        action=PersonChange.Action.EDITED,
        by=by,
        note="\n".join(
            [
                *(
                    f"{label}: {was[label] or NONE} → {now[label] or NONE}"
                    for label in DETAIL_LABELS
                    if was[label] != now[label]
                ),
                *(_conflict_line(conflict) for conflict in conflicts),
            ]
        ),
    )
    if reinvite and person.email:
        account_reinvite(user=person.user, by=by, purpose=PANEL_MEMBER)
        _history(
            person=person,
            action=PersonChange.Action.INVITED,
            by=by,
            note=f"Sent a new link to set a password to {person.email}: the link sent to "
            f"{was['E-mail address']} stopped working when the address changed.",
        )
    return person


def person_invite_pending(person: Person) -> bool:
    """Invited, the account's password not set yet, and both still active: a set-password
    link is out, at the person's address (needs ``user`` loaded or loads it)."""
    return (
        person.is_active
        and person.user_id is not None
        and person.user.is_active
        and not person.user.has_usable_password()
    )


def _conflict_line(conflict: SeatConflict) -> str:
    """How an edit's history row names a seat it made a conflict, confirmed by ``by``."""
    assessment, seat_type = conflict.assessment, conflict.seat.seat_type
    return (
        f"Confirmed though it makes a conflict: seat {seat_type.number} ({seat_type.name}) on "
        f"the panel of {assessment.pct.name} ({assessment.round.slug}). {conflict.why}"
    )


# How an edit's history row names each detail, in the order of the form; an empty value
# reads as NONE (walk U: the row said only which fields changed, so the old address, name
# or organisation was lost).
DETAIL_LABELS = ("Name", "E-mail address", "Organisation", "Job role", "Job title")
NONE = "—"


def _details(person: Person) -> dict[str, str]:
    """The person's details as the history row of an edit writes them, by label."""
    organisation = person.sha or person.pct or person.external_organisation
    return dict(
        zip(
            DETAIL_LABELS,
            (
                person.full_name,
                person.email,
                str(organisation) if organisation is not None else "",
                person.get_job_role_display(),
                person.job_title,
            ),
            strict=True,
        )
    )


@transaction.atomic
def person_invite(
    *, person: Person, by: AbstractBaseUser | None, username: str | None = None
) -> Invitation:
    """Make the person's account and e-mail them the link to set their password; a person
    invited before who never set a password gets a fresh link.

    When an account already uses the person's address (a board member's, SHA staff's), the
    person is linked to it instead (a fresh link too if it never set a password). Refused
    (``ValidationError``) for a deactivated person or account, a person with no e-mail
    address, one who already has a working account, or an address another person's
    account uses (the message names it). Writes a ``PersonChange`` (invited).
    """
    if not person.is_active:
        raise ValidationError(f"{person.full_name} is deactivated: reactivate them first.")
    account = email_in_use(person.email) if person.user_id is None and person.email else None
    if person.user_id is not None:
        invitation = account_reinvite(user=person.user, by=by, purpose=PANEL_MEMBER)
        note = "Sent a new link to set a password."
    elif account is not None:
        # Their address already has an account (a board member's, say): it becomes theirs
        # here too, rather than a second account for the same person.
        _email_free(email=person.email, person=person)
        if not account.is_active:
            raise ValidationError(
                {"email": [f"The account that uses {person.email} is deactivated."]}
            )
        refusal = _link_refusal(person, account)
        if refusal:
            raise ValidationError({"email": [refusal]})
        person.user = account
        person.save(update_fields=["user"])
        if account.has_usable_password():
            invitation = Invitation(user=account, link="")
        else:
            invitation = account_reinvite(user=account, by=by, purpose=PANEL_MEMBER)
        note = f"Linked to the existing account {account.get_username()}."
    else:
        if not person.email:
            raise ValidationError(
                {"email": [f"{person.full_name} has no e-mail address: add one first."]}
            )
        first_name, last_name = name_parts(person.full_name)
        invitation = account_invite(
            username=username or username_for(person.full_name),
            email=person.email,
            first_name=first_name,
            last_name=last_name,
            by=by,
            purpose=PANEL_MEMBER,
        )
        person.user = invitation.user
        person.save(update_fields=["user"])
        note = f"Account {invitation.user.get_username()} made."
    _history(person=person, action=PersonChange.Action.INVITED, by=by, note=note)
    return invitation


def _link_refusal(person: Person, account) -> str:
    """Why ``person``'s place on the people list may not be held by ``account`` (the
    account already using their address), or "": an account of the national team, who
    cross-check the panels, never sits on one; SHA staff or a board's account is linked
    only to a person of that same SHA or PCT, so that the list does not hand one
    organisation's account to a person said to be of another."""
    # Neither the account's username nor whose it is (walk L: SHA staff learnt another
    # region's accounts by trying addresses).
    for role in Role.objects.filter(user=account).select_related("sha", "pct"):
        if role.kind == Role.Kind.NATIONAL:
            return (
                f"{person.email} is the address of an account of the national assurance "
                "team, who cross-check the panels: that account cannot sit on a panel. Use "
                "the person's own address."
            )
        same = (
            person.sha_id == role.sha_id
            if role.kind == Role.Kind.SHA_STAFF
            else person.pct_id == role.pct_id
        )
        if not same:
            return (
                f"{person.email} is the address of an account of another organisation than "
                f"{person.organisation}, where {person.full_name} is listed: use the person's "
                "own address, or correct their organisation."
            )
    return ""


# What the deactivate page asks for when no reason is given.
DEACTIVATE_REASON_MISSING = "Give the reason for deactivating them."


@transaction.atomic
def person_deactivate(*, person: Person, reason: str, by: AbstractBaseUser | None) -> Person:
    """No longer offered for new seats, and their account (if any) can no longer log in,
    unless it is also the national team's, SHA staff's or a board's: the people list only
    takes the person off it then (the account's roles are removed on their own pages).
    The seats they hold stay theirs. ``reason`` is kept as the ``PersonChange`` note (the
    account kept, if it is, said after it), which the history of each panel they sit on
    shows. Each chair of a panel scoring or at consensus that now waits for them is
    e-mailed once, with the reason; where they chair it themselves, the region's SHA staff
    are (``notify_person_deactivated``), once the change commits. Refused if already
    deactivated, or with no reason."""
    if not person.is_active:
        raise ValidationError(f"{person.full_name} is already deactivated.")
    reason = checked_reason(reason, missing=DEACTIVATE_REASON_MISSING)
    # Claimed in the database, not judged on the copy in hand: two confirmations (a
    # double click, two tabs) deactivate once, with one history row and one set of e-mails.
    if not Person.objects.filter(pk=person.pk, is_active=True).update(is_active=False):
        raise ValidationError(f"{person.full_name} is already deactivated.")
    person.is_active = False
    kept = account_serves_beyond_panels(person)
    if person.user_id is not None and not kept:
        account_deactivate(user=person.user, by=by)
    note = reason
    if kept:
        note += f"\n\nAccount {person.user.get_username()} kept: it holds other roles."
    _history(person=person, action=PersonChange.Action.DEACTIVATED, by=by, note=note)
    notify_person_deactivated(
        person=person, told=deactivation_told(person=person), by=by, reason=reason, kept=kept
    )
    return person


@transaction.atomic
def person_reactivate(*, person: Person, by: AbstractBaseUser | None) -> Person:
    """Offered for seats again, and their account can log in again (an account with other
    roles was never stopped here, and is left as it is)."""
    if not Person.objects.filter(pk=person.pk, is_active=False).update(is_active=True):
        raise ValidationError(f"{person.full_name} is already active.")
    person.is_active = True
    if person.user_id is not None and not account_serves_beyond_panels(person):
        account_reactivate(user=person.user, by=by)
    _history(person=person, action=PersonChange.Action.REACTIVATED, by=by)
    return person
