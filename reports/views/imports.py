"""Importing agreed ratings through the web: upload, preview, confirm; all or nothing.

Who (``reports.import_ratings``): the national team, for any PCT, and SHA staff, for their
own region's PCTs only (a row of another region is an error, "the PCT is outside your
region"). Anyone else gets 404.

How: the uploaded file is read and planned by ``reports.imports`` (the engine behind the
``import_ratings`` command), and the page lists exactly what would change, or every error
naming the row, the column, the value and the rule; nothing is written. The file's content
waits in the session (base64, with its SHA-256, the plan shown and the time of upload) for
at most ``STASH_MAX_AGE``. Confirming re-reads and re-plans that content against the
database as it is then: only a plan identical to the one previewed is applied (through
``apply_import``, in one transaction); otherwise the new preview is shown to be confirmed
again. A confirmation that does not match the stash (expired, another upload since, or
tampered with) is refused and nothing is written.
"""

import base64
import binascii
import hashlib
from datetime import datetime, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from assessments.access import round_by_slug, view_access
from assessments.exceptions import ConflictError, TransitionError, refusal_messages
from assessments.models import AssessmentRound
from assessments.selectors import user_scope
from reports.forms import ImportReasonForm, RatingsImportForm

# reports.imports (and with it pandas) is imported inside the functions, not at start-up.
STASH_KEY = "reports.ratings_import"
STASH_MAX_AGE = timedelta(hours=1)


# The national team and SHA staff (their own region's PCTs); anyone else 404.
import_access = view_access("reports.import_ratings", lookup=round_by_slug)


def _sha_ids(user) -> set[int] | None:
    """The regions the user may import for: None (all) for the national team."""
    scope = user_scope(user)
    return None if scope.is_national else set(scope.sha_ids)


def _plan(*, round_: AssessmentRound, user, filename: str, content: bytes, table=None):
    """``(changes, errors)``: the changes the file asks for, or every error found.
    ``table`` is ``(header, rows)`` when already read from ``content``."""
    from reports.imports import ImportRefused, plan_import, read_table

    try:
        header, rows = table or read_table(content, filename)
        changes = plan_import(
            round_=round_, header=header, rows=rows, filename=filename, sha_ids=_sha_ids(user)
        )
    except ImportRefused as exc:
        return [], exc.errors
    return changes, []


def _signature(changes) -> list[list]:
    """The plan as JSON-safe values, to tell whether a re-plan is still the one previewed."""
    return [[c.assessment.pct.ods_code, c.item.code, c.old, c.new, c.rationale] for c in changes]


def _stash(
    request,
    *,
    round_: AssessmentRound,
    filename: str,
    content: bytes,
    changes,
    reason: str = "",
) -> str:
    digest = hashlib.sha256(content).hexdigest()
    request.session[STASH_KEY] = {
        "round": round_.slug,
        "filename": filename,
        "reason": reason,
        "content": base64.b64encode(content).decode("ascii"),
        "sha256": digest,
        "uploaded_at": timezone.now().isoformat(),
        "plan": _signature(changes),
    }
    return digest


def _unstash(
    request, *, round_: AssessmentRound, token: str | None = None
) -> tuple[str, bytes, list, str] | None:
    """``(filename, content, plan, reason)`` of the previewed upload this confirmation names (or
    ``token`` names), or None when it is missing, expired, of another round or does not
    match its hash."""
    stash = request.session.get(STASH_KEY)
    if not isinstance(stash, dict) or stash.get("round") != round_.slug:
        return None
    token = request.POST.get("token", "") if token is None else token
    try:
        age = timezone.now() - datetime.fromisoformat(stash["uploaded_at"])
        content = base64.b64decode(stash["content"], validate=True)
        filename, plan, digest = stash["filename"], stash["plan"], stash["sha256"]
        reason = str(stash.get("reason", ""))
    except (KeyError, TypeError, ValueError, binascii.Error):
        return None
    if (
        not token
        or token != digest
        or hashlib.sha256(content).hexdigest() != digest
        or not timedelta(0) <= age <= STASH_MAX_AGE
    ):
        return None
    return filename, content, plan, reason


def _form(round_: AssessmentRound, *args, reason: str = "") -> RatingsImportForm:
    """The upload form; on a round whose publication was withdrawn, with its required
    reason (the corrected ratings' reason: ``reason``, the one typed with the previewed
    file, is offered again for another upload)."""
    return RatingsImportForm(
        *args, correction=round_.is_withdrawn(), initial={"reason": reason} if reason else None
    )


def _page(request, round_: AssessmentRound, form, **preview):
    return render(
        request,
        "reports/import.html",
        {
            "round": round_,
            "form": form,
            "own_region_only": _sha_ids(request.user) is not None,
            **preview,
        },
    )


def _preview(
    request,
    round_: AssessmentRound,
    *,
    filename: str,
    changes,
    errors,
    token: str,
    reason: str = "",
    reason_form: ImportReasonForm | None = None,
):
    """The check page. Changes after consensus (``needing_reason``) with no reason typed
    with the upload (a withdrawn round's correction) ask for it here, in ``reason_form``
    beside the confirm button: it becomes each changed rating's reason."""
    from reports.imports import needing_reason

    asks_reason = bool(needing_reason(changes)) and not reason
    return _page(
        request,
        round_,
        _form(round_, reason=reason),
        previewed=True,
        filename=filename,
        reason=reason,
        changes=changes,
        errors=errors,
        token=token,
        pcts=len({c.assessment.pk for c in changes}),
        reason_form=(reason_form or ImportReasonForm()) if asks_reason else None,
    )


