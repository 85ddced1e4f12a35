"""URLs of the reports app; each view module lists its own routes (``urlpatterns``).

Mounted at the site's root, because the contracted addresses (CONTRACTS.md) start with
both ``reports/`` and ``api/``.
"""

from assessments.organisations_views import moved_away_told_in
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
    # The staff of an SHA a PCT moved away from are told where its pages went (each route
    # naming a PCT: its results, its sub-indicators at moderation, its development plan).
    *moved_away_told_in(
        [*pdf.urlpatterns, *pct.urlpatterns, *moderation.urlpatterns, *development.urlpatterns]
    ),
    *crosscheck.urlpatterns,
    *imports.urlpatterns,
    *summaries.urlpatterns,
    *batch.urlpatterns,
]
