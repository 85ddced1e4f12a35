"""URLs of the panels app: each view module lists its own routes (``urlpatterns``).

Panel formation (SHA staff) lives in ``panels.views.formation``; scoring and consensus
(seat holders and the chair) in ``panels.views.scoring``. Rounds are named by slug and
PCTs by ODS code, as everywhere else (CONTRACTS.md).
"""

from assessments.organisations_views import moved_away_told_in
from panels.views import formation, scoring

app_name = "panels"

# The staff of an SHA a PCT moved away from are told where its panel went.
urlpatterns = moved_away_told_in([*scoring.urlpatterns, *formation.urlpatterns])
