"""A PCT's results page, and the factual-accuracy check on it.

After publication the page is public, like the league table that links to it. Before, and
for the PDF, the panel and the factual-accuracy check, the PDF's rule applies
(``reports.view_pct_report``, CONTRACTS.md): the national team and the PCT's SHA staff at
any time; its board after publication, and its own draft during its factual-accuracy
window; everyone else 404. During the window the board comments
on items here, and the region's SHA staff answer (403 for those who may see but not act).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import assessment_by_pct, view_access
from assessments.confirmation import (
    checked_version,
    confirmation_page,
    confirmed,
    forget_typed,
    keep_typed,
    typed_back,
)
from assessments.exceptions import (
    ConflictError,
    TransitionError,
    form_add_refusal,
    refusal_messages,
)
from assessments.factual_accuracy import (
    HOLD_BACK_RULE,
    comment_answer,
    comment_raise,
    comments_for,
    factual_accuracy_confirm,
    window_for,
)
from assessments.forms import FactualAccuracyAnswerForm, FactualAccuracyCommentForm
from assessments.models import AgreedRating, Assessment, FactualAccuracyComment, Stage
from assessments.publication import released_on_answer
from competencies.selectors import item_label


def _page(assessment: Assessment) -> str:
    return reverse("reports:pct_page", args=[assessment.pct.ods_code, assessment.round.slug])


@require_safe
@view_access("reports.view_pct_page", lookup=assessment_by_pct, public=True)
def pct_page(request, assessment: Assessment):
    return _pct_page(request, assessment)


def _pct_page(request, assessment: Assessment, *, comment_form=None, answer=None, unsent=None):
    """The page; ``comment_form`` or ``answer`` (``(comment pk, form)``) is a refused form,
    shown again as typed with its error summary; ``unsent`` (``(text, why)``) a comment
    refused because the window has closed, shown as typed since no form can take it now."""
    from reports.pct_report import pct_report, profile_chart_svg  # pandas on first use

    report = pct_report(assessment=assessment)
    # The process (national team, the region's staff, the board) also sees the PDF, the
    # panel and the factual-accuracy check; the public sees the published results.
    inside = request.user.has_perm("reports.view_pct_report", assessment)
    window = window_for(assessment)
    comments = list(comments_for(assessment)) if inside else []
    may_comment = window.is_open() and request.user.has_perm("reports.comment_on_draft", assessment)
    may_answer = window.at_check and request.user.has_perm("reports.answer_comments", assessment)
    rated = [(i.rating, i.label) for i in report.items if i.rating is not None] + [
        (sub.rating, f"{i.label}: {sub.item.name}")
        for i in report.lights
        for sub in i.subs
        if sub.rating is not None
    ]
    return render(
        request,
        "reports/pct.html",
        {
            "report": report,
            "assessment": assessment,
            "chart": None if report.is_draft else profile_chart_svg(report),
            "window": window,
            "hold_back_rule": HOLD_BACK_RULE,
            "comments": [
                (
                    c,
                    (
                        answer[1]
                        if answer is not None and answer[0] == c.pk
                        else FactualAccuracyAnswerForm(
                            rating=c.rating,
                            prefix=f"c{c.pk}",
                            # Back from the answer's check page: the answer as typed.
                            initial=typed_back(request, f"answer:{c.pk}"),
                        )
                    )
                    if may_answer and not c.response
                    else None,
                )
                for c in comments
            ],
            "comment_form": (
                comment_form
                or FactualAccuracyCommentForm(
                    ratings=rated,
                    # Back from the comment's check page: the comment as typed.
                    initial=typed_back(request, f"comment:{assessment.pk}"),
                )
            )
            if may_comment
            else None,
            "page_has_errors": bool(
                unsent
                or (comment_form is not None and comment_form.errors)
                or (answer is not None and answer[1].errors)
            ),
            "may_answer": may_answer,
            "answer_form": answer[1] if answer is not None and answer[1].errors else None,
            "unsent": unsent,
            "inside": inside,
        },
    )


@require_POST
@view_access("reports.send_comment", lookup=assessment_by_pct)
def comment(request, assessment: Assessment):
    """A board's factual-accuracy comment. Sent after its window closed (the board no longer
    sees its draft), it is refused with what was typed given back, on a page of its own
    (the two-tabs walk: a bare 404, and the words lost). Anyone else who may read the
    report may not comment (403)."""
    if not request.user.has_perm("reports.view_pct_report", assessment):
        return _comment_not_sent(request, assessment)  # only its board gets here
    if not request.user.has_perm("reports.comment_on_draft", assessment):
        raise PermissionDenied("You may see this but not change it.")
    ratings = AgreedRating.objects.filter(assessment=assessment).select_related(
        "competency", "area", "sub_indicator__area"
    )
    rated = [(r, item_label(r.item)) for r in ratings]
    form = FactualAccuracyCommentForm(request.POST, ratings=rated)
    if not form.is_valid():
        return _pct_page(request, assessment, comment_form=form)
    if not confirmed(request):
        return _comment_check(request, assessment, form)
    try:
        comment_raise(
            assessment=assessment,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            by=request.user,
        )
    except ValidationError as exc:
        form_add_refusal(form, exc)
        return _pct_page(request, assessment, comment_form=form)
    except TransitionError as exc:  # the window closed meanwhile: show what was typed
        unsent = (form.cleaned_data["comment"], " ".join(refusal_messages(exc)))
        return _pct_page(request, assessment, unsent=unsent)
    else:
        forget_typed(request, f"comment:{assessment.pk}")
        messages.success(
            request,
            f"Comment sent: SHA staff will answer it. {HOLD_BACK_RULE}",
        )
    return redirect(_page(assessment) + "#factual-accuracy")


def _comment_check(request, assessment: Assessment, form):
    """The check page of a comment: it cannot be withdrawn once sent, and until answered it
    holds the results back (the accessibility walk: it was sent at the first press). "Go
    back" keeps what was typed (in the session, and in the browser's copy of the form)."""
    pct, sha = assessment.pct, assessment.pct.sha
    rating, text = form.cleaned_data["rating"], form.cleaned_data["comment"]
    item = item_label(rating.item) if rating is not None else "The draft as a whole"
    keep_typed(
        request,
        f"comment:{assessment.pk}",
        rating=request.POST.get("rating", ""),
        comment=request.POST.get("comment", ""),
    )
    return confirmation_page(
        request,
        title=f"Send this comment on the draft results of {pct.name}?",
        happens=[
            f"{item}: \u201c{text}\u201d",
            f"The staff of {sha.name} answer it on the results page, and change the rating "
            "if the comment is right. A comment cannot be withdrawn once sent.",
            HOLD_BACK_RULE,
        ],
        told=f"The staff of {sha.name} find it on their home page, among the comments to "
        "answer. You are e-mailed their answer.",
        button="Confirm and send the comment",
        back=_page(assessment) + "#factual-accuracy",
        carry={
            "rating": request.POST.get("rating", ""),
            "comment": text,
            "version": request.POST.get("version", ""),
        },
    )


