"""Scoring by seat holders and consensus by the chair.

Each view: the access-checked fetch (404 outside the user's scope), the form, one service
call, then a redirect with a message; refusals from the services (stage, conflict, bad
input) are shown on the page, and nothing is written.
"""

import re
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import explained_404, view_access
from assessments.confirmation import (
    checked_version,
    confirmation_page,
    confirmed,
    forget_typed,
    keep_typed,
    typed_back,
)
from assessments.evidence import HISTORY_KEPT_FROM, evidence_history
from assessments.exceptions import (
    ConflictError,
    TransitionError,
    form_add_refusal,
    kept_on_conflict,
    refusal_messages,
)
from assessments.models import Assessment, EvidenceDocument, Stage
from assessments.text import visible
from assessments.views import evidence_file_response
from competencies.selectors import item_label, rated_items
from panels.access import panel_assessment, panel_document
from panels.forms.scoring import AbsenceForm, ConsensusForm, ScoringForm
from panels.models import Seat
from panels.selectors import (
    acting_chair,
    chair_handed_from,
    moderation_changes,
    moderation_tally,
    my_seats,
    panel_view,
    scoring_form_rows,
    scoring_view,
    seat_replaced_for,
)
from panels.services.scoring import (
    consensus_close,
    consensus_record,
    member_scores_save,
    seat_mark_absent,
)


def _own_seat(user, assessment) -> Seat | None:
    """The user's seat on the assessment's panel, its ``panel.assessment`` the one the view
    already holds (with its round and framework), so that the services reading it do not
    fetch them again."""
    seat = (
        Seat.objects.select_related("seat_type", "person", "panel")
        .filter(panel__assessment=assessment, person__user=user)
        .first()
    )
    if seat is not None:
        seat.panel.assessment = assessment
    return seat


def _url(name: str, assessment) -> str:
    return reverse(name, args=[assessment.round.slug, assessment.pct.ods_code])


@require_safe
@view_access("assessments.signed_in")
def my_panels(request):
    return render(request, "panels/my_panels.html", {"progress": my_seats(user=request.user)})


def _replaced_member_told(request, *, round_slug: str = "", ods: str = "", **_kwargs):
    """A member replaced while scoring (``seat_replace``) who follows an old link to the
    panel's pages is told so, where they got the site's bare 404 (walk R); the status stays
    404. Anyone else gets the 404 as before."""
    change = seat_replaced_for(user=request.user, round_slug=round_slug, ods=ods)
    if change is None:
        return None
    by = change.changed_by
    name = (by.get_full_name() or by.get_username()) if by is not None else "SHA staff"
    return render(request, "panels/replaced.html", {"change": change, "by": name}, status=404)


replaced_member_told = explained_404(_replaced_member_told)


def _chair_handed_told(
    request,
    *,
    round_slug: str = "",
    ods: str = "",
    number: int | None = None,
    status: int = 404,
    **_kwargs,
):
    """Whoever chaired a panel until SHA staff handed the chair on, and follows their open
    consensus page (or saves it), is told who chairs it now, since when and why, and given
    back what they had typed, for the new chair (walk W: a bare 404 or 403, everything
    lost); the status stays the refusal's. Anyone else gets the refusal as before."""
    change = chair_handed_from(user=request.user, round_slug=round_slug, ods=ods)
    if change is None:
        return None
    by = change.changed_by
    assessment = change.seat.panel.assessment
    typed = [
        (key.removesuffix("_rationale"), request.POST.get(key.removesuffix("_rationale"), ""), text)
        for key, text in request.POST.items()
        if key.endswith("_rationale")
    ]
    # From "Record" on a member's excuse (``mark_absent``): the member, and the reason typed.
    reason = request.POST.get("reason", "").strip() if number is not None else ""
    excusing = (
        Seat.objects.select_related("seat_type", "person")
        .filter(panel_id=change.seat.panel_id, seat_type__number=number)
        .first()
        if reason
        else None
    )
    typed = [(code, value, text) for code, value, text in typed if value or text.strip()]
    # Each item typed is named as the consensus page names it ("1. Locally leading the
    # NHS", "Strategy"), not by its form code ("c1"): the framework's items are read once
    # (a few queries however many were typed), a code of none of them shown as posted.
    labels = (
        {item.code: item_label(item) for item in rated_items(assessment.round.framework)}
        if typed
        else {}
    )
    return render(
        request,
        "panels/chair_handed.html",
        {
            "change": change,
            "by": (by.get_full_name() or by.get_username()) if by is not None else "SHA staff",
            "posted": request.method == "POST",
            "typed": [(labels.get(code, code), value, text) for code, value, text in typed],
            "excusing": excusing,
            "reason": reason,
        },
        status=status,
    )


