"""The board's self-assessment and its evidence documents.

Each view declares its permission with ``assessments.access.view_access``: the PCT's board
edits; its SHA's staff and the national team read; everyone else gets 404. The PCT's
panel reads the self-assessment and evidence on its own pages (``panels``).
"""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import assessment_by_pct, document_by_pk, explained_404, view_access
from assessments.confirmation import confirmation_page, confirmed
from assessments.evidence import HISTORY_KEPT_FROM, evidence_history
from assessments.exceptions import (
    ConflictError,
    TransitionError,
    form_add_refusal,
    kept_on_conflict,
    refusal_messages,
)
from assessments.forms import EvidenceForm, SelfAssessmentForm
from assessments.models import Assessment, EvidenceDocument, Stage
from assessments.proceeding import deadline_passed
from assessments.selectors import (
    opening_taken_back_for,
    outcome_indicators,
    self_assessment_detail,
    self_assessment_sent_back,
    stage_without_self_assessment,
)
from assessments.services import (
    evidence_delete,
    evidence_upload,
    evidence_upload_undo,
    outcome_priorities_check,
    self_assessment_save,
)
from assessments.text import ascii_letters
from competencies.models import Competency
from competencies.selectors import item_label, rated_items

# The self-assessment form's own ``confirm`` field is the board's tick ("the board has
# agreed it"), so the check-your-answers page marks its confirming POST with this one.
CONFIRMED_FIELD = "confirmed"

# --- The board's self-assessment and evidence ------------------------------------------------


def _self_assessment_url(assessment: Assessment) -> str:
    return reverse(
        "assessments:self_assessment", args=[assessment.round.slug, assessment.pct.ods_code]
    )


def _taken_back_told(request, *, round_slug: str = "", ods: str = "", **_kwargs) -> None:
    """A board member who follows the link of a round's opening taken back since for their
    PCT (``round_take_back``) is told so, with when and why, where they got the bare 404
    (walk V); the status stays 404. Anyone else gets the 404 as before."""
    change = opening_taken_back_for(user=request.user, round_slug=round_slug, ods=ods)
    if change is None:
        return None
    reason = change.reason.strip()
    stop = "" if reason[-1:] in ".!?" else "."  # walk W: "…pilot only.”."
    raise Http404(
        f"{change.round.name} is not open for your PCT: the national team took back its "
        f"opening on {timezone.localdate(change.changed_at):%-d %B %Y}, saying: "
        f"\u201c{reason}\u201d{stop} Your board was e-mailed about it; there is nothing to "
        "do until the round opens for your PCT."
    )


@require_http_methods(["GET", "POST"])
@explained_404(_taken_back_told)
@view_access(
    "assessments.view_evidence",
    lookup=assessment_by_pct,
    change="assessments.edit_self_assessment",
)
def self_assessment(request, assessment: Assessment):
    can_edit = request.user.has_perm("assessments.edit_self_assessment", assessment)
    detail = self_assessment_detail(assessment=assessment)
    items = rated_items(assessment.round.framework)
    editable = can_edit and assessment.stage == Stage.SELF_ASSESSMENT and not detail.submitted
    indicators = outcome_indicators() if editable or request.method == "POST" else []
    form = SelfAssessmentForm(
        items=items,
        ratings=detail.ratings,
        indicators=indicators,
        priorities=detail.priorities,
        initial={
            "version": detail.version,
            "commentary": detail.self_assessment.commentary if detail.self_assessment else "",
        },
    )
    if request.method == "POST" and not editable:
        # Only its board may post here (``change``), so the self-assessment is closed: said
        # for every action, as the service refuses a draft save, not the posted form's
        # errors (walk M: a forged submit after SHA staff proceeded without it).
        messages.error(request, _closed_message(assessment, submitted=detail.submitted))
        return redirect(_self_assessment_url(assessment))
    if request.method == "POST":
        posted = SelfAssessmentForm(
            request.POST, items=items, ratings=detail.ratings, indicators=indicators
        )
        # Submit first saves the draft and shows the answers to check; the confirming POST
        # (``confirmed``, from that page: the form's own ``confirm`` is the board's tick)
        # submits.
        # With an item left blank the service refuses the submission at once, naming each
        # (and writes nothing), so there is nothing to check yet.
        checking = posted.submitting and not confirmed(request, CONFIRMED_FIELD)
        if posted.is_valid():
            if checking and any(value in (None, "") for value, _note in posted.values().values()):
                checking = False
            try:
                saved = _save(
                    request, assessment, posted, submit=posted.submitting and not checking
                )
            except TransitionError as exc:
                messages.error(request, str(exc))
                return redirect(_self_assessment_url(assessment))
            except ConflictError:
                detail, form = _kept_on_conflict(request, assessment, items, indicators)
            except ValidationError as exc:
                form_add_refusal(posted, exc)
                form = posted
            else:
                if checking:
                    return _self_assessment_check_page(
                        request, assessment, version=saved.version, form=posted
                    )
                sent = (
                    self_assessment_sent_back(assessment=assessment) if posted.submitting else None
                )
                sender = sent.changed_by if sent is not None else None
                messages.success(
                    request,
                    "Self-assessment submitted: it now goes to your panel. "
                    + (
                        f"{sender.get_full_name() or sender.get_username()}, who sent it back, "
                        "is e-mailed that it is back."
                        if sender is not None and sender.email and sender.is_active
                        else "Nobody was e-mailed; the staff of "
                        f"{assessment.pct.sha.name} see it at panel formation."
                    )
                    if posted.submitting
                    else "Draft saved. You can come back and finish at any time.",
                )
                return redirect(_self_assessment_url(assessment))
        else:
            _priorities_checked(posted)
            form = posted
    return _self_assessment_page(
        request,
        assessment,
        detail=detail,
        form=form,
        editable=editable,
        evidence_form=EvidenceForm() if editable else None,
    )


