"""The factual-accuracy check: a board's comments on its draft results, and the answers.

After the national team confirms a region, each of its PCTs' boards sees its own draft
results for a window (``RegionReview.factual_accuracy_closes``, by default ten working days)
and may comment on any item. SHA staff of the region answer every comment; a change of
rating goes through the same adjust-with-reason path as moderation
(``agreed_rating_adjust``, source: factual-accuracy check), with the answer as the reason.

A board with nothing to say confirms "no comments" (``factual_accuracy_confirm``), which
closes its own window early: it can no longer comment (``Window.is_open`` is false), it
still reads its draft until the region's closing time (``Window.draft_visible``), and,
having no unanswered comment, it is never held back.

A comment still unanswered when the window has closed *holds back* that PCT: after the
round's publication time it stays out of every published output (league table, open data,
summaries, its board's final report) until the comment is answered. Nothing has to run for
it to appear then: the check is on the data, as publication is on the clock.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
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
)
from django.utils import timezone

from assessments.exceptions import TransitionError
from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    FactualAccuracyComment,
    FactualAccuracyConfirmation,
    RatingChange,
    RegionReview,
    ShownStage,
    Stage,
)
from assessments.services import agreed_rating_adjust_recorded, round_change_record
from assessments.standings import figures_changed
from assessments.text import visible

COMMENT_MAX_CHARS = 4000
# The rule as boards read it (the flash after a comment and the page's section say the same).
HOLD_BACK_RULE = (
    "A comment still unanswered at the round's publication time holds the results back "
    "from every published output until it is answered; answered before then, they are "
    "published with the others."
)
_WINDOW_CACHE = "_factual_accuracy_window"


def unanswered_comments() -> QuerySet[FactualAccuracyComment]:
    return FactualAccuracyComment.objects.filter(response="")


def unanswered_comments_of_regions(
    *, sha_ids: Iterable[int], round_: AssessmentRound | None = None
) -> QuerySet[FactualAccuracyComment]:
    """The unanswered comments of the PCTs of these SHAs (of one round, if given), oldest
    first, with the PCT, round and item their links and labels need: one query."""
    comments = unanswered_comments().filter(assessment__pct__sha_id__in=list(sha_ids))
    if round_ is not None:
        comments = comments.filter(assessment__round=round_)
    return comments.select_related(
        "assessment__pct",
        "assessment__round",
        "rating__competency",
        "rating__area",
        "rating__sub_indicator__area",
    ).order_by("raised_at", "pk")


def held_back(outer: str = "pk") -> Q:
    """A filter keeping assessments (or, with ``outer="assessment_id"``, rows pointing at
    one) that an unanswered comment holds back: the opposite of ``not_held_back``."""
    return Q(Exists(unanswered_comments().filter(assessment=OuterRef(outer))))


def not_held_back(outer: str = "pk") -> Q:
    """A filter keeping assessments (or, with ``outer="assessment_id"``, rows pointing at
    one) that no unanswered comment holds back."""
    return ~held_back(outer)


def released(round_: AssessmentRound | None = None, *, now: datetime | None = None) -> Q | None:
    """The assessments at the factual-accuracy check that are published all the same: once
    their round's publication time has passed, every one that no unanswered comment holds
    back is public (the public pages show its results), though its stage moves on only when
    ``send_publication_notices`` runs.

    Of one round (``round_``): ``None`` before its publication time. Of any round (no
    ``round_``, for a page that lists several): the condition reads each assessment's
    round's publication time, in the same query."""
    now = now or timezone.now()
    if round_ is None:
        return Q(stage=Stage.FACTUAL_ACCURACY, round__published_at__lte=now) & not_held_back()
    if not round_.is_published(now):
        return None
    return Q(stage=Stage.FACTUAL_ACCURACY) & not_held_back()


