"""The check-your-answers step before an action that cannot be undone (GOV.UK pattern).

A view's first POST (the user's choice) renders :func:`confirmation_page`: it says what
will happen and who will be told, and carries the choice in hidden fields with
``confirm=1`` to the same URL; only that confirming POST acts (:func:`confirmed`). "Go
back" returns to the page the choice was made on, and nothing has changed.

The page is ``templates/confirm.html``; a page that lists answers (a long form's) extends
it and fills its ``answers`` block.
"""

from collections.abc import Iterable, Mapping

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

CONFIRM_FIELD = "confirm"


def confirmed(request: HttpRequest, field: str = CONFIRM_FIELD) -> bool:
    """Whether this POST is the confirming one (sent from the confirmation page)."""
    return request.POST.get(field, "") not in ("", "0")


def keep_typed(request: HttpRequest, page: str, **typed: str) -> None:
    """Keep what was typed on ``page`` (a key such as ``cross-check:2009-10``) for when the
    check page's "Go back" returns there: in the session, not the address, since a comment
    of a few thousand characters makes an address the server refuses (gunicorn's request
    line stops at 4,094 bytes)."""
    request.session[f"typed:{page}"] = typed


def typed_back(request: HttpRequest, page: str) -> dict[str, str]:
    """What ``keep_typed`` kept for ``page``, once: the page shows it again, then forgets."""
    return request.session.pop(f"typed:{page}", {})


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
            "back": back,
            "action": action or request.path,
            "carry": items,
            "danger": danger,
            "confirm_field": field,
            **(context or {}),
        },
    )