def _comment_not_sent(request, assessment: Assessment):
    window = window_for(assessment)
    closed = (
        f"The factual-accuracy window of {assessment.pct.name} closed on "
        f"{timezone.localtime(window.closes):%-d %B %Y at %H:%M}."
        if window.closes
        else f"{assessment.pct.name}'s draft results are not open for comments now."
    )
    # The item it was about too, so that it can be passed on whole (the accessibility walk).
    try:
        chosen = int(request.POST.get("rating", ""))
    except ValueError:
        chosen = None
    rating = (
        AgreedRating.objects.select_related("competency", "area", "sub_indicator__area")
        .filter(assessment=assessment, pk=chosen)
        .first()
        if chosen
        else None
    )
    item = item_label(rating.item) if rating is not None else "The draft as a whole"
    return render(
        request,
        "reports/comment_unsent.html",
        {
            "assessment": assessment,
            "closed": closed,
            "text": request.POST.get("comment", ""),
            "item": item if chosen is not None else "",
        },
    )


@require_POST
@view_access("reports.view_pct_report", lookup=assessment_by_pct, change="reports.answer_comments")
def answer(request, assessment: Assessment, comment_id: int):
    """SHA staff answer a board's comment: the first POST shows a check page (the answer is
    final, and the last one may publish the PCT's results at once); the confirming one,
    carrying the rating's version, saves it."""
    raised = (
        FactualAccuracyComment.objects.select_related(
            "rating__competency", "rating__area", "rating__sub_indicator__area"
        )
        .prefetch_related("rating__competency__levels")
        .filter(pk=comment_id, assessment=assessment)
        .first()
    )
    if raised is None:
        raise Http404("No such comment.")
    form = FactualAccuracyAnswerForm(request.POST, rating=raised.rating, prefix=f"c{raised.pk}")
    if not form.is_valid():
        return _pct_page(request, assessment, answer=(raised.pk, form))
    value = form.cleaned_data.get("value") or None
    if raised.response:  # answered in another tab: refused at once, not on its check page
        messages.error(
            request,
            "Answer not saved. This comment has already been answered. Your answer, not sent: "
            f"\u201c{form.cleaned_data['response']}\u201d",
        )
        return _pct_page(request, assessment, answer=(raised.pk, form))
    if not confirmed(request):
        return _answer_check(request, assessment, raised, form)
    carried = request.POST.get("publishes")
    if carried is not None and carried != ("1" if _answer_publishes(assessment, raised) else "0"):
        # The round was published, or another comment answered, since the check page: what
        # this answer does changed (the two-tabs walk: it published the PCT unannounced).
        messages.error(
            request,
            "Nothing was sent: what this answer does has changed since you checked it. Check "
            "it again below.",
        )
        return _answer_check(request, assessment, raised, form)
    try:
        comment_answer(
            comment=raised,
            response=form.cleaned_data["response"],
            value=value,
            by=request.user,
            expected_version=checked_version(request) if raised.rating is not None else None,
        )
    except (ValidationError, TransitionError, ConflictError) as exc:
        raised.refresh_from_db(fields=["response"])
        messages.error(
            request,
            f"Answer not saved. {' '.join(refusal_messages(exc))}"
            # Answered meanwhile: the comment has no answer box now, so the words come back here.
            + (
                f" Your answer, not sent: \u201c{form.cleaned_data['response']}\u201d"
                if raised.response
                else ""
            ),
        )
        return _pct_page(request, assessment, answer=(raised.pk, form))
    forget_typed(request, f"answer:{raised.pk}")
    published = (
        Assessment.objects.filter(pk=assessment.pk, stage=Stage.PUBLISHED).exists()
        and assessment.stage != Stage.PUBLISHED
    )
    messages.success(
        request,
        "Answer sent: the board is e-mailed it and sees it on this page."
        + (
            f" {assessment.pct.name}'s results are now published; the board and the national "
            "team have been e-mailed."
            if published
            else ""
        ),
    )
    return redirect(_page(assessment) + f"#comment-{raised.pk}")


