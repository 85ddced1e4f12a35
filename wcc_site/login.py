"""What the login page says to a deactivated account that gave its right password.

Read only after Django's authentication failed and the password was checked against the
deactivated account (``wcc_site.forms.WccAuthenticationForm``): a wrong password never
reaches here, so the page tells nobody else that the account exists.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.formats import date_format

from assessments.models import AccountChange, Role, StrategicHealthAuthority
from panels.models import Person


def deactivated_user(*, username: str, password: str) -> AbstractBaseUser | None:
    """The deactivated account of ``username`` when ``password`` is its password, else
    None (an active account, no such account, or the wrong password)."""
    user_model = get_user_model()
    user = user_model._default_manager.filter(
        **{user_model.USERNAME_FIELD: username}, is_active=False
    ).first()
    if user is None:
        # As Django's ModelBackend does: hash anyway, so that the time taken does not say
        # whether a deactivated account of that name exists.
        user_model().set_password(password)
        return None
    return user if user.check_password(password) else None


def account_sha(user: AbstractBaseUser) -> StrategicHealthAuthority | None:
    """The SHA whose staff look after the account: its person's on the people list (their
    SHA, or their PCT's), else its SHA staff or board role's; None for the national team
    or a person of an organisation outside the NHS."""
    person = Person.objects.filter(user=user).select_related("sha", "pct__sha").first()
    if person is not None and (person.sha or person.pct):
        return person.sha or person.pct.sha
    for role in Role.objects.filter(user=user).select_related("sha", "pct__sha"):
        if role.sha is not None or role.pct is not None:
            return role.sha or role.pct.sha
    return None


def deactivated_message(user: AbstractBaseUser) -> str:
    """ "This account was deactivated on 7 December 2026. If you need it again, ask the staff
    of the West Midlands SHA." (the date of its last deactivation, when recorded)."""
    change = (
        AccountChange.objects.filter(user=user, action=AccountChange.Action.DEACTIVATED)
        .order_by("-changed_at", "-pk")
        .first()
    )
    when = (
        f" on {date_format(timezone.localtime(change.changed_at), 'j F Y')}"
        if change is not None
        else ""
    )
    sha = account_sha(user)
    who = f"the staff of the {sha.name} SHA" if sha is not None else "your SHA's staff"
    return f"This account was deactivated{when}. If you need it again, ask {who}."
