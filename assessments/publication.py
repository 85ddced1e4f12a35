"""Writes for publication: the national team sets a round's publication time, and may
withdraw a published round.

Publication, once reached, is final: the time cannot be moved (to the future, which would
put the results back under embargo, or anywhere else) once it has passed. Taking published
results offline is its own named action, ``publication_withdraw``, with a mandatory
reason, a history row and an e-mail to the boards.

Publication itself is on the clock (``AssessmentRound.is_published``): at the time every
PCT's results appear at once, with no job having to run. ``publication_notices_send``
only tells the boards afterwards, once, and moves the assessments' stage to published
(for the record: visibility never depends on it). A PCT held back by an unanswered
factual-accuracy comment is left out of both until the comment is answered.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from assessments.factual_accuracy import held_back_assessments
from assessments.mail import Message, mail_enqueue, rendered
from assessments.models import (
    Assessment,
    AssessmentRound,
    FactualAccuracyConfirmation,
    RatingChange,
    RegionReview,
    Role,
    RoundChange,
    Stage,
)
from assessments.services import assessment_advance, assessments_advance, round_change_record
from assessments.standings import figures_changed
from assessments.text import visible


def _when(value: datetime) -> str:
    return f"{timezone.localtime(value):%-d %B %Y at %H:%M}"


# A year's results are published within months of its cross-check: a time further off than
# this is a typing slip (a year of 9999, say).
PUBLICATION_HORIZON = timedelta(days=3 * 365)


def _next_minute(value: datetime) -> datetime:
    """``value`` if it falls on a whole minute, else the next whole minute: the earliest
    time the publication form (which takes minutes) can give that is not before it."""
    whole = value.replace(second=0, microsecond=0)
    return whole if whole == value else whole + timedelta(minutes=1)


def round_publication_check(
    *, round_: AssessmentRound, published_at: datetime, now: datetime | None = None
) -> None:
    """Raise the ``ValidationError`` that ``round_set_publication`` would raise for this
    time, writing nothing (the confirmation page asks it before offering to confirm)."""
    now = now or timezone.now()
    if round_.is_published(now):
        raise ValidationError(
            f"{round_.slug} was published on {_when(round_.published_at)}: publication is "
            "final. To withdraw it, use Withdraw publication."
        )
    if published_at <= now:
        raise ValidationError("Choose a publication time in the future.")
    if published_at > now + PUBLICATION_HORIZON:
        raise ValidationError(
            f"Choose a publication time within {PUBLICATION_HORIZON.days // 365} years: "
            f"{_when(published_at)} is further off than any round's results would wait."
        )
    behind = regions_behind(round_)
    if behind:
        regions = [f"{name} ({pcts} PCT{'s' if pcts != 1 else ''})" for name, pcts in behind]
        raise ValidationError(
            "Every region must be confirmed at the national cross-check first; not yet "
            f"confirmed: {', '.join(regions)}."
        )
    closing = [review for review in region_windows(round_) if review.windows_close]
    last = max(closing, key=lambda review: review.windows_close, default=None)
    if last is not None and published_at < last.windows_close:
        closes, waiting = last.windows_close, last.waiting
        raise ValidationError(
            "Choose a publication time after every board's factual-accuracy window has closed; "
            f"the last, that of {last.sha.name}, closes on {_when(closes)}"
            + (
                f" ({waiting} of its boards {'has' if waiting == 1 else 'have'} not said "
                f"{'it has' if waiting == 1 else 'they have'} no comments)"
                if waiting
                else ""
            )
            + f", so the earliest publication time is {_when(_next_minute(closes))}."
        )


def regions_behind(round_: AssessmentRound) -> list[tuple[str, int]]:
    """The SHAs with PCTs not yet past the national cross-check, by name, with how many:
    the regions a publication time waits for. One query."""
    return list(
        Assessment.objects.filter(round=round_, stage__lt=Stage.FACTUAL_ACCURACY)
        .values("pct__sha__name")
        .annotate(pcts=Count("pk"))
        .order_by("pct__sha__name")
        .values_list("pct__sha__name", "pcts")
    )


def region_windows(round_: AssessmentRound) -> list[RegionReview]:
    """Each region's review of the round, by SHA name, with ``waiting`` (how many of its
    boards have not said they have no comments) and ``windows_close`` (when its boards'
    factual-accuracy windows close: the region's closing time, or earlier, once every
    board has said it has no comments, which closes each board's window; ``None`` before
    they open). One query."""
    assessments = Assessment.objects.filter(round=round_, pct__sha=OuterRef("sha"))
    reviews = list(
        RegionReview.objects.filter(round=round_)
        .select_related("sha")
        .annotate(
            unconfirmed=Subquery(
                assessments.filter(factual_accuracy_confirmation__isnull=True)
                .values("pct__sha")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            last_confirmed=Subquery(
                FactualAccuracyConfirmation.objects.filter(
                    assessment__round=round_, assessment__pct__sha=OuterRef("sha")
                )
                .order_by("-confirmed_at")
                .values("confirmed_at")[:1]
            ),
        )
        .order_by("sha__name")
    )
    for review in reviews:
        review.waiting = review.unconfirmed or 0
        closes = review.factual_accuracy_closes
        if closes is not None and not review.waiting and review.last_confirmed is not None:
            closes = min(closes, review.last_confirmed)
        review.windows_close = closes
    return reviews


@transaction.atomic
def round_set_publication(
    *, round_: AssessmentRound, published_at: datetime, by: AbstractBaseUser
) -> AssessmentRound:
    """Set when the round's results are published. Refused once the round is published
    (publication is final: see ``publication_withdraw``), for a time in the past, or while
    any assessment of the round has not reached its factual-accuracy check."""
    # Check against the stored row, not the caller's copy: a page opened before the
    # publication time must not move it once it has passed.
    round_ = AssessmentRound.objects.select_for_update().get(pk=round_.pk)
    round_publication_check(round_=round_, published_at=published_at)
    old = round_.published_at
    round_.published_at = published_at
    if round_.first_published_at is None or round_.first_published_at == old:
        # Never published yet: the first publication is this time (moved with it until it
        # passes). Republished after a withdrawal: the first publication date stays, and
        # the pages say "Published <first date>; republished <new date>".
        round_.first_published_at = published_at
    round_.full_clean()
    round_.save(update_fields=["published_at", "first_published_at"])
    round_change_record(round_=round_, field="published_at", old=old, new=published_at, by=by)
    figures_changed(round_ids=[round_.pk])
    return round_


def withdrawal_board_roles(*, round_: AssessmentRound):
    """The board accounts told when ``round_``'s publication is withdrawn (with an e-mail)."""
    return (
        Role.objects.filter(
            kind=Role.Kind.PCT_BOARD, pct__assessments__round=round_, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user", "pct")
        .order_by("pct__name", "pk")
    )


def withdrawal_pct_count(*, round_: AssessmentRound) -> int:
    """How many PCTs' boards ``publication_withdraw`` e-mails (for its confirmation page)."""
    return withdrawal_board_roles(round_=round_).values("pct_id").distinct().count()


@transaction.atomic
def publication_withdraw(*, round_: AssessmentRound, reason: str, by: AbstractBaseUser) -> int:
    """Take a published round offline: its publication time is cleared (every output is
    embargoed again, until a new time is set), its published assessments go back to the
    factual-accuracy check, the change is kept with its reason, and each board is e-mailed
    (queued once this commits). Returns how many messages were queued."""
    reason = (reason or "").strip()
    if not visible(reason):
        raise ValidationError("Say why the publication is withdrawn: the boards are told.")
    round_ = AssessmentRound.objects.select_for_update().get(pk=round_.pk)
    if not round_.is_published():
        raise ValidationError(f"{round_.slug} is not published: there is nothing to withdraw.")
    old = round_.published_at
    round_.published_at = None
    round_.publication_notified_at = None
    # The first publication date is kept through the withdrawal and any republication.
    round_.first_published_at = round_.first_published_at or old
    round_.full_clean()
    round_.save(update_fields=["published_at", "publication_notified_at", "first_published_at"])
    figures_changed(round_ids=[round_.pk])
    change = round_change_record(
        round_=round_, field="published_at", old=old, new="withdrawn", by=by, reason=reason
    )
    # In a few queries whatever the number of PCTs (one by one, 10,000 took 60,000).
    assessments_advance(
        assessments=list(Assessment.objects.filter(round=round_, stage=Stage.PUBLISHED)),
        to_stage=Stage.FACTUAL_ACCURACY,
        by=by,
        note=f"Publication withdrawn: {reason}",
    )
    messages = [
        _withdrawal_notice(round_, role, old=old, reason=reason, when=change.changed_at)
        for role in withdrawal_board_roles(round_=round_)
    ]
    return mail_enqueue(messages=messages)


def was_published_at(*, round_: AssessmentRound, when: datetime) -> bool:
    """Whether ``when`` is an earlier publication time of ``round_``, withdrawn since: its
    first publication time, or the time a withdrawal took offline (its history row's old
    value, kept to the minute). A page showing such a time is stale; a time that is none
    of them was never shown by any page (a forged or mangled form). One query at most."""
    if round_.first_published_at is not None and when == round_.first_published_at:
        return True
    return RoundChange.objects.filter(
        round=round_,
        field="published_at",
        new_value="withdrawn",
        # as ``assessments.history.round_change_row`` writes a time
        old_value=timezone.localtime(when).strftime("%Y-%m-%d %H:%M"),
    ).exists()


def _withdrawal_notice(
    round_: AssessmentRound, role: Role, *, old: datetime, reason: str, when: datetime
) -> Message:
    return (
        f"{round_.name}: the published results are withdrawn",
        f"Dear board of {role.pct.name},\n\n"
        f"The results of {round_.name}, published on {_when(old)}, were withdrawn by the "
        f"national assurance team on {_when(when)}.\n\n"
        f"Reason: {reason}\n\n"
        f"The league table, open data, PCT pages and feedback reports of {round_.name}, "
        f"including {role.pct.name}'s, are offline until the round is published again; "
        "you will be e-mailed then.\n\nWCC Assurance\n",
        settings.DEFAULT_FROM_EMAIL,
        [role.user.email],
    )


@transaction.atomic
def publication_notices_send(*, round_: AssessmentRound, now: datetime | None = None) -> int:
    """After the publication time, e-mail each PCT board once (queued for the worker once
    this commits); returns how many messages were queued."""
    now = now or timezone.now()
    locked = AssessmentRound.objects.select_for_update().get(pk=round_.pk)
    if not locked.is_published(now) or locked.publication_notified_at is not None:
        return 0
    # A PCT held back by an unanswered factual-accuracy comment is not published yet: its
    # board is not told (``comment_answer`` tells it once the last comment is answered).
    held_back = held_back_assessments(round_=locked)
    roles = (
        Role.objects.filter(
            kind=Role.Kind.PCT_BOARD, pct__assessments__round=locked, user__is_active=True
        )
        .exclude(pct_id__in=held_back.values("pct_id"))
        .select_related("user", "pct")
    )
    # Republished after a withdrawal: a board whose agreed ratings changed since is told
    # that its results were corrected, each change and why; the others get the usual notice.
    corrections = corrections_since_withdrawal(round_=locked) if locked.corrected else {}
    messages = [
        _corrected_notice(locked, role, corrections[role.pct_id])
        if role.pct_id in corrections
        else _notice(locked, role)
        for role in roles
        if role.user.email
    ]
    locked.publication_notified_at = now
    locked.save(update_fields=["publication_notified_at"])
    # The results are public already (on the clock); the stages now say so too.
    assessments_advance(
        assessments=list(
            Assessment.objects.filter(round=locked, stage=Stage.FACTUAL_ACCURACY).exclude(
                pk__in=held_back.values("pk")
            )
        ),
        to_stage=Stage.PUBLISHED,
        by=None,
        note="Round published.",
    )
    return mail_enqueue(messages=messages)


@dataclass(frozen=True)
class Correction:
    """One agreed rating of a PCT changed since its round's publication was withdrawn: from
    its value then to its value now, and why (each change's reason, in order)."""

    item: str
    old: str
    new: str
    reasons: tuple[str, ...]


# The history of agreed ratings (not of self-assessments or members' scores).
_NOT_AGREED = (RatingChange.Source.SELF_ASSESSMENT, RatingChange.Source.MEMBER_SCORE)


def corrections_since_withdrawal(*, round_: AssessmentRound) -> dict[int, list[Correction]]:
    """By PCT id, the agreed ratings of ``round_`` changed since its last withdrawal (a
    rating changed and changed back is left out); empty if it was never withdrawn. Two
    queries."""
    withdrawn_at = (
        RoundChange.objects.filter(round=round_, field="published_at", new_value="withdrawn")
        .order_by("-changed_at", "-pk")
        .values_list("changed_at", flat=True)
        .first()
    )
    if withdrawn_at is None:
        return {}
    from competencies.selectors import item_label

    rows = (
        RatingChange.objects.filter(assessment__round=round_, changed_at__gte=withdrawn_at)
        .exclude(source__in=_NOT_AGREED)
        .select_related("assessment", "competency", "area", "sub_indicator__area")
        .order_by("changed_at", "pk")
    )
    net: dict[tuple, list] = {}  # (pct, item) -> [label, first old, last new, reasons]
    for row in rows:
        key = (row.assessment.pct_id, row.competency_id, row.area_id, row.sub_indicator_id)
        item = row.sub_indicator or row.competency or row.area
        entry = net.setdefault(key, [item_label(item), row.old_value, row.new_value, []])
        entry[2] = row.new_value
        if row.note and row.note not in entry[3]:
            entry[3].append(row.note)
    corrections: dict[int, list[Correction]] = {}
    for (pct_id, *_item), (label, old, new, reasons) in net.items():
        if old != new:
            corrections.setdefault(pct_id, []).append(
                Correction(label, _shown(old), _shown(new), tuple(reasons))
            )
    return corrections


def _shown(value: str) -> str:
    """A value as history stores it ("3", "amber", "") as a board reads it."""
    if re.fullmatch(r"[0-9]+", value):
        return f"level {value}"
    return value or "(none)"


def _corrected_notice(
    round_: AssessmentRound, role: Role, corrections: list[Correction]
) -> Message:
    """A board's "your results are corrected": published first on one date, withdrawn,
    published again with these changes of its PCT's agreed ratings."""
    context = {
        "round": round_,
        "pct": role.pct,
        "first": timezone.localtime(round_.first_published_at),
        "published": timezone.localtime(round_.published_at),
        "corrections": corrections,
        "pdf_url": settings.SITE_URL
        + reverse("reports:pct_pdf", args=[role.pct.ods_code, round_.slug]),
        "results_url": settings.SITE_URL
        + reverse("reports:pct_page", args=[role.pct.ods_code, round_.slug]),
    }
    return rendered("results_corrected", context, role.user.email, settings.DEFAULT_FROM_EMAIL)


def released_notice_send(*, assessment: Assessment, by: AbstractBaseUser) -> int:
    """Publish a held-back PCT once its last factual-accuracy comment is answered after the
    round's notices went (``comment_answer`` calls it): its stage moves to published, its
    board is told, and so is the national team, since the published tables change (the PCT
    takes its place; others' ranks move). Queued for the worker once the answer commits.
    Returns how many messages were queued."""
    round_ = assessment.round
    if not released_on_answer(assessment):
        return 0  # the round's own notices will include it
    assessment_advance(
        assessment=assessment,
        to_stage=Stage.PUBLISHED,
        by=by,
        note="Published: the last factual-accuracy comment was answered.",
    )
    roles = Role.objects.filter(
        kind=Role.Kind.PCT_BOARD, pct_id=assessment.pct_id, user__is_active=True
    ).select_related("user", "pct")
    messages = [_notice(round_, role, held_back=True) for role in roles if role.user.email]
    national = Role.objects.filter(kind=Role.Kind.NATIONAL, user__is_active=True).select_related(
        "user"
    )
    messages += [
        _joined_notice(round_, assessment, role.user.email) for role in national if role.user.email
    ]
    return mail_enqueue(messages=messages)


def released_on_answer(assessment: Assessment) -> bool:
    """Whether answering the PCT's last unanswered comment would publish its results at
    once: the round's results are out and its notices went (before that, the round's
    publication includes it)."""
    round_ = assessment.round
    return round_.publication_notified_at is not None and round_.is_published()


def _joined_notice(round_: AssessmentRound, assessment: Assessment, email: str) -> Message:
    table = reverse("reports:league_table", args=[round_.slug])
    page = reverse("reports:pct_page", args=[assessment.pct.ods_code, round_.slug])
    return (
        f"{round_.name}: {assessment.pct.name} joins the published results",
        "Dear national assurance team,\n\n"
        f"{assessment.pct.name} was held back from the results of {round_.name}, published on "
        f"{timezone.localtime(round_.published_at):%-d %B %Y at %H:%M}, by a factual-accuracy "
        "comment. Its SHA staff have answered the last one, so its results are now published:"
        " the league table, England's figures and the ranks of other PCTs changed with "
        "them.\n\n"
        f"Its results: {settings.SITE_URL}{page}\n"
        f"The league table: {settings.SITE_URL}{table}\n\nWCC Assurance\n",
        settings.DEFAULT_FROM_EMAIL,
        [email],
    )


def _notice(round_: AssessmentRound, role: Role, *, held_back: bool = False) -> Message:
    """A board's "your results are published"; ``held_back``: they joined the published
    results late, once the board's last factual-accuracy comment was answered. Of a round
    withdrawn and published again, it says when it was first published and again (a
    held-back board's, too: its own results were held back until now)."""
    pdf = reverse("reports:pct_pdf", args=[role.pct.ods_code, round_.slug])
    table = reverse("reports:league_table", args=[round_.slug])
    published = timezone.localtime(round_.published_at)
    when = f"The results of {round_.name} were published on {published:%-d %B %Y at %H:%M}."
    if round_.corrected:
        first = timezone.localtime(round_.first_published_at)
        when = (
            f"The results of {round_.name}, first published on {first:%-d %B %Y}, were "
            f"withdrawn and published again on {published:%-d %B %Y at %H:%M}."
        )
        if not held_back:
            when += f" The ratings of {role.pct.name} did not change."
    if held_back:
        when += (
            f" Those of {role.pct.name} were held back by a factual-accuracy comment until "
            "it was answered; they are published now."
        )
    return (
        f"{round_.name}: your results are published",
        f"Dear board of {role.pct.name},\n\n{when}\n\n"
        f"Your feedback report for {role.pct.name}: {settings.SITE_URL}{pdf}\n"
        f"The league table: {settings.SITE_URL}{table}\n\nWCC Assurance\n",
        settings.DEFAULT_FROM_EMAIL,
        [role.user.email],
    )
