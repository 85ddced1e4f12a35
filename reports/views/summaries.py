"""England and SHA summaries of a round: distributions, SHA means, outcome priorities and
governance patterns, with charts (the same SVG a PDF would embed) and their numbers.

The embargo (as the league table's): after the round's publication time everyone, signed
in or not, sees every summary; before it, the national team sees all of them and SHA staff
only their own region's (England's and other regions' answer 404); everyone else gets 404.
"""

from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_safe

from assessments.access import RegionRound, region_round, round_by_slug, view_access
from assessments.models import AssessmentRound, StrategicHealthAuthority

# pandas and matplotlib (through reports.summaries) are imported inside the views.


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


@require_safe
@view_access("reports.view_england_summary", lookup=round_by_slug, public=True)
def england_summary(request, round_: AssessmentRound):
    return _render(request, round_, None)


@require_safe
@view_access("reports.view_region_summary", lookup=region_round, public=True)
def sha_summary(request, region: RegionRound):
    return _render(request, region.round, region.sha)


urlpatterns = [
    path("reports/summary/<slug:round_slug>/", england_summary, name="summary"),
    path("reports/summary/<slug:round_slug>/<str:sha_code>/", sha_summary, name="sha_summary"),
]