def _closed_message(assessment: Assessment, *, submitted: bool) -> str:
    """Why a post to a closed self-assessment changed nothing, in the words of the service's
    refusal (``assessments.services.self_assessment_save``)."""
    if assessment.stage != Stage.SELF_ASSESSMENT:
        return f"The self-assessment is closed: this assessment is at {assessment.get_stage_display()}."
    return "The self-assessment has been submitted and can no longer change."


def _save(request, assessment: Assessment, form: SelfAssessmentForm, *, submit: bool = False):
    """Save the self-assessment as ``form`` (valid) holds it, at the version it showed."""
    return self_assessment_save(
        assessment=assessment,
        values=form.values(),
        commentary=form.cleaned_data["commentary"],
        by=request.user,
        expected_version=form.cleaned_data["version"],
        submit=submit,
        priorities=form.priorities(),
    )


def _priorities_checked(form: SelfAssessmentForm) -> None:
    """An invalid form's priorities checked too, so that every problem comes at once."""
    try:
        outcome_priorities_check(form.priorities())
    except ValidationError as exc:
        form_add_refusal(form, exc)


def _self_assessment_page(request, assessment, *, detail, form, editable, evidence_form):
    return render(
        request,
        "assessments/self_assessment.html",
        {
            "assessment": assessment,
            "detail": detail,
            "form": form,
            "editable": editable,
            "evidence_form": evidence_form,
            # Each upload and removal, newest first: one query.
            "evidence_changes": evidence_history(assessment=assessment),
            "evidence_history_from": HISTORY_KEPT_FROM,
            # SHA staff moved the PCT on without this self-assessment: when, who and why,
            # for the board reading its closed draft (the walk of today's fixes).
            "proceeded": None
            if detail.submitted or assessment.stage == Stage.SELF_ASSESSMENT
            else stage_without_self_assessment(assessment=assessment),
            # SHA staff sent the submitted self-assessment back: who, when and what to
            # correct, above the form (``assessments.reopening``).
            "sent_back": self_assessment_sent_back(assessment=assessment)
            if detail.self_assessment is not None
            and not detail.submitted
            and assessment.stage == Stage.SELF_ASSESSMENT
            else None,
            "self_assessment_overdue": deadline_passed(assessment.round),
            "may_send_back": detail.submitted
            and assessment.stage == Stage.PANEL_FORMATION
            and request.user.has_perm("assessments.send_back_self_assessment", assessment),
            # One error summary at the top, in page order: the upload, then the answers.
            "summary_forms": [f for f in (evidence_form, form) if f is not None],
        },
    )


