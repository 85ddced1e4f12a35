"""URLs of the rounds pages, mounted at ``/rounds/`` (CONTRACTS.md)."""

from django.urls import path

from assessments import rounds_views as views

app_name = "rounds"

urlpatterns = [
    path("", views.round_list, name="list"),
    path("new/", views.round_new, name="new"),
    path("<slug:round_slug>/", views.round_detail, name="detail"),
    path("<slug:round_slug>/name/", views.round_name, name="name"),
    path("<slug:round_slug>/discard/", views.round_discard_view, name="discard"),
    path("<slug:round_slug>/timetable/", views.round_timetable, name="timetable"),
    path("<slug:round_slug>/open/", views.round_open_view, name="open"),
    path("<slug:round_slug>/opened/", views.round_opened, name="opened"),
    path("<slug:round_slug>/take-back/", views.round_take_back_view, name="take_back"),
    path("<slug:round_slug>/framework/", views.round_framework, name="framework"),
    path("<slug:round_slug>/framework/c<int:number>/", views.competency_edit, name="competency"),
    path("<slug:round_slug>/framework/<str:area_code>/", views.area_edit, name="area"),
]
