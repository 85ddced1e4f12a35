"""The way in: the home page per role, the login page and the health check."""

from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.generic import TemplateView

from assessments.exceptions import ConflictError, TransitionError, refusal_messages
from assessments.forms import EvidenceForm, SelfAssessmentForm
from assessments.models import Assessment, EvidenceDocument, Stage
from assessments.selectors import (
    assessment_for_pct,
    board_pcts,
    national_overview,
    region_overview,
    self_assessment_detail,
    user_scope,
)
from assessments.services import (
    evidence_delete,
    evidence_upload,
    self_assessment_save,
)
from competencies.selectors import framework_items

# The demo users ``seed_demo`` creates (CONTRACTS.md), named on the login page.
DEMO_USERS = (
    ("national", "the national assurance team"),
    ("moderator.q34", "staff of the West Midlands SHA"),
    ("chair.q34", "chair of the West Midlands panels"),
    ("board.5pg", "the board of Birmingham East and North PCT"),
)


class HomeView(TemplateView):
    """One section per role the user holds; a friendly page for a user with none.

    ``seats_for_user`` is given by the project's URLconf (``panels.selectors``): this app
    never imports ``panels``, so the panel section is plugged in from outside.
    """

    template_name = "home.html"
    seats_for_user: Callable[..., Iterable] | None = None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        scope = user_scope(user)
        seats = list(self.seats_for_user(user)) if self.seats_for_user else []
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


class WccLoginView(LoginView):
    """Django's login; on a demo site (``SHOW_DEMO_LOGINS``) the demo users are named."""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.SHOW_DEMO_LOGINS:
            context["demo_users"] = DEMO_USERS
            context["demo_password"] = settings.DEMO_PASSWORD
        return context


@login_not_required
@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Public liveness check: answers "ok" once the database answers one query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


# --- The board's self-assessment and evidence ------------------------------------------------


def _assessment_or_404(user, round_slug: str, ods: str, perm: str) -> Assessment:
    """The assessment if ``user`` holds ``perm`` on it; 404 otherwise, so nothing leaks."""
    assessment = assessment_for_pct(round_slug=round_slug, ods=ods)
    if assessment is None or not user.has_perm(perm, assessment):
        raise Http404("No such assessment.")
    return assessment


def _self_assessment_url(assessment: Assessment) -> str:
    return reverse(
        "assessments:self_assessment", args=[assessment.round.slug, assessment.pct.ods_code]
    )


@require_http_methods(["GET", "POST"])
def self_assessment(request, round_slug: str, ods: str):
    assessment = _assessment_or_404(request.user, round_slug, ods, "assessments.view_evidence")
    can_edit = request.user.has_perm("assessments.edit_self_assessment", assessment)
    detail = self_assessment_detail(assessment=assessment)
    items = framework_items(assessment.round.framework)
    editable = can_edit and assessment.stage == Stage.SELF_ASSESSMENT and not detail.submitted
    form = SelfAssessmentForm(
        items=items,
        ratings=detail.ratings,
        initial={
            "version": detail.version,
            "commentary": detail.self_assessment.commentary if detail.self_assessment else "",
        },
    )
    if request.method == "POST":
        if not can_edit:
            raise Http404("No such assessment.")
        posted = SelfAssessmentForm(request.POST, items=items, ratings=detail.ratings)
        if posted.is_valid():
            version = posted.cleaned_data["version"]
            try:
                self_assessment_save(
                    assessment=assessment,
                    values=posted.values(),
                    commentary=posted.cleaned_data["commentary"],
                    by=request.user,
                    expected_version=version,
                    submit=posted.submitting,
                )
            except TransitionError as exc:
                messages.error(request, str(exc))
                return redirect(_self_assessment_url(assessment))
            except ConflictError as exc:
                messages.error(request, str(exc))
                detail = self_assessment_detail(assessment=assessment)
                form = SelfAssessmentForm(
                    items=items,
                    ratings=detail.ratings,
                    initial={
                        "version": detail.version,
                        "commentary": (
                            detail.self_assessment.commentary if detail.self_assessment else ""
                        ),
                    },
                )
            except ValidationError as exc:
                posted.add_error(None, exc)
                form = posted
            else:
                messages.success(
                    request,
                    "Self-assessment submitted: it now goes to your panel."
                    if posted.submitting
                    else "Draft saved. You can come back and finish at any time.",
                )
                return redirect(_self_assessment_url(assessment))
        else:
            form = posted
    return render(
        request,
        "assessments/self_assessment.html",
        {
            "assessment": assessment,
            "detail": detail,
            "form": form,
            "editable": editable,
            "evidence_form": EvidenceForm() if editable else None,
        },
    )


@require_POST
def evidence_upload_view(request, round_slug: str, ods: str):
    assessment = _assessment_or_404(
        request.user, round_slug, ods, "assessments.edit_self_assessment"
    )
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = [f"{form[name].label}: {' '.join(errs)}" for name, errs in form.errors.items()]
        messages.error(request, "The document was not uploaded. " + " ".join(problems))
        return redirect(_self_assessment_url(assessment))
    try:
        document = evidence_upload(
            assessment=assessment,
            doc_type=form.cleaned_data["doc_type"],
            title=form.cleaned_data["title"],
            file=form.cleaned_data["file"],
            by=request.user,
            max_bytes=settings.EVIDENCE_MAX_BYTES,
        )
    except (TransitionError, ValidationError) as exc:
        messages.error(request, "The document was not uploaded. " + " ".join(refusal_messages(exc)))
    else:
        messages.success(request, f"Uploaded {document.title}.")
    return redirect(_self_assessment_url(assessment))


def _document_or_404(user, pk: int, perm: str) -> EvidenceDocument:
    document = (
        EvidenceDocument.objects.select_related("assessment__round", "assessment__pct")
        .filter(pk=pk)
        .first()
    )
    if document is None or not user.has_perm(perm, document.assessment):
        raise Http404("No such document.")
    return document


@require_POST
def evidence_delete_view(request, pk: int):
    document = _document_or_404(request.user, pk, "assessments.edit_self_assessment")
    try:
        evidence_delete(document=document, by=request.user)
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Removed {document.title}.")
    return redirect(_self_assessment_url(document.assessment))


@require_safe
def evidence_download(request, pk: int):
    """The file, to those who may see the PCT's evidence; 404 to everyone else."""
    document = _document_or_404(request.user, pk, "assessments.view_evidence")
    suffix = Path(document.file.name).suffix.lower()
    filename = f"{document.assessment.pct.ods_code}-{slugify(document.title) or 'evidence'}{suffix}"
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response
