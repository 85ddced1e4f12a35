"""Work queues: what waits for each role, for the top of the home page ("Waiting for you").

One selector per role, each a fixed number of queries whatever the number of items (the
tests hold them to it with 1 and 3 items). Each answers a list of :class:`Queue`, one per
kind of work, with the items that link to where the work is done. A queue that grows with
the number of PCTs (SHA staff's) holds only the first ``LIST_LIMIT`` items of each round
and region, with the whole count and an "and N more" link to the page that lists them all
(issue 13): the same query reads both, through window functions. The home page
(``wcc_site.views.HomeView``) composes the queues of every role the user holds; this module
lives in ``wcc_site`` because the queues read every app (assessments, panels, reports).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    Window,
)
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from assessments.factual_accuracy import released, shown_stage, unanswered_comments_of_regions
from assessments.models import (
    Assessment,
    AssessmentRound,
    FactualAccuracyComment,
    FactualAccuracyConfirmation,
    PrimaryCareTrust,
    RegionReview,
    Role,
    ShownStage,
    Stage,
    StageChange,
)
from assessments.regions import add_working_days
from panels.models import PRESIDING, Seat, SeatChange
from panels.selectors import HELD_UP, NO_LONGER_ELIGIBLE, SeatConflict, seat_conflict

WINDOWS_AHEAD_WORKING_DAYS = 5  # the national team's "windows closing" look-ahead
LIST_LIMIT = 10  # items of a long list shown on the home page, per round and region


@dataclass(frozen=True)
class QueueItem:
    """One piece of waiting work: what, where to do it, and (optionally) by when."""

    label: str
    url: str
    detail: str = ""
    due: datetime.date | datetime.datetime | None = None
    overdue: bool = False


@dataclass(frozen=True)
class More:
    """The items of one round and region left off a shortened list, and the page that lists
    them all."""

    count: int
    label: str  # the link's text, e.g. "All 1,031 on the moderation grid of London, 2009-10"
    url: str

    @property
    def count_text(self) -> str:
        return f"{self.count:,}"


@dataclass(frozen=True)
class Queue:
    """One kind of work waiting for the user, e.g. "Comments to answer". ``total`` is the
    whole count when ``items`` is only the first of each round and region (``more`` then
    says how many are left off and where they are)."""

    key: str  # for tests and styling: comments, moderate, form, sent-back, ...
    title: str
    items: list[QueueItem] = field(default_factory=list)
    total: int | None = None
    more: list[More] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.items) if self.total is None else self.total

    @property
    def count_text(self) -> str:
        return f"{self.count:,}"


def first_of_each(
    queryset: QuerySet,
    *,
    partition: list[str],
    order_by: list[str],
    group_order: list[str],
    limit: int = LIST_LIMIT,
) -> QuerySet:
    """The first ``limit`` rows of each group (``partition``: field paths), each with
    ``place`` (1, 2, ... in ``order_by``) and ``group_total`` (the group's size): one query
    reads a shortened list and its counts."""
    over = [F(path) for path in partition]
    return (
        queryset.annotate(
            place=Window(RowNumber(), partition_by=over, order_by=[_order(o) for o in order_by]),
            group_total=Window(Count("pk"), partition_by=over),
        )
        .filter(place__lte=limit)
        .order_by(*group_order, *partition, "place")
    )


def _order(path: str):
    return F(path[1:]).desc() if path.startswith("-") else F(path).asc()


def _shortened(rows: list, *, key, more_label, more_url) -> tuple[int, list[More]]:
    """The whole count of rows read by :func:`first_of_each`, and what each group leaves
    off (``key`` names a row's group; ``more_label(row, group_total)`` and
    ``more_url(row)`` its link)."""
    total = 0
    more = []
    shown: dict = {}
    first = {}
    for row in rows:
        k = key(row)
        shown[k] = shown.get(k, 0) + 1
        first.setdefault(k, row)
    for k, row in first.items():
        total += row.group_total
        if row.group_total > shown[k]:
            more.append(
                More(row.group_total - shown[k], more_label(row, row.group_total), more_url(row))
            )
    return total, more


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _comment_item(comment: FactualAccuracyComment) -> QueueItem:
    assessment = comment.assessment
    about = comment.rating.item if comment.rating_id else "the draft as a whole"
    return QueueItem(
        label=f"{assessment.pct.name}: {about}",
        url=reverse("reports:pct_page", args=[assessment.pct.ods_code, assessment.round.slug])
        + f"#comment-{comment.pk}",
        detail=f"{assessment.round.name}, raised {timezone.localtime(comment.raised_at):%-d %B %Y}",
    )


# --- SHA staff ----------------------------------------------------------------------------


def sha_staff_queues(*, sha_ids: Iterable[int]) -> list[Queue]:
    """Comments to answer, PCTs to moderate, panels to form, boards to give an account (at
    self-assessment with nobody to act for them, or before a created round opens),
    panels waiting for a member deactivated since (``panels.selectors.HELD_UP``), seats
    whose holder may no longer sit in them (``panels.selectors.NO_LONGER_ELIGIBLE``: read
    in the same query),
    self-assessments overdue (to proceed without) and regions sent back, for the staff of
    these SHAs: the first ``LIST_LIMIT`` of each round and region, the whole count, and
    links to the rest. Eight queries."""
    sha_ids = list(sha_ids)
    comment_rows = list(
        first_of_each(
            unanswered_comments_of_regions(sha_ids=sha_ids).select_related("assessment__pct__sha"),
            partition=["assessment__round_id", "assessment__pct__sha_id"],
            order_by=["raised_at", "pk"],
            group_order=["-assessment__round__slug", "assessment__pct__sha__name"],
        )
    )
    comments = [_comment_item(c) for c in comment_rows]
    comments_total, comments_more = _shortened(
        comment_rows,
        key=lambda c: (c.assessment.round_id, c.assessment.pct.sha_id),
        more_label=lambda c, n: (
            f"All {n:,} on the moderation page of {_region_round(c.assessment)}"
        ),
        more_url=lambda c: (
            reverse(
                "reports:moderation", args=[c.assessment.round.slug, c.assessment.pct.sha.ods_code]
            )
            + "#unanswered-heading"
        ),
    )

    moderate_rows = list(
        _first_pcts_of_each_round_and_region(
            Assessment.objects.filter(pct__sha_id__in=sha_ids, stage=Stage.MODERATION),
            "round__moderation_due",
        )
    )
    moderate = [
        QueueItem(
            label=assessment.pct.name,
            url=_moderation_url(assessment) + f"#pct-{assessment.pct.ods_code}",
            detail=f"{assessment.round.name}, at regional moderation",
            due=assessment.round.moderation_due,
            overdue=_is_overdue(assessment.round.moderation_due),
        )
        for assessment in moderate_rows
    ]
    moderate_total, moderate_more = _shortened(
        moderate_rows,
        key=lambda a: (a.round_id, a.pct.sha_id),
        more_label=lambda a, n: f"All {n:,} on the moderation grid of {_region_round(a)}",
        more_url=_moderation_url,
    )

    # Every PCT at panel formation waits for its staff: seats to fill (a member deactivated
    # since leaves one to fill again), or, once full, scoring to open.
    to_fill = Q(person__isnull=True) | Q(person__is_active=False)
    form_rows = list(
        _first_pcts_of_each_round_and_region(
            Assessment.objects.filter(pct__sha_id__in=sha_ids, stage=Stage.PANEL_FORMATION),
            "round__panel_formation_due",
        ).annotate(
            seats=Subquery(_seat_count(), output_field=IntegerField()),
            empty=Subquery(_seat_count(to_fill), output_field=IntegerField()),
        )
    )
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
                if assessment.empty
                else "every seat filled: open scoring"
            ),
            due=assessment.round.panel_formation_due,
            overdue=_is_overdue(assessment.round.panel_formation_due),
        )
        for assessment in form_rows
    ]
    form_total, form_more = _shortened(
        form_rows,
        key=lambda a: (a.round_id, a.pct.sha_id),
        more_label=lambda a, n: f"All {n:,} on panel formation for {_region_round(a)}",
        more_url=lambda a: (
            reverse("panels:formation_region", args=[a.round.slug]) + f"?sha={a.pct.sha.ods_code}"
        ),
    )

    # A PCT at self-assessment whose board nobody can act for: its board was not told
    # that the round opened and cannot start. Give it an account.
    no_board = ~Exists(
        Role.objects.filter(kind=Role.Kind.PCT_BOARD, pct=OuterRef("pct"), user__is_active=True)
    )
    board_rows = list(
        _first_pcts_of_each_round_and_region(
            Assessment.objects.filter(
                no_board, pct__sha_id__in=sha_ids, stage=Stage.SELF_ASSESSMENT
            ),
            "round__self_assessment_due",
        )
    )
    boards = [
        QueueItem(
            label=assessment.pct.name,
            url=reverse("boards:pct", args=[assessment.pct.ods_code]),
            detail=f"{assessment.round.name}: nobody can act for its board yet",
            due=assessment.round.self_assessment_due,
            overdue=_is_overdue(assessment.round.self_assessment_due),
        )
        for assessment in board_rows
    ]
    boards_total, boards_more = _shortened(
        board_rows,
        key=lambda a: (a.round_id, a.pct.sha_id),
        more_label=lambda a, n: f"All {n:,} of {a.pct.sha.name} with no board account",
        more_url=lambda a: reverse("boards:list") + f"?without=on&sha={a.pct.sha.ods_code}",
    )

    # Before a round opens for a region: its open PCTs that nobody can act for, whose boards
    # the opening e-mail would miss (the real-year walk: the SHA's home said nothing to do
    # until the round had opened). One row per region. The round: one without a publication
    # time not yet opened for the region, at all or for other SHAs only (the walk of
    # today's fixes: the item went as soon as the round opened anywhere). 27 ms for the
    # whole SHA staff queue at 10,152 PCTs (1,017 in the region, most with no board).
    today = timezone.localdate()
    waiting_round = AssessmentRound.objects.filter(published_at__isnull=True).filter(
        ~Exists(
            Assessment.objects.filter(
                round=OuterRef("pk"), pct__sha_id=OuterRef(OuterRef("sha_id"))
            )
        )
    )
    before_opening = [
        QueueItem(
            label=f"{row['sha__name']}: {_plural(row['n'], 'PCT')} with no board account",
            url=reverse("boards:list") + f"?without=on&sha={row['sha__ods_code']}",
            detail=f"{row['round_name']} is not open for them yet: its opening e-mails each "
            "PCT's board members, so give these boards an account first",
        )
        for row in PrimaryCareTrust.objects.filter(sha_id__in=sha_ids)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=today))
        .filter(
            ~Exists(
                Role.objects.filter(
                    kind=Role.Kind.PCT_BOARD, pct=OuterRef("pk"), user__is_active=True
                )
            )
        )
        .annotate(round_name=Subquery(waiting_round.order_by("slug").values("name")[:1]))
        .filter(round_name__isnull=False)
        .values("sha__name", "sha__ods_code", "round_name")
        .annotate(n=Count("pk"))
        .order_by("sha__name")
    ]

    # A PCT at self-assessment past its round's deadline: its board has not submitted, and
    # its staff may proceed to the panel without the self-assessment (issue: one late board
    # held up the whole round). A round with no deadline is never overdue.
    overdue_rows = list(
        _first_pcts_of_each_round_and_region(
            Assessment.objects.filter(
                pct__sha_id__in=sha_ids,
                stage=Stage.SELF_ASSESSMENT,
                round__self_assessment_due__lt=timezone.localdate(),
            ).annotate(
                # Sent back to the board to correct (``assessments.reopening``): it did
                # submit, and is waited for again (walk U: the list offered to proceed
                # without it as if it never had).
                sent_back=Exists(
                    StageChange.objects.filter(
                        assessment=OuterRef("pk"),
                        from_stage=Stage.PANEL_FORMATION,
                        to_stage=Stage.SELF_ASSESSMENT,
                    )
                )
            ),
            "round__self_assessment_due",
        )
    )
    overdue = [
        QueueItem(
            label=assessment.pct.name,
            url=reverse(
                "panels:proceed_without_self_assessment",
                args=[assessment.round.slug, assessment.pct.ods_code],
            ),
            detail=f"{assessment.round.name}: "
            + (
                "sent back to the board to correct, not yet submitted again; proceed without "
                "it if it does not come"
                if assessment.sent_back
                else "the board has not submitted; proceed without it"
            ),
            due=assessment.round.self_assessment_due,
            overdue=True,
        )
        for assessment in overdue_rows
    ]
    overdue_total, overdue_more = _shortened(
        overdue_rows,
        key=lambda a: (a.round_id, a.pct.sha_id),
        more_label=lambda a, n: f"All {n:,} overdue in {_region_round(a)}, on panel formation",
        more_url=lambda a: (
            reverse("panels:formation_region", args=[a.round.slug]) + f"?sha={a.pct.sha.ods_code}"
        ),
    )

    # Panels scoring or at consensus that wait for a member deactivated since, who has
    # neither submitted nor been excused (the tester's walk: five panels waited for someone
    # who could no longer log in, and no list said so); and, read in the same query, seats
    # whose holder's organisation no longer fits them on a panel not yet at moderation
    # (``panels.selectors.NO_LONGER_ELIGIBLE``; walk AC: a member moved to the PCT whose
    # panel he sat on, and no list said so). ``to_replace`` tells them apart: a seat that is
    # both is listed as held up.
    seat_rows = list(
        first_of_each(
            Seat.objects.filter(
                HELD_UP | NO_LONGER_ELIGIBLE, panel__assessment__pct__sha_id__in=sha_ids
            )
            .annotate(
                to_replace=Case(
                    When(HELD_UP, then=Value(False)),
                    default=Value(True),
                    output_field=BooleanField(),
                )
            )
            .select_related(
                "seat_type",
                "person__sha",
                "person__pct",
                "person__external_organisation",
                "panel__assessment__round",
                "panel__assessment__pct__sha",
            ),
            partition=[
                "to_replace",
                "panel__assessment__round_id",
                "panel__assessment__pct__sha_id",
            ],
            order_by=["panel__assessment__pct__name", "seat_type__number"],
            group_order=["-panel__assessment__round__slug", "panel__assessment__pct__sha__name"],
        )
    )
    held_rows = [seat for seat in seat_rows if not seat.to_replace]
    held_up = [_held_up_for_staff(seat) for seat in held_rows]
    held_total, held_more = _seats_shortened(held_rows)
    replace_rows = [seat for seat in seat_rows if seat.to_replace]
    to_replace = [_to_replace(seat) for seat in replace_rows]
    replace_total, replace_more = _seats_shortened(replace_rows)

    # One per round and region: grows with the rounds, not with the PCTs.
    sent_back = [
        QueueItem(
            label=f"{review.sha.name}: {review.round.name}",
            url=reverse("reports:moderation", args=[review.round.slug, review.sha.ods_code]),
            detail="sent back by the national team"
            + (
                f" on {timezone.localtime(review.decided_at):%-d %B %Y}"
                if review.decided_at
                else ""
            ),
        )
        for review in RegionReview.objects.filter(
            sha_id__in=sha_ids, status=RegionReview.Status.SENT_BACK
        )
        .select_related("round", "sha")
        .order_by("-round__slug", "sha__name")
    ]
    return [
        Queue("comments", "Comments to answer", comments, comments_total, comments_more),
        Queue("moderate", "PCTs to moderate", moderate, moderate_total, moderate_more),
        Queue("form", "Panels to form", form, form_total, form_more),
        Queue(
            "held-up",
            "Panels waiting for a deactivated member",
            held_up,
            held_total,
            held_more,
        ),
        Queue("to-replace", "Seats to replace", to_replace, replace_total, replace_more),
        Queue("boards", "Boards to give an account", boards, boards_total, boards_more),
        Queue("before-opening", "Board accounts before the round opens", before_opening),
        Queue("overdue", "Self-assessments overdue", overdue, overdue_total, overdue_more),
        Queue("sent-back", "Regions sent back", sent_back),
    ]


def _first_pcts_of_each_round_and_region(assessments: QuerySet, due: str) -> QuerySet:
    """The first PCTs by name of each round and region of ``assessments`` (newest round
    first), with their counts (``first_of_each``), reading what a queue item and its "more"
    link show and the round's deadline ``due``: the SHA staff's queues of assessments."""
    return first_of_each(
        assessments.select_related("round", "pct__sha").only(*_ITEM_FIELDS, due),
        partition=["round_id", "pct__sha_id"],
        order_by=["pct__name", "pk"],
        group_order=["-round__slug", "pct__sha__name"],
    )


# What an assessment's queue item and "more" link read: the windows sort every row of the
# region, and narrow rows sort faster (the moderation queue of 1,031 PCTs: 7 ms, not 11).
_ITEM_FIELDS = (
    "round__slug",
    "round__name",
    "pct__name",
    "pct__ods_code",
    "pct__sha__ods_code",
    "pct__sha__name",
)


def _region_round(assessment: Assessment) -> str:
    return f"{assessment.pct.sha.name}, {assessment.round.name}"


def _moderation_url(assessment: Assessment) -> str:
    return reverse("reports:moderation", args=[assessment.round.slug, assessment.pct.sha.ods_code])


def _seat_count(*conditions: Q) -> QuerySet:
    """The number of seats (meeting ``conditions``) of the outer assessment's panel."""
    return (
        Seat.objects.filter(*conditions, panel__assessment=OuterRef("pk"))
        .order_by()
        .values("panel__assessment")
        .annotate(n=Count("pk"))
        .values("n")
    )


def _seats_shortened(seats):
    """``_shortened`` for a list of seats: the first of each round and region, and a link
    to that region's panel formation page for the rest."""
    return _shortened(
        seats,
        key=lambda s: (s.panel.assessment.round_id, s.panel.assessment.pct.sha_id),
        more_label=lambda s, n: (
            f"All {n:,} on panel formation for {_region_round(s.panel.assessment)}"
        ),
        more_url=lambda s: (
            reverse("panels:formation_region", args=[s.panel.assessment.round.slug])
            + f"?sha={s.panel.assessment.pct.sha.ods_code}"
        ),
    )


def _held_up_for_staff(seat: Seat) -> QueueItem:
    """A panel waiting for a deactivated member, as SHA staff act on it: hand the chair on
    (they chair it), replace them (while scoring), or, at consensus, leave the chair to
    excuse them."""
    assessment = seat.panel.assessment
    args = [assessment.round.slug, assessment.pct.ods_code]
    if seat.presides:
        url, todo = reverse("panels:hand_chair", args=args), "hand the chair to another member"
    elif assessment.stage == Stage.SCORING:
        url = reverse("panels:replace_seat", args=[*args, seat.seat_type.number])
        todo = "replace them (or the chair excuses them)"
    else:
        url, todo = (
            reverse("panels:formation_panel", args=args),
            "at consensus: the chair excuses them",
        )
    return QueueItem(
        label=f"Panel of {assessment.pct.name}: {seat.person.full_name} was deactivated",
        url=url,
        detail=f"{assessment.round.name}, seat {seat.seat_type.number}: {todo}",
    )


def _to_replace(seat: Seat) -> QueueItem:
    """A seat whose holder may no longer sit in it (``seat_conflict``), as SHA staff act on
    it: choose someone else, replace them, or at consensus leave the chair to excuse them."""
    assessment = seat.panel.assessment
    conflict = SeatConflict(
        seat=seat, assessment=assessment, why=seat_conflict(seat=seat, assessment=assessment)
    )
    todo, url = conflict.todo
    return QueueItem(
        label=f"Panel of {assessment.pct.name}: {seat.person.full_name} may no longer sit on it",
        url=url,
        detail=f"{assessment.round.name}, seat {seat.seat_type.number}: {conflict.why} {todo}.",
    )


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


def _acting_since(seat: Seat) -> str:
    """The words ", acting chair since 7 December 2026 (why)" for the acting chair's seat
    (read from its ``acting_since`` and ``acting_reason`` annotations), else ""."""
    if seat.panel.acting_chair_id != seat.pk or seat.acting_since is None:
        return ""
    since = date_format(timezone.localtime(seat.acting_since), "j F Y")
    why = f" ({seat.acting_reason})" if seat.acting_reason else ""
    return f", acting chair since {since}{why}"


def chair_queues(*, user) -> list[Queue]:
    """Consensus to hold: the panels at consensus that the user chairs now (as acting
    chair too; not those handed to an acting chair: ``PRESIDING``), the acting chair's
    said so, since when and why; the panels still scoring whose chair SHA staff handed to
    the user (walk W: only "Scores due" said anything of them), with what that means while
    members score; and the panels they chair, scoring or at consensus, that wait for a
    member deactivated since (``panels.selectors.HELD_UP``). Two queries."""
    items, acting = [], []
    # The latest hand-over of the chair to the seat's holder (``panel_acting_chair_set``
    # writes it on the chair's seat): when, and why, read in the same query.
    handed = SeatChange.objects.filter(
        how=SeatChange.How.ACTING,
        seat__panel_id=OuterRef("panel_id"),
        new_person_id=OuterRef("person_id"),
    ).order_by("-changed_at", "-pk")
    for seat in (
        _my_seats(user)
        .filter(PRESIDING, panel__assessment__stage__in=[Stage.SCORING, Stage.CONSENSUS])
        .annotate(
            acting_since=Subquery(handed.values("changed_at")[:1]),
            acting_reason=Subquery(handed.values("note")[:1]),
        )
        .order_by("panel__assessment__round__consensus_due", "panel__assessment__pct__name")
    ):
        assessment = seat.panel.assessment
        url = reverse("panels:consensus", args=[assessment.round.slug, assessment.pct.ods_code])
        due = assessment.round.consensus_due
        if assessment.stage == Stage.CONSENSUS:
            items.append(
                QueueItem(
                    label=assessment.pct.name,
                    url=url,
                    detail=assessment.round.name + _acting_since(seat),
                    due=due,
                    overdue=_is_overdue(due),
                )
            )
        elif seat.panel.acting_chair_id == seat.pk:  # scoring: the chair handed to them
            acting.append(
                QueueItem(
                    label=assessment.pct.name,
                    url=url,
                    detail=f"{assessment.round.name}{_acting_since(seat)}. While members "
                    "score, you may excuse a member who cannot take part; once scoring "
                    "ends, you record the panel's consensus.",
                )
            )
    # The panels they chair that wait for a member deactivated since (not submitted, not
    # excused): the chair excuses them.
    presided = Seat.objects.filter(PRESIDING, person__user=user).values("panel_id")
    held_up = [
        QueueItem(
            label=f"Panel of {seat.panel.assessment.pct.name}: {seat.person.full_name} was "
            "deactivated",
            url=reverse(
                "panels:consensus",
                args=[seat.panel.assessment.round.slug, seat.panel.assessment.pct.ods_code],
            ),
            detail=f"{seat.panel.assessment.round.name}, seat {seat.seat_type.number}: excuse them"
            + (
                " (or SHA staff replace them)"
                if seat.panel.assessment.stage == Stage.SCORING
                else ""
            ),
        )
        for seat in Seat.objects.filter(HELD_UP, panel_id__in=presided)
        .exclude(person__user=user)
        .select_related("seat_type", "person", "panel__assessment__round", "panel__assessment__pct")
        .order_by(
            "panel__assessment__round__slug", "panel__assessment__pct__name", "seat_type__number"
        )
    ]
    return [
        Queue("acting-chair", "Panels you chair as acting chair", acting),
        Queue("consensus", "Consensus to hold", items),
        Queue("chair-held-up", "Panels waiting for a deactivated member", held_up),
    ]


# --- National team ------------------------------------------------------------------------


def national_queues(*, now: datetime.datetime | None = None) -> list[Queue]:
    """Rounds to open (created, no PCT started; or the first round to create), regions to
    cross-check (signed off, awaiting a decision), factual-accuracy windows closing in the
    next five working days, and rounds ready to publish (every assessment at the
    factual-accuracy check, no publication time set). Four queries."""
    now = now or timezone.now()
    cross_check = [
        QueueItem(
            label=f"{review.sha.name}: {review.round.name}",
            url=reverse("reports:cross_check", args=[review.round.slug])
            + f"#decide-{review.sha.ods_code}",
            detail="signed off"
            + (
                f" on {timezone.localtime(review.signed_off_at):%-d %B %Y}"
                if review.signed_off_at
                else ""
            ),
            due=review.round.cross_check_due,
            overdue=_is_overdue(review.round.cross_check_due),
        )
        for review in RegionReview.objects.filter(status=RegionReview.Status.SIGNED_OFF)
        .select_related("round", "sha")
        .order_by("signed_off_at", "sha__name")
    ]
    closing = [
        QueueItem(
            label=f"{review.sha.name}: {review.round.name}",
            url=reverse("reports:publication", args=[review.round.slug]),
            detail=f"closes {timezone.localtime(review.factual_accuracy_closes):%-d %B %Y at %H:%M}",
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
        Queue("to-open", "Rounds to open", _rounds_to_open()),
        Queue("cross-check", "Regions to cross-check", cross_check),
        Queue("closing", "Windows closing in the next 5 working days", closing),
        Queue("publish", "Rounds to publish", publish),
    ]


def _rounds_to_open() -> list[QueueItem]:
    """Rounds created but not opened (no PCT started), rounds opened for some SHAs only
    and not yet given a publication time (the real-year walk published one SHA's PCTs as
    "England" unwarned), or on a new installation the first round to create. One query:
    the rounds are a handful, one a year."""
    today = timezone.localdate()
    is_open = Q(closed_on__isnull=True) | Q(closed_on__gt=today)
    open_pcts = Subquery(
        PrimaryCareTrust.objects.filter(is_open)
        .order_by()
        .annotate(one=Value(1))
        .values("one")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
    rounds = list(
        AssessmentRound.objects.annotate(
            pcts=Count("assessments"),
            open_started=Count(
                "assessments",
                filter=Q(assessments__pct__closed_on__isnull=True)
                | Q(assessments__pct__closed_on__gt=today),
            ),
            open_pcts=open_pcts,
        )
        .order_by("slug")
        .values_list(
            "slug", "name", "opened_at", "published_at", "pcts", "open_started", "open_pcts"
        )
    )
    if not rounds:
        return [
            QueueItem(
                label="Create the first round",
                url=reverse("rounds:new"),
                detail="no round exists yet: create one, check its framework and timetable, "
                "then open it for the SHAs",
            )
        ]
    items = []
    for slug, name, opened_at, published_at, pcts, started, open_total in rounds:
        if opened_at is None and not pcts:
            detail = "created, not yet open: check its framework and timetable, then open it"
        elif published_at is None and pcts and (open_total or 0) > started:
            waiting = open_total - started
            detail = (
                f"open for some SHAs only: {_plural(waiting, 'PCT')} not started. Open it "
                "for them before setting a publication time, or they are not assessed this year"
            )
        else:
            continue
        items.append(
            QueueItem(
                label=name,
                url=reverse("rounds:open" if pcts else "rounds:detail", args=[slug]),
                detail=detail,
            )
        )
    return items


# --- PCT boards ---------------------------------------------------------------------------


# How long a board's home page lists its newly published results.
RESULTS_NEWS_FOR = datetime.timedelta(days=28)


def board_queues(*, pct_ids: Iterable[int], now: datetime.datetime | None = None) -> list[Queue]:
    """Self-assessments due (with the deadline), drafts to check (window open: closes on
    ...), the board's comments awaiting an answer, and results published in the last
    ``RESULTS_NEWS_FOR``. Four queries."""
    now = now or timezone.now()
    pct_ids = list(pct_ids)
    due = []
    for assessment in (
        Assessment.objects.filter(pct_id__in=pct_ids, stage=Stage.SELF_ASSESSMENT)
        .exclude(self_assessment__status="submitted")
        .select_related("round", "pct")
        # Sent back by SHA staff to correct (walk R: it read as any self-assessment due).
        .annotate(
            sent_back=Exists(
                StageChange.objects.filter(
                    assessment=OuterRef("pk"),
                    from_stage=Stage.PANEL_FORMATION,
                    to_stage=Stage.SELF_ASSESSMENT,
                )
            )
        )
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
                detail="self-assessment sent back to you to correct and submit again"
                if assessment.sent_back
                else "self-assessment to submit",
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
            f"{timezone.localtime(assessment.closes):%-d %B %Y at %H:%M}",
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
    # Results out in the last few weeks: the board's report to read (the board walk found
    # "Nothing is waiting for you" the day its results were published).
    published = [
        QueueItem(
            label=f"{assessment.pct.name}: {assessment.round.name}",
            url=reverse("reports:pct_page", args=[assessment.pct.ods_code, assessment.round.slug]),
            detail=_results_news(assessment.round),
        )
        for assessment in Assessment.objects.filter(
            # Out from the publication time, before the notices move the stage on (review AB)
            Q(stage=Stage.PUBLISHED) | released(now=now),
            pct_id__in=pct_ids,
            round__published_at__lte=now,
            round__published_at__gt=now - RESULTS_NEWS_FOR,
        )
        .select_related("round", "pct")
        .order_by("-round__published_at", "pct__name")
    ]
    return [
        Queue("self-assessment", "Self-assessment due", due),
        Queue("draft", "Draft results to check", drafts),
        Queue("board-comments", "Comments awaiting an answer", comments),
        Queue("results", "Results published", published),
    ]


def _results_news(round_: AssessmentRound) -> str:
    """A board's line for its published results; a round republished after a withdrawal is
    not news of a first publication: its line says when it was first published and
    republished."""
    published = f"{timezone.localtime(round_.published_at):%-d %B %Y}"
    if round_.corrected:
        first = f"{timezone.localtime(round_.first_published_at):%-d %B %Y}"
        return f"results published on {first}, republished on {published}: your report"
    return f"results published on {published}: your report"


# --- The SHA staff's region ---------------------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    stage: Stage
    count: int

    @property
    def count_text(self) -> str:
        return f"{self.count:,}"


@dataclass(frozen=True)
class RegionPct:
    """A PCT of the region and the stage of its assessment in the round."""

    name: str
    ods_code: str
    stage: Stage


@dataclass(frozen=True)
class RegionRound:
    """One SHA's assessments in one round: a count per stage, the first ``LIST_LIMIT``
    PCTs (furthest behind first) and how many more the panel formation page lists."""

    round_slug: str
    round_name: str
    sha_code: str
    sha_name: str
    stage_counts: list[StageCount]
    pcts: list[RegionPct]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.pcts)

    @property
    def more_text(self) -> str:
        return f"{self.more:,}"

    @property
    def total_text(self) -> str:
        return f"{self.total:,}"


def region_rounds(*, sha_ids: Iterable[int], limit: int = LIST_LIMIT) -> list[RegionRound]:
    """Per round (newest first) and SHA: the count of PCTs at each stage and the first
    ``limit`` PCTs, furthest behind first, then by name. One query, whatever the size of the
    region: window functions count each stage and the whole, and the rows read are the
    first ``limit`` and the first of each stage (which carries its stage's count). Plain
    values, not models: the windows sort every row of the region, and narrow rows sort in
    half the time (13 ms against 31 ms for 2,062 rows)."""
    block = [F("round_id"), F("pct__sha_id")]
    # The stage shown: Published once the round's publication time has passed, for every
    # assessment at the factual-accuracy check that no unanswered comment holds back, Held
    # back for the others there (``ShownStage``).
    by_stage = [*block, F("shown")]
    in_order = [F("shown").asc(), F("pct__name").asc()]
    rows = (
        Assessment.objects.filter(pct__sha_id__in=list(sha_ids))
        .annotate(shown=shown_stage())
        .annotate(
            place=Window(RowNumber(), partition_by=block, order_by=in_order),
            block_total=Window(Count("pk"), partition_by=block),
            stage_place=Window(RowNumber(), partition_by=by_stage, order_by=in_order),
            stage_total=Window(Count("pk"), partition_by=by_stage),
        )
        .filter(Q(place__lte=limit) | Q(stage_place=1))
        .values(
            "round_id",
            "round__slug",
            "round__name",
            "pct__sha_id",
            "pct__sha__ods_code",
            "pct__sha__name",
            "pct__name",
            "pct__ods_code",
            "shown",
            "place",
            "block_total",
            "stage_place",
            "stage_total",
        )
        .order_by("-round__slug", "pct__sha__name", "pct__sha_id", "place")
    )
    overview = []
    for _key, group in groupby(rows, key=lambda r: (r["round_id"], r["pct__sha_id"])):
        group = list(group)
        first = group[0]
        overview.append(
            RegionRound(
                round_slug=first["round__slug"],
                round_name=first["round__name"],
                sha_code=first["pct__sha__ods_code"],
                sha_name=first["pct__sha__name"],
                stage_counts=[
                    StageCount(ShownStage(r["shown"]), r["stage_total"])
                    for r in sorted(group, key=lambda r: r["shown"])
                    if r["stage_place"] == 1
                ],
                pcts=[
                    RegionPct(r["pct__name"], r["pct__ods_code"], ShownStage(r["shown"]))
                    for r in group
                    if r["place"] <= limit
                ],
                total=first["block_total"],
            )
        )
    return overview
