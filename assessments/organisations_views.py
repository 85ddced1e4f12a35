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
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import explained_404, pct_by_code, view_access
from assessments.confirmation import confirmation_page, confirmed, keep_typed, typed_back
from assessments.exceptions import form_add_refusal
from assessments.kept_files import forget_file, upload_then_preview
from assessments.models import AssessmentRound, PrimaryCareTrust, Stage
from assessments.organisations import (
    MovingAssessment,
    PctEdit,
    PctEditPlan,
    PctMove,
    PlanChangedError,
    organisations_overview,
    pct_create,
    pct_history,
    pct_moved_away_for,
    pct_update,
    pct_update_plan,
    pcts_file_apply,
    pcts_file_plan,
    sha_options,
)
from assessments.organisations_forms import PctFileForm, PctFilterForm, PctForm
from assessments.paging import page_of, paging_context
from assessments.rounds import rounds_to_take_back_from

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


def _pct_page(request, pct: PrimaryCareTrust, form: PctForm):
    return render(
        request,
        "organisations/pct.html",
        {"form": form, "pct": pct, "history": pct_history(pct=pct)},
    )


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=pct_by_code)
def pct_edit(request, pct: PrimaryCareTrust):
    """A PCT's details. A change to one with an assessment (any round) is checked first:
    its name, SHA, type and closing date reach the pages and figures of every round it is
    in, published ones included. "Go back" from the check page shows what was typed."""
    typed_key = f"pct:{pct.ods_code}"
    if request.method == "GET":
        form = PctForm(pct=pct)
        form.initial.update(typed_back(request, typed_key))
        return _pct_page(request, pct, form)
    form = PctForm(request.POST, pct=pct)
    if not form.is_valid():
        return _pct_page(request, pct, form)
    data = form.cleaned_data
    values = {
        "name": data["name"],
        "sha": data["sha"],
        "org_type": data["org_type"],
        "closed_on": data["closed_on"],
    }
    try:
        plan = pct_update_plan(pct=pct, **values)
        if plan.rounds and not confirmed(request):
            return _edit_check(request, pct, form, plan)
        if plan.rounds and request.POST.get("signature") != plan.signature:
            messages.error(
                request,
                f"Nothing was saved: {pct.ods_code} has changed since you checked. Check the "
                "changes again below.",
            )
            return _edit_check(request, pct, form, plan)
        pct_update(pct=pct, **values, by=request.user)
    except ValidationError as exc:
        form_add_refusal(form, exc)
        return _pct_page(request, pct, form)
    typed_back(request, typed_key)  # saved: the page shows the PCT as it is now
    said = "; ".join(_edit_said(edit) for edit in plan.edits) or "nothing changed"
    told = (
        [
            _staff(users, sha)
            for sha, users in (
                (plan.move.old, plan.move.old_staff),
                (plan.move.new, plan.move.new_staff),
            )
            if users
        ]
        if plan.move is not None
        else []
    )
    e_mailed = f" E-mailed {' and '.join(told)}." if told else ""
    messages.success(request, f"Saved {pct.name} ({pct.ods_code}): {said}.{e_mailed}")
    return redirect(reverse("organisations:list"))


def _shown(field: str, value) -> str:
    """A PCT field's value as the pages say it."""
    if field == "sha":
        return value.name
    if field == "org_type":
        return PrimaryCareTrust.OrgType(value).label
    if field == "closed_on":
        return f"{value:%-d %B %Y}" if value else "open"
    return value


EDIT_LABELS = {"name": "name", "sha": "SHA", "org_type": "type", "closed_on": "closed from"}


def _edit_said(edit: PctEdit) -> str:
    """``name Dudley to NHS Dudley``: one change, for the check page and the message."""
    return (
        f"{EDIT_LABELS[edit.field]} {_shown(edit.field, edit.old)} to "
        f"{_shown(edit.field, edit.new)}"
    )


