"""The staff accounts pages (``/staff/``, the national team only; everyone else 404): who
is one of the national assurance team and who is staff of each SHA.

The list shows the national team and every SHA with how many accounts each has in use
and waiting for a password; each group's page lists its accounts, invites someone
(``assessments.role_accounts.role_invite``), sends a new link, corrects an account's
e-mail address and takes access away, each of the last two after a check page (never one's own, nor the national team's last account), with its history.
The first national account still comes from ``manage.py create_user``.
"""

from django.shortcuts import render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import national_role, sha_by_code, staff_role, view_access
from assessments.models import Role, StrategicHealthAuthority
from assessments.role_accounts import RoleScope, role_counts
from assessments.role_views import change_email, group_page, new_link, remove

app_name = "staff"

MANAGE = "assessments.manage_staff_accounts"


@require_safe
@view_access(MANAGE)
def staff_list(request):
    """The national team and the SHAs, each with its accounts in use and waiting. Five
    queries."""
    shas = list(StrategicHealthAuthority.objects.order_by("name"))
    counts = role_counts(Role.objects.filter(kind=Role.Kind.SHA_STAFF), "sha_id")
    national = role_counts(Role.objects.filter(kind=Role.Kind.NATIONAL), "kind")
    return render(
        request,
        "roles/staff_list.html",
        {
            "national": national.get(Role.Kind.NATIONAL),
            "rows": [(sha, counts.get(sha.pk)) for sha in shas],
        },
    )


def _crumbs() -> list[tuple[str, str]]:
    return [("Staff accounts", reverse("staff:list"))]


def _sha_url(sha: StrategicHealthAuthority) -> str:
    return reverse("staff:sha", args=[sha.ods_code])


def _sha_links(role: Role) -> tuple[str, str, str]:
    args = [role.sha.ods_code, role.user_id]
    return (
        reverse("staff:reinvite", args=args),
        reverse("staff:remove", args=args),
        reverse("staff:email", args=args),
    )


def _national_links(role: Role) -> tuple[str, str, str]:
    args = [role.user_id]
    return (
        reverse("staff:national_reinvite", args=args),
        reverse("staff:national_remove", args=args),
        reverse("staff:national_email", args=args),
    )


@require_http_methods(["GET", "POST"])
@view_access(MANAGE)
def staff_national(request):
    """The national assurance team's accounts, and the form that adds someone."""
    return group_page(
        request,
        RoleScope.national(),
        here=reverse("staff:national"),
        links=_national_links,
        context={
            "heading": "The national assurance team",
            "lead": "These accounts create and open rounds, keep the organisations, run the "
            "national cross-check and publish; they may do everything SHA staff do, in every "
            "region.",
            "crumbs": _crumbs(),
            "current": "National team",
            "invite_hint": "A member of the national assurance team.",
        },
    )


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=sha_by_code)
def staff_sha(request, sha: StrategicHealthAuthority):
    """One SHA's staff accounts, and the form that adds someone."""
    return group_page(
        request,
        RoleScope.staff(sha),
        here=_sha_url(sha),
        links=_sha_links,
        context={
            "heading": f"Staff of {sha.name}",
            "lead": "These accounts form the region's panels, moderate its ratings, answer its "
            "boards' factual-accuracy comments, and keep its people and board accounts.",
            "crumbs": _crumbs(),
            "current": sha.name,
            "invite_hint": "Someone of the SHA's assurance team.",
        },
    )


@require_POST
@view_access(MANAGE, lookup=sha_by_code)
def staff_reinvite(request, sha: StrategicHealthAuthority, pk: int):
    role = staff_role(sha_code=sha.ods_code, pk=pk)
    return new_link(request, RoleScope.staff(sha), role, back=_sha_url(sha))


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=sha_by_code)
def staff_remove(request, sha: StrategicHealthAuthority, pk: int):
    role = staff_role(sha_code=sha.ods_code, pk=pk)
    crumbs = [*_crumbs(), (sha.name, _sha_url(sha))]
    return remove(
        request, RoleScope.staff(sha), role, back=_sha_url(sha), context={"crumbs": crumbs}
    )


@require_POST
@view_access(MANAGE)
def national_reinvite(request, pk: int):
    role = national_role(pk=pk)
    return new_link(request, RoleScope.national(), role, back=reverse("staff:national"))


@require_http_methods(["GET", "POST"])
@view_access(MANAGE)
def national_remove(request, pk: int):
    role = national_role(pk=pk)
    crumbs = [*_crumbs(), ("National team", reverse("staff:national"))]
    back = reverse("staff:national")
    return remove(request, RoleScope.national(), role, back=back, context={"crumbs": crumbs})


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=sha_by_code)
def staff_email(request, sha: StrategicHealthAuthority, pk: int):
    """Correct the e-mail address of one of the SHA's staff (form, check page, change)."""
    role = staff_role(sha_code=sha.ods_code, pk=pk)
    crumbs = [*_crumbs(), (sha.name, _sha_url(sha))]
    return change_email(
        request, RoleScope.staff(sha), role, back=_sha_url(sha), context={"crumbs": crumbs}
    )


@require_http_methods(["GET", "POST"])
@view_access(MANAGE)
def national_email(request, pk: int):
    """Correct the e-mail address of one of the national team (form, check page, change)."""
    role = national_role(pk=pk)
    crumbs = [*_crumbs(), ("National team", reverse("staff:national"))]
    back = reverse("staff:national")
    return change_email(request, RoleScope.national(), role, back=back, context={"crumbs": crumbs})


urlpatterns = [
    path("", staff_list, name="list"),
    path("national/", staff_national, name="national"),
    path("national/<int:pk>/new-link/", national_reinvite, name="national_reinvite"),
    path("national/<int:pk>/remove/", national_remove, name="national_remove"),
    path("national/<int:pk>/email/", national_email, name="national_email"),
    path("<str:sha_code>/", staff_sha, name="sha"),
    path("<str:sha_code>/<int:pk>/new-link/", staff_reinvite, name="reinvite"),
    path("<str:sha_code>/<int:pk>/remove/", staff_remove, name="remove"),
    path("<str:sha_code>/<int:pk>/email/", staff_email, name="email"),
]
