"""Writes for publication: the national team sets a round's publication time.

Publication itself is on the clock (``AssessmentRound.is_published``): at the time every
PCT's results appear at once, with no job having to run. ``publication_notices_send``
only tells the boards afterwards, once, and moves the assessments' stage to published
(for the record: visibility never depends on it). A PCT held back by an unanswered
factual-accuracy comment is left out of both until the comment is answered.
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from assessments.factual_accuracy import held_back_assessments
from assessments.mail import Message, mail_enqueue
from assessments.models import (
    Assessment,
    AssessmentRound,
    RegionReview,
    Role,
    Stage,
)
from assessments.services import assessment_advance, round_change_record


@transaction.atomic
def round_set_publication(
    *, round_: AssessmentRound, published_at: datetime, by: AbstractBaseUser
) -> AssessmentRound:
    """Set when the round's results are published. Refused for a time in the past, or while
    any assessment of the round has not reached its factual-accuracy check."""
    if published_at <= timezone.now():
        raise ValidationError("Choose a publication time in the future.")
    behind = (
        Assessment.objects.filter(round=round_, stage__lt=Stage.FACTUAL_ACCURACY)
        .select_related("pct")
        .order_by("pct__name")
    )
    if behind.exists():
        names = [a.pct.name for a in behind[:5]]
        more = behind.count() - len(names)
        raise ValidationError(
            "Every region must be confirmed at the national cross-check first; not yet: "
            + ", ".join(names)
            + (f" and {more} more." if more > 0 else ".")
        )
    last_window = (
        RegionReview.objects.filter(round=round_, factual_accuracy_closes__isnull=False)
        .select_related("sha")
        .order_by("-factual_accuracy_closes")
        .first()
    )
    if last_window is not None and published_at < last_window.factual_accuracy_closes:
        closes = timezone.localtime(last_window.factual_accuracy_closes)
        raise ValidationError(
            "Choose a publication time after every board's factual-accuracy window has closed; "
            f"the last, {last_window.sha.name}'s, closes on {closes:%d %B %Y at %H:%M}."
        )
    old = round_.published_at
    round_.published_at = published_at
    round_.full_clean()
    round_.save(update_fields=["published_at"])
    round_change_record(round_=round_, field="published_at", old=old, new=published_at, by=by)
    return round_


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
        Role.objects.filter(kind=Role.Kind.PCT_BOARD, pct__assessments__round=locked)
        .exclude(pct_id__in=held_back.values("pct_id"))
        .select_related("user", "pct")
    )
    messages = [_notice(locked, role) for role in roles if role.user.email]
    locked.publication_notified_at = now
    locked.save(update_fields=["publication_notified_at"])
    # The results are public already (on the clock); the stages now say so too.
    for assessment in (
        Assessment.objects.filter(round=locked, stage=Stage.FACTUAL_ACCURACY)
        .exclude(pk__in=held_back.values("pk"))
        .select_related("round")
    ):
        assessment_advance(
            assessment=assessment, to_stage=Stage.PUBLISHED, by=None, note="Round published."
        )
    return mail_enqueue(messages=messages)


def released_notice_send(*, assessment: Assessment, by: AbstractBaseUser) -> int:
    """Publish a held-back PCT once its last factual-accuracy comment is answered after the
    round's notices went (``comment_answer`` calls it): its stage moves to published and
    its board is told (queued for the worker once the answer commits). Returns how many
    messages were queued."""
    round_ = assessment.round
    if round_.publication_notified_at is None or not round_.is_published():
        return 0  # the round's own notices will include it
    assessment_advance(
        assessment=assessment,
        to_stage=Stage.PUBLISHED,
        by=by,
        note="Published: the last factual-accuracy comment was answered.",
    )
    roles = Role.objects.filter(kind=Role.Kind.PCT_BOARD, pct_id=assessment.pct_id).select_related(
        "user", "pct"
    )
    messages = [_notice(round_, role) for role in roles if role.user.email]
    return mail_enqueue(messages=messages)


def _notice(round_: AssessmentRound, role: Role) -> Message:
    pdf = reverse("reports:pct_pdf", args=[role.pct.ods_code, round_.slug])
    table = reverse("reports:league_table", args=[round_.slug])
    return (
        f"{round_.name}: your results are published",
        f"The results of {round_.name} were published on "
        f"{timezone.localtime(round_.published_at):%d %B %Y at %H:%M}.\n\n"
        f"Your feedback report for {role.pct.name}: {settings.SITE_URL}{pdf}\n"
        f"The league table: {settings.SITE_URL}{table}\n",
        settings.DEFAULT_FROM_EMAIL,
        [role.user.email],
    )