def shown_stage(round_: AssessmentRound | None = None, *, now: datetime | None = None):
    """The stage every page shows of an assessment (of ``round_``, or of any round), as an
    expression of the same query (no query per row): Published for the ``released`` ones,
    Held back (``ShownStage.HELD_BACK``) for the others at the check once their round's
    publication time has passed, else its stage. Annotate it, read it as a ``ShownStage``
    and count it in place of ``stage``."""
    now = now or timezone.now()
    condition = released(round_, now=now)
    if condition is None:
        return F("stage")
    # Past the publication time: at the check and not released, an unanswered comment
    # holds it back (the second ``When`` is read only where the first is false).
    at_check = Q(stage=Stage.FACTUAL_ACCURACY)
    if round_ is None:
        at_check &= Q(round__published_at__lte=now)
    return Case(
        When(condition, then=Value(int(ShownStage.PUBLISHED))),
        When(at_check, then=Value(int(ShownStage.HELD_BACK))),
        default=F("stage"),
        output_field=IntegerField(),
    )


def held_back_assessments(*, round_: AssessmentRound) -> QuerySet[Assessment]:
    """The round's assessments held back by an unanswered comment (once published)."""
    return (
        Assessment.objects.filter(round=round_)
        .filter(Exists(unanswered_comments().filter(assessment=OuterRef("pk"))))
        .select_related("pct__sha")
        .order_by("pct__name")
    )


@dataclass(frozen=True)
class Window:
    """An assessment's factual-accuracy window as its board and staff see it."""

    closes: datetime | None
    at_check: bool  # the assessment is at the factual-accuracy check
    unanswered: int
    confirmed_at: datetime | None = None  # the board confirmed it has no comments

    def draft_visible(self, now: datetime | None = None) -> bool:
        """The region's window runs: the board reads its draft (even after "no comments")."""
        return self.at_check and self.closes is not None and (now or timezone.now()) < self.closes

    def is_open(self, now: datetime | None = None) -> bool:
        """The board may comment: the window runs and the board has not closed it early."""
        return self.confirmed_at is None and self.draft_visible(now)

    @property
    def held_back(self) -> bool:
        return self.at_check and self.unanswered > 0


def window_for(assessment: Assessment) -> Window:
    """The window of ``assessment``: two queries the first time, then kept on the object,
    since one request asks several times (its permissions, the page, the report)."""
    cached = getattr(assessment, _WINDOW_CACHE, None)
    if cached is not None:
        return cached
    confirmed = FactualAccuracyConfirmation.objects.filter(assessment_id=assessment.pk)
    closes, confirmed_at = (
        RegionReview.objects.filter(round_id=assessment.round_id, sha_id=assessment.pct.sha_id)
        .annotate(confirmed_at=Subquery(confirmed.values("confirmed_at")[:1]))
        .values_list("factual_accuracy_closes", "confirmed_at")
        .first()
    ) or (None, None)
    window = Window(
        closes=closes,
        at_check=assessment.stage == Stage.FACTUAL_ACCURACY,
        unanswered=unanswered_comments().filter(assessment=assessment).count(),
        confirmed_at=confirmed_at,
    )
    setattr(assessment, _WINDOW_CACHE, window)
    return window


def windows_prefetch(assessments: Iterable[Assessment]) -> None:
    """``window_for`` of many assessments at once, for a page that lists them (a board's
    home page asks each one's report permission): three queries in all instead of two per
    assessment. Each window is kept on its assessment as ``window_for`` keeps it."""
    pending = [a for a in assessments if getattr(a, _WINDOW_CACHE, None) is None]
    if not pending:
        return
    closes = {
        (round_id, sha_id): when
        for round_id, sha_id, when in RegionReview.objects.filter(
            round_id__in={a.round_id for a in pending},
            sha_id__in={a.pct.sha_id for a in pending},
        ).values_list("round_id", "sha_id", "factual_accuracy_closes")
    }
    confirmed = dict(
        FactualAccuracyConfirmation.objects.filter(assessment__in=pending).values_list(
            "assessment_id", "confirmed_at"
        )
    )
    unanswered = dict(
        unanswered_comments()
        .filter(assessment__in=pending)
        .values("assessment_id")
        .annotate(n=Count("pk"))
        .values_list("assessment_id", "n")
    )
    for assessment in pending:
        setattr(
            assessment,
            _WINDOW_CACHE,
            Window(
                closes=closes.get((assessment.round_id, assessment.pct.sha_id)),
                at_check=assessment.stage == Stage.FACTUAL_ACCURACY,
                unanswered=unanswered.get(assessment.pk, 0),
                confirmed_at=confirmed.get(assessment.pk),
            ),
        )


