"""The project's URLs: the way in (login, home, health check), admin, then each app.

This module is the one place that sees every app, so the home page's panel section is
plugged in here: ``assessments`` never imports ``panels``.
"""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from assessments.views import HomeView, WccLoginView, healthz
from panels.selectors import seats_for_user

urlpatterns = [
    path("", HomeView.as_view(seats_for_user=seats_for_user), name="home"),
    path("healthz/", healthz, name="healthz"),
    path("help/", TemplateView.as_view(template_name="help.html"), name="help"),
    path("accounts/login/", WccLoginView.as_view(), name="login"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("panels/", include("panels.urls")),
    path("", include("reports.urls")),
    path("", include("assessments.urls")),
]
