"""URLs of the assessments app: the board's self-assessment and its evidence, and SHA
staff sending a submitted self-assessment back to the board."""

from django.urls import path

from assessments import reopening_views, views
from assessments.organisations_views import moved_away_told_in

app_name = "assessments"

# The staff of an SHA a PCT moved away from are told where its self-assessment went.
urlpatterns = moved_away_told_in(
    [
        path(
            "assessments/<slug:round_slug>/<str:ods>/self-assessment/",
            views.self_assessment,
            name="self_assessment",
        ),
        path(
            "assessments/<slug:round_slug>/<str:ods>/evidence/",
            views.evidence_upload_view,
            name="evidence_upload",
        ),
        path(
            "assessments/<slug:round_slug>/<str:ods>/self-assessment/send-back/",
            reopening_views.send_back,
            name="send_back_self_assessment",
        ),
        path("assessments/evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
        path(
            "assessments/<slug:round_slug>/<str:ods>/evidence/<int:pk>/delete/",
            views.evidence_delete_view,
            name="evidence_delete",
        ),
    ]
)
