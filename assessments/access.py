"""The access layer: what a user may see, and how a view says what it needs.

Two halves, used by every app's views:

- **Each view states its permission once**, with :func:`view_access` (a decorator on the
  view function, or on ``as_view()`` in a URLconf). It names the permission (a
  django-rules permission from an app's ``rules.py``), how the object is found from the
  URL (a *lookup*: a function of the URL's keyword arguments that returns the object or
  ``None``), and optionally a second permission for changes. The decorator fetches the
  object, answers 404 when it does not exist or the user lacks the permission (so nothing
  leaks, not even whether it exists), answers 403 when the user may see it but a POST
  needs the change permission they lack, and calls the view with the object. The
  declaration is kept on the view (``view.access``), so ``tests/test_access.py`` walks
  the URL resolver and fails for any view that declares none.
- **Each entity has one scoped selector** that answers "which of these may this user
  see" as a queryset (``assessments_visible_to``, ``regions_visible_to``,
  ``rounds_visible_to`` here; ``panels.access.panels_visible_to``), for list pages.
  Tests hold each selector to the same answer as its permission, object by object.

Lookups for the entities of this app (rounds, SHAs, PCTs' assessments, evidence) live
here; ``panels.access`` adds the panel's. Views never write their own fetch-or-404.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from assessments.models import (
    Assessment,
    AssessmentRound,
    EvidenceDocument,
    PrimaryCareTrust,
    Role,
    StrategicHealthAuthority,
)
from assessments.selectors import user_scope
from competencies.models import Competency, GovernanceArea

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Lookup = Callable[..., object | None]


@dataclass(frozen=True)
class Access:
    """What a view declared: read by the decorator and by the resolver test."""

    perm: str
    lookup: Lookup | None
    change: str | None
    change_always: bool
    public: bool

    @property
    def lookup_kwargs(self) -> frozenset[str]:
        if self.lookup is None:
            return frozenset()
        return frozenset(inspect.signature(self.lookup).parameters)


def view_access(
    perm: str,
    *,
    lookup: Lookup | None = None,
    change: str | None = None,
    change_always: bool = False,
    public: bool = False,
):
    """Declare a view's permission, and fetch its object in the user's scope or 404.

    ``perm``: needed for every request (on the looked-up object, if any);
    ``assessments.signed_in`` for pages that list only the user's own work and
    ``assessments.anyone`` for public pages with no object. ``lookup``: takes
    the URL keyword arguments it names and returns the object or ``None``; the view is
    called as ``view(request, obj, **other_kwargs)``. ``change``: also needed for unsafe
    methods (POST); without it the answer is 403, since the user may see the object;
    ``change_always`` needs it for every method (a page that is nothing but its form).
    ``public``: the view is open to anonymous visitors (``perm`` still applies, e.g. an
    embargo that lifts at publication).
    """
    access = Access(
        perm=perm, lookup=lookup, change=change, change_always=change_always, public=public
    )
    wanted = access.lookup_kwargs

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            obj = None
            if lookup is not None:
                obj = lookup(**{k: v for k, v in kwargs.items() if k in wanted})
                if obj is None:
                    raise Http404("Not found.")
                kwargs = {k: v for k, v in kwargs.items() if k not in wanted}
            if not request.user.has_perm(perm, obj):
                raise Http404("Not found.")
            if (
                change is not None
                and (change_always or request.method not in SAFE_METHODS)
                and not request.user.has_perm(change, obj)
            ):
                raise PermissionDenied("You may see this but not change it.")
            if lookup is not None:
                return view(request, obj, *args, **kwargs)
            return view(request, *args, **kwargs)

        wrapped.access = access
        return login_not_required(wrapped) if public else wrapped

    return decorator


def explained_404(explain: Callable):
    """A view whose 404 is explained to those it concerns: on the view's ``Http404``,
    ``explain(request, round_slug=…, ods=…)`` (the URL's keyword arguments) returns a page
    to answer with (its status 404), raises ``Http404`` with its own words, or returns None
    for the bare 404 as before. For old links: a replaced panel member's, a board's after
    the round's opening was taken back."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except Http404:
                answer = explain(request, **kwargs)
                if answer is None:
                    raise
            return answer

        return wrapped

    return decorator


# --- Lookups: an object from the URL, or None ------------------------------------------


def round_by_slug(*, round_slug: str) -> AssessmentRound | None:
    return (
        AssessmentRound.objects.select_related("framework", "previous__framework")
        .filter(slug=round_slug)
        .first()
    )


@dataclass(frozen=True)
class RoundItem:
    """A competency or governance area of a round's framework: the object of its edit page."""

    round: AssessmentRound
    item: Competency | GovernanceArea


def round_competency(*, round_slug: str, number: int) -> RoundItem | None:
    round_ = round_by_slug(round_slug=round_slug)
    if round_ is None:
        return None
    competency = (
        Competency.objects.filter(framework_id=round_.framework_id, number=number)
        .prefetch_related("levels")
        .first()
    )
    return None if competency is None else RoundItem(round=round_, item=competency)


def round_area(*, round_slug: str, area_code: str) -> RoundItem | None:
    round_ = round_by_slug(round_slug=round_slug)
    if round_ is None:
        return None
    area = (
        GovernanceArea.objects.filter(framework_id=round_.framework_id, code=area_code)
        .prefetch_related("sub_indicators")
        .first()
    )
    return None if area is None else RoundItem(round=round_, item=area)


def pct_by_code(*, ods: str) -> PrimaryCareTrust | None:
    return PrimaryCareTrust.objects.select_related("sha").filter(ods_code=ods.upper()).first()


def sha_by_code(*, sha_code: str) -> StrategicHealthAuthority | None:
    return StrategicHealthAuthority.objects.filter(ods_code=sha_code.upper()).first()


def board_role(*, ods: str, pk: int) -> Role | None:
    """The board role of account ``pk`` for the PCT ``ods``. (``user__pk``, here and below,
    not ``user_id``: Django finds no row for a number too large for the column when the
    lookup is on the key itself, where ``user_id`` raises ``OverflowError`` on SQLite.)"""
    roles = Role.objects.select_related("user", "pct__sha")
    return roles.filter(kind=Role.Kind.PCT_BOARD, pct__ods_code=ods.upper(), user__pk=pk).first()


def staff_role(*, sha_code: str, pk: int) -> Role | None:
    """The SHA staff role of account ``pk`` for the SHA ``sha_code``."""
    roles = Role.objects.select_related("user", "sha")
    return roles.filter(
        kind=Role.Kind.SHA_STAFF, sha__ods_code=sha_code.upper(), user__pk=pk
    ).first()


def national_role(*, pk: int) -> Role | None:
    """The national team role of account ``pk``."""
    return Role.objects.select_related("user").filter(kind=Role.Kind.NATIONAL, user__pk=pk).first()


def assessment_by_pct(*, round_slug: str, ods: str) -> Assessment | None:
    """A round's assessment of a PCT (ODS code case-insensitive), with what pages show."""
    return (
        Assessment.objects.select_related("round__framework", "round__previous", "pct__sha")
        .filter(round__slug=round_slug, pct__ods_code=ods.upper())
        .first()
    )


def document_by_pk(*, pk: int) -> EvidenceDocument | None:
    return (
        EvidenceDocument.objects.select_related("assessment__round", "assessment__pct__sha")
        .filter(pk=pk)
        .first()
    )


@dataclass(frozen=True)
class RegionRound:
    """One SHA in one round: the object of the regional pages' permissions."""

    round: AssessmentRound
    sha: StrategicHealthAuthority


def region_round(*, round_slug: str, sha_code: str) -> RegionRound | None:
    round_ = round_by_slug(round_slug=round_slug)
    sha = sha_by_code(sha_code=sha_code)
    if round_ is None or sha is None:
        return None
    return RegionRound(round=round_, sha=sha)


# --- Scoped selectors: which of these may the user see ---------------------------------


def assessments_visible_to(user) -> QuerySet[Assessment]:
    """The assessments whose PCT the user's roles reach (``assessments.view_pct``): every
    one for the national team, their region's for SHA staff, their own for a board."""
    scope = user_scope(user)
    assessments = Assessment.objects.select_related("round", "pct__sha")
    if scope.is_national:
        return assessments.all()
    if not scope.has_role:
        return assessments.none()
    return assessments.filter(Q(pct__sha_id__in=scope.sha_ids) | Q(pct_id__in=scope.pct_ids))


def regions_visible_to(user) -> QuerySet[StrategicHealthAuthority]:
    """The SHAs whose regional pages the user may open (``assessments.view_region``)."""
    scope = user_scope(user)
    shas = StrategicHealthAuthority.objects.order_by("name")
    if scope.is_national:
        return shas.all()
    return shas.filter(pk__in=scope.sha_ids)


def rounds_visible_to(user) -> QuerySet[AssessmentRound]:
    """The rounds whose results the user may see as a whole: the published ones for
    everyone; every round for the national team and SHA staff (their own region's part)."""
    scope = user_scope(user)
    rounds = AssessmentRound.objects.select_related("framework").order_by("-slug")
    if scope.is_national or scope.is_sha_staff:
        return rounds.all()
    return rounds.filter(published_at__lte=timezone.now())