def chair_handed_told(view):
    """``explained_404(_chair_handed_told)``, and the same page for the 403 of a view's
    change permission: the chair's seat holder may still see the consensus page (read-only)
    after a hand-over, so their save from a page opened before it is refused with a 403,
    not a 404 (walk W: "You cannot change this", the typing lost)."""
    explained = explained_404(_chair_handed_told)(view)

    @wraps(explained)
    def wrapped(request, *args, **kwargs):
        try:
            return explained(request, *args, **kwargs)
        except PermissionDenied:
            answer = _chair_handed_told(request, status=403, **kwargs)
            if answer is None:
                raise
            return answer

    return wrapped


@require_http_methods(["GET", "POST"])
@replaced_member_told
@view_access("panels.score_panel", lookup=panel_assessment)
def score(request, assessment: Assessment):
    seat = _own_seat(request.user, assessment)
    if request.method != "POST":
        return _scoring_page(request, assessment, seat=seat)
    # The POST reads the form on the framework's items alone: the scores, the
    # self-assessment and the evidence (``scoring_view``) are read only if the page is
    # shown again.
    rows = scoring_form_rows(assessment=assessment)
    posted = ScoringForm(request.POST, rows=rows)
    if not posted.is_valid():
        return _scoring_page(request, assessment, seat=seat, data=request.POST)
    # Submit first saves the draft and shows the scores to check; the confirming POST
    # (``confirm``, from that page) submits.
    # With an item left blank the service refuses the submission at once, naming each
    # (and writes nothing), so there is nothing to check yet.
    checking = posted.submitting and not confirmed(request)
    # With an item left blank, Submit saves what was given as a draft (nothing typed is
    # lost, even leaving without script) and names each blank item.
    blanks = posted.submitting and any(i.value in (None, "") for i in posted.inputs().values())
    try:
        saved = member_scores_save(
            seat=seat,
            values=posted.inputs(),
            by=request.user,
            expected_version=posted.cleaned_data["version"],
            submit=posted.submitting and not checking and not blanks,
            items=[row.item for row in rows],
        )
        if blanks:
            return _blanks_named(request, assessment, rows=rows, posted=posted, saved=saved)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(_url("panels:score", assessment))
    except ConflictError:
        seat = _own_seat(request.user, assessment)
        return _scoring_page(
            request, assessment, seat=seat, data=request.POST, stale_since=seat.version
        )
    except ValidationError as exc:
        return _scoring_page(request, assessment, seat=seat, data=request.POST, refusal=exc)
    if checking:
        return _scores_check_page(request, assessment, seat=saved, form=posted)
    if posted.submitting:
        assessment.refresh_from_db(fields=["stage"])
        messages.success(
            request,
            "Your scores are submitted. The panel's scores are shown below. "
            + (
                "You were the last member: the panel is now at consensus, and the "
                "chair has been e-mailed."
                if assessment.stage == Stage.CONSENSUS
                else "Nobody was e-mailed: the chair is told once every member is done."
            ),
        )
    else:
        messages.success(request, "Draft saved. You can come back and finish at any time.")
    return redirect(_url("panels:score", assessment))


