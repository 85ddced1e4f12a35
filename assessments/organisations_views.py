"""The organisations pages (the national team only; everyone else 404): the PCTs by SHA,
50 a page, filtered by SHA and by ODS code or name; add one, change one (rename, move,
retype, close), and load a file of them with a preview of every change, applied on
confirmation (``assessments.organisations``).

The upload is kept in the session and previewed by GET (``assessments.kept_files``), so
that Back and reload never send it again. The file's text travels back with the
confirmation (a hidden field) together with the
digest of the plan previewed; confirming re-reads it against the PCTs as they are and
applies it only if the plan is unchanged, so what is written is exactly what was shown.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import pct_by_code, view_access
from assessments.exceptions import form_add_refusal
from assessments.kept_files import forget_file, upload_then_preview
from assessments.models import PrimaryCareTrust
from assessments.organisations import (
    PlanChangedError,
    organisations_overview,
    pct_create,
    pct_update,
    pcts_file_apply,
    pcts_file_plan,
    sha_options,
)
from assessments.organisations_forms import PctFileForm, PctFilterForm, PctForm
from assessments.paging import page_of, paging_context

MANAGE = "assessments.manage_organisations"
FILE = "organisations"  # the kept file's kind (assessments.kept_files)


# The list is paged: 10,152 PCTs on one page took a second and 2.1 MB to send.
PER_PAGE = 50


def _list_page(request, *, file_form: PctFileForm):
    """The PCT list as ``?sha=…&q=…&page=N`` asks for it, with the upload form
    ``file_form``; 404 for a page that is not a number or does not exist. Six queries
    whatever the number of PCTs: session, user, role, the SHAs, the count, the page."""
    filter_form = PctFilterForm(request.GET, shas=sha_options())
    filters = filter_form.filters()
    page = page_of(
        organisations_overview(**filters), PER_PAGE, request.GET.get("page"), what="the PCTs"
    )
    return render(
        request,
        "organisations/list.html",
        {
            "file_form": file_form,
            "filter_form": filter_form,
            "filters": filters,
            "filtered": bool(filters["sha"] or filters["search"] or filter_form.errors),
            "pcts": page.object_list,
            "query": filter_form.query(),
            **paging_context(page),
        },
    )


@require_safe
@view_access(MANAGE)
def organisation_list(request):
    return _list_page(request, file_form=PctFileForm())


@require_http_methods(["GET", "POST"])
@view_access(MANAGE)
def pct_new(request):
    form = PctForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pct = pct_create(
                ods_code=data["ods_code"],
                name=data["name"],
                sha=data["sha"],
                org_type=data["org_type"],
                by=request.user,
            )
        except ValidationError as exc:
            form_add_refusal(form, exc)
        else:
            messages.success(request, f"Added {pct.name} ({pct.ods_code}) to {pct.sha.name}.")
            return redirect(reverse("organisations:list"))
    return render(request, "organisations/pct.html", {"form": form, "pct": None})


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=pct_by_code)
def pct_edit(request, pct: PrimaryCareTrust):
    form = PctForm(request.POST or None, pct=pct)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = pct_update(
                pct=pct,
                name=data["name"],
                sha=data["sha"],
                org_type=data["org_type"],
                closed_on=data["closed_on"],
                by=request.user,
            )
        except ValidationError as exc:
            form_add_refusal(form, exc)
        else:
            messages.success(request, f"Saved {pct.name} ({pct.ods_code}): {changed} change(s).")
            return redirect(reverse("organisations:list"))
    return render(
        request,
        "organisations/pct.html",
        {"form": form, "pct": pct, "history": pct.changes.select_related("changed_by")},
    )


@require_http_methods(["GET", "POST"])
@view_access(MANAGE)
def pcts_file_preview(request):
    """The upload (POST) is kept in the session and previewed by GET
    (``assessments.kept_files``): Back and reload never send the file again."""
    return upload_then_preview(
        request,
        FILE,
        form=PctFileForm(request.POST, request.FILES) if request.method == "POST" else None,
        here=reverse("organisations:file_preview"),
        back=reverse("organisations:list") + "#file-h",
        missing="No file of PCTs is waiting to be checked: choose one below.",
        refused=lambda form: _list_page(request, file_form=form),
        show=lambda filename, text: _preview(request, filename, text),
    )


def _preview(request, filename: str, text: str):
    # A file with errors: the corrected one is chosen here (as for board accounts).
    plan = pcts_file_plan(text=text, filename=filename)
    return render(
        request,
        "organisations/preview.html",
        {"plan": plan, "filename": filename, "text": text, "file_form": PctFileForm()},
    )


@require_POST
@view_access(MANAGE)
def pcts_file_confirm(request):
    filename = request.POST.get("filename", "")
    text = request.POST.get("text", "")
    try:
        plan = pcts_file_apply(
            text=text, filename=filename, signature=request.POST.get("signature", ""),
            by=request.user,
        )  # fmt: skip
    except PlanChangedError as exc:
        messages.error(request, str(exc))
        return _preview(request, filename, text)
    except ValidationError as exc:
        messages.error(request, "Nothing was written: " + " ".join(exc.messages))
        return redirect(reverse("organisations:list"))
    forget_file(request, FILE)
    messages.success(
        request,
        f"Loaded {filename}: {len(plan.changes)} change{'s' if len(plan.changes) != 1 else ''} "
        f"to {len(plan.rows)} PCT{'s' if len(plan.rows) != 1 else ''}.",
    )
    return redirect(reverse("organisations:list"))


app_name = "organisations"
urlpatterns = [
    path("", organisation_list, name="list"),
    path("new/", pct_new, name="new"),
    path("file/", pcts_file_preview, name="file_preview"),
    path("file/confirm/", pcts_file_confirm, name="file_confirm"),
    path("<str:ods>/", pct_edit, name="edit"),
]
