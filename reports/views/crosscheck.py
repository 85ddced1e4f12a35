"""The national team's pages: the cross-check (all SHAs side by side; confirm a region or send
it back) and the round's publication time."""

from datetime import UTC, datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from assessments.access import RegionRound, region_round, round_by_slug, view_access
from assessments.confirmation import (
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
from assessments.factual_accuracy import held_back_assessments, round_set_window
from assessments.models import Assessment, AssessmentRound, RegionReview, RoundChange, Stage
from assessments.publication import (
    publication_withdraw,
    region_windows,
    regions_behind,
    round_publication_check,
    round_set_publication,
    was_published_at,
    withdrawal_pct_count,
)
from assessments.regions import region_confirm, region_send_back
from assessments.rounds import round_not_opened
from assessments.text import visible
from reports.forms import PublicationForm, WithdrawForm

# The national team only; anyone else 404.
national_round = view_access("reports.cross_check", lookup=round_by_slug)


@require_safe
@national_round
def cross_check_page(request, round_: AssessmentRound):
    """After the send-back check page's "Go back", the region's comment box shows what was
    typed (``keep_typed``)."""
    return _cross_check_page(
        request, round_, typed=typed_back(request, f"cross-check:{round_.slug}")
    )


def _cross_check_page(
    request, round_: AssessmentRound, *, error: dict | None = None, typed: dict | None = None
):
    """The page; ``error`` is a refused form's problem, shown in an error summary linked to
    its field (``field``: the field's id; ``message``; ``sha``: the region whose comment it
    is, or ``typed``: the working days as typed), answered 200 rather than redirected so
    that focus and what was typed stay."""
    from reports.moderation import RULES, Z_THRESHOLD, cross_check
    from reports.tables import competency_key

    columns, england, rows = cross_check(round_=round_)
    return render(
        request,
        "reports/cross_check.html",
        {
            "round": round_,
            "columns": columns,
            "competency_key": competency_key(round_),
            "england": england,
            "rows": rows,
            # Signed off, waiting for the national team: each with its decision below the
            # table (in it, two forms a region made the table wider than the page).
            "awaiting": [r for r in rows if r.review and r.review.status == "signed_off"],
            "z": Z_THRESHOLD,
            "rules": RULES,
            "error": error,
            "typed": typed or {},
            "error_entry": (f"#{error['field']}", error["message"]) if error else None,
            "page_has_errors": error is not None,
        },
    )


@require_POST
@view_access("reports.cross_check", lookup=region_round)
def decide(request, region: RegionRound):
    """Confirm a signed-off region or send it back: the first POST shows what will happen;
    the confirming one (``confirm``) acts."""
    round_, sha = region.round, region.sha
    back = reverse("reports:cross_check", args=[round_.slug])
    confirming = request.POST.get("decision") == "confirm"
    comment = request.POST.get("comment", "").strip()
    seen = _time_seen(request, "signed_off")
    not_sent = f" Your comment, not sent: \u201c{comment}\u201d" if visible(comment) else ""
    signed_off = (
        RegionReview.objects.filter(round=round_, sha=sha)
        .values_list("signed_off_at", flat=True)
        .first()
    )

    def stale(message: str):
        # A page from before a send-back and a new sign-off: the page as it is now, with
        # the refusal in its error summary (linked to the region's decision, or to its
        # comment, which is given back in its box), answered 200 so that focus goes there
        # (the accessibility walk: a message above the place scrolled to, unread).
        return _cross_check_page(
            request,
            round_,
            error={
                "field": f"c-{sha.ods_code}" if visible(comment) else f"decide-{sha.ods_code}",
                "sha": sha.ods_code if visible(comment) else "",
                "message": message,
            },
            typed={"sha": sha.ods_code, "comment": comment},
        )

    if seen is None:
        # A page without the sign-off it was made on (a very old page, or a forged post):
        # nothing says it is not stale, so it is refused as one, never confirmed unseen.
        return stale(
            f"Nothing was changed: the page you decided on did not say which sign-off of "
            f"{sha.name} you looked at, so it may be out of date. The page shows it as it is "
            "now: check it again."
        )
    if signed_off != seen:
        return stale(
            f"Nothing was changed: {sha.name} was signed off again since you looked at it "
            "(it was sent back and moderated again). The page shows it as it is now: check "
            "it again."
        )
    if not confirmed(request):
        if not confirming and not visible(comment):
            return _cross_check_page(
                request,
                round_,
                error={
                    "field": f"c-{sha.ods_code}",
                    "sha": sha.ods_code,
                    "message": f"Say why {sha.name} is sent back: its staff read the comment.",
                },
            )
        if not confirming:
            keep_typed(request, f"cross-check:{round_.slug}", sha=sha.ods_code, comment=comment)
        pcts = Assessment.objects.filter(
            round=round_, pct__sha=sha, stage=Stage.CROSS_CHECK
        ).count()
        if not pcts:  # a page from before the region was confirmed (or sent back)
            messages.error(
                request,
                f"Nothing was changed: no assessment of {sha.name} is at the national "
                "cross-check now, so there is nothing to confirm or send back. The page shows "
                "where the region is." + not_sent,
                # The region has no comment box now: the comment is given back here.
            )
            return redirect(back)
        if confirming:
            days = round_.factual_accuracy_working_days
            return confirmation_page(
                request,
                title=f"Confirm {sha.name} for {round_.name}?",
                happens=[
                    f"The {pcts} assessment{'s' if pcts != 1 else ''} of {sha.name} at the "
                    "national cross-check go to the factual-accuracy check.",
                    f"Each of their boards may then see its own draft results and comment on "
                    f"them for {days} working days.",
                ],
                told="Each board with an account is e-mailed that its draft results are "
                "ready and until when it may comment; it also finds them on its home page. "
                f"The staff of {sha.name} see the region as confirmed.",
                # Not the words of the button that led here (walk V): what confirming does.
                button=f"Confirm and open the factual-accuracy check for {sha.name}",
                back=f"{back}#decide-{sha.ods_code}",
                carry={"decision": "confirm", "signed_off": request.POST.get("signed_off", "")},
            )
        return confirmation_page(
            request,
            title=f"Send {sha.name} back to regional moderation?",
            happens=[
                f"The {pcts} assessment{'s' if pcts != 1 else ''} of {sha.name} go back to "
                "regional moderation, where its staff may adjust ratings and sign off again.",
                f"Your comment: {comment}",
            ],
            told=f"The staff of {sha.name} are e-mailed your comment, which they also read "
            "on their moderation page.",
            button=f"Confirm and send {sha.name} back",
            back=f"{back}#c-{sha.ods_code}",
            carry={
                "decision": "send_back",
                "comment": comment,
                "signed_off": request.POST.get("signed_off", ""),
            },
            danger=True,
        )
    try:
        if confirming:
            region_confirm(round_=round_, sha=sha, by=request.user, signed_off_seen=seen)
            messages.success(
                request,
                f"{sha.name} confirmed: its boards may now check their drafts. Each board "
                "with an account has been e-mailed, and sees its draft on its home page.",
            )
        else:
            region_send_back(
                round_=round_, sha=sha, by=request.user, comment=comment, signed_off_seen=seen
            )
            forget_typed(request, f"cross-check:{round_.slug}")
            messages.success(
                request,
                f"{sha.name} sent back to regional moderation. Its staff have been e-mailed "
                "your comment and see it on their moderation page.",
            )
    except ConflictError as exc:
        return stale(str(exc))
    except (ValidationError, TransitionError) as exc:
        messages.error(request, " ".join(refusal_messages(exc)))
    return redirect(back)


def _time_seen(request, field: str) -> datetime | None:
    """A time as the page the decision was made on showed it (its ``field``, ``U.u``:
    seconds and microseconds): a region's sign-off, a round's publication. None if not
    sent or not such a time (the cross-check refuses that as a stale page)."""
    seconds, _, micro = request.POST.get(field, "").partition(".")
    try:
        return datetime.fromtimestamp(int(seconds), tz=UTC).replace(microsecond=int(micro or 0))
    except (ValueError, OverflowError, OSError):
        return None


@require_POST
@national_round
def window(request, round_: AssessmentRound):
    """The national team sets the length of the boards' factual-accuracy window."""
    raw = request.POST.get("working_days", "").strip()

    def refused(message: str):
        error = {"field": "working_days", "typed": raw, "message": message}
        return _cross_check_page(request, round_, error=error)

    try:
        days = int(raw)
    except ValueError:
        return refused(
            f"Factual-accuracy window: {raw!r} is not a whole number of working days."
            if raw
            else "Factual-accuracy window: enter a number of working days, from 1 to 30."
        )
    was = request.POST.get("was", "").strip()
    current = round_.factual_accuracy_working_days
    if was and was != str(current) and days != current:
        # A page from before a change made in another window (the two-tabs walk: its value
        # replaced the newer one unseen). The page now shows the value that was set.
        return refused(
            f"Factual-accuracy window: changed from {was} to {current} working days since "
            f"you opened this page (in another window); your {days} was not saved. Save "
            "again to replace it."
        )
    try:
        round_set_window(round_=round_, working_days=days, by=request.user)
    except ValidationError as exc:
        return refused("Factual-accuracy window: " + " ".join(exc.messages))
    except TransitionError as exc:  # published: the form is no longer shown
        messages.error(request, str(exc))
        return redirect(reverse("reports:cross_check", args=[round_.slug]))
    messages.success(
        request,
        f"Boards of the regions confirmed from now on have {days} working days to "
        "check their drafts.",
    )
    return redirect(reverse("reports:cross_check", args=[round_.slug]))


urlpatterns = [
    path("reports/cross-check/<slug:round_slug>/", cross_check_page, name="cross_check"),
    path("reports/cross-check/<slug:round_slug>/window/", window, name="cross_check_window"),
    path(
        "reports/cross-check/<slug:round_slug>/<str:sha_code>/", decide, name="cross_check_decide"
    ),
]


def _publication_url(round_: AssessmentRound) -> str:
    return reverse("reports:publication", args=[round_.slug])


def _publication_page(request, round_: AssessmentRound, *, form=None, withdraw_form=None):
    """The publication page, with the time form (or the withdrawal form once published)
    as posted when it was refused: the error summary links to the field, what was typed
    stays. ``?published_at=`` (from the time's check page's "Go back") and the withdrawal
    reason kept by ``keep_typed`` fill them again."""
    published = round_.is_published()
    if form is None:
        initial = request.GET.get("published_at") or (
            round_.published_at and timezone.localtime(round_.published_at)
        )
        form = PublicationForm(initial={"published_at": initial} if initial else None)
    if withdraw_form is None:
        typed = typed_back(request, f"withdraw:{round_.slug}") if request.method == "GET" else {}
        withdraw_form = WithdrawForm(initial={"reason": typed.get("reason", "")})
    held_back = held_back_assessments(round_=round_).annotate(
        unanswered=Count(
            "factual_accuracy_comments", filter=Q(factual_accuracy_comments__response="")
        )
    )
    return render(
        request,
        "reports/publication.html",
        {
            "round": round_,
            "now": timezone.now(),
            "published": published,
            "form": withdraw_form if published else form,
            "reviews": region_windows(round_),
            # The regions a publication time waits for (walk AC: named only once refused).
            "behind": [] if published else regions_behind(round_),
            "held_back": held_back,
            "not_opened": None if published else round_not_opened(round_=round_),
            "withdrawals": [
                (change, _as_written(change.old_value))
                for change in RoundChange.objects.filter(
                    round=round_, field="published_at", new_value="withdrawn"
                ).select_related("changed_by")
            ],
        },
    )


def _as_written(stored: str) -> str:
    """A time the round's history keeps as text (``2026-12-06 21:08``, UK time) written as
    the pages write times ("6 December 2026, 21:08"); anything else as it is."""
    try:
        return f"{datetime.fromisoformat(stored):%-d %B %Y, %H:%M}"
    except ValueError:
        return stored


def _stored_time(round_: AssessmentRound) -> str:
    """The stored publication time as the check page carries it, to be compared when it is
    confirmed: a colleague's change in between is not replaced unseen."""
    return round_.published_at.isoformat() if round_.published_at else ""


def _not_opened_said(round_: AssessmentRound) -> list[str]:
    """The check page's line for a round opened for some SHAs only (the real-year walk
    published 9 PCTs of one SHA as "England", with no word of the other 143)."""
    missing = round_not_opened(round_=round_)
    if not missing:
        return []
    return [
        "The round can no longer be opened for more SHAs. Not in it, so not assessed this "
        f"year: {missing.pcts} open PCT{pluralize(missing.pcts)}, by SHA {missing}. The "
        "published figures for England will count only the PCTs assessed."
    ]


def _back_with(round_: AssessmentRound, **typed) -> str:
    """The publication page's address that fills its form with what was typed."""
    return f"{_publication_url(round_)}?{urlencode(typed)}"


@require_http_methods(["GET", "POST"])
@national_round
def publication(request, round_: AssessmentRound):
    """The national team sets the round's publication time (Europe/London): the first POST
    shows what will happen, the confirming one (``confirm``) sets it. Refused, with the
    reason, once the round is published: publication is final."""
    if request.method == "GET":
        return _publication_page(request, round_)
    if round_.is_published():  # a tab opened before the time: its form is gone from the page
        messages.error(
            request,
            f"The publication time was not changed: {round_.name} was published on "
            f"{timezone.localtime(round_.published_at):%-d %B %Y at %H:%M}, and publication "
            "is final. To take the results offline, withdraw the publication below.",
        )
        return redirect(_publication_url(round_))
    form = PublicationForm(request.POST)
    if not form.is_valid():
        return _publication_page(request, round_, form=form)
    when = form.cleaned_data["published_at"]
    raw = f"{timezone.localtime(when):%Y-%m-%dT%H:%M}"
    was = _stored_time(round_)
    if confirmed(request) and request.POST.get("was", "") != was:
        form.add_error(
            "published_at",
            "Someone else set the publication time since you checked it (it is now "
            + (
                f"{timezone.localtime(round_.published_at):%-d %B %Y at %H:%M}"
                if was
                else "not set"
            )
            + "): nothing was changed. Set yours again to replace it.",
        )
        return _publication_page(request, round_, form=form)
    try:
        if not confirmed(request):
            round_publication_check(round_=round_, published_at=when)
            return confirmation_page(
                request,
                title=f"Publish {round_.name} on {when:%-d %B %Y at %H:%M}?",
                happens=[
                    f"At {when:%H:%M} on {when:%-d %B %Y} (UK time) every PCT's results of "
                    f"{round_.name} become public at once: the league table, open data, "
                    "summaries, PCT pages and each board's final report.",
                    "Once that time has passed, publication is final: the time can no "
                    "longer be moved; only Withdraw publication takes the results offline.",
                    *_not_opened_said(round_),
                ],
                told="Nobody now. After the publication time, send_publication_notices "
                "e-mails each PCT board once with its links.",
                button="Confirm and set the publication time",
                back=_back_with(round_, published_at=raw),
                carry={"published_at": raw, "was": was},
                context={"undo_note": "Until that time you can still change it here."},
            )
        round_set_publication(round_=round_, published_at=when, by=request.user)
    except ValidationError as exc:
        form_add_refusal(form, ValidationError({"published_at": exc.messages}))
        return _publication_page(request, round_, form=form)
    messages.success(
        request,
        f"{round_.name} will be published on {when:%-d %B %Y at %H:%M}. Nobody has been "
        "told yet: the boards are e-mailed after that time.",
    )
    return redirect(_publication_url(round_))


@require_POST
@national_round
def withdraw(request, round_: AssessmentRound):
    """Withdraw a published round, with a reason: the first POST shows what will happen and
    who will be told; the confirming one (``confirm``) acts."""
    if not round_.is_published():
        messages.error(request, f"{round_.slug} is not published: there is nothing to withdraw.")
        return redirect(_publication_url(round_))
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _publication_page(request, round_, withdraw_form=form)
    reason = form.cleaned_data["reason"].strip()
    seen = _time_seen(request, "published")
    if seen is None:
        # A page without the publication it was made on (a very old page, or a forged
        # post): nothing says it is not stale, so it is refused as one (as the cross-check's
        # decision is), never withdrawn unseen. The reason typed stays in its box.
        form.add_error(
            "reason",
            f"Nothing was withdrawn: the page you withdrew from did not say which publication "
            f"of {round_.name} you looked at, so it may be out of date. It is published on "
            f"{timezone.localtime(round_.published_at):%-d %B %Y, %H:%M}. Check it, then "
            "withdraw again if you still mean to.",
        )
        return _publication_page(request, round_, withdraw_form=form)
    if seen != round_.published_at and not was_published_at(round_=round_, when=seen):
        # A time the round was never published at (walk AA: a forged post read "withdrawn
        # and published again since", which never happened). The reason typed stays.
        form.add_error(
            "reason",
            "Nothing was withdrawn: the page did not say which publication of "
            f"{round_.name} you looked at. Open the publication page again.",
        )
        return _publication_page(request, round_, withdraw_form=form)
    if seen != round_.published_at:
        # A page from before a withdrawal and a new publication (the concurrency walk: it
        # took the newer publication offline with its reason, and e-mailed every board).
        form.add_error(
            "reason",
            f"Nothing was withdrawn: the publication you looked at was withdrawn and "
            f"{round_.name} published again since, at "
            f"{timezone.localtime(round_.published_at):%-d %B %Y, %H:%M}. Check it, then "
            "withdraw again if you still mean to.",
        )
        return _publication_page(request, round_, withdraw_form=form)
    if not confirmed(request):
        keep_typed(request, f"withdraw:{round_.slug}", reason=reason)
        boards = withdrawal_pct_count(round_=round_)
        return confirmation_page(
            request,
            title=f"Withdraw the publication of {round_.name}?",
            happens=[
                f"The league table, open data, PCT pages and reports of {round_.slug} will be "
                "taken offline at once: everyone outside the national team and SHA staff "
                "gets 404, as before publication.",
                "The publication time is cleared; to publish again, set a new one.",
                f"The withdrawal and its reason are kept in the round's history: {reason}",
            ],
            told=f"The boards of {boards} PCT{'s' if boards != 1 else ''} will be e-mailed, "
            "with the reason.",
            button="Confirm and withdraw publication",
            back=_publication_url(round_),
            carry={"reason": reason, "published": request.POST.get("published", "")},
            danger=True,
            context={
                "undo_note": "To publish again later, set a new publication time on this "
                "page: the results come back at that time and the boards are told again."
            },
        )
    try:
        sent = publication_withdraw(round_=round_, reason=reason, by=request.user)
    except ValidationError as exc:
        form_add_refusal(form, ValidationError({"reason": exc.messages}))
        return _publication_page(request, round_, withdraw_form=form)
    forget_typed(request, f"withdraw:{round_.slug}")
    messages.success(
        request,
        f"The publication of {round_.name} is withdrawn: its results are offline. "
        f"{sent} board e-mail{'s' if sent != 1 else ''} queued.",
    )
    return redirect(_publication_url(round_))


urlpatterns += [
    path("reports/publication/<slug:round_slug>/", publication, name="publication"),
    path(
        "reports/publication/<slug:round_slug>/withdraw/",
        withdraw,
        name="publication_withdraw",
    ),
]
