"""The site's own writes: a person's own account (their name). Composes the apps: a person
on the people list is renamed there (``panels.services.people.person_update``, whose
history row and account follow), anyone else on their account
(``assessments.accounts.account_rename``)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from assessments.accounts import account_rename
from panels.models import Person
from panels.services.people import person_update


@transaction.atomic
def account_name_change(*, user: AbstractBaseUser, full_name: str) -> None:
    """The signed-in user changes their own name: on the people list (a ``PersonChange``,
    the account's first and last names following) if they are on it, else on their
    account (an ``AccountChange``). Their e-mail address, organisation and job are not
    theirs to change here."""
    person = Person.objects.select_for_update().filter(user=user).first()
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