def _blanks_named(request, assessment: Assessment, *, rows, posted, saved: Seat):
    """The page again after Submit with items left blank: the scores given are saved as a
    draft (at ``saved``'s version, which the page now carries), and the service's refusal
    to submit names each blank item."""
    try:
        with transaction.atomic():
            member_scores_save(
                seat=saved,
                values=posted.inputs(),
                by=request.user,
                expected_version=saved.version,
                submit=True,
                items=[row.item for row in rows],
            )
    except ValidationError as exc:
        data = request.POST.copy()
        data["version"] = str(saved.version)
        return _scoring_page(
            request,
            assessment,
            seat=saved,
            data=data,
            refusal=exc,
            summary_title="Your scores were saved as a draft, but not submitted",
        )
    return redirect(_url("panels:score", assessment))  # the page shows what is stored


def _scoring_page(
    request,
    assessment: Assessment,
    *,
    seat: Seat,
    data=None,
    refusal: ValidationError = None,
    stale_since: int | None = None,
    summary_title: str = "",
):
    """The scoring page: the saved scores, or (``data``) what was posted, with its errors
    and the service's ``refusal`` beside the fields they are about; ``stale_since``: the
    version saved since the member opened the page (``kept_on_conflict``)."""
    view = scoring_view(assessment=assessment, seat=seat)
    if data is None:
        form = ScoringForm(rows=view.rows, initial={"version": seat.version})
    elif stale_since is not None:
        form = kept_on_conflict(
            ScoringForm, data, version=stale_since, what="Your scores", rows=view.rows
        )
    else:
        form = ScoringForm(data, rows=view.rows)
        form.is_valid()
        if refusal is not None:
            form_add_refusal(form, refusal)
    editable = (
        assessment.stage == Stage.SCORING and seat.submitted_at is None and not seat.absence_reason
    )
    return render(
        request,
        "panels/scoring.html",
        {
            "assessment": assessment,
            "seat": seat,
            "view": view,
            "form": form,
            "editable": editable,
            "show_panel": seat.submitted_at is not None,
            "summary_title": summary_title or "Nothing was saved",
            # Each upload and removal of the evidence, newest first (one query): a removal
            # after the panel started reading is what it needs to know.
            "evidence_changes": evidence_history(assessment=assessment),
            "evidence_history_from": HISTORY_KEPT_FROM,
        },
    )


def _scores_check_page(request, assessment: Assessment, *, seat: Seat, form: ScoringForm):
    """Check your scores (already saved as a draft) before submitting them."""
    data = form.cleaned_data
    # (row, value, notes for the board, internal notes): everything the submission fixes
    answers = [
        (
            row,
            data.get(row.code) or None,
            data.get(f"{row.code}_notes", ""),
            data.get(f"{row.code}_internal", ""),
        )
        for row in form.rows
    ]
    missing = [str(row.item) for row, value, _notes, _internal in answers if value is None]
    carry = [(name, request.POST.get(name, "")) for name in form.fields if name != "version"]
    return confirmation_page(
        request,
        title=f"Submit your scores for {assessment.pct.name}?",
        happens=[
            "Your scores and notes are submitted as they are listed below; after that they "
            "cannot change.",
            "You will then see the rest of the panel's scores.",
        ],
        told="Nobody, unless you are the last member to submit: then the panel moves to "
        "consensus and the chair is e-mailed.",
        button="Confirm and submit my scores",
        back=_url("panels:score", assessment),
        carry=[*carry, ("version", str(seat.version)), ("action", "submit")],
        template="panels/scoring_confirm.html",
        context={
            "assessment": assessment,
            "answers": answers,
            "missing": missing,
            "blocked": bool(missing),
        },
    )