def is_held_back(assessment: Assessment) -> bool:
    """Whether an unanswered comment holds back this assessment's results."""
    return window_for(assessment).unanswered > 0


def report_is_draft(assessment: Assessment) -> bool:
    """Whether the assessment's report is still the board's draft: before its round's
    publication, or after it while an unanswered comment holds it back. A draft shows no
    rank and no comparison, which would reveal other PCTs' results."""
    return not assessment.round.is_published() or is_held_back(assessment)


def comments_for(assessment: Assessment) -> QuerySet[FactualAccuracyComment]:
    return (
        FactualAccuracyComment.objects.filter(assessment=assessment)
        .select_related(
            "rating__competency",
            "rating__area",
            "rating__sub_indicator__area",
            "raised_by",
            "responded_by",
            "rating_change",
        )
        .prefetch_related("rating__competency__levels")
        .order_by("raised_at", "pk")
    )


@transaction.atomic
def comment_raise(
    *,
    assessment: Assessment,
    rating: AgreedRating | None,
    comment: str,
    by: AbstractBaseUser,
    now: datetime | None = None,
) -> FactualAccuracyComment:
    """The board's comment on one item of its draft (``rating``), or on the draft as a whole
    (``rating=None``), while its window is open."""
    assessment = Assessment.objects.select_related("pct").get(pk=assessment.pk)
    if rating is not None and rating.assessment_id != assessment.pk:
        raise ValidationError({"rating": "Choose an item of this PCT's own results."})
    window = window_for(assessment)
    if not window.is_open(now):
        if window.confirmed_at is not None:  # the board closed its own window early
            raise TransitionError(
                "The board confirmed on "
                f"{timezone.localtime(window.confirmed_at):%-d %B %Y at %H:%M} that it has no "
                "comments, which closed its factual-accuracy window."
            )
        raise TransitionError(
            "Comments are taken only while the factual-accuracy window is open"
            + (
                f"; it closed on {timezone.localtime(window.closes):%-d %B %Y at %H:%M}."
                if window.closes and window.at_check
                else "."
            )
        )
    text = (comment or "").strip()
    if not visible(text):
        raise ValidationError({"comment": "Write the comment: what is factually wrong, and why."})
    if len(text) > COMMENT_MAX_CHARS:
        raise ValidationError(
            {"comment": f"Keep the comment under {COMMENT_MAX_CHARS} characters."}
        )
    same = (
        FactualAccuracyComment.objects.filter(assessment=assessment, rating=rating, comment=text)
        .order_by("raised_at")
        .first()
    )
    if same is not None:  # sent again from a page brought back by Back (the two-tabs walk)
        raise ValidationError(
            {
                "comment": "This comment was sent already, on "
                f"{timezone.localtime(same.raised_at):%-d %B %Y at %H:%M}: it is listed above. "
                "Nothing was sent again."
            }
        )
    raised = FactualAccuracyComment(
        assessment=assessment, rating=rating, comment=text, raised_by=by
    )
    raised.full_clean()
    raised.save()
    # Once published, it holds the PCT back.
    figures_changed(
        round_ids=[assessment.round_id], assessments={assessment.round_id: [assessment.pk]}
    )
    return raised


@transaction.atomic
def factual_accuracy_confirm(
    *, assessment: Assessment, by: AbstractBaseUser, now: datetime | None = None
) -> FactualAccuracyConfirmation:
    """The board confirms it has no (more) comments on its draft: its window closes now.

    Refused outside the window (also once confirmed) and while a comment of the board is
    unanswered (the answer may still change the results). Records who and when.
    """
    assessment = Assessment.objects.select_related("pct").get(pk=assessment.pk)
    window = window_for(assessment)
    if window.confirmed_at is not None:
        raise TransitionError(
            "The board already confirmed it has no comments on "
            f"{timezone.localtime(window.confirmed_at):%-d %B %Y at %H:%M}."
        )
    if not window.is_open(now):
        raise TransitionError(
            "The board can confirm it has no comments only while its factual-accuracy "
            "window is open."
        )
    if window.unanswered:
        raise TransitionError(
            f"{window.unanswered} comment{'s' if window.unanswered != 1 else ''} of the board "
            f"still {'wait' if window.unanswered != 1 else 'waits'} for an answer: confirm "
            "once SHA staff have answered."
        )
    confirmation = FactualAccuracyConfirmation(
        assessment=assessment, confirmed_by=by, confirmed_at=now or timezone.now()
    )
    confirmation.full_clean()
    confirmation.save()
    return confirmation


