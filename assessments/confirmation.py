"""The check-your-answers step before an action that cannot be undone (GOV.UK pattern).

A view's first POST (the user's choice) renders :func:`confirmation_page`: it says what
will happen and who will be told, and carries the choice in hidden fields with
``confirm=1`` to the same URL; only that confirming POST acts (:func:`confirmed`). "Go
back" returns to the page the choice was made on, and nothing has changed.

The page is ``templates/confirm.html``; a page that lists answers (a long form's) extends
it and fills its ``answers`` block.
"""

import secrets
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRM_FIELD = "confirm"


def confirmed(request: HttpRequest, field: str = CONFIRM_FIELD) -> bool:
    """Whether this POST is the confirming one (sent from the confirmation page)."""
    return request.POST.get(field, "") not in ("", "0")


# How many check pages' typed values a page keeps at once (tabs open on the same form).
TYPED_KEPT = 5
TYPED_PARAM = "typed"  # the "Go back" address's token of what was typed


def keep_typed(request: HttpRequest, page: str, **typed: str) -> str:
    """Keep what was typed on ``page`` (a key such as ``cross-check:2009-10``) for when the
    check page's "Go back" returns there: in the session, not the address, since a comment
    of a few thousand characters makes an address the server refuses (gunicorn's request
    line stops at 4,094 bytes). Kept under a token of its own, which the check page's "Go
    back" address carries (``confirmation_page`` adds it): another tab's fresh page of the
    same form shows what is stored, not this tab's unconfirmed values, and two tabs' "Go
    back" each restore their own (walk W). Returns the token."""
    token = secrets.token_urlsafe(8)
    kept = dict(request.session.get(f"typed:{page}") or {})
    kept[token] = typed
    request.session[f"typed:{page}"] = dict(list(kept.items())[-TYPED_KEPT:])
    request._typed_token = token
    return token


def typed_back(request: HttpRequest, page: str) -> dict[str, str]:
    """What ``keep_typed`` kept for ``page``, once, on the "Go back" address that carries its
    token (a GET): the page shows it again, then forgets it. Any other request (a fresh
    page, the form's own POST) gets nothing; a POST forgets all that was kept for ``page``
    (called once the change is saved)."""
    key = f"typed:{page}"
    if request.method != "GET":
        request.session.pop(key, None)
        return {}
    kept = dict(request.session.get(key) or {})
    typed = kept.pop(request.GET.get(TYPED_PARAM, ""), None)
    if typed is None:
        return {}
    request.session[key] = kept
    return typed


def forget_typed(request: HttpRequest, page: str) -> None:
    """Forget all that ``keep_typed`` kept for ``page``: called once the change is saved, so
    a "Go back" from an old check page cannot bring back what was already acted on."""
    request.session.pop(f"typed:{page}", None)


def with_typed_token(request: HttpRequest, url: str) -> str:
    """``url`` with the token of what ``keep_typed`` kept in this request, if anything, as
    its query's ``typed`` (before any ``#fragment``)."""
    token = getattr(request, "_typed_token", "")
    if not token:
        return url
    address, hash_, fragment = url.partition("#")
    joiner = "&" if "?" in address else "?"
    return f"{address}{joiner}{urlencode({TYPED_PARAM: token})}{hash_}{fragment}"


def checked_version(request: HttpRequest) -> int:
    """The version of what the check page showed, carried back by its confirmation (the
    ``version`` field), for the service to compare with the stored one: confirming acts on
    exactly what was checked. 0 when missing or not a number (no stored version is 0, so
    the check page comes again)."""
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return 0


def confirmation_page(
    request: HttpRequest,
    *,
    title: str,
    happens: Iterable[str],
    told: str,
    button: str,
    back: str,
    action: str = "",
    carry: Mapping[str, str] | Iterable[tuple[str, str]] = (),
    danger: bool = False,
    template: str = "confirm.html",
    context: Mapping | None = None,
    field: str = CONFIRM_FIELD,
) -> HttpResponse:
    """The page that asks for confirmation. ``happens``: sentences saying what will happen;
    ``told``: who will be told, and how; ``button``: "Confirm and …"; ``back``: the URL of
    the page the choice was made on; ``action``: where the confirming POST goes (default:
    the same URL); ``carry``: the choice, re-sent as hidden fields."""
    items = list(carry.items()) if isinstance(carry, Mapping) else list(carry)
    return render(
        request,
        template,
        {
            "title": title,
            "happens": list(happens),
            "told": told,
            "button": button,
            "back": with_typed_token(request, back),
            "action": action or request.path,
            "carry": items,
            "danger": danger,
            "confirm_field": field,
            **(context or {}),
        },
    )