@require_http_methods(["GET", "POST"])
@replaced_member_told
@chair_handed_told
@view_access("panels.view_consensus", lookup=panel_assessment, change="panels.record_consensus")
def consensus(request, assessment: Assessment):
    """The chair saves agreed values and rationales as a draft, in any order and part by part;
    completeness is checked when closing (``close_consensus``)."""
    if not hasattr(assessment, "panel"):  # none formed yet: a PCT still at self-assessment
        raise Http404("This PCT has no panel yet.")
    is_chair = request.user.has_perm("panels.record_consensus", assessment)
    seat = _own_seat(request.user, assessment) if is_chair else None
    view = panel_view(assessment=assessment, seat=seat)
    panel = assessment.panel
    form = ConsensusForm(rows=view.rows, initial={"version": panel.version})
    if request.method == "POST":
        posted = ConsensusForm(request.POST, rows=view.rows)
        if posted.is_valid():
            try:
                consensus_record(
                    panel=panel,
                    values=posted.inputs(),
                    by=request.user,
                    expected_version=posted.cleaned_data["version"],
                )
            except TransitionError as exc:
                messages.error(request, str(exc))
                return redirect(_url("panels:consensus", assessment))
            except ConflictError:
                view = panel_view(assessment=assessment, seat=seat)
                panel.refresh_from_db()
                form = kept_on_conflict(
                    ConsensusForm,
                    request.POST,
                    version=panel.version,
                    what="The panel's consensus",
                    rows=view.rows,
                )
            except ValidationError as exc:
                form_add_refusal(posted, exc)
                form = posted
            else:
                if request.POST.get("action") == "close":  # saved first: nothing typed is lost
                    assessment.refresh_from_db()
                    return _close_check(request, assessment)
                messages.success(
                    request,
                    "Consensus saved. It stays a draft until you close consensus, which "
                    "needs every item's agreed value and rationale.",
                )
                return redirect(_url("panels:consensus", assessment))
        else:
            form = posted
    return _consensus_page(request, assessment, view=view, form=form, seat=seat, is_chair=is_chair)


def _consensus_page(
    request,
    assessment: Assessment,
    *,
    view,
    form,
    seat,
    is_chair: bool,
    summary_title="",
    absence: tuple[int, str] | None = None,
):
    """The consensus page; ``absence`` (``(seat number, message)``) is a refused excuse,
    its message in an error summary linked to that seat's reason field."""
    editable = is_chair and assessment.stage == Stage.CONSENSUS
    # A seat holder (the chair, an acting chair, or the chair for whom one stands in) sees
    # members' scores only once they have submitted their own, or were excused and every
    # member is done: the chair handed on while scoring still scores, and read the others'
    # scores here before scoring (review X). SHA staff and the national team hold no seat.
    own = seat or next(
        (s for s in view.seats if s.person is not None and s.person.user_id == request.user.pk),
        None,
    )
    show_scores = (
        own is None
        or own.submitted_at is not None
        or (bool(own.absence_reason) and assessment.stage >= Stage.CONSENSUS)
    )
    # SHA staff handed the chair to another member: who, since when, why. The chair's seat
    # holder sees the page read-only, and is told why.
    acting = acting_chair(panel=assessment.panel)
    chair_seat = next((s for s in view.seats if s.seat_type.is_chair), None)
    moderated = (
        moderation_changes(view) if show_scores and assessment.stage > Stage.CONSENSUS else []
    )
    return render(
        request,
        "panels/consensus.html",
        {
            "assessment": assessment,
            "view": view,
            "form": form,
            "is_chair": is_chair,
            "acting": acting,
            "old_chair": acting is not None
            and not is_chair
            and chair_seat is not None
            and chair_seat.person is not None
            and chair_seat.person.user_id == request.user.pk,
            # The seat that chairs (never excused): the acting chair's, else the chair's.
            "presiding_id": acting.seat_id if acting else getattr(chair_seat, "pk", None),
            "editable": editable,
            "show_scores": show_scores,
            "gaps": view.consensus_gaps if editable else [],
            "consensus_overdue": (
                assessment.stage <= Stage.CONSENSUS
                and assessment.round.consensus_due is not None
                and assessment.round.consensus_due < timezone.localdate()
            ),
            "moderated": moderated,
            # What moderation itself changed (an adjustment made by mistake and put back
            # changes none: walk N), apart from the later stages' changes.
            "tally": moderation_tally(
                moderated, first_published_at=assessment.round.first_published_at
            ),
            "absence_form": AbsenceForm(),
            "can_excuse": is_chair and assessment.stage == Stage.SCORING,
            # After the excuse check page's "Go back": the reason typed for the seat, shown
            # in its box again (``keep_typed``).
            "typed_reason": typed_back(request, f"excuse:{assessment.pk}")
            if request.method == "GET"
            else {},
            "summary_title": summary_title or "Nothing was saved",
            "absence": absence,
            "absence_entry": (f"#reason-{absence[0]}", absence[1]) if absence else None,
            "page_has_errors": bool(absence or form.errors),
        },
    )


