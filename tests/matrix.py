"""The machinery of the permission matrix (``tests/test_permission_matrix.py``).

- :func:`every_url`: every URL pattern of the resolver, the admin's and Django's own
  included, named ``namespace:name`` (or by its route when it has no name), with the names
  of its keyword arguments;
- :data:`FILLERS`: how each keyword argument is filled with a real object of the subject
  (a new keyword argument with no filler fails the matrix, naming it);
- :func:`snapshot`: every row of every model (but sessions), to prove that a forged POST
  changed nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone


@dataclass(frozen=True)
class Url:
    name: str  # "namespace:name", the key of the matrix
    route: str
    kwargs: frozenset[str]
    callback: Callable


def every_url() -> list[Url]:
    """Every URL the resolver serves, in its order (a name served twice counts once: the
    first pattern wins, as in ``reverse``)."""
    seen: dict[str, Url] = {}
    for url in _walk(get_resolver()):
        seen.setdefault(url.name, url)
    return list(seen.values())


def _walk(resolver: URLResolver, prefix: str = "", ns: str = "", names=frozenset()) -> Iterator:
    for entry in resolver.url_patterns:
        captured = frozenset(names | set(entry.pattern.regex.groupindex))
        if isinstance(entry, URLResolver):
            inner = ns + (entry.namespace + ":" if entry.namespace else "")
            yield from _walk(entry, prefix + str(entry.pattern), inner, captured)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            name = ns + entry.name if entry.name else "route:" + route
            yield Url(name=name, route=route, kwargs=captured, callback=entry.callback)


# --- The subject: the objects whose URLs every persona requests ------------------------


@dataclass
class Subject:
    """One PCT's assessment in one round, with an object of each kind its URLs name."""

    round_slug: str
    ods: str
    sha_code: str
    evidence_pk: int
    person_pk: int
    rating_id: int
    comment_id: int
    area_code: str
    seat_number: int
    board_pk: int  # the account of the PCT's board (``board.<ods>``)
    staff_pk: int  # the account of the SHA's staff (``moderator.<sha>``)
    national_pk: int  # the national team's account (``national``)


def build_subject(round_slug: str = "2009-10", ods: str = "5ND") -> Subject:
    """The subject's objects, made where the demo has none (an evidence document and a
    factual-accuracy comment), inside the caller's transaction."""
    from assessments.models import (
        AgreedRating,
        Assessment,
        EvidenceDocument,
        FactualAccuracyComment,
    )
    from competencies.models import GovernanceArea
    from panels.models import Person

    assessment = Assessment.objects.select_related("pct__sha", "round").get(
        round__slug=round_slug, pct__ods_code=ods
    )
    sha = assessment.pct.sha
    board = get_user_model().objects.get(username=f"board.{ods.lower()}")
    document = assessment.evidence.first() or EvidenceDocument.objects.create(
        assessment=assessment,
        doc_type=EvidenceDocument.DocType.STRATEGIC_PLAN,
        title="Strategic plan (matrix)",
        file=ContentFile(b"Strategic plan\n", name="plan.txt"),
        uploaded_by=board,
    )
    rating = AgreedRating.objects.filter(assessment=assessment).order_by("pk").first()
    assert rating is not None, f"{ods} {round_slug} has no agreed ratings: choose another subject"
    # Answered: an unanswered comment would hold the PCT back from every published output.
    comment = assessment.factual_accuracy_comments.first() or (
        FactualAccuracyComment.objects.create(
            assessment=assessment,
            rating=rating,
            comment="Matrix comment.",
            raised_by=board,
            response="Matrix answer.",
            responded_by=get_user_model().objects.get(username=f"moderator.{sha.ods_code.lower()}"),
            responded_at=timezone.now(),
        )
    )
    person = Person.objects.filter(pct__sha=sha).order_by("pk").first()
    assert person is not None, f"nobody of {sha.ods_code} on the people list"
    area = GovernanceArea.objects.filter(framework_id=assessment.round.framework_id).first()
    return Subject(
        round_slug=round_slug,
        ods=ods,
        sha_code=sha.ods_code,
        evidence_pk=document.pk,
        person_pk=person.pk,
        rating_id=rating.pk,
        comment_id=comment.pk,
        area_code=area.code,
        seat_number=2,
        board_pk=board.pk,
        staff_pk=get_user_model().objects.get(username=f"moderator.{sha.ods_code.lower()}").pk,
        national_pk=get_user_model().objects.get(username="national").pk,
    )


