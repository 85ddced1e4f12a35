"""A PCT's feedback report as PDF, to those who may read it (404 to everyone else).

The file comes from ``reports.storage``: rendered on first request or when the report's
data changed, otherwise the stored file, streamed from the ``reports`` storage (a file
under MEDIA_ROOT or an object in the S3 bucket). This view is the only way to the stored
files: the bucket has no public URLs.
"""

from django.http import FileResponse
from django.urls import path
from django.views.decorators.http import require_safe

from assessments.access import assessment_by_pct, view_access
from assessments.models import Assessment


@require_safe
@view_access("reports.view_pct_report", lookup=assessment_by_pct)
def pct_pdf(request, assessment: Assessment):
    # pandas and WeasyPrint load on first use
    from reports.storage import report_storage, stored_report_pdf

    stored = stored_report_pdf(assessment=assessment)
    suffix = "-draft" if stored.draft else ""
    # Streamed from the storage (a local file or the S3 object), never a redirect to it.
    handle = report_storage().open(stored.name, "rb")
    response = FileResponse(handle, content_type="application/pdf")
    filename = f"wcc-{assessment.pct.ods_code}-{assessment.round.slug}{suffix}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("reports/pct/<str:ods>/<slug:round_slug>.pdf", pct_pdf, name="pct_pdf"),
]
