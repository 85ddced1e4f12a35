"""The board accounts pages (``/boards/``): who may act for each PCT's board.

SHA staff keep their region's PCTs' board accounts and the national team every PCT's;
anyone else gets 404, as does a PCT outside the user's region. The list shows the open
PCTs 50 a page with how many board accounts each has, filtered by region, ODS code or
name and "only PCTs with no board account" (the work left after a round opens: those
boards were not told). A PCT's page lists its accounts and their state, invites someone
(``assessments.boards.board_member_invite``), sends a new link to someone who has not set
a password yet, and takes access away after a confirmation page; its history says who
gave or took away access, and when.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import board_role, pct_by_code, view_access
from assessments.accounts import account_reinvite
from assessments.boards import (
    board_access_history,
    board_access_remove,
    board_accounts,
    board_counts,
    board_member_invite,
    board_pcts,
    board_shas,
)
from assessments.boards_forms import BoardMemberForm, BoardsFilterForm
from assessments.exceptions import form_add_refusal, refusal_messages
from assessments.models import PrimaryCareTrust, Role
from assessments.paging import page_of, paging_context

app_name = "boards"

VIEW = "assessments.view_board_accounts"
MANAGE = "assessments.manage_board_accounts"
PER_PAGE = 50


@require_safe
@view_access(VIEW)
def board_list(request):
    """The PCTs in the user's scope, a page at a time, each with its board accounts in use
    and waiting. Seven queries whatever the number of PCTs."""
    shas = board_shas(request.user)
    filter_form = BoardsFilterForm(request.GET, shas=shas)
    filters = filter_form.filters()
    pcts = board_pcts(request.user, **filters)
    page = page_of(pcts, PER_PAGE, request.GET.get("page"), what="the PCTs")
    counts = board_counts(pct.pk for pct in page.object_list)
    return render(
        request,
        "boards/list.html",
        {
            "rows": [(pct, counts.get(pct.pk)) for pct in page.object_list],
            "filter_form": filter_form,
            "filters": filters,
            "one_region": len(shas) == 1,
            "filtered": bool(
                filters["sha"] or filters["search"] or filters["without"] or filter_form.errors
            ),
            "query": filter_form.query(),
            **paging_context(page),
        },
    )


def _pct_page(request, pct: PrimaryCareTrust, form: BoardMemberForm, *, status=200):
    return render(
        request,
        "boards/pct.html",
        {
            "pct": pct,
            "accounts": board_accounts(pct),
            "history": board_access_history(pct),
            "form": form,
        },
        status=status,
    )


def _pct_url(pct: PrimaryCareTrust) -> str:
    return reverse("boards:pct", args=[pct.ods_code])


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=pct_by_code)
def board_pct(request, pct: PrimaryCareTrust):
    """One PCT's board accounts, and the form that gives someone access."""
    form = BoardMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access = board_member_invite(pct=pct, **form.cleaned_data, by=request.user)
        except ValidationError as exc:
            form_add_refusal(form, exc)
        else:
            user = access.user
            name = user.get_full_name() or user.get_username()
            if access.made:
                text = (
                    f"{name} has been invited: an account ({user.get_username()}) was made and "
                    f"a link to set a password e-mailed to {user.email}."
                )
            elif access.link_sent:
                text = (
                    f"{name} already had an account ({user.get_username()}) and now has access "
                    f"to the board of {pct.name}. They had not set a password, so a new link "
                    f"was e-mailed to {user.email}."
                )
            else:
                text = (
                    f"{name} already had an account ({user.get_username()}) and now has access "
                    f"to the board of {pct.name}; they were told by e-mail at {user.email}."
                )
            messages.success(request, text)
            return redirect(_pct_url(pct))
    return _pct_page(request, pct, form)


@require_POST
@view_access(MANAGE, lookup=board_role)
def board_reinvite(request, role: Role):
    """A new set-password link for a board account whose owner has not set a password."""
    user = role.user
    try:
        account_reinvite(user=user, by=request.user)
    except ValidationError as exc:
        for message in refusal_messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request,
            f"A new link to set a password was e-mailed to {user.get_full_name() or user} at "
            f"{user.email}.",
        )
    return redirect(_pct_url(role.pct))


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=board_role)
def board_remove(request, role: Role):
    """Check, then take the board role away (GET asks, POST does it)."""
    if request.method == "POST":
        board_access_remove(role=role, by=request.user)
        user = role.user
        messages.success(
            request,
            f"{user.get_full_name() or user.get_username()} no longer has access to the board "
            f"of {role.pct.name}.",
        )
        return redirect(_pct_url(role.pct))
    return render(request, "boards/remove.html", {"role": role, "pct": role.pct})


urlpatterns = [
    path("", board_list, name="list"),
    path("<str:ods>/", board_pct, name="pct"),
    path("<str:ods>/<int:pk>/new-link/", board_reinvite, name="reinvite"),
    path("<str:ods>/<int:pk>/remove/", board_remove, name="remove"),
]
