"""Regional moderation for SHA staff: statistics, flags with their rules, adjustments, sign-off."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import (
    AgreedRating,
    AssessmentRound,
    RegionReview,
    Stage,
    StrategicHealthAuthority,
)
from assessments.regions import region_sign_off
from assessments.services import agreed_rating_adjust


def _region_or_404(user, round_slug: str, sha_code: str):
    round_ = AssessmentRound.objects.select_related("framework").filter(slug=round_slug).first()
    sha = StrategicHealthAuthority.objects.filter(ods_code=sha_code.upper()).first()
    if round_ is None or sha is None or not user.has_perm("reports.moderate_region", sha):
        raise Http404("No such region.")
    return round_, sha


def _page(round_, sha) -> str:
    return reverse("reports:moderation", args=[round_.slug, sha.ods_code])


@require_safe
def moderation_page(request, round_slug: str, sha_code: str):
    round_, sha = _region_or_404(request.user, round_slug, sha_code)
    from reports.moderation import RULES, moderation  # pandas on first use

    data = moderation(round_=round_, sha=sha)
    ratings = (
        AgreedRating.objects.filter(
            assessment__round=round_, assessment__pct__sha=sha, sub_indicator__isnull=True
        )
        .select_related("assessment__pct", "competency", "area")
        .order_by("assessment__pct__name", "competency__number", "area__position")
    )
    review = RegionReview.objects.filter(round=round_, sha=sha).first()
    return render(
        request,
        "reports/moderation.html",
        {
            "data": data,
            "rules": RULES,
            "ratings": ratings,
            "review": review,
            "stages": list(Stage),
            "can_sign_off": not review or review.status in ("moderating", "sent_back"),
        },
    )


@require_POST
def adjust(request, round_slug: str, sha_code: str, rating_id: int):
    round_, sha = _region_or_404(request.user, round_slug, sha_code)
    rating = (
        AgreedRating.objects.select_related("assessment__pct", "competency", "area")
        .filter(pk=rating_id, assessment__round=round_, assessment__pct__sha=sha)
        .first()
    )
    if rating is None:
        raise Http404("No such rating.")
    try:
        agreed_rating_adjust(
            rating=rating,
            value=request.POST.get("value", ""),
            reason=request.POST.get("reason", ""),
            by=request.user,
            expected_version=int(request.POST.get("version") or 0),
        )
    except (ValidationError, TransitionError, ConflictError) as exc:
        problems = getattr(exc, "messages", None) or [str(exc)]
        messages.error(
            request, f"{rating.assessment.pct.name}, {rating.item}: " + " ".join(problems)
        )
    else:
        messages.success(
            request,
            f"{rating.assessment.pct.name}, {rating.item}: now {rating.value} "
            f"(the panel's {rating.panel_value} is kept).",
        )
    return redirect(_page(round_, sha) + f"#rating-{rating.pk}")


@require_POST
def sign_off(request, round_slug: str, sha_code: str):
    round_, sha = _region_or_404(request.user, round_slug, sha_code)
    try:
        region_sign_off(round_=round_, sha=sha, by=request.user)
    except (ValidationError, TransitionError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", None) or [str(exc)]))
    else:
        messages.success(
            request, f"{sha.name} signed off: its assessments go to the national cross-check."
        )
    return redirect(_page(round_, sha))


urlpatterns = [
    path(
        "reports/moderation/<slug:round_slug>/<str:sha_code>/", moderation_page, name="moderation"
    ),
    path(
        "reports/moderation/<slug:round_slug>/<str:sha_code>/adjust/<int:rating_id>/",
        adjust,
        name="moderation_adjust",
    ),
    path(
        "reports/moderation/<slug:round_slug>/<str:sha_code>/sign-off/",
        sign_off,
        name="moderation_sign_off",
    ),
]
