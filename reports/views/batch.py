"""The national team's batch page: generate a round's PDF reports in the background.

GET lists the round's latest batches with their progress; POST starts one (refused while
one is queued or running). ``progress.json`` answers the latest batch's progress for the
page's script (``static/reports/batches.js``) to poll. Everyone else: 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from assessments.access import round_by_slug, view_access
from assessments.models import AssessmentRound
from reports.models import ReportBatch, duration_label
from reports.tasks import report_batch_start

LATEST = 10  # batches shown on the page


# The national team only; anyone else 404.
batch_access = view_access("reports.generate_reports", lookup=round_by_slug)


def _latest(round_: AssessmentRound):
    return ReportBatch.objects.filter(round=round_).select_related("requested_by")


def _progress(batch: ReportBatch | None) -> dict:
    """The batch's progress for the page's script: counts, the status line, the time since
    a worker picked it up and an estimate of the time left (from done/total and elapsed)."""
    if batch is None:
        return {"batch": None}
    now = timezone.now()
    elapsed, remaining = batch.elapsed_seconds(now), batch.remaining_seconds(now)
    return {
        "batch": {
            "id": batch.pk,
            "status": batch.status,
            "status_label": batch.status_label,
            # A stalled batch is not followed any longer: the page reloads to offer a new one.
            "active": batch.is_active and not batch.is_stalled(now),
            "stalled": batch.is_stalled(now),
            "total": batch.total,
            "done": batch.done,
            "rendered": batch.rendered,
            "unchanged": batch.unchanged,
            "percent": batch.percent,
            "error": batch.error,
            "summary": batch.summary,
            "elapsed_seconds": elapsed,
            "elapsed": duration_label(elapsed),
            "remaining_seconds": remaining,
            "remaining": duration_label(remaining),
        }
    }


@require_http_methods(["GET", "HEAD", "POST"])
@batch_access
def batches(request, round_: AssessmentRound):
    if request.method == "POST":
        try:
            report_batch_start(round_=round_, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"The reports of {round_.slug} are queued: a background worker generates them.",
            )
        return redirect(reverse("reports:report_batches", args=[round_.slug]))
    latest = list(_latest(round_)[:LATEST])
    now = timezone.now()
    active = next((b for b in latest if b.is_active and not b.is_stalled(now)), None)
    return render(
        request,
        "reports/batches.html",
        {
            "round": round_,
            "batches": latest,
            "active": active,
            "stalled": next((b for b in latest if b.is_stalled(now)), None),
            "progress": _progress(active)["batch"],
        },
    )


@require_safe
@batch_access
def progress(request, round_: AssessmentRound):
    response = JsonResponse(_progress(_latest(round_).first()))
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("reports/batches/<slug:round_slug>/", batches, name="report_batches"),
    path("reports/batches/<slug:round_slug>/progress.json", progress, name="report_batch_progress"),
]
