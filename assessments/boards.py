"""The list of PCTs whose board accounts a user keeps (``/boards/``).

SHA staff give their region's PCTs' boards their accounts, the national team any PCT's;
the services and the accounts of one board are ``assessments.role_accounts``'
(``RoleScope.board``). Here: the PCTs in the user's scope, filtered, and how many board
accounts each has, a page at a time in a fixed number of queries.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from assessments.models import PrimaryCareTrust, Role, StrategicHealthAuthority
from assessments.role_accounts import Counts, role_counts
from assessments.selectors import user_scope

__all__ = ["board_counts", "board_pcts", "board_shas"]

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
