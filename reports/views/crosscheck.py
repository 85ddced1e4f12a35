"""The national team's pages: the cross-check (all SHAs side by side; confirm a region or send
it back) and the round's publication time."""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import RegionRound, region_round, round_by_slug, view_access
from assessments.exceptions import TransitionError, refusal_messages
from assessments.factual_accuracy import held_back_assessments, round_set_window
from assessments.models import AssessmentRound, RegionReview
from assessments.publication import round_set_publication
from assessments.regions import region_confirm, region_send_back

# The national team only; anyone else 404.
national_round = view_access("reports.cross_check", lookup=round_by_slug)


@require_safe
@national_round
def cross_check_page(request, round_: AssessmentRound):
    from reports.moderation import RULES, Z_THRESHOLD, cross_check

    columns, england, rows = cross_check(round_=round_)
    return render(
        request,
        "reports/cross_check.html",
        {
            "round": round_,
            "columns": columns,
            "england": england,
            "rows": rows,
            "z": Z_THRESHOLD,
            "rules": RULES,
        },
    )


@require_POST
@view_access("reports.cross_check", lookup=region_round)
def decide(request, region: RegionRound):
    round_, sha = region.round, region.sha
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
        messages.error(request, " ".join(refusal_messages(exc)))
    return redirect(reverse("reports:cross_check", args=[round_.slug]))


@require_POST
@national_round
def window(request, round_: AssessmentRound):
    """The national team sets the length of the boards' factual-accuracy window."""
    raw = request.POST.get("working_days", "").strip()
    try:
        days = int(raw)
    except ValueError:
        messages.error(request, f"Working days: {raw!r} is not a whole number.")
    else:
        try:
            round_set_window(round_=round_, working_days=days, by=request.user)
        except ValidationError as exc:
            messages.error(request, "Working days: " + " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"Boards of the regions confirmed from now on have {days} working days to "
                "check their drafts.",
            )
    return redirect(reverse("reports:cross_check", args=[round_.slug]))


urlpatterns = [
    path("reports/cross-check/<slug:round_slug>/", cross_check_page, name="cross_check"),
    path("reports/cross-check/<slug:round_slug>/window/", window, name="cross_check_window"),
    path(
        "reports/cross-check/<slug:round_slug>/<str:sha_code>/", decide, name="cross_check_decide"
    ),
]


@require_http_methods(["GET", "POST"])
@national_round
def publication(request, round_: AssessmentRound):
    """The national team sets the round's publication time (Europe/London)."""
    if request.method == "POST":
        raw = request.POST.get("published_at", "")
        try:
            when = timezone.make_aware(datetime.fromisoformat(raw))
        except ValueError:
            messages.error(
                request, f"{raw!r} is not a date and time: use the picker, e.g. 2010-02-17 09:30."
            )
        else:
            try:
                round_set_publication(round_=round_, published_at=when, by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request, f"{round_.name} will be published on {when:%d %B %Y at %H:%M}."
                )
        return redirect(reverse("reports:publication", args=[round_.slug]))
    held_back = held_back_assessments(round_=round_).annotate(
        unanswered=Count(
            "factual_accuracy_comments", filter=Q(factual_accuracy_comments__response="")
        )
    )
    return render(
        request,
        "reports/publication.html",
        {
            "round": round_,
            "now": timezone.now(),
            "reviews": RegionReview.objects.filter(round=round_)
            .select_related("sha")
            .order_by("sha__name"),
            "held_back": held_back,
        },
    )


urlpatterns += [
    path("reports/publication/<slug:round_slug>/", publication, name="publication"),
]