def _url(round_: AssessmentRound) -> str:
    return reverse("reports:import_ratings", args=[round_.slug])


@require_http_methods(["GET", "HEAD", "POST"])
@import_access
def import_ratings(request, round_: AssessmentRound):
    """The upload form (GET); an upload (POST), kept in the session and shown by GET at
    ``?preview=1`` (post/redirect/get: Back and reload never send the file again, as for
    the board-accounts and PCT files). Writes no rating."""
    if request.method != "POST":
        if request.GET.get("preview") == "1":
            return _kept_preview(request, round_)
        return _page(request, round_, _form(round_))
    form = _form(round_, request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, round_, form)
    data = form.cleaned_data
    # Only the latest upload can be confirmed: it replaces any other.
    _stash(
        request,
        round_=round_,
        filename=data["filename"],
        content=data["content"],
        changes=[],
        reason=data.get("reason", ""),
    )
    return redirect(_url(round_) + "?preview=1")


def _kept_preview(request, round_: AssessmentRound):
    """The preview of the kept upload, planned now; the plan shown is kept with it, for
    the confirmation to compare. None kept (confirmed, expired): back to the form."""
    stash = request.session.get(STASH_KEY)
    token = stash.get("sha256", "") if isinstance(stash, dict) else ""
    kept = _unstash(request, round_=round_, token=str(token))
    if kept is None:
        request.session.pop(STASH_KEY, None)
        messages.info(request, "No file is waiting to be checked: choose one below.")
        return redirect(_url(round_))
    filename, content, _plan_before, reason = kept
    changes, errors = _plan(round_=round_, user=request.user, filename=filename, content=content)
    if round_.is_withdrawn() and not reason:
        # Uploaded before the withdrawal, when no reason was asked: upload it again with one.
        errors = [*errors, _NO_REASON]
    stash["plan"] = _signature(changes)
    request.session[STASH_KEY] = stash
    return _preview(
        request,
        round_,
        filename=filename,
        changes=changes,
        errors=errors,
        token=token if changes and not errors else "",
        reason=reason,
    )


_NO_REASON = (
    "The publication of this round was withdrawn since the file was uploaded: upload it again "
    "with the reason for the correction."
)


@require_POST
@import_access
def import_ratings_confirm(request, round_: AssessmentRound):
    """Apply the previewed upload, re-planned from its stored content; or cancel it."""
    from reports.imports import apply_import, needing_reason

    if "cancel" in request.POST:
        request.session.pop(STASH_KEY, None)
        messages.info(request, "Nothing was imported.")
        return redirect(_url(round_))
    stashed = _unstash(request, round_=round_)
    if stashed is None:
        # The latest upload's preview (in another tab) stays confirmable: refusing an older
        # one must not drop it (the concurrency walk). An unusable one goes.
        latest = request.session.get(STASH_KEY)
        latest_token = latest.get("sha256", "") if isinstance(latest, dict) else ""
        if _unstash(request, round_=round_, token=str(latest_token)) is None:
            request.session.pop(STASH_KEY, None)
        messages.error(
            request,
            "Nothing was imported: this preview has expired or is no longer the latest"
            " upload. Confirm the latest preview, or upload the file again.",
        )
        return redirect(_url(round_))
    filename, content, previewed_plan, reason = stashed
    changes, errors = _plan(round_=round_, user=request.user, content=content, filename=filename)
    # The reason typed on this check page (changes after consensus), given back as typed.
    typed = ImportReasonForm(initial={"reason": request.POST.get("reason", "")})
    if round_.is_withdrawn() and not reason:
        errors = [*errors, _NO_REASON]
    if errors or _signature(changes) != previewed_plan:
        token = ""
        if errors:
            request.session.pop(STASH_KEY, None)
        else:
            token = _stash(
                request,
                round_=round_,
                filename=filename,
                content=content,
                changes=changes,
                reason=reason,
            )
        messages.error(
            request,
            "Nothing was imported: the ratings have changed since the preview. Check the"
            " new preview below" + (" and confirm again." if token else "."),
        )
        return _preview(
            request,
            round_,
            filename=filename,
            changes=changes,
            errors=errors,
            token=token,
            reason=reason,
            reason_form=typed,
        )
    if needing_reason(changes) and not reason:
        form = ImportReasonForm(request.POST)
        if not form.is_valid():  # nothing written; the upload stays, to confirm with a reason
            return _preview(
                request,
                round_,
                filename=filename,
                changes=changes,
                errors=errors,
                token=request.POST.get("token", ""),
                reason_form=form,
            )
        reason = form.cleaned_data["reason"]
    request.session.pop(STASH_KEY, None)
    try:
        applied = apply_import(changes=changes, by=request.user, filename=filename, reason=reason)
    except (ValidationError, TransitionError, ConflictError) as exc:
        # A change made at the same moment: the transaction is rolled back whole.
        problems = " ".join(refusal_messages(exc))
        messages.error(request, f"Nothing was imported: {problems} Upload the file again.")
        return redirect(_url(round_))
    messages.success(
        request,
        f"Imported {filename}: {applied} rating{'s' if applied != 1 else ''} changed.",
    )
    return redirect(_url(round_))


urlpatterns = [
    path("reports/import/<slug:round_slug>/", import_ratings, name="import_ratings"),
    path(
        "reports/import/<slug:round_slug>/confirm/",
        import_ratings_confirm,
        name="import_ratings_confirm",
    ),
]
