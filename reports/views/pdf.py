"""A PCT's feedback report as PDF, to those who may read it (404 to everyone else).

The file comes from ``reports.storage``: rendered on first request or when the report's
data changed, otherwise the stored file. This view is the only way to the stored files.
"""

from django.http import FileResponse
from django.urls import path
from django.views.decorators.http import require_safe

from assessments.access import assessment_by_pct, view_access
from assessments.models import Assessment


@require_safe
@view_access("reports.view_pct_report", lookup=assessment_by_pct)
def pct_pdf(request, assessment: Assessment):
    from reports.storage import stored_report_pdf  # pandas and WeasyPrint load on first use

    stored = stored_report_pdf(assessment=assessment)
    suffix = "-draft" if stored.draft else ""
    response = FileResponse(stored.path.open("rb"), content_type="application/pdf")
    filename = f"wcc-{assessment.pct.ods_code}-{assessment.round.slug}{suffix}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("reports/pct/<str:ods>/<slug:round_slug>.pdf", pct_pdf, name="pct_pdf"),
]
