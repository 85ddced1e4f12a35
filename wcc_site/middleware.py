"""Site-wide request handling: private caching, idle sessions, the client's address, and
what happens when the embedded SQLite database is busy.

- ``LoginRequiredMiddleware``: Django's, and a form posted after the session ended says
  on the login page that it was not saved.
- ``FormOnlyAddressMiddleware``: opening an address that only takes a form (405) shows
  a page saying what to do (after signing in again, the form sent was not saved).
- ``PrivateCacheMiddleware``: every answer to a signed-in user says ``Cache-Control:
  private, no-store`` unless the view set its own ``Cache-Control``: no shared cache or
  browser history keeps a copy of a signed-in page. Embargoed results are only ever shown
  to signed-in users; the views of embargoed files say ``private, no-store`` themselves too
  (the league table's CSV/XLSX before publication, the PDFs).
- ``SessionIdleMiddleware``: a session ends after ``SESSION_COOKIE_AGE`` seconds without a
  request. It is renewed at most every ``SESSION_RENEW_SECONDS`` rather than on every
  request (``SESSION_SAVE_EVERY_REQUEST``), so reading pages does not write to the database.
- ``client_ip``: the address django-axes locks; behind the HTTPS proxy the last
  ``X-Forwarded-For`` entry (the one our proxy appended), since a client can send any
  earlier entries it likes.
- ``DatabaseBusyMiddleware`` (SQLite only): a view whose write fails with "database is
  locked" before it wrote anything is run again, a bounded number of times; if it still
  fails, or failed after writing, the answer is 503 with a page that says the changes were
  not saved (``busy_or_server_error``, the 500 handler, turns any "database is locked" that
  escapes into the same 503 page).
- ``busy_or_server_error`` also answers 503 "The service is unavailable, try again shortly"
  when the database cannot be reached (PostgreSQL restarting or down: any
  ``OperationalError`` or ``InterfaceError`` that reaches the 500 handler). That page is
  rendered without the request's context, since the signed-in user and the session live in
  the unreachable database. The next request opens a new connection (``CONN_MAX_AGE`` 0 by
  default; ``CONN_HEALTH_CHECKS`` for persistent ones), so the site recovers by itself.
  Measured with PostgreSQL stopped mid-run: ``docs/reliability.md``.
"""

import random
import sys
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import middleware as auth_middleware
from django.contrib.auth.views import LogoutView
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone

PRIVATE = "private, no-store"
# How often a view is tried again after "database is locked", and the pause before each
# try (seconds, randomised so that the waiting requests do not all come back together).
BUSY_RETRIES = 3
BUSY_PAUSE = (0.05, 0.5)
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Django's (every page needs a signed-in user unless marked otherwise), and a form
    posted after the session ended says, on the login page, that it was not saved: the
    login page then sends the user on to the form's address with a GET, which shows the
    page as stored, not what was typed. (A script's request, which asks for JSON, says
    so itself.)"""

    def handle_no_permission(self, request, view_func):
        logging_out = getattr(view_func, "view_class", None) is LogoutView  # nothing typed
        if (
            request.method == "POST"
            and not logging_out
            and "application/json" not in request.headers.get("Accept", "")
        ):
            messages.warning(
                request,
                "Your session had ended, so the form you sent was not saved. Sign in, then "
                "send it again from its page (with JavaScript on, the page keeps what you "
                "typed; otherwise the browser's Back button may still hold it).",
            )
        return super().handle_no_permission(request, view_func)


class FormOnlyAddressMiddleware:
    """A browser that opens an address which only takes a form (a POST-only view answers
    405 with an empty body) gets a page saying why and what to do, not a blank one. It
    happens after signing in again: the login page sends the user on to the address the
    expired form was posted to, with a GET. A form sent to a page that only answers GET
    gets a page saying nothing was saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code == 405
            and request.method != "HEAD"
            and not response.streaming
            and not response.content
        ):
            # A GET of a form's address, or a form sent to a page that takes none (the
            # bad-input walk: both were blank).
            template = "405.html" if request.method == "GET" else "405_form.html"
            page = render(request, template, status=405)
            page["Allow"] = response.get("Allow", "")
            return page
        return response


class PrivateCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            response["Cache-Control"] = PRIVATE
        return response


class SessionIdleMiddleware:
    """Renews a signed-in session once it is ``SESSION_RENEW_SECONDS`` old (needs
    ``wcc_site.sessions``, which remembers the stored expiry)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expiry = getattr(request.session, "stored_expiry", None)
            renew_after = settings.SESSION_COOKIE_AGE - settings.SESSION_RENEW_SECONDS
            if expiry is not None and (expiry - timezone.now()).total_seconds() < renew_after:
                request.session.modified = True  # saved with a fresh expiry
        return self.get_response(request)


def client_ip(request) -> str | None:
    """The client's address for login throttling (``AXES_CLIENT_IP_CALLABLE``)."""
    if settings.BEHIND_HTTPS_PROXY:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if forwarded[-1]:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR")


def is_database_locked(error: BaseException | None) -> bool:
    return isinstance(error, OperationalError) and "locked" in str(error)


class _WriteTracker:
    """An execute wrapper that notes whether a write statement succeeded."""

    def __init__(self):
        self.wrote = False

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.lstrip()[:7].upper().startswith(_WRITES):
            self.wrote = True
        return result


class DatabaseBusyMiddleware:
    """Runs the view (as the last ``process_view``), again when SQLite was busy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if connection.vendor != "sqlite":
            return None
        for attempt in range(BUSY_RETRIES + 1):
            tracker = _WriteTracker()
            try:
                with connection.execute_wrapper(tracker):
                    return view_func(request, *view_args, **view_kwargs)
            except OperationalError as error:
                if not is_database_locked(error):
                    raise
                if tracker.wrote or attempt == BUSY_RETRIES:
                    return busy_response(request)
                time.sleep(random.uniform(*BUSY_PAUSE))  # noqa: S311 (jitter, not secrets)
        return None  # pragma: no cover: the loop always returns


def busy_response(request):
    response = render(request, "503.html", status=503)
    response["Retry-After"] = "5"
    return response


def is_database_unavailable(error: BaseException | None) -> bool:
    """The database could not be reached or dropped the connection (not "locked")."""
    return isinstance(error, InterfaceError | OperationalError) and not is_database_locked(error)


def unavailable_response() -> HttpResponse:
    """503 without touching the database: no request context (user, session, messages)."""
    response = HttpResponse(render_to_string("503_unavailable.html"), status=503)
    response["Retry-After"] = "10"
    response["Cache-Control"] = PRIVATE
    return response


def busy_or_server_error(request):
    """The 500 handler: 503 (busy) when the error was "database is locked", 503
    (unavailable) when the database could not be reached, else Django's 500."""
    from django.views.defaults import server_error

    error = sys.exc_info()[1]
    if is_database_locked(error):
        return busy_response(request)
    if is_database_unavailable(error):
        return unavailable_response()
    return server_error(request)
