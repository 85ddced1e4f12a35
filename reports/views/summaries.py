"""England and SHA summaries of a round: distributions, SHA means, outcome priorities and
governance patterns, with charts (the same SVG a PDF would embed) and their numbers.

The embargo (as the league table's): after the round's publication time everyone, signed
in or not, sees every summary; before it, the national team sees all of them and SHA staff
only their own region's (England's and other regions' answer 404); everyone else gets 404.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.views.decorators.http import require_safe

from assessments.models import AssessmentRound, StrategicHealthAuthority
from reports.rules import RegionRound

# pandas and matplotlib (through reports.summaries) are imported inside the views.


def _round_or_404(round_slug: str) -> AssessmentRound:
    return get_object_or_404(AssessmentRound.objects.select_related("framework"), slug=round_slug)


def _render(request, round_: AssessmentRound, sha: StrategicHealthAuthority | None):
    from reports.summaries import round_summary, summary_charts

    summary = round_summary(round_=round_, sha=sha)
    return render(
        request,
        "reports/summary.html",
        {
            "round": round_,
            "summary": summary,
            "charts": summary_charts(summary),
            "published": round_.is_published(),
            "may_see_england": request.user.has_perm("reports.view_england_summary", round_),
        },
    )


@login_not_required
@require_safe
def england_summary(request, round_slug: str):
    round_ = _round_or_404(round_slug)
    if not request.user.has_perm("reports.view_england_summary", round_):
        raise Http404("No such summary.")
    return _render(request, round_, None)


@login_not_required
@require_safe
def sha_summary(request, round_slug: str, sha_code: str):
    round_ = _round_or_404(round_slug)
    sha = StrategicHealthAuthority.objects.filter(ods_code=sha_code.upper()).first()
    if sha is None or not request.user.has_perm(
        "reports.view_region_summary", RegionRound(round_, sha)
    ):
        raise Http404("No such summary.")
    return _render(request, round_, sha)


urlpatterns = [
    path("reports/summary/<slug:round_slug>/", england_summary, name="summary"),
    path("reports/summary/<slug:round_slug>/<str:sha_code>/", sha_summary, name="sha_summary"),
]