def _self_assessment_check_page(
    request, assessment: Assessment, *, version: int, form: SelfAssessmentForm
):
    """Check the board's answers (already saved as a draft) before submitting them."""
    data = form.cleaned_data
    # (label, value, commentary, is_competency): a sub-indicator has a number too, so the
    # template cannot tell a competency by it.
    answers = [
        (
            item_label(item),
            data.get(item.code) or None,
            data.get(f"{item.code}_commentary", ""),
            isinstance(item, Competency),
        )
        for item in form.items_
    ]
    missing = [label for label, value, _note, _c in answers if value is None]
    carry = [(name, request.POST.get(name, "")) for name in form.fields if name != "version"]
    sha = assessment.pct.sha.name
    return confirmation_page(
        request,
        title=f"Submit {assessment.pct.name}'s self-assessment for {assessment.round.name}?",
        happens=[
            "The board's self-assessment is submitted as listed below: it becomes read-only "
            "and cannot change.",
            f"The assessment moves on to panel formation: the staff of {sha} form the panel, "
            "which reads it with your evidence.",
        ],
        told=f"Nobody is e-mailed. The staff of {sha} see it at panel formation; your panel sees "
        "it when scoring opens.",
        button="Confirm and submit the self-assessment",
        back=_self_assessment_url(assessment),
        carry=[*carry, ("version", str(version)), ("action", "submit")],
        template="assessments/self_assessment_confirm.html",
        context={
            "assessment": assessment,
            "answers": answers,
            "missing": missing,
            "blocked": bool(missing),
            "overall": data.get("commentary", ""),
            # The documents go with the answers: a wrong file is seen before it is sent.
            "evidence": [
                (document, _stored_size(document))
                for document in assessment.evidence.order_by("uploaded_at", "pk")
            ],
        },
        field=CONFIRMED_FIELD,
    )


def _stored_size(document: EvidenceDocument) -> int | None:
    """The size in bytes of ``document``'s stored file; None when the file is missing."""
    try:
        return document.file.size
    except (FileNotFoundError, OSError):
        return None


def _kept_on_conflict(request, assessment: Assessment, items, indicators):
    """The self-assessment as it is stored now, and the form as the board posted it at that
    version, after a ``ConflictError`` (``kept_on_conflict``)."""
    detail = self_assessment_detail(assessment=assessment)
    form = kept_on_conflict(
        SelfAssessmentForm,
        request.POST,
        version=detail.version,
        what="This self-assessment",
        items=items,
        ratings=detail.ratings,
        indicators=indicators,
    )
    return detail, form


@require_POST
@view_access("assessments.edit_self_assessment", lookup=assessment_by_pct)
def evidence_upload_view(request, assessment: Assessment):
    """Upload a document without losing what was typed: the Upload button posts the whole
    self-assessment form here (``formaction``), so its answers are saved as a draft first,
    then the document is stored. Either refusal shows the page again with everything as
    typed and the problems in the error summary. A post without the self-assessment's
    fields (an older page) only uploads."""
    evidence_form = EvidenceForm(request.POST, request.FILES)
    draft = None
    if "version" in request.POST:
        detail = self_assessment_detail(assessment=assessment)
        draft = SelfAssessmentForm(
            request.POST,
            items=rated_items(assessment.round.framework),
            ratings=detail.ratings,
            indicators=outcome_indicators(),
        )
    if not evidence_form.is_valid() or (draft is not None and not draft.is_valid()):
        return _page_as_typed(request, assessment, draft=draft, evidence_form=evidence_form)
    # One transaction: a refused upload leaves the draft unsaved too (the page shows both
    # as typed), so the version on the page stays the one the next save expects.
    failed, document = draft, None
    try:
        with transaction.atomic():
            if draft is not None:
                _save(request, assessment, draft)
            failed = evidence_form
            document = evidence_upload(
                assessment=assessment,
                doc_type=evidence_form.cleaned_data["doc_type"],
                title=evidence_form.cleaned_data["title"],
                file=evidence_form.cleaned_data["file"],
                by=request.user,
                max_bytes=settings.EVIDENCE_MAX_BYTES,
            )
    except TransitionError as exc:
        messages.error(request, "The document was not uploaded. " + str(exc))
        return redirect(_self_assessment_url(assessment))
    except ConflictError:
        _detail, draft = _kept_on_conflict(
            request, assessment, rated_items(assessment.round.framework), outcome_indicators()
        )
        evidence_form.add_error(
            "file",
            "Not uploaded: your answers could not be saved first, since the self-assessment "
            "was saved elsewhere meanwhile. Choose the file again.",
        )
        return _page_as_typed(request, assessment, draft=draft, evidence_form=evidence_form)
    except ValidationError as exc:
        if failed is evidence_form:
            for message in refusal_messages(exc):
                evidence_form.add_error("file", message)
        else:
            form_add_refusal(draft, exc)
        return _page_as_typed(request, assessment, draft=draft, evidence_form=evidence_form)
    except BaseException:
        # The file was stored and its row written, then this transaction did not commit
        # ("database is locked" at COMMIT): the file goes too, so none is left without its
        # row, and the error goes on as it was (tried again, or the 503 page).
        if document is not None:
            evidence_upload_undo(document=document)
        raise
    saved_draft = draft is not None
    messages.success(
        request,
        f"Your answers were saved as a draft and the document uploaded: {document.title}."
        if saved_draft
        else f"Uploaded {document.title}.",
    )
    return redirect(_self_assessment_url(assessment))