def _close_refused(request, assessment: Assessment, exc: ValidationError):
    """The consensus page with each missing value, rationale or member as its own message,
    linked to its item: the saved consensus as a form, with the refusal on its fields."""
    seat = _own_seat(request.user, assessment)
    view = panel_view(assessment=assessment, seat=seat)
    data = {"version": assessment.panel.version}
    for row in view.rows:
        if row.agreed is not None:
            data[row.code] = str(row.agreed.value)
            data[f"{row.code}_rationale"] = row.agreed.rationale
    form = ConsensusForm(data, rows=view.rows)
    form.is_valid()
    form_add_refusal(form, exc)
    return _consensus_page(
        request,
        assessment,
        view=view,
        form=form,
        seat=seat,
        is_chair=True,
        summary_title="Consensus cannot close yet",
    )


def _close_check(request, assessment: Assessment):
    """Before closing: what is missing (the consensus page, each gap linked to its item),
    or the check page listing every agreed value and rationale as they will be final."""
    view = panel_view(assessment=assessment)
    if assessment.stage == Stage.CONSENSUS and view.consensus_gap_fields:
        return _close_refused(request, assessment, ValidationError(view.consensus_gap_fields))
    sha = assessment.pct.sha.name
    return confirmation_page(
        request,
        title=f"Close consensus for {assessment.pct.name}?",
        happens=[
            "The agreed levels, lights and rationales below are final for the panel: they "
            "can no longer be changed here.",
            f"The assessment goes to regional moderation by the staff of {sha}.",
        ],
        told=f"Nobody is e-mailed. The staff of {sha} see the assessment on their regional "
        "moderation page.",
        button="Confirm and close consensus",
        back=_url("panels:consensus", assessment),
        action=_url("panels:close_consensus", assessment),
        carry={"version": str(assessment.panel.version)},
        template="panels/consensus_confirm.html",
        context={
            "assessment": assessment,
            "answers": [row for row in view.rows if not row.is_sub_indicator],
        },
    )


@require_POST
@chair_handed_told
@view_access("panels.record_consensus", lookup=panel_assessment)
def close_consensus(request, assessment: Assessment):
    """Close consensus: the first POST shows what will happen (or what is missing); the
    confirming one (``confirm``) closes it."""
    back = _url("panels:consensus", assessment)
    if not confirmed(request):
        return _close_check(request, assessment)
    try:
        consensus_close(
            assessment=assessment,
            by=request.user,
            expected_version=checked_version(request),
        )
    except ConflictError as exc:  # changed since the check page: check again
        messages.error(request, str(exc))
        assessment.panel.refresh_from_db()
        return _close_check(request, assessment)
    except TransitionError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        return _close_refused(request, assessment, exc)
    else:
        messages.success(
            request,
            "Consensus closed: the assessment has gone to regional moderation. Nobody was "
            f"e-mailed; the staff of {assessment.pct.sha.name} see it on their moderation page.",
        )
    return redirect(back)


def _absence_refused(seat: Seat, form: AbsenceForm) -> tuple[int, str, str, str]:
    """``(seat number, the summary's message, the field's message, the reason as typed)``
    for a refused excuse: a blank reason, or one too long or holding a NUL (the bad-input
    walk: 1,200 characters read "give the reason", and the box came back empty)."""
    where = f"Seat {seat.seat_type.number} ({seat.seat_type.name})"
    typed = form.data.get("reason", "")
    if not visible(typed):
        return (
            seat.seat_type.number,
            f"{where}: give the reason {seat.person} could not take part.",
            "Give the reason.",
            "",
        )
    problem = " ".join(form.errors.get("reason", []))
    return seat.seat_type.number, f"{where}: {problem}", problem, typed.replace("\x00", "")