def _pk(subject: Subject, url: Url):
    """``pk`` names a person on the people pages, the board's account on the board
    accounts pages and an evidence document elsewhere."""
    lookup = getattr(getattr(url.callback, "access", None), "lookup", None)
    if getattr(lookup, "__name__", "") == "person_by_pk":
        return subject.person_pk
    if url.name == "assessments:evidence_delete":  # the assessment, then its document
        return subject.evidence_pk
    # The accounts pages look up their group (PCT, SHA) and then the account in it.
    if url.name.startswith("boards:"):
        return subject.board_pk
    if url.name.startswith("staff:national_"):
        return subject.national_pk
    if url.name.startswith("staff:"):
        return subject.staff_pk
    if getattr(lookup, "__name__", "") in ("document_by_pk", "panel_document"):
        return subject.evidence_pk
    raise LookupError(f"{url.name}: which object does its `pk` name? Teach tests/matrix._pk")


# How each URL keyword argument is filled: a function of the subject and the URL. A URL
# with a keyword argument missing here fails the matrix, naming it.
FILLERS: dict[str, Callable[[Subject, Url], object]] = {
    "round_slug": lambda s, u: s.round_slug,
    "ods": lambda s, u: s.ods,
    "sha_code": lambda s, u: s.sha_code,
    "pk": _pk,
    "number": lambda s, u: s.seat_number,  # a seat, or a competency (c2)
    "area_code": lambda s, u: s.area_code,
    "rating_id": lambda s, u: s.rating_id,
    "comment_id": lambda s, u: s.comment_id,
    # Django's password-reset link: a made-up one (the page says the link is invalid).
    "uidb64": lambda s, u: "MQ",
    "token": lambda s, u: "set-password",
    # The admin's: the result models' pages are requested by the embargo part.
    "app_label": lambda s, u: "assessments",
    "object_id": lambda s, u: "1",
    "id": lambda s, u: "1",
    "content_type_id": lambda s, u: "1",
    "url": lambda s, u: "nowhere/",
}


def path_of(url: Url, subject: Subject) -> str:
    missing = sorted(url.kwargs - set(FILLERS))
    if missing:
        raise LookupError(
            f"{url.name} ({url.route}): no filler for {missing}: add one to tests/matrix.FILLERS"
        )
    kwargs = {name: FILLERS[name](subject, url) for name in url.kwargs}
    if url.name.startswith("route:"):  # the admin's unnamed redirects: fill the route
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), url.route)
    return reverse(url.name, kwargs=kwargs)


# A forged POST: the fields the site's forms and confirmation pages read, filled plausibly
# (so that a view whose check came too late would act on it).
FORGED = {
    "confirm": "1",
    "action": "confirm",
    "decision": "confirm",
    "comment": "Forged.",
    "reason": "Forged.",
    "response": "Forged.",
    "value": "4",
    "level": "4",
    "light": "green",
    "version": "1",
    "working_days": "5",
    "published_at": "2010-06-01T09:00",
    "token": "forged",
    "signature": "forged",
    "filename": "forged.csv",
    "text": "ods_code,name\n",
    "name": "Forged",
    "slug": "2010-11",
    "email": "forged@example.org",
    "full_name": "Forged Person",
    "agreed": "on",
    "next": "/",
}


# --- Did anything change? -----------------------------------------------------------------


# Not compared: the sessions, and django-axes' log of logins and logouts (the POST to
# ``logout`` logs the persona out, which axes records, as it should).
NOT_COMPARED = ("sessions.Session", "axes.AccessLog", "axes.AccessAttempt", "axes.AccessFailureLog")


def snapshot() -> dict[str, str]:
    """A digest of every row of every model but :data:`NOT_COMPARED`, per model: cheap
    enough to take before and after a persona's forged POSTs, and it misses no column."""
    digests = {}
    for model in apps.get_models():
        if model._meta.label in NOT_COMPARED:
            continue
        rows = model._default_manager.order_by("pk").values_list()
        digest = hashlib.sha256()
        for row in rows.iterator(chunk_size=2000):
            digest.update(repr(row).encode())
        digests[model._meta.label] = digest.hexdigest()
    return digests
