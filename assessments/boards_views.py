"""The board accounts pages (``/boards/``): who may act for each PCT's board.

SHA staff keep their region's PCTs' board accounts and the national team every PCT's;
anyone else gets 404, as does a PCT outside the user's region. The list shows the open
PCTs 50 a page with how many board accounts each has, filtered by region, ODS code or
name and "only PCTs with no board account" (the work left after a round opens: those
boards were not told). A PCT's page lists its accounts and their state, invites someone
(``assessments.role_accounts.role_invite``), sends a new link to someone who has not set
a password yet, corrects an account's e-mail address and takes access away, each after a
confirmation page; its history says who
gave or took away access, and when.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import board_role, pct_by_code, view_access
from assessments.boards import (
    PlanChangedError,
    board_counts,
    board_file_apply,
    board_file_plan,
    board_pcts,
    board_shas,
)
from assessments.boards_forms import BoardFileForm, BoardsFilterForm
from assessments.kept_files import forget_file, upload_then_preview
from assessments.models import PrimaryCareTrust, Role
from assessments.organisations_views import moved_away_told_in
from assessments.paging import page_of, paging_context
from assessments.role_accounts import RoleScope
from assessments.role_views import change_email, group_page, new_link, remove

app_name = "boards"

VIEW = "assessments.view_board_accounts"
MANAGE = "assessments.manage_board_accounts"
PER_PAGE = 50
PREVIEW_ROWS = 500  # rows of a file's preview shown on the page (all are counted)
FILE = "boards"  # the kept file's kind (assessments.kept_files)
NO_FILE = "No file of board accounts is waiting to be checked: choose one below."


@require_safe
@view_access(VIEW)
def board_list(request):
    """The PCTs in the user's scope, a page at a time, each with its board accounts in use
    and waiting. Seven queries whatever the number of PCTs."""
    return _list_page(request, file_form=BoardFileForm())


def _list_page(request, *, file_form: BoardFileForm):
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
            "file_form": file_form,
            **paging_context(page),
        },
    )


@require_http_methods(["GET", "POST"])
@view_access(VIEW)
def board_file_preview(request):
    """What a file of board members would do, row by row (or every error in it): the
    upload (POST) is kept in the session and shown by GET (``assessments.kept_files``)."""
    return upload_then_preview(
        request,
        FILE,
        form=BoardFileForm(request.POST, request.FILES) if request.method == "POST" else None,
        here=reverse("boards:file_preview"),
        back=reverse("boards:list") + "#file-h",
        missing=NO_FILE,
        refused=lambda form: _list_page(request, file_form=form),
        show=lambda filename, text: _preview(
            request,
            board_file_plan(user=request.user, text=text, filename=filename),
            filename,
            text,
        ),
    )


def _preview(request, plan, filename: str, text: str):
    return render(
        request,
        "boards/preview.html",
        {
            "plan": plan,
            "filename": filename,
            "text": text,
            "shown": plan.invites[:PREVIEW_ROWS],
            # A file with errors: the corrected one is chosen here (the SHA walk had to go
            # back to the list to upload it again).
            "file_form": BoardFileForm(),
        },
    )


@require_POST
@view_access(VIEW)
def board_file_confirm(request):
    """Do what the preview showed, all or nothing, if it is still what the file would do."""
    filename = request.POST.get("filename", "")
    text = request.POST.get("text", "")
    try:
        plan = board_file_apply(
            user=request.user, text=text, filename=filename,
            signature=request.POST.get("signature", ""),
        )  # fmt: skip
    except PlanChangedError as exc:
        messages.error(request, str(exc))
        return _preview(request, board_file_plan(user=request.user, text=text, filename=filename), filename, text)  # fmt: skip
    except ValidationError as exc:
        messages.error(request, "Nothing was done: " + " ".join(exc.messages))
        return redirect(reverse("boards:list"))
    forget_file(request, FILE)
    done = len(plan.to_do)
    messages.success(
        request,
        f"Loaded {filename}: {done} board account{'s' if done != 1 else ''} given"
        + (f" ({len(plan.invites) - done} already had access)" if done < len(plan.invites) else "")
        + ". Each new account was e-mailed a link to set a password.",
    )
    return redirect(reverse("boards:list"))


def _crumbs() -> list[tuple[str, str]]:
    return [("Board accounts", reverse("boards:list"))]


def _links(role: Role) -> tuple[str, str, str]:
    args = [role.pct.ods_code, role.user_id]
    return (
        reverse("boards:reinvite", args=args),
        reverse("boards:remove", args=args),
        reverse("boards:email", args=args),
    )


def _pct_url(pct: PrimaryCareTrust) -> str:
    return reverse("boards:pct", args=[pct.ods_code])


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=pct_by_code)
def board_pct(request, pct: PrimaryCareTrust):
    """One PCT's board accounts, and the form that gives someone access."""
    return group_page(
        request,
        RoleScope.board(pct),
        here=_pct_url(pct),
        links=_links,
        context={
            "heading": f"Board accounts of {pct.name}",
            "lead": f"{pct.sha.name}. These accounts fill in the board's self-assessment, "
            "check its draft results and download its reports; they are e-mailed when a "
            "round opens.",
            "crumbs": _crumbs(),
            "current": pct.name,
            "invite_hint": "A board member or the person who co-ordinates the board's assessment.",
        },
    )


@require_POST
@view_access(MANAGE, lookup=pct_by_code)
def board_reinvite(request, pct: PrimaryCareTrust, pk: int):
    """A new set-password link for a board account whose owner has not set a password."""
    role = board_role(ods=pct.ods_code, pk=pk)
    return new_link(request, RoleScope.board(pct), role, back=_pct_url(pct))


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=pct_by_code)
def board_remove(request, pct: PrimaryCareTrust, pk: int):
    """Check, then take the board role away (GET asks, POST does it)."""
    role = board_role(ods=pct.ods_code, pk=pk)
    crumbs = [*_crumbs(), (pct.name, _pct_url(pct))]
    return remove(
        request, RoleScope.board(pct), role, back=_pct_url(pct), context={"crumbs": crumbs}
    )


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=pct_by_code)
def board_email(request, pct: PrimaryCareTrust, pk: int):
    """Correct the e-mail address of a board account (form, check page, change)."""
    role = board_role(ods=pct.ods_code, pk=pk)
    crumbs = [*_crumbs(), (pct.name, _pct_url(pct))]
    return change_email(
        request, RoleScope.board(pct), role, back=_pct_url(pct), context={"crumbs": crumbs}
    )


# The staff of an SHA a PCT moved away from are told where its board's page went.
urlpatterns = moved_away_told_in(
    [
        path("", board_list, name="list"),
        path("file/", board_file_preview, name="file_preview"),
        path("file/confirm/", board_file_confirm, name="file_confirm"),
        path("<str:ods>/", board_pct, name="pct"),
        path("<str:ods>/<int:pk>/new-link/", board_reinvite, name="reinvite"),
        path("<str:ods>/<int:pk>/remove/", board_remove, name="remove"),
        path("<str:ods>/<int:pk>/email/", board_email, name="email"),
    ]
)