def _answer_check(request, assessment: Assessment, raised: FactualAccuracyComment, form):
    """The check page of an answer: what the board will read, the rating's change, and,
    for the board's last unanswered comment, that it no longer holds the PCT's results back
    (published at once if the round's are out, changing the published tables)."""
    pct, round_ = assessment.pct, assessment.round
    response, value = form.cleaned_data["response"], form.cleaned_data.get("value") or ""
    happens = [f"The board of {pct.name} reads your answer on this page: \u201c{response}\u201d"]
    rating = raised.rating
    if rating is not None and value and str(value) != str(rating.value):
        labels = dict(form.fields["value"].choices)  # "Level 3", "Green"
        happens.append(  # walk V: staff thought only the board would read the reason
            f"{item_label(rating.item)} changes from {labels.get(str(rating.value), rating.value)}"
            f" to {labels[value]}; your answer is the reason, in its history, and is shown "
            f"beside the change on {pct.name}'s results page and feedback report, which are "
            "public once its results are published."
        )
    last = _last_unanswered(assessment, raised)
    told = "The board is e-mailed the answer, and sees it on its results page."
    if last and round_.is_published() and not released_on_answer(assessment):
        # Past the publication time, before its notices went (the re-test walk): the
        # tables take the PCT at once; the notices still to go tell its board.
        happens.append(
            f"This is the board's last unanswered comment. {round_.name} is published: "
            f"{pct.name}'s results join the league table and England's figures at once, and "
            "the ranks of other PCTs change with them."
        )
        told = (
            "The board is e-mailed the answer; the round's publication notices, still to be "
            "sent, tell it that its results are published."
        )
    elif last and released_on_answer(assessment):
        published = timezone.localtime(round_.published_at)
        happens.append(
            f"This is the board's last unanswered comment. {round_.name} was published on "
            f"{published:%-d %B %Y at %H:%M} without {pct.name}: its results are published at "
            "once, and the league table, England's figures and the ranks of other PCTs change "
            "with them."
        )
        told = (
            "The board is e-mailed the answer and that its results are published, and the "
            f"national team that {pct.name} joined the published results."
        )
    elif last:
        happens.append(
            f"This is the board's last unanswered comment: it no longer holds back {pct.name}'s "
            "results from publication."
        )
    prefix = f"c{raised.pk}"
    keep_typed(request, f"answer:{raised.pk}", response=response, value=value)  # "Go back"
    return confirmation_page(
        request,
        title=f"Send this answer to the board of {pct.name}?",
        happens=happens,
        told=told,
        button="Confirm and send the answer",
        back=_page(assessment) + f"#comment-{raised.pk}",
        carry={
            f"{prefix}-response": response,
            f"{prefix}-value": value,
            "version": str(rating.version) if rating is not None else "",
            "publishes": "1" if _answer_publishes(assessment, raised) else "0",
        },
    )


