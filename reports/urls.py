"""URLs of the reports app; each view module lists its own routes (``urlpatterns``).

Mounted at the site's root, because the contracted addresses (CONTRACTS.md) start with
both ``reports/`` and ``api/``.
"""

from reports.views import (
    batch,
    crosscheck,
    development,
    imports,
    league,
    moderation,
    pct,
    pdf,
    summaries,
)

app_name = "reports"

urlpatterns = [
    *league.urlpatterns,
    *pdf.urlpatterns,
    *pct.urlpatterns,
    *moderation.urlpatterns,
    *crosscheck.urlpatterns,
    *imports.urlpatterns,
    *summaries.urlpatterns,
    *development.urlpatterns,
    *batch.urlpatterns,
]
