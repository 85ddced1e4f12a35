"""The access layer (``assessments.access``): every URL declares its permission, and each
scoped selector answers exactly as its permission does, object by object."""

import inspect

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.urls import URLPattern, URLResolver, get_resolver

from assessments.access import (
    Access,
    assessments_visible_to,
    regions_visible_to,
    rounds_visible_to,
)
from assessments.models import Assessment, AssessmentRound, StrategicHealthAuthority
from panels.access import panels_visible_to, people_visible_to
from panels.models import Panel, Person

# URLs whose views are Django's own, with their own access rules: the admin (its URL
# namespace: staff only, with the admin's own permissions) and the password pages of
# django.contrib.auth.
ADMIN_NAMESPACE = "admin"
THIRD_PARTY = ("django.contrib.auth.views",)


def _patterns(resolver: URLResolver, prefix: str = "", names: frozenset = frozenset()):
    """``(route, pattern, names of the URL's keyword arguments)`` for every URL of ours."""
    for entry in resolver.url_patterns:
        captured = names | set(entry.pattern.regex.groupindex)
        if isinstance(entry, URLResolver):
            if entry.namespace == ADMIN_NAMESPACE:
                continue
            yield from _patterns(entry, prefix + str(entry.pattern), frozenset(captured))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry, captured


def _view_module(callback) -> str:
    view_class = getattr(callback, "view_class", None)
    return (view_class or callback).__module__


def _our_patterns(with_names: bool = False):
    for route, entry, names in _patterns(get_resolver()):
        if not _view_module(entry.callback).startswith(THIRD_PARTY):
            yield (route, entry, names) if with_names else (route, entry)


def test_every_url_of_ours_declares_its_permission():
    undeclared = [
        route
        for route, entry in _our_patterns()
        if not isinstance(getattr(entry.callback, "access", None), Access)
    ]

    assert undeclared == []


def test_the_walk_finds_the_urls_of_every_app():
    routes = [route for route, _entry in _our_patterns()]

    # A resolver walk that silently found nothing would pass the test above.
    assert len(routes) > 40
    assert {r.split("/")[0] for r in routes} >= {"", "healthz", "panels", "reports", "api"}


def test_every_lookup_is_given_what_it_asks_for_by_its_url():
    mismatched = []
    for route, entry, names in _our_patterns(with_names=True):
        access = entry.callback.access
        if access.lookup is None:
            continue
        wanted = set(inspect.signature(access.lookup).parameters)
        if not wanted <= names:
            mismatched.append((route, sorted(wanted - names)))

    assert mismatched == []


def test_every_declared_permission_exists():
    import rules

    unknown = sorted(
        {
            name
            for _route, entry in _our_patterns()
            for name in (entry.callback.access.perm, entry.callback.access.change)
            if name is not None and not rules.perm_exists(name)
        }
    )

    assert unknown == []


def test_public_urls_are_exactly_the_declared_ones():
    public = sorted(
        route
        for route, entry in _our_patterns()
        if getattr(entry.callback, "login_required", True) is False
    )
    declared = sorted(route for route, entry in _our_patterns() if entry.callback.access.public)

    assert public == declared


# --- Scoped selectors answer as their permissions ------------------------------------------

PERSONAS = [
    "national",
    "moderator.q34",
    "moderator.q30",
    "chair.q34",
    "board.5pg",
    "board.5nd",
    "anonymous",
]


def _user(username: str):
    if username == "anonymous":
        return AnonymousUser()
    return User.objects.get(username=username)


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_assessments_visible_to_matches_view_pct(demo, username):
    user = _user(username)
    expected = {a.pk for a in Assessment.objects.all() if user.has_perm("assessments.view_pct", a)}

    assert set(assessments_visible_to(user).values_list("pk", flat=True)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_regions_visible_to_matches_view_region(demo, username):
    user = _user(username)
    expected = {
        s.pk
        for s in StrategicHealthAuthority.objects.all()
        if user.has_perm("assessments.view_region", s)
    }

    assert set(regions_visible_to(user).values_list("pk", flat=True)) == expected


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_panels_visible_to_matches_view_panel(demo, username):
    user = _user(username)
    expected = {
        p.pk
        for p in Panel.objects.select_related("assessment__pct")
        if user.has_perm("panels.view_panel", p)
    }

    assert set(panels_visible_to(user).values_list("pk", flat=True)) == expected
    if username in ("chair.q34", "moderator.q34", "national"):
        assert expected  # the persona reaches some panels: the comparison means something


@pytest.mark.django_db
@pytest.mark.parametrize("username", PERSONAS)
def test_people_visible_to_matches_view_person(demo, username):
    user = _user(username)
    expected = {
        p.pk for p in Person.objects.select_related("pct") if user.has_perm("panels.view_person", p)
    }

    assert set(people_visible_to(user).values_list("pk", flat=True)) == expected
    if username in ("moderator.q34", "national"):
        assert expected  # the persona reaches some people: the comparison means something


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("national", ["2009-10", "2008-09"]),
        ("moderator.q34", ["2009-10", "2008-09"]),
        ("board.5pg", ["2008-09"]),
        ("anonymous", ["2008-09"]),
    ],
)
def test_rounds_visible_to_are_the_published_ones_outside_the_process(demo, username, expected):
    assert list(rounds_visible_to(_user(username)).values_list("slug", flat=True)) == expected
    assert all(r.is_published() for r in AssessmentRound.objects.filter(slug__in=expected)) == (
        username in ("board.5pg", "anonymous")
    )
