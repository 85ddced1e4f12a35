"""The project's URLs: the way in (login, home, help, health check), admin, then each app.

The site's own pages are in ``wcc_site.views``, the one place that sees every app.
"""

from django.contrib import admin
from django.urls import include, path

from wcc_site.account import (
    AccountView,
    WccPasswordChangeDoneView,
    WccPasswordChangeView,
    WccPasswordResetConfirmView,
    WccPasswordResetDoneView,
    account_name_view,
)
from wcc_site.views import (
    HelpView,
    HomeView,
    WccLoginView,
    WccPasswordResetView,
    favicon,
    healthz,
)

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("healthz/", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("help/", HelpView.as_view(), name="help"),
    path("accounts/login/", WccLoginView.as_view(), name="login"),
    path("accounts/password_reset/", WccPasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password_reset/done/",
        WccPasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        WccPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("accounts/password_change/", WccPasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password_change/done/",
        WccPasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/you/", AccountView.as_view(), name="account"),
    path("accounts/you/name/", account_name_view, name="account_name"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("panels/", include("panels.urls")),
    path("people/", include("panels.people_urls")),
    path("rounds/", include("assessments.rounds_urls")),
    path("organisations/", include("assessments.organisations_views")),
    path("boards/", include("assessments.boards_views")),
    path("staff/", include("assessments.staff_views")),
    path("", include("reports.urls")),
    path("", include("assessments.urls")),
]

# "database is locked" that escapes the retry becomes a 503 busy page, not a 500.
handler500 = "wcc_site.middleware.busy_or_server_error"
