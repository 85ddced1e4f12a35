"""The national cross-check: all SHAs side by side, then confirm a region or send it back."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from assessments.exceptions import TransitionError
from assessments.models import AssessmentRound, StrategicHealthAuthority
from assessments.regions import region_confirm, region_send_back


def _round_or_404(user, round_slug: str) -> AssessmentRound:
    round_ = AssessmentRound.objects.select_related("framework").filter(slug=round_slug).first()
    if round_ is None or not user.has_perm("reports.cross_check", round_):
        raise Http404("No such round.")
    return round_


@require_safe
def cross_check_page(request, round_slug: str):
    round_ = _round_or_404(request.user, round_slug)
    from reports.moderation import Z_THRESHOLD, cross_check

    columns, england, rows = cross_check(round_=round_)
    return render(
        request,
        "reports/cross_check.html",
        {"round": round_, "columns": columns, "england": england, "rows": rows, "z": Z_THRESHOLD},
    )


@require_POST
def decide(request, round_slug: str, sha_code: str):
    round_ = _round_or_404(request.user, round_slug)
    sha = StrategicHealthAuthority.objects.filter(ods_code=sha_code.upper()).first()
    if sha is None:
        raise Http404("No such SHA.")
    try:
        if request.POST.get("decision") == "confirm":
            region_confirm(round_=round_, sha=sha, by=request.user)
            messages.success(
                request, f"{sha.name} confirmed: its boards may now check their drafts."
            )
        else:
            region_send_back(
                round_=round_, sha=sha, by=request.user, comment=request.POST.get("comment", "")
            )
            messages.success(request, f"{sha.name} sent back to regional moderation.")
    except (ValidationError, TransitionError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
    return redirect(reverse("reports:cross_check", args=[round_.slug]))


urlpatterns = [
    path("reports/cross-check/<slug:round_slug>/", cross_check_page, name="cross_check"),
    path(
        "reports/cross-check/<slug:round_slug>/<str:sha_code>/", decide, name="cross_check_decide"
    ),
]