@transaction.atomic
def comment_answer(
    *,
    comment: FactualAccuracyComment,
    response: str,
    by: AbstractBaseUser,
    value: int | str | None = None,
    expected_version: int | None = None,
) -> FactualAccuracyComment:
    """SHA staff's answer to a comment; with ``value``, the rating changes too (the answer
    is the reason). Once answered, a comment no longer holds its PCT back."""
    locked = FactualAccuracyComment.objects.select_for_update().get(pk=comment.pk)
    if locked.response:
        raise TransitionError("This comment has already been answered.")
    stage = Assessment.objects.values_list("stage", flat=True).get(pk=locked.assessment_id)
    if stage != Stage.FACTUAL_ACCURACY:
        raise TransitionError(
            "Comments are answered during the factual-accuracy check; this assessment is at "
            f"{Stage(stage).label}."
        )
    text = (response or "").strip()
    if not visible(text):
        raise ValidationError({"response": "Write the answer: the board reads it."})
    changed = ""
    if value not in (None, "") and locked.rating is not None:
        rating = AgreedRating.objects.get(pk=locked.rating_id)
        if str(value) != str(rating.value):
            changed = (
                f"from level {rating.value} to level {value}"
                if rating.competency_id
                else f"from {rating.value} to {value}"
            )
            # The history row written, which the board reads with the answer.
            _rating, locked.rating_change = agreed_rating_adjust_recorded(
                rating=rating,
                value=value,
                reason=text,
                by=by,
                expected_version=rating.version if expected_version is None else expected_version,
                source=RatingChange.Source.FACTUAL_ACCURACY,
            )
    locked.response = text
    locked.responded_by = by
    locked.responded_at = timezone.now()
    locked.full_clean()
    locked.save(update_fields=["response", "responded_by", "responded_at", "rating_change"])
    assessment = Assessment.objects.select_related("round", "pct__sha").get(pk=locked.assessment_id)
    from assessments.notices import comment_answered_send  # it imports this module

    locked.assessment = assessment
    comment_answered_send(comment=locked, changed=changed)
    # It may no longer hold the PCT back.
    figures_changed(
        round_ids=[assessment.round_id], assessments={assessment.round_id: [assessment.pk]}
    )
    if not is_held_back(assessment):
        from assessments.publication import released_notice_send  # it imports this module

        released_notice_send(assessment=assessment, by=by)
    return locked


WINDOW_DAYS_MAX = 30


@transaction.atomic
def round_set_window(
    *, round_: AssessmentRound, working_days: int, by: AbstractBaseUser
) -> AssessmentRound:
    """The national team sets how many working days a board's window lasts. It applies to
    the regions confirmed from now on; windows already open keep their closing time, so
    that no board loses days it was promised. Refused (``TransitionError``) once the round
    has a publication time: every region has had its windows."""
    if round_.published_at is not None:
        raise TransitionError(
            f"{round_.name} has a publication time: every region has had its windows, and "
            "their length can no longer change."
        )
    if not 1 <= working_days <= WINDOW_DAYS_MAX:
        raise ValidationError(
            {"working_days": f"Give between 1 and {WINDOW_DAYS_MAX} working days."}
        )
    old = round_.factual_accuracy_working_days
    round_.factual_accuracy_working_days = working_days
    round_.full_clean()
    round_.save(update_fields=["factual_accuracy_working_days"])
    round_change_record(
        round_=round_, field="factual_accuracy_working_days", old=old, new=working_days, by=by
    )
    return round_
