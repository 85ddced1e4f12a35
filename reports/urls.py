"""URLs of the reports app; each view module lists its own routes (``urlpatterns``).

Mounted at the site's root, because the contracted addresses (CONTRACTS.md) start with
both ``reports/`` and ``api/``.
"""

from reports.views import batch, crosscheck, league, moderation, pdf

app_name = "reports"

urlpatterns = [
    *league.urlpatterns,
    *pdf.urlpatterns,
    *moderation.urlpatterns,
    *crosscheck.urlpatterns,
    *batch.urlpatterns,
]