def _last_unanswered(assessment: Assessment, raised: FactualAccuracyComment) -> bool:
    return (
        not FactualAccuracyComment.objects.filter(assessment=assessment, response="")
        .exclude(pk=raised.pk)
        .exists()
    )


def _answer_publishes(assessment: Assessment, raised: FactualAccuracyComment) -> bool:
    """Whether answering ``raised`` publishes the PCT's results at once: the board's last
    unanswered comment, after the round's publication time (its notices sent or not)."""
    return _last_unanswered(assessment, raised) and assessment.round.is_published()


@require_http_methods(["GET", "POST"])
@view_access(
    "reports.view_pct_report",
    lookup=assessment_by_pct,
    change="reports.comment_on_draft",
    change_always=True,
)
def no_comments(request, assessment: Assessment):
    """The board confirms it has no comments: a page that says what follows, then the
    confirmation itself (POST), which closes the board's window."""
    window = window_for(assessment)
    if request.method == "POST":
        try:
            factual_accuracy_confirm(assessment=assessment, by=request.user)
        except TransitionError as exc:
            messages.error(request, f"Not confirmed. {exc}")
        else:
            messages.success(
                request,
                "Confirmed: the board has no factual-accuracy comments. The window is closed "
                "for your PCT; your SHA staff and the national team see this on the results "
                "page. Your results are published at the publication time.",
            )
        return redirect(_page(assessment) + "#factual-accuracy")
    if window.is_open() and not window.unanswered:  # the check page of the GOV.UK pattern
        closes = timezone.localtime(window.closes)
        pct = assessment.pct.name
        # A board that has commented (every comment answered) has no *more* to make.
        more = (
            "more " if FactualAccuracyComment.objects.filter(assessment=assessment).exists() else ""
        )
        return confirmation_page(
            request,
            title=f"Confirm that the board of {pct} has no {more}factual-accuracy comments?",
            happens=[
                "You will not be able to comment after this: the board's window closes now, "
                f"instead of at {closes:%-d %B %Y, %H:%M}.",
                f"The board can still read its draft results until {closes:%-d %B %Y, %H:%M}, "
                "when the region's windows close; its results are published with everyone "
                "else's at the publication time.",
            ],
            told=f"SHA staff and the national team see on {pct}'s results page that the "
            f"board has no {more}comments. Nobody is e-mailed.",
            button="Confirm: no comments",
            back=_page(assessment) + "#factual-accuracy",
        )
    return render(
        request, "reports/pct_no_comments.html", {"assessment": assessment, "window": window}
    )


urlpatterns = [
    path("reports/pct/<str:ods>/<slug:round_slug>/", pct_page, name="pct_page"),
    path("reports/pct/<str:ods>/<slug:round_slug>/comments/", comment, name="pct_comment"),
    path(
        "reports/pct/<str:ods>/<slug:round_slug>/no-comments/",
        no_comments,
        name="pct_no_comments",
    ),
    path(
        "reports/pct/<str:ods>/<slug:round_slug>/comments/<int:comment_id>/answer/",
        answer,
        name="pct_comment_answer",
    ),
]