def _page_as_typed(request, assessment, *, draft, evidence_form):
    """The self-assessment page again, as typed, with the upload's problems at the top."""
    detail = self_assessment_detail(assessment=assessment)
    if draft is None:
        draft = SelfAssessmentForm(
            items=rated_items(assessment.round.framework),
            ratings=detail.ratings,
            indicators=outcome_indicators(),
            priorities=detail.priorities,
            initial={
                "version": detail.version,
                "commentary": detail.self_assessment.commentary if detail.self_assessment else "",
            },
        )
    return _self_assessment_page(
        request,
        assessment,
        detail=detail,
        form=draft,
        editable=assessment.stage == Stage.SELF_ASSESSMENT and not detail.submitted,
        evidence_form=evidence_form,
    )


@require_POST
@view_access("assessments.edit_self_assessment", lookup=assessment_by_pct)
def evidence_delete_view(request, assessment: Assessment, pk: int):
    """Remove a document of evidence: the first POST asks (a check page, since its file is
    deleted for good), the confirming one removes it. A document no longer there (removed
    from another window) is said so, not a 404.

    Like Upload, *Remove* posts the whole self-assessment form here (``formaction``), so
    what was typed is saved as a draft before the check page, with or without script; a
    draft that cannot be saved shows the page again as typed, and nothing is removed."""
    back = _self_assessment_url(assessment)
    document = assessment.evidence.filter(pk=pk).first()
    saved_draft = False
    if "version" in request.POST and not confirmed(request):
        refused = _draft_saved_or_refused(
            request, assessment, refusal=f"{document.title} was not removed" if document else ""
        )
        if refused is not None:
            return refused
        saved_draft = True
    draft_note = " Your answers were saved as a draft." if saved_draft else ""
    if document is None:
        messages.info(
            request,
            "That document is no longer in the self-assessment: it was removed, perhaps in "
            "another window. Nothing was changed." + draft_note,
        )
        return redirect(back)
    if not confirmed(request):
        return confirmation_page(
            request,
            title=f"Remove {document.title}?",
            happens=[
                *(["Your answers were saved as a draft first."] if saved_draft else []),
                f"{document.title} ({document.get_doc_type_display()}, uploaded "
                f"{timezone.localdate(document.uploaded_at):%-d %B %Y}) is removed from the self-assessment of "
                f"{assessment.pct.name}, and its file is deleted. To have it back, upload it "
                "again.",
                "The removal is kept in the evidence's history (your name, the time, the "
                "document and its file), which your panel, your SHA's staff and the national "
                "team see.",
            ],
            told="Nobody is told.",
            button=f"Confirm and remove {document.title}",
            back=back,
            danger=True,
        )
    try:
        evidence_delete(document=document, by=request.user)
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Removed {document.title}.")
    return redirect(back)


def _draft_saved_or_refused(request, assessment: Assessment, *, refusal: str):
    """Save the self-assessment posted with another action (Remove) as a draft: ``None``
    once saved, else the response to give (the page as typed, its problems at the top and
    ``refusal`` saying what was not done)."""
    detail = self_assessment_detail(assessment=assessment)
    items = rated_items(assessment.round.framework)
    indicators = outcome_indicators()
    draft = SelfAssessmentForm(
        request.POST, items=items, ratings=detail.ratings, indicators=indicators
    )
    if not draft.is_valid():
        _priorities_checked(draft)
    else:
        try:
            _save(request, assessment, draft)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(_self_assessment_url(assessment))
        except ConflictError:
            _detail, draft = _kept_on_conflict(request, assessment, items, indicators)
        except ValidationError as exc:
            form_add_refusal(draft, exc)
        else:
            return None
    if refusal:
        draft.add_error(None, f"{refusal}: your answers below could not be saved first.")
    return _page_as_typed(request, assessment, draft=draft, evidence_form=EvidenceForm())


def evidence_file_response(document: EvidenceDocument) -> FileResponse:
    """The document as a download (also served to the panel by ``panels``); 404 when the
    stored file is missing."""
    suffix = Path(document.file.name).suffix.lower()
    title = slugify(ascii_letters(document.title))
    filename = f"{document.assessment.pct.ods_code}-{title or 'evidence'}{suffix}"
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing.") from None
    response = FileResponse(handle, as_attachment=True, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@view_access("assessments.view_evidence", lookup=document_by_pk)
def evidence_download(request, document: EvidenceDocument):
    """The file, to those who may see the PCT's evidence; 404 to everyone else."""
    return evidence_file_response(document)
