"""SHA staff sending a board's submitted self-assessment back to it (``assessments.reopening``):
the reason (what the board should correct), a check page, then the change. Linked from the
panel's page and from the submitted self-assessment as staff read it.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from assessments.access import assessment_by_pct, view_access
from assessments.confirmation import confirmation_page, confirmed, keep_typed, typed_back
from assessments.exceptions import ConflictError, TransitionError, form_add_refusal
from assessments.forms import SendBackForm
from assessments.models import Assessment
from assessments.proceeding import deadline_passed
from assessments.reopening import self_assessment_send_back, self_assessment_send_back_check
from assessments.selectors import board_members_to_tell


def _self_assessment_url(assessment: Assessment) -> str:
    return reverse(
        "assessments:self_assessment", args=[assessment.round.slug, assessment.pct.ods_code]
    )


def _deadline(assessment: Assessment) -> str:
    """What the pages say of the round's self-assessment deadline ("" when it has none)."""
    due = assessment.round.self_assessment_due
    if due is None:
        return ""
    if deadline_passed(assessment.round):
        return (
            f"The self-assessment deadline of {assessment.round.name} was {due:%-d %B %Y}: it "
            "has passed, so the board is asked to resubmit promptly."
        )
    return f"The board is asked to resubmit by {due:%-d %B %Y}, the self-assessment deadline."


def _form_page(request, assessment: Assessment, form, *, summary_title=""):
    return render(
        request,
        "assessments/send_back.html",
        {
            "assessment": assessment,
            "form": form,
            "deadline": _deadline(assessment),
            "overdue": deadline_passed(assessment.round),
            "back": _self_assessment_url(assessment),
            "summary_title": summary_title or "Nothing has changed",
        },
    )


def _check_page(request, assessment: Assessment, *, reason: str, version: int):
    """The check page: what sending the self-assessment back does, and who is told."""
    name = assessment.pct.name
    told = board_members_to_tell(assessment=assessment)
    deadline = _deadline(assessment)
    return confirmation_page(
        request,
        title=f"Send the self-assessment of {name} back to its board?",
        happens=[
            "The board's self-assessment goes back to it as a draft, its ratings, "
            "commentaries and evidence kept: the board can change it and submit it again.",
            f"{name} moves back from panel formation to self-assessment, with your reason in "
            f"its history: {reason}",
            "The panel's seats stay as they are, but the panel cannot open scoring until the "
            "board has submitted its self-assessment again.",
            *([deadline] if deadline else []),
        ],
        told=(
            f"The board's members ({', '.join(u.get_full_name() or u.username for u in told)}) "
            "are e-mailed your name, your reason, the link to the self-assessment and the "
            "deadline."
            if told
            else "Nobody: the board has no active account with an e-mail address. Tell it yourself."
        ),
        button="Confirm and send the self-assessment back",
        back=request.path,
        carry={"reason": reason, "version": str(version)},
    )


@require_http_methods(["GET", "POST"])
@view_access("assessments.send_back_self_assessment", lookup=assessment_by_pct)
def send_back(request, assessment: Assessment):
    """Send a submitted self-assessment back to its board, at panel formation: the reason
    (GET, and again after "Go back"), a check page, then the change."""
    back = _self_assessment_url(assessment)
    key = f"send-back:{assessment.pk}"
    try:
        self_assessment_send_back_check(assessment=assessment)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if request.method == "GET":
        typed = typed_back(request, key)
        form = SendBackForm(
            initial={"reason": typed.get("reason", ""), "version": assessment.version}
        )
        return _form_page(request, assessment, form)
    form = SendBackForm(request.POST)
    if not form.is_valid():
        return _form_page(request, assessment, form)
    reason = form.cleaned_data["reason"]
    version = form.cleaned_data["version"] or 0
    if not confirmed(request):
        keep_typed(request, key, reason=reason)
        return _check_page(request, assessment, reason=reason, version=version)
    try:
        self_assessment_send_back(
            assessment=assessment, by=request.user, reason=reason, expected_version=version
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    except ConflictError as exc:  # the reason stays typed: check again and confirm
        form = SendBackForm({"reason": reason, "version": exc.current.version})
        form.is_valid()
        form.add_error("reason", str(exc))
        return _form_page(request, assessment, form)
    except ValidationError as exc:
        form_add_refusal(form, exc)
        return _form_page(request, assessment, form)
    typed_back(request, key)
    told = board_members_to_tell(assessment=assessment)
    messages.success(
        request,
        f"The self-assessment of {assessment.pct.name} is back with its board"
        + ("; the board has been e-mailed." if told else ": nobody could be e-mailed."),
    )
    return redirect(back)
