"""URLs of the assessments app: the board's self-assessment and its evidence."""

from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
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
    path("assessments/evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path(
        "assessments/<slug:round_slug>/<str:ods>/evidence/<int:pk>/delete/",
        views.evidence_delete_view,
        name="evidence_delete",
    ),
]
