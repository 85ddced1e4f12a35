"""Work queues: what waits for each role, for the top of the home page ("Waiting for you").

One selector per role, each a fixed number of queries whatever the number of items (the
tests hold them to it with 1 and 3 items). Each answers a list of :class:`Queue`, one per
kind of work, with the items that link to where the work is done. The home page
(``wcc_site.views.HomeView``) composes the queues of every role the user holds; this module
lives in ``wcc_site`` because the queues read every app (assessments, panels, reports).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone

from assessments.factual_accuracy import unanswered_comments_of_regions
from assessments.models import (
    Assessment,
    AssessmentRound,
    FactualAccuracyComment,
    FactualAccuracyConfirmation,
    RegionReview,
    Stage,
)
from assessments.regions import add_working_days
from panels.models import Seat

WINDOWS_AHEAD_WORKING_DAYS = 5  # the national team's "windows closing" look-ahead


@dataclass(frozen=True)
class QueueItem:
    """One piece of waiting work: what, where to do it, and (optionally) by when."""

    label: str
    url: str
    detail: str = ""
    due: datetime.date | datetime.datetime | None = None
    overdue: bool = False


@dataclass(frozen=True)
class Queue:
    """One kind of work waiting for the user, e.g. "Comments to answer"."""

    key: str  # for tests and styling: comments, moderate, form, sent-back, ...
    title: str
    items: list[QueueItem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _comment_item(comment: FactualAccuracyComment) -> QueueItem:
    assessment = comment.assessment
    about = comment.rating.item if comment.rating_id else "the draft as a whole"
    return QueueItem(
        label=f"{assessment.pct.name}: {about}",
        url=reverse("reports:pct_page", args=[assessment.pct.ods_code, assessment.round.slug])
        + f"#comment-{comment.pk}",
        detail=f"{assessment.round.name}, raised {timezone.localtime(comment.raised_at):%d %B %Y}",
    )


# --- SHA staff ----------------------------------------------------------------------------


def sha_staff_queues(*, sha_ids: Iterable[int]) -> list[Queue]:
    """Comments to answer, PCTs to moderate, panels to form and regions sent back, for
    the staff of these SHAs. Four queries."""
    sha_ids = list(sha_ids)
    comments = [_comment_item(c) for c in unanswered_comments_of_regions(sha_ids=sha_ids)]

    moderate = [
        QueueItem(
            label=assessment.pct.name,
            url=reverse(
                "reports:moderation", args=[assessment.round.slug, assessment.pct.sha.ods_code]
            )
            + f"#pct-{assessment.pct.ods_code}",
            detail=f"{assessment.round.name}, at regional moderation",
            due=assessment.round.moderation_due,
            overdue=_is_overdue(assessment.round.moderation_due),
        )
        for assessment in Assessment.objects.filter(pct__sha_id__in=sha_ids, stage=Stage.MODERATION)
        .select_related("round", "pct__sha")
        .order_by("-round__slug", "pct__sha__name", "pct__name")
    ]

    form = [
        QueueItem(
            label=assessment.pct.name,
            url=reverse(
                "panels:formation_panel", args=[assessment.round.slug, assessment.pct.ods_code]
            ),
            detail=f"{assessment.round.name}: "
            + (
                "no panel yet"
                if not assessment.seats
                else f"{_plural(assessment.empty, 'seat')} to fill"
            ),
            due=assessment.round.panel_formation_due,
            overdue=_is_overdue(assessment.round.panel_formation_due),
        )
        for assessment in Assessment.objects.filter(
            pct__sha_id__in=sha_ids, stage=Stage.PANEL_FORMATION
        )
        .select_related("round", "pct")
        .annotate(
            seats=Count("panel__seats"),
            empty=Count("panel__seats", filter=Q(panel__seats__person__isnull=True)),
        )
        .filter(Q(seats=0) | Q(empty__gt=0))
        .order_by("-round__slug", "pct__name")
    ]

    sent_back = [
        QueueItem(
            label=f"{review.sha.name}: {review.round.name}",
            url=reverse("reports:moderation", args=[review.round.slug, review.sha.ods_code]),
            detail="sent back by the national team"
            + (
                f" on {timezone.localtime(review.decided_at):%d %B %Y}" if review.decided_at else ""
            ),
        )
        for review in RegionReview.objects.filter(
            sha_id__in=sha_ids, status=RegionReview.Status.SENT_BACK
        )
        .select_related("round", "sha")
        .order_by("-round__slug", "sha__name")
    ]
    return [
        Queue("comments", "Comments to answer", comments),
        Queue("moderate", "PCTs to moderate", moderate),
        Queue("form", "Panels to form", form),
        Queue("sent-back", "Regions sent back", sent_back),
    ]


def _is_overdue(due: datetime.date | None, today: datetime.date | None = None) -> bool:
    return due is not None and due < (today or timezone.localdate())


# --- Panel members and chairs --------------------------------------------------------------


def _my_seats(user):
    return Seat.objects.filter(person__user=user).select_related(
        "panel__assessment__round", "panel__assessment__pct", "seat_type"
    )


def member_queues(*, user) -> list[Queue]:
    """Scores due: the user's seats on panels at scoring, not submitted and not excused,
    with the scoring deadline (overdue marked). One query."""
    items = []
    for seat in (
        _my_seats(user)
        .filter(
            panel__assessment__stage=Stage.SCORING, submitted_at__isnull=True, absence_reason=""
        )
        .order_by("panel__assessment__round__scoring_due", "panel__assessment__pct__name")
    ):
        assessment = seat.panel.assessment
        due = assessment.round.scoring_due
        items.append(
            QueueItem(
                label=assessment.pct.name,
                url=reverse("panels:score", args=[assessment.round.slug, assessment.pct.ods_code]),
                detail=f"{assessment.round.name}, {seat.seat_type.name}",
                due=due,
                overdue=_is_overdue(due),
            )
        )
    return [Queue("scores", "Scores due", items)]


def chair_queues(*, user) -> list[Queue]:
    """Consensus to hold: the panels at consensus that the user chairs. One query."""
    items = []
    for seat in (
        _my_seats(user)
        .filter(panel__assessment__stage=Stage.CONSENSUS, seat_type__is_chair=True)
        .order_by("panel__assessment__round__consensus_due", "panel__assessment__pct__name")
    ):
        assessment = seat.panel.assessment
        due = assessment.round.consensus_due
        items.append(
            QueueItem(
                label=assessment.pct.name,
                url=reverse(
                    "panels:consensus", args=[assessment.round.slug, assessment.pct.ods_code]
                ),
                detail=assessment.round.name,
                due=due,
                overdue=_is_overdue(due),
            )
        )
    return [Queue("consensus", "Consensus to hold", items)]


# --- National team ------------------------------------------------------------------------


def national_queues(*, now: datetime.datetime | None = None) -> list[Queue]:
    """Regions to cross-check (signed off, awaiting a decision), factual-accuracy windows
    closing in the next five working days, and rounds ready to publish (every assessment at
    the factual-accuracy check, no publication time set). Three queries."""
    now = now or timezone.now()
    cross_check = [
        QueueItem(
            label=f"{review.sha.name}: {review.round.name}",
            url=reverse("reports:cross_check", args=[review.round.slug]),
            detail="signed off"
            + (
                f" on {timezone.localtime(review.signed_off_at):%d %B %Y}"
                if review.signed_off_at
                else ""
            ),
        )
        for review in RegionReview.objects.filter(status=RegionReview.Status.SIGNED_OFF)
        .select_related("round", "sha")
        .order_by("signed_off_at", "sha__name")
    ]
    closing = [
        QueueItem(
            label=f"{review.sha.name}: {review.round.name}",
            url=reverse("reports:publication", args=[review.round.slug]),
            detail=f"closes {timezone.localtime(review.factual_accuracy_closes):%d %B %Y at %H:%M}",
            due=review.factual_accuracy_closes,
        )
        for review in RegionReview.objects.filter(
            factual_accuracy_closes__gt=now,
            factual_accuracy_closes__lte=add_working_days(now, WINDOWS_AHEAD_WORKING_DAYS),
        )
        .select_related("round", "sha")
        .order_by("factual_accuracy_closes", "sha__name")
    ]
    publish = [
        QueueItem(
            label=round_.name,
            url=reverse("reports:publication", args=[round_.slug]),
            detail=f"{_plural(round_.pcts, 'PCT')} at the factual-accuracy check; no publication time set",
        )
        for round_ in AssessmentRound.objects.filter(published_at__isnull=True)
        .annotate(
            pcts=Count("assessments"),
            behind=Count("assessments", filter=Q(assessments__stage__lt=Stage.FACTUAL_ACCURACY)),
        )
        .filter(pcts__gt=0, behind=0)
        .order_by("-slug")
    ]
    return [
        Queue("cross-check", "Regions to cross-check", cross_check),
        Queue("closing", "Windows closing in the next 5 working days", closing),
        Queue("publish", "Rounds to publish", publish),
    ]


# --- PCT boards ---------------------------------------------------------------------------


def board_queues(*, pct_ids: Iterable[int], now: datetime.datetime | None = None) -> list[Queue]:
    """Self-assessments due (with the deadline), drafts to check (window open: closes on
    ...) and the board's comments awaiting an answer. Three queries."""
    now = now or timezone.now()
    pct_ids = list(pct_ids)
    due = []
    for assessment in (
        Assessment.objects.filter(pct_id__in=pct_ids, stage=Stage.SELF_ASSESSMENT)
        .exclude(self_assessment__status="submitted")
        .select_related("round", "pct")
        .order_by("round__self_assessment_due", "-round__slug", "pct__name")
    ):
        deadline = assessment.round.self_assessment_due
        due.append(
            QueueItem(
                label=f"{assessment.pct.name}: {assessment.round.name}",
                url=reverse(
                    "assessments:self_assessment",
                    args=[assessment.round.slug, assessment.pct.ods_code],
                ),
                detail="self-assessment to submit",
                due=deadline,
                overdue=_is_overdue(deadline),
            )
        )

    closes = RegionReview.objects.filter(
        round_id=OuterRef("round_id"), sha_id=OuterRef("pct__sha_id")
    ).values("factual_accuracy_closes")[:1]
    drafts = [
        QueueItem(
            label=f"{assessment.pct.name}: {assessment.round.name}",
            url=reverse("reports:pct_page", args=[assessment.pct.ods_code, assessment.round.slug]),
            detail=f"draft results to check; the window closes on "
            f"{timezone.localtime(assessment.closes):%d %B %Y at %H:%M}",
            due=assessment.closes,
        )
        for assessment in Assessment.objects.filter(
            pct_id__in=pct_ids, stage=Stage.FACTUAL_ACCURACY
        )
        .annotate(closes=Subquery(closes))
        .filter(closes__gt=now)
        .exclude(Exists(FactualAccuracyConfirmation.objects.filter(assessment_id=OuterRef("pk"))))
        .select_related("round", "pct")
        .order_by("closes", "pct__name")
    ]

    comments = [
        _comment_item(c)
        for c in FactualAccuracyComment.objects.filter(response="", assessment__pct_id__in=pct_ids)
        .select_related(
            "assessment__pct",
            "assessment__round",
            "rating__competency",
            "rating__area",
            "rating__sub_indicator__area",
        )
        .order_by("raised_at", "pk")
    ]
    return [
        Queue("self-assessment", "Self-assessment due", due),
        Queue("draft", "Draft results to check", drafts),
        Queue("board-comments", "Comments awaiting an answer", comments),
    ]