def _slugs(rounds: list[AssessmentRound], *, now) -> str:
    """``2008-09 (published) and 2009-10``."""
    names = [r.slug + (" (published)" if _published(r, now) else "") for r in rounds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _published(round_: AssessmentRound, now) -> bool:
    return round_.first_published_at is not None and round_.first_published_at <= now


def _moving_said(move: PctMove, item: MovingAssessment) -> str:
    """What a move does to one assessment at work: who works on it from now on, its panel,
    and the old SHA's staff's access."""
    old, new = move.old.name, move.new.name
    said = (
        f"Its assessment in {item.round.slug}, at {item.stage.label}, goes to the staff of "
        f"{new}: from now on they form its panel, moderate it and sign it off, and the staff "
        f"of {old} lose access to it (an old link tells them where it went)."
    )
    if not item.has_panel:
        said += f" Its panel is not formed yet: {new} forms it."
    else:
        chair = f"{item.chair} ({item.chair_sha})" if item.chair_sha else item.chair
        said += " Its panel keeps its members and their scores" + (
            f"; {chair} still chairs it." if item.chair else "; its chair's seat is empty."
        )
    if item.stage == Stage.MODERATION:
        said += (
            f" It leaves {old}'s regional moderation for {new}'s, whose sign-off will cover "
            f"it; any moderation changes {old} made to it are kept, with their reasons."
        )
    return said


def _possessive(name: str) -> str:
    """``East Midlands'``, ``SHA Beta's``."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def _chair_stays(pct: PrimaryCareTrust, move: PctMove | None) -> list[str]:
    """For each moving assessment whose panel is chaired by a director of the old SHA (seat
    1 is the PCT's own SHA's director), a line saying so, with a link to where the new
    SHA's staff hand the chair on (walk Z): the hand-over page while the panel scores or
    is at consensus, its formation page (replace the seat) before."""
    if move is None:
        return []
    lines = []
    for item in move.moving:
        if not item.chair or item.chair_sha != move.old.name:
            continue
        scoring = item.stage in (Stage.SCORING, Stage.CONSENSUS)
        where = "panels:hand_chair" if scoring else "panels:formation_panel"
        lines.append(
            format_html(
                "{} ({}) will still chair the panel of a PCT now in {}; {} staff can hand the "
                'chair on at <a href="{}" data-test="hand-chair">{}</a>.',
                item.chair,
                item.chair_sha,
                move.new.name,
                _possessive(move.new.name),
                reverse(where, args=[item.round.slug, pct.ods_code]),
                f"the {item.round.slug} panel's "
                + ("hand-over page" if scoring else "formation page (replace the chair's seat)"),
            )
        )
    return lines


def _edit_follows(
    pct: PrimaryCareTrust,
    edit: PctEdit,
    rounds: list[AssessmentRound],
    move: PctMove | None = None,
) -> str:
    """What one change does to the rounds the PCT is in, in words."""
    now = timezone.now()
    published = [r for r in rounds if _published(r, now)]
    running = [r for r in rounds if not _published(r, now)]
    every = _slugs(rounds, now=now)
    if edit.field == "name":
        if not published:
            return (
                f"The PCT pages, feedback reports and files of {every} show the new name from "
                "now on; none of them is published yet."
            )
        return (
            "The league tables, open data, files, PCT pages and feedback reports of every "
            f"round, published ones included ({', '.join(r.slug for r in published)}), show "
            "the new name from now on; the PCT pages and feedback reports of rounds published "
            "before today say what it was called when they were published."
        )
    if edit.field == "sha":
        if not published:
            moved = (
                f"Its results in {every} move from the figures of {edit.old.name} to those of "
                f"{edit.new.name}: the SHA means its PCT pages compare with, and the region's "
                "tables and files."
            )
        else:
            # The PCT pages and feedback reports of a published round keep the SHA the PCT
            # was in then, and its means as published (``reports.pct_report``).
            moved = (
                "The league tables, open data and files of every round, published ones "
                f"included ({', '.join(r.slug for r in published)}), list it under "
                f"{edit.new.name} from now on; the PCT pages and feedback reports of rounds "
                f"published before today say it was in {edit.old.name} when they were "
                f"published, and compare it with the {edit.old.name} mean they were published "
                "with."
            )
            if running:
                moved += (
                    f" Its results in {_slugs(running, now=now)} move from the figures of "
                    f"{edit.old.name} to those of {edit.new.name}: the SHA means its PCT pages "
                    "compare with, and the region's tables and files."
                )
        if move is not None:
            moved += "".join(f" {_moving_said(move, item)}" for item in move.moving)
        return moved
    if edit.field == "org_type":
        return f"The PCT pages, feedback reports and files of {every} show the new type."
    # The closing date.
    if edit.new is None:
        return (
            f"Rounds opened from now on include {pct.ods_code} again; its assessments in "
            f"{every} stay as they are."
        )
    closes = f"{edit.new:%-d %B %Y}"
    stays = (
        f"It is in {_slugs(running, now=now)}, still running: its assessment there stays and "
        "goes on to publication."
        if running
        else f"Its assessments in {every} stay as they are."
    )
    kept = (
        f" Its published results ({', '.join(r.slug for r in published)}) stay published."
        if published
        else ""
    )
    said = f"{stays}{kept} Rounds opened from {closes} on will not include it."
    # Walk AC: a merged PCT nobody had started stayed in its round with no way out but
    # taking back its whole SHA: point to taking back its opening alone, while it can be.
    takeable = rounds_to_take_back_from(pct=pct) if running else []
    if not takeable:
        return said
    return format_html(
        "{}{}",
        said,
        format_html_join(
            "",
            ' If it will not be assessed, <a href="{}?pcts={}" data-test="take-back-pct">take '
            "back its opening in {}</a>.",
            ((reverse("rounds:take_back", args=[r.slug]), pct.pk, r.slug) for r in takeable),
        ),
    )


def _happens_line(said: str, follows: str) -> str:
    """``said. follows``; kept safe when ``follows`` carries a link (a closing's take-back)."""
    if isinstance(follows, SafeString):
        return format_html("{}. {}", said, follows)
    return f"{said}. {follows}"


def _edit_check(request, pct: PrimaryCareTrust, form: PctForm, plan: PctEditPlan):
    """The check page of a change to a PCT with assessments: each change, old to new, and
    what follows for the rounds it is in. What was typed is kept for "Go back" and carried
    with the confirmation, with the plan's signature."""
    typed = {name: form.data.get(name, "") for name in ("name", "sha", "org_type", "closed_on")}
    keep_typed(request, f"pct:{pct.ods_code}", **typed)
    return confirmation_page(
        request,
        title=f"Save these changes to {pct.name} ({pct.ods_code})?",
        happens=[
            _happens_line(
                f"{_edit_said(edit)[0].upper()}{_edit_said(edit)[1:]}",
                _edit_follows(pct, edit, plan.rounds, plan.move),
            )
            for edit in plan.edits
        ]
        + _chair_stays(pct, plan.move),
        told=_told(plan.move),
        button="Confirm and save the changes",
        back=request.path,
        carry={**typed, "signature": plan.signature},
        context={
            "undo_note": "You can change the PCT again later; every change is kept in its history."
        },
    )


def _staff(users: list, sha) -> str:
    """``3 members of the SHA staff of West Midlands``, for the check page and the message."""
    count = len(users)
    return f"{count} member{'' if count == 1 else 's'} of the SHA staff of {sha.name}"


def _told(move: PctMove | None) -> str:
    """Who the check page says is e-mailed: the staff of both SHAs (those with an address
    and an active account), by count and role, and what each is told."""
    kept = "The change is kept in the PCT's history on its page, with your name."
    if move is None:
        return f"Nobody is e-mailed. {kept}"
    told = []
    if move.old_staff:
        told.append(
            f"{_staff(move.old_staff, move.old)}, that the PCT and its assessment have left them"
        )
    if move.new_staff:
        told.append(
            f"{_staff(move.new_staff, move.new)}, that they now form, moderate and sign off "
            "its assessment, with its stage, its panel's chair and a link"
        )
    nobody = [
        f"{sha.name} has no active staff with an e-mail address: nobody there is told."
        for sha, users in ((move.old, move.old_staff), (move.new, move.new_staff))
        if not users
    ]
    said = f"E-mailed once you confirm: {'; and '.join(told)}." if told else ""
    return " ".join([said, *nobody, kept]).strip()


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


# --- Old links of the staff of an SHA a PCT moved away from -------------------------------


def _moved_away_told(request, *, ods: str = "", **_kwargs) -> None:
    """The staff of the SHA a PCT moved away from (``pct_update``), following an old link
    to its assessment's pages, are told where it went, when and by whom, where they got the
    bare 404 (walk W); the status stays 404. Anyone else gets the 404 as before."""
    change = pct_moved_away_for(user=request.user, ods=ods)
    if change is None:
        return None
    by = change.changed_by
    name = (by.get_full_name() or by.get_username()) if by is not None else "the command line"
    pct, sha = change.pct, change.pct.sha.name
    raise Http404(
        f"{pct.name} moved to {sha} on {timezone.localdate(change.changed_at):%-d %B %Y} "
        f"(by {name}): its {sha} staff deal with it now."
    )


moved_away_told = explained_404(_moved_away_told)


def moved_away_told_in(patterns: list) -> list:
    """``patterns`` with each view of a PCT's pages (a route naming ``ods``) wrapped in
    ``moved_away_told``; its access declaration is kept (``functools.wraps``)."""
    for pattern in patterns:
        if isinstance(pattern, URLPattern) and "ods" in pattern.pattern.regex.groupindex:
            pattern.callback = moved_away_told(pattern.callback)
    return patterns


app_name = "organisations"
urlpatterns = [
    path("", organisation_list, name="list"),
    path("new/", pct_new, name="new"),
    path("file/", pcts_file_preview, name="file_preview"),
    path("file/confirm/", pcts_file_confirm, name="file_confirm"),
    path("<str:ods>/", pct_edit, name="edit"),
]
