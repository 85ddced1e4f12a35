"""The PCTs whose board accounts a user keeps (``/boards/``), and a file of board members.

SHA staff give their region's PCTs' boards their accounts, the national team any PCT's;
the services and the accounts of one board are ``assessments.role_accounts``'
(``RoleScope.board``). Here: the PCTs in the user's scope, filtered, and how many board
accounts each has, a page at a time in a fixed number of queries; and a CSV of board
members (``ods_code, full_name, email``) previewed row by row, then applied all or nothing
once confirmed, only if it would still do what was previewed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from assessments.models import PrimaryCareTrust, Role, StrategicHealthAuthority
from assessments.organisations import PlanChangedError
from assessments.reference import read_csv_text
from assessments.role_accounts import (
    Counts,
    RoleScope,
    board_refusals,
    name_and_email_checked,
    role_counts,
    role_invite,
)
from assessments.selectors import user_scope
from competencies.reference import ReferenceDataError

__all__ = [
    "BoardFilePlan",
    "PlanChangedError",
    "board_counts",
    "board_file_apply",
    "board_file_plan",
    "board_pcts",
    "board_shas",
]

BOARD = Role.Kind.PCT_BOARD


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


def board_counts(pct_ids) -> dict[int, Counts]:
    """Per PCT of ``pct_ids``: its board accounts in use and those waiting (one query)."""
    return role_counts(Role.objects.filter(kind=BOARD, pct_id__in=list(pct_ids)), "pct_id")


# --- A file of board members --------------------------------------------------------------

BOARD_FILE_COLUMNS = ["ods_code", "full_name", "email"]
# Each row may make an account and queue an e-mail, all in the confirming request: about
# 9 ms a row on this machine (SQLite, 2,000 rows in 18 s), so 1,000 rows stay well inside
# gunicorn's 30 s timeout.
BOARD_FILE_MAX_ROWS = 1000


@dataclass(frozen=True)
class PlannedInvite:
    row: int
    pct: PrimaryCareTrust
    full_name: str
    email: str
    account: str  # the username of the account already using the address, or ""
    already: bool  # that account already has the board's access: nothing to do
    same_as: int | None = None  # a new address an earlier row gives an account: that row

    @property
    def what(self) -> str:
        if self.already:
            return f"Already has access ({self.account}): nothing to do"
        if self.account:
            return f"Their account {self.account} is given access and told"
        if self.same_as is not None:
            return f"The new account of row {self.same_as} is given access too"
        return "A new account, and a link to set a password"


@dataclass(frozen=True)
class BoardFilePlan:
    invites: list[PlannedInvite]
    errors: list[str]

    @property
    def to_do(self) -> list[PlannedInvite]:
        return [invite for invite in self.invites if not invite.already]

    @property
    def already(self) -> list[PlannedInvite]:
        return [invite for invite in self.invites if invite.already]

    @property
    def signature(self) -> str:
        """A digest of what would be done, so that confirming does only what was previewed."""
        data = [
            [i.row, i.pct.ods_code, i.full_name, i.email, i.account, i.same_as] for i in self.to_do
        ]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def board_file_plan(*, user, text: str, filename: str) -> BoardFilePlan:
    """What loading ``text`` (CSV: ``ods_code, full_name, email``, a row per person) would
    do for the boards of the PCTs ``user`` keeps, or every error in it, each naming its row
    and column; writes nothing. A fixed number of queries whatever the number of rows."""
    try:
        rows = read_csv_text(text, source=filename, required=BOARD_FILE_COLUMNS)
    except ReferenceDataError as exc:
        return BoardFilePlan(invites=[], errors=[str(exc)])
    if len(rows) > BOARD_FILE_MAX_ROWS:
        return BoardFilePlan(
            invites=[],
            errors=[
                f"{filename}: {len(rows):,} rows; load at most {BOARD_FILE_MAX_ROWS:,} at a "
                "time (split the file, by region say)."
            ],
        )
    codes = {(row.get("ods_code") or "").strip().upper() for _, row in rows}
    pcts = {p.ods_code: p for p in board_pcts(user).filter(ods_code__in=codes)}
    known = set(
        PrimaryCareTrust.objects.filter(ods_code__in=codes).values_list("ods_code", flat=True)
    )
    emails = {(row.get("email") or "").strip().lower() for _, row in rows}
    accounts = {  # by address in lower case; the oldest if two share one, as role_invite takes
        account.email.lower(): account
        for account in get_user_model()
        .objects.annotate(address=Lower("email"))
        .filter(address__in=emails - {""})
        .order_by("-pk")
    }
    holding = set(
        Role.objects.filter(
            kind=BOARD, user__in=accounts.values(), pct__in=pcts.values()
        ).values_list("user_id", "pct_id")
    )
    refused = board_refusals(accounts.values(), pcts.values())
    errors: list[str] = []
    invites: list[PlannedInvite] = []
    seen: dict[tuple[str, str], int] = {}
    new: dict[str, tuple[int, str]] = {}  # a new address: its first row and name
    for number, row in rows:
        where = f"{filename}: row {number}"
        code = (row.get("ods_code") or "").strip().upper()
        pct = pcts.get(code)
        problems = []  # every problem of the row, in the columns' order
        if pct is None:
            problems.append(
                f"{where}, column ods_code: {code or 'nothing'}: "
                + (
                    "not one of your region's open PCTs"
                    if code in known
                    else "no PCT has this ODS code"
                )
            )
        broken = [c for c in ("ods_code", "full_name", "email") if "\n" in (row.get(c) or "")]
        if broken:  # valid CSV, but a quote left open ran on to the row after it
            problems.append(
                f"{where}, column {broken[0]}: the value runs over more than one line, so a "
                'quote (") opened in it closes in a later row: close it in this row.'
            )
        else:
            try:
                full_name, email = name_and_email_checked(
                    row.get("full_name") or "", row.get("email") or ""
                )
            except ValidationError as exc:
                problems += [
                    f"{where}, column {field}: {message}"
                    for field, messages in exc.message_dict.items()
                    for message in messages
                ]
        if problems:
            errors += problems
            continue
        key = (code, email.lower())
        if key in seen:
            errors.append(
                f"{where}, column email: {email} for {code} is already in row {seen[key]}"
            )
            continue
        seen[key] = number
        account = accounts.get(email.lower())
        if account is not None and not account.is_active:
            errors.append(f"{where}, column email: the account that uses {email} is deactivated")
            continue
        if account is not None and (why := refused.get((account.pk, pct.pk))):
            errors.append(f"{where}, column email: {email} {why}")
            continue
        first = new.setdefault(email.lower(), (number, full_name)) if account is None else None
        if first is not None and first[0] != number and first[1].casefold() != full_name.casefold():
            errors.append(
                f"{where}, column full_name: {email} is {first[1]} in row {first[0]}; one "
                "address is one person's account"
            )
            continue
        invites.append(
            PlannedInvite(
                row=number,
                pct=pct,
                full_name=full_name,
                email=email,
                account=account.get_username() if account else "",
                already=account is not None and (account.pk, pct.pk) in holding,
                same_as=first[0] if first is not None and first[0] != number else None,
            )
        )
    if errors:
        return BoardFilePlan(invites=[], errors=errors)
    return BoardFilePlan(invites=invites, errors=[])


@transaction.atomic
def board_file_apply(*, user, text: str, filename: str, signature: str) -> BoardFilePlan:
    """Do what a previewed file says, all or nothing: planned again against the accounts as
    they are now, refused (``PlanChangedError``) unless that is still what was previewed
    (``signature``), or (``ValidationError``) if the file has errors. Each row is
    ``role_invite`` (its account, e-mail and history)."""
    plan = board_file_plan(user=user, text=text, filename=filename)
    if plan.errors:
        raise ValidationError(plan.errors)
    if plan.signature != signature:
        raise PlanChangedError(
            "The accounts have changed since the preview: nothing was done. Check the new "
            "preview and confirm again."
        )
    for invite in plan.to_do:
        role_invite(
            scope=RoleScope.board(invite.pct),
            full_name=invite.full_name,
            email=invite.email,
            by=user,
        )
    return plan
