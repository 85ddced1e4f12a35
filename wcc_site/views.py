"""The site's own pages: the home page of each role, the login page, help and the health
check.

This module composes the apps: the home page lists each role's work from every app
(assessments, panels, reports), which is why it lives here and not in an app (apps never
reach to an app to their right).
"""

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from assessments.access import view_access
from assessments.models import Stage
from assessments.selectors import board_pcts, national_overview, region_overview, user_scope
from panels.selectors import seats_for_user

# The demo users ``seed_demo`` creates (CONTRACTS.md), named on the login page.
DEMO_USERS = (
    ("national", "the national assurance team"),
    ("moderator.q34", "staff of the West Midlands SHA"),
    ("chair.q34", "chair of the West Midlands panels"),
    ("board.5pg", "the board of Birmingham East and North PCT"),
)


@method_decorator(view_access("assessments.signed_in"), name="dispatch")
class HomeView(TemplateView):
    """One section per role the user holds; a friendly page for a user with none."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        scope = user_scope(user)
        seats = list(seats_for_user(user))
        context.update(
            scope=scope,
            seats=seats,
            stages=list(Stage),
            region=region_overview(sha_ids=scope.sha_ids) if scope.is_sha_staff else [],
            board=list(board_pcts(pct_ids=scope.pct_ids)) if scope.is_pct_board else [],
            national=national_overview() if scope.is_national else [],
            has_work=scope.has_role or bool(seats),
        )
        return context


@method_decorator(view_access("assessments.anyone", public=True), name="dispatch")
class WccLoginView(LoginView):
    """Django's login; on a demo site (``SHOW_DEMO_LOGINS``) the demo users are named."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.SHOW_DEMO_LOGINS:
            context["demo_users"] = DEMO_USERS
            context["demo_password"] = settings.DEMO_PASSWORD
        return context


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer (``AXES_LOCKOUT_CALLABLE``): the login page again, with
    the reason and what to do, as 429 Too Many Requests."""
    from django.contrib.auth.forms import AuthenticationForm

    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = AuthenticationForm(request, initial={"username": username})
    return render(
        request,
        "registration/login.html",
        {
            "form": form,
            "locked_out": (
                f"Too many failed attempts: try again in {minutes} minutes or reset your password."
            ),
            "next": request.POST.get("next", ""),
        },
        status=429,
    )


@method_decorator(view_access("assessments.signed_in"), name="dispatch")
class HelpView(TemplateView):
    template_name = "help.html"


@never_cache
@require_safe
@view_access("assessments.anyone", public=True)
def healthz(request: HttpRequest) -> HttpResponse:
    """Public liveness check: answers "ok" once the database answers one query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
