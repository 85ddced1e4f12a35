"""The site's own pages: the public front page and each role's home page, the login page,
help, the favicon and the health check.

This module composes the apps: the home page lists each role's work from every app
(assessments, panels, reports), which is why it lives here and not in an app (apps never
reach to an app to their right).
"""

from django.conf import settings
from django.contrib.auth.views import LoginView, PasswordResetView
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

from assessments.access import rounds_visible_to, view_access
from assessments.factual_accuracy import report_is_draft, windows_prefetch
from assessments.models import Stage
from assessments.selectors import (
    board_pcts,
    national_overview,
    openings_taken_back,
    rounds_with_coverage,
    user_scope,
)
from panels.selectors import panel_members_with_accounts, seats_for_user
from wcc_site.account_selectors import access_removed_from, listed_as, person_of, replaced_from
from wcc_site.forms import WccAuthenticationForm, WccPasswordResetForm
from wcc_site.selectors import (
    Queue,
    board_queues,
    chair_queues,
    member_queues,
    national_queues,
    region_rounds,
    sha_staff_queues,
)


def work_queues(*, user, scope, seats) -> list[Queue]:
    """What waits for the user in every role they hold, non-empty queues only, in the
    order of the roles (SHA staff, panel member, chair, national, board)."""
    queues: list[Queue] = []
    if scope.is_sha_staff:
        queues += sha_staff_queues(sha_ids=scope.sha_ids)
    if seats:
        queues += member_queues(user=user)
        if any(seat.presides for seat in seats):  # chairs a panel now, acting chair too
            queues += chair_queues(user=user)
    if scope.is_national:
        queues += national_queues()
    if scope.is_pct_board:
        queues += board_queues(pct_ids=scope.pct_ids)
    return [queue for queue in queues if queue.items]


# The demo users ``seed_demo`` creates (CONTRACTS.md), named on the login page.
DEMO_USERS = (
    ("national", "the national assurance team"),
    ("moderator.q34", "staff of the West Midlands SHA"),
    ("chair.q34", "chair of the West Midlands panels"),
    ("board.5pg", "the board of Birmingham East and North PCT"),
    ("board.5pe", "the board of Dudley PCT (its 2009-10 self-assessment is not submitted yet)"),
)
# The other seat holders of this panel are listed too (``firstname.lastname``, chosen by
# ``seed_demo``'s seed, so read from the database rather than written here).
DEMO_PANEL = ("2009-10", "5PG")


def demo_panel_members() -> list[tuple[str, str]]:
    """(username, who) of the demo panel's seat holders other than the chair, by seat."""
    return [
        (
            seat.person.user.username,
            f"seat {seat.seat_type.number} on the {seat.panel.assessment.pct.name} panel ({seat.person.job_title})",
        )
        for seat in panel_members_with_accounts(round_slug=DEMO_PANEL[0], ods=DEMO_PANEL[1])
    ]


@method_decorator(view_access("assessments.anyone", public=True), name="dispatch")
class HomeView(TemplateView):
    """Logged out: the public front page (the published rounds, their league tables,
    summaries and open data; CONTRACTS.md). Logged in: "Waiting for you" (the work queues
    of every role the user holds, ``wcc_site.selectors``), then one section per role; a
    friendly page for a user with none. A list that grows with the number of PCTs shows
    its first few items, the whole count and a link to the page that lists them all."""

    template_name = "home.html"

    def get_template_names(self):
        if not self.request.user.is_authenticated:
            return ["public_home.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        if not user.is_authenticated:
            # Only what everyone may see: the published rounds (nothing under embargo).
            context["rounds"] = rounds_with_coverage(rounds_visible_to(user))
            return context
        scope = user_scope(user)
        seats = list(seats_for_user(user))
        board = list(board_pcts(pct_ids=scope.pct_ids)) if scope.is_pct_board else []
        openings_taken_back(board)  # a round its PCT left says so, not "none opened yet"
        # The board's section asks each assessment's report permission, which reads the
        # factual-accuracy window of those at the check or published: read them at once.
        windows_prefetch(
            a
            for pct in board
            for a in pct.assessments.all()
            if a.stage == Stage.FACTUAL_ACCURACY or a.round.is_published()
        )
        for pct in board:  # its report link says "draft" when the file served is one
            for a in pct.assessments.all():
                a.report_is_draft = report_is_draft(a)
        context.update(
            scope=scope,
            seats=seats,
            region=region_rounds(sha_ids=scope.sha_ids) if scope.is_sha_staff else [],
            board=board,
            national=national_overview() if scope.is_national else [],
            has_work=scope.has_role or bool(seats),
            queues=work_queues(user=user, scope=scope, seats=seats),
        )
        if not context["has_work"]:
            # On the people list with no seat yet is not "no role" (walk Y: a new panel
            # member was told to ask for access).
            person = person_of(user)
            context["listed"] = listed_as(person)
            # Replaced since is not "no seat yet" (walk AC).
            context["replaced"] = replaced_from(person) if person is not None else ""
            # Access taken away is not "no role yet" either (walk AD).
            context["removed"] = "" if context["listed"] else access_removed_from(user)
        return context


@method_decorator(view_access("assessments.anyone", public=True), name="dispatch")
class WccLoginView(LoginView):
    """Django's login; on a demo site (``SHOW_DEMO_LOGINS``) the demo users are named."""

    authentication_form = WccAuthenticationForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.SHOW_DEMO_LOGINS:
            context["demo_users"] = [*DEMO_USERS, *demo_panel_members()]
            context["demo_password"] = settings.DEMO_PASSWORD
        return context


@method_decorator(view_access("assessments.anyone", public=True), name="dispatch")
class WccPasswordResetView(PasswordResetView):
    """Django's "forgotten your password?" page; the e-mail goes through the task queue and
    reaches invited accounts that never set a password (``WccPasswordResetForm``). The
    other password pages are Django's own, with this site's templates."""

    form_class = WccPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer (``AXES_LOCKOUT_CALLABLE``): the login page again, with
    the reason and what to do, as 429 Too Many Requests."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    form = WccAuthenticationForm(request, initial={"username": username})
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


@method_decorator(view_access("assessments.anyone", public=True), name="dispatch")
class HelpView(TemplateView):
    """How it works: public, since it explains the method behind the published results."""

    template_name = "help.html"


@require_safe
@view_access("assessments.anyone", public=True)
def favicon(request: HttpRequest) -> HttpResponseRedirect:
    """Browsers ask for ``/favicon.ico`` whatever the page says: send them to the static one."""
    return HttpResponseRedirect(static("favicon.ico"))


@never_cache
@require_safe
@view_access("assessments.anyone", public=True)
def healthz(request: HttpRequest) -> HttpResponse:
    """Public liveness check: answers "ok" once the database answers one query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")
