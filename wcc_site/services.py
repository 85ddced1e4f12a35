"""The site's own writes: a person's own account (their name). Composes the apps: a person
on the people list is renamed there (``panels.services.people.person_update``, whose
history row and account follow), anyone else on their account
(``assessments.accounts.account_rename``)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format

from assessments.accounts import account_rename
from assessments.exceptions import ConflictError
from panels.models import Person
from panels.services.people import person_update
from wcc_site.account_selectors import name_changed_by, own_name


@transaction.atomic
def account_name_change(
    *, user: AbstractBaseUser, full_name: str, seen_name: str | None = None
) -> None:
    """The signed-in user changes their own name: on the people list (a ``PersonChange``,
    the account's first and last names following) if they are on it, else on their
    account (an ``AccountChange``). Their e-mail address, organisation and job are not
    theirs to change here.

    ``seen_name``: the name their page showed. ``ConflictError`` (``current``: the name
    now) when it has changed since, in another window or by SHA staff editing the person
    (``person_update``), saying to what, by whom and when: saving would undo it unseen."""
    person = Person.objects.select_for_update().filter(user=user).first()
    now = own_name(user, person)
    if seen_name is not None and seen_name != now:
        raise ConflictError(_changed_since(user, person, now), current=now)
    if person is None:
        account_rename(user=user, full_name=full_name, by=user)
        return
    person_update(
        person=person,
        full_name=full_name,
        email=person.email,
        job_role=person.job_role,
        job_title=person.job_title,
        sha=person.sha,
        pct=person.pct,
        external_organisation=person.external_organisation,
        by=user,
    )


def _changed_since(user: AbstractBaseUser, person: Person | None, now: str) -> str:
    """ "Your name was changed to “Ruth Okafor-Bell” on 7 December 2026 at 22:40 by Sam
    Staff, since you opened this page." """
    by, at = name_changed_by(user, person)
    if by is None:
        who = ""
    elif by.pk == user.pk:
        who = " by you in another window or browser"
    else:
        who = f" by {by.get_full_name() or by.get_username()}"
    if at is None:
        when = ""
    else:
        local = timezone.localtime(at)
        when = f" on {date_format(local, 'j F Y')} at {local:%H:%M}"
    return f"Your name was changed to “{now or 'nothing'}”{when}{who}, since you opened this page."