def _posted_version(request) -> int | None:
    """The ``version`` a form posted, or None when it posted none that is a number."""
    posted = request.POST.get("version", "")
    return int(posted) if re.fullmatch(r"[0-9]{1,9}", posted) else None


@require_POST
@chair_handed_told
@view_access("panels.record_consensus", lookup=panel_assessment)
def mark_absent(request, assessment: Assessment, number: int):
    """Excuse a member, with a reason: the first POST shows what will happen; the
    confirming one (``confirm``) records it."""
    seat = (
        Seat.objects.select_related("seat_type", "person", "panel__assessment")
        .filter(panel__assessment=assessment, seat_type__number=number)
        .first()
    )
    if seat is None:
        raise Http404("No such seat.")
    back = _url("panels:consensus", assessment)
    form = AbsenceForm(request.POST)
    if not form.is_valid():  # the page again, its summary linked to the member's reason
        own = _own_seat(request.user, assessment)
        view = panel_view(assessment=assessment, seat=own)
        return _consensus_page(
            request,
            assessment,
            view=view,
            form=ConsensusForm(rows=view.rows, initial={"version": assessment.panel.version}),
            seat=own,
            is_chair=True,  # the permission above
            absence=_absence_refused(seat, form),
        )
    reason = form.cleaned_data["reason"]
    # The seat as the page showed it: a member replaced or done since is not excused unseen.
    version = _posted_version(request)
    if not confirmed(request):
        keep_typed(request, f"excuse:{assessment.pk}", seat=str(number), reason=reason)
        return confirmation_page(
            request,
            title=f"Excuse {seat.person} from the panel of {assessment.pct.name}?",
            happens=[
                f"{seat.person} ({seat.seat_type.name}) is recorded as not taking part, with "
                f"the reason: {reason}",
                "Their scores are no longer needed, and they can no longer submit any.",
                "If every other member has submitted (or been excused), the panel moves to "
                "consensus.",
            ],
            told=f"{seat.person} is not e-mailed. If the panel moves to consensus, you (the "
            "chair) are e-mailed that every member is done.",
            button=f"Confirm and excuse {seat.person}",
            back=f"{back}#reason-{number}",
            carry={"reason": reason, "version": "" if version is None else str(version)},
        )
    try:
        seat_mark_absent(
            seat=seat,
            reason=reason,
            by=request.user,
            expected_version=seat.version if version is None else version,
        )
    except (TransitionError, ValidationError, ConflictError) as exc:
        messages.error(request, " ".join(refusal_messages(exc)))
    else:
        forget_typed(request, f"excuse:{assessment.pk}")
        assessment.refresh_from_db(fields=["stage"])
        moved = assessment.stage == Stage.CONSENSUS
        messages.success(
            request,
            f"Recorded that {seat.person} could not take part ({seat.person} was not e-mailed)."
            + (
                " Every member is now done: the panel is at consensus, and you were e-mailed."
                if moved
                else ""
            ),
        )
    return redirect(back)


@require_safe
@view_access("panels.view_panel", lookup=panel_document)
def evidence_download(request, document: EvidenceDocument):
    """An evidence document of the PCT, for its panel (and those who oversee it)."""
    return evidence_file_response(document)


urlpatterns = [
    path("mine/", my_panels, name="my_panels"),
    path("<slug:round_slug>/<str:ods>/score/", score, name="score"),
    path("<slug:round_slug>/<str:ods>/consensus/", consensus, name="consensus"),
    path("<slug:round_slug>/<str:ods>/consensus/close/", close_consensus, name="close_consensus"),
    path("<slug:round_slug>/<str:ods>/seats/<int:number>/absent/", mark_absent, name="mark_absent"),
    path(
        "<slug:round_slug>/<str:ods>/evidence/<int:pk>/",
        evidence_download,
        name="evidence_download",
    ),
]
