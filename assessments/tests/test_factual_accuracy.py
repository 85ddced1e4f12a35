"""The factual-accuracy check: comments in the window, answers, holding back, notices."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.exceptions import TransitionError
from assessments.factual_accuracy import (
    comment_answer,
    comment_raise,
    factual_accuracy_confirm,
    held_back_assessments,
    window_for,
)
from assessments.models import (
    FactualAccuracyComment,
    ModerationAdjustment,
    RatingChange,
    RegionReview,
    Role,
    Stage,
)
from assessments.publication import (
    publication_notices_send,
    round_publication_check,
    round_set_publication,
)
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    CompetencyFactory,
    FactualAccuracyCommentFactory,
    RegionReviewFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2009, 9, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def at_check():
    """An assessment at its factual-accuracy check, its window open for three more days."""
    assessment = AssessmentFactory(stage=Stage.FACTUAL_ACCURACY)
    RegionReviewFactory(
        round=assessment.round,
        sha=assessment.pct.sha,
        status="confirmed",
        factual_accuracy_closes=NOW + datetime.timedelta(days=3),
    )
    competency = CompetencyFactory(framework=assessment.round.framework, number=1)
    return AgreedRatingFactory(assessment=assessment, competency=competency, level=2)


def test_board_comments_while_the_window_is_open(at_check):
    board = UserFactory()

    comment = comment_raise(
        assessment=at_check.assessment,
        rating=at_check,
        comment="  Wrong year.  ",
        by=board,
        now=NOW,
    )

    assert (comment.assessment, comment.rating, comment.comment, comment.raised_by) == (
        at_check.assessment,
        at_check,
        "Wrong year.",
        board,
    )
    assert window_for(at_check.assessment).held_back is True


def test_board_comments_on_the_draft_as_a_whole(at_check):
    comment = comment_raise(
        assessment=at_check.assessment,
        rating=None,
        comment="Our name is misspelt on the cover.",
        by=UserFactory(),
        now=NOW,
    )

    assert (comment.rating, comment.comment) == (None, "Our name is misspelt on the cover.")


def test_comment_on_another_pcts_rating_is_refused(at_check):
    other = AgreedRatingFactory(competency=CompetencyFactory(number=2), level=3)

    with pytest.raises(ValidationError) as excinfo:
        comment_raise(
            assessment=at_check.assessment, rating=other, comment="X", by=UserFactory(), now=NOW
        )

    assert excinfo.value.message_dict == {"rating": ["Choose an item of this PCT's own results."]}
    assert FactualAccuracyComment.objects.count() == 0


def test_comment_refused_once_the_window_has_closed(at_check):
    with pytest.raises(TransitionError, match="closed on 4 September 2009"):
        comment_raise(
            assessment=at_check.assessment,
            rating=at_check,
            comment="Late.",
            by=UserFactory(),
            now=NOW + datetime.timedelta(days=3),
        )
    assert FactualAccuracyComment.objects.count() == 0


def test_comment_refused_before_the_check(at_check):
    type(at_check.assessment).objects.filter(pk=at_check.assessment_id).update(
        stage=Stage.CROSS_CHECK
    )

    with pytest.raises(TransitionError, match="only while the factual-accuracy window is open"):
        comment_raise(
            assessment=at_check.assessment,
            rating=at_check,
            comment="Early.",
            by=UserFactory(),
            now=NOW,
        )


def test_the_same_comment_sent_again_is_refused(at_check):
    """The two-tabs walk: Back after "Comment sent" showed the form filled in, and Send made
    a second, identical comment, each holding the PCT back."""
    board = UserFactory()
    comment_raise(
        assessment=at_check.assessment, rating=at_check, comment="Wrong year.", by=board, now=NOW
    )

    with pytest.raises(ValidationError) as excinfo:
        comment_raise(
            assessment=at_check.assessment,
            rating=at_check,
            comment="  Wrong year. ",
            by=board,
            now=NOW,
        )

    assert excinfo.value.message_dict["comment"][0].startswith("This comment was sent already")
    assert FactualAccuracyComment.objects.count() == 1
    # Another item, or other words, are another comment.
    comment_raise(
        assessment=at_check.assessment, rating=None, comment="Wrong year.", by=board, now=NOW
    )
    assert FactualAccuracyComment.objects.count() == 2


def test_empty_comment_refused(at_check):
    with pytest.raises(ValidationError) as excinfo:
        comment_raise(
            assessment=at_check.assessment,
            rating=at_check,
            comment="   ",
            by=UserFactory(),
            now=NOW,
        )
    assert excinfo.value.message_dict == {
        "comment": ["Write the comment: what is factually wrong, and why."]
    }


def test_answer_without_a_change_leaves_the_rating(at_check):
    comment = FactualAccuracyCommentFactory(assessment=at_check.assessment, rating=at_check)
    staff = UserFactory()

    comment_answer(comment=comment, response="The rating stands.", by=staff)

    comment.refresh_from_db()
    at_check.refresh_from_db()
    assert (comment.response, comment.responded_by, at_check.level) == (
        "The rating stands.",
        staff,
        2,
    )
    assert RatingChange.objects.count() == 0
    assert held_back_assessments(round_=at_check.assessment.round).count() == 0


def test_answer_with_a_change_adjusts_the_rating_with_the_answer_as_reason(at_check):
    comment = FactualAccuracyCommentFactory(assessment=at_check.assessment, rating=at_check)

    comment_answer(comment=comment, response="Agreed: level 3.", value="3", by=UserFactory())

    at_check.refresh_from_db()
    assert (at_check.level, at_check.panel_level) == (3, 2)
    adjustment = ModerationAdjustment.objects.get()
    assert (adjustment.stage, adjustment.old_value, adjustment.new_value, adjustment.reason) == (
        Stage.FACTUAL_ACCURACY,
        "2",
        "3",
        "Agreed: level 3.",
    )
    assert RatingChange.objects.get().source == RatingChange.Source.FACTUAL_ACCURACY
    comment.refresh_from_db()
    assert comment.rating_change == RatingChange.objects.get()


def test_bad_answer_writes_nothing(at_check):
    comment = FactualAccuracyCommentFactory(assessment=at_check.assessment, rating=at_check)

    with pytest.raises(ValidationError):
        comment_answer(comment=comment, response="Level 7.", value="7", by=UserFactory())

    comment.refresh_from_db()
    at_check.refresh_from_db()
    assert (comment.response, at_check.level, RatingChange.objects.count()) == ("", 2, 0)


def test_a_comment_is_answered_once(at_check):
    comment = FactualAccuracyCommentFactory(assessment=at_check.assessment, rating=at_check)
    comment_answer(comment=comment, response="First.", by=UserFactory())

    with pytest.raises(TransitionError, match="already been answered"):
        comment_answer(comment=comment, response="Second.", by=UserFactory())


def test_publication_time_must_follow_the_last_window(at_check):
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as excinfo:
        round_set_publication(
            round_=at_check.assessment.round,
            published_at=NOW + datetime.timedelta(days=1),
            by=UserFactory(),
        )

    assert "closes on 4 September 2009 at 13:00" in excinfo.value.messages[0]
    assert "earliest publication time is 4 September 2009 at 13:00." in excinfo.value.messages[0]


def test_publication_may_come_once_every_board_of_the_last_region_said_no_comments(at_check):
    """The real-year walk: every board had said it had no comments, yet the publication
    time was refused until the region's closing date, "the last ... closes on ..." (though
    each board's window had closed)."""
    assessment = at_check.assessment
    board = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=assessment.pct).user
    round_ = assessment.round
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError) as waiting:
            round_publication_check(round_=round_, published_at=NOW + datetime.timedelta(hours=1))
        factual_accuracy_confirm(assessment=assessment, by=board)

        round_set_publication(
            round_=round_, published_at=NOW + datetime.timedelta(hours=1), by=UserFactory()
        )

    assert "(1 of its boards has not said it has no comments)" in waiting.value.messages[0]
    round_.refresh_from_db()
    assert round_.published_at == NOW + datetime.timedelta(hours=1)


def test_the_earliest_publication_time_named_is_accepted_when_the_window_ends_mid_minute(
    at_check,
):
    """A window closing at 13:00:30 names 13:01 as the earliest time, and 13:01 is taken
    (the form gives whole minutes: naming 13:00 would name a time it then refuses)."""
    review = RegionReview.objects.get(round=at_check.assessment.round)
    review.factual_accuracy_closes += datetime.timedelta(seconds=30)
    review.save(update_fields=["factual_accuracy_closes"])
    round_ = at_check.assessment.round
    closes = timezone.localtime(review.factual_accuracy_closes)
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError) as excinfo:
            round_set_publication(
                round_=round_, published_at=closes.replace(second=0), by=UserFactory()
            )
        assert (
            f"earliest publication time is {closes:%-d %B %Y} at 13:01."
            in (excinfo.value.messages[0])
        )
        round_set_publication(
            round_=round_,
            published_at=closes.replace(second=0) + datetime.timedelta(minutes=1),
            by=UserFactory(),
        )


def test_held_back_board_is_told_when_its_last_comment_is_answered(
    at_check, django_capture_on_commit_callbacks
):
    assessment = at_check.assessment
    RoleFactory(
        kind=Role.Kind.PCT_BOARD, pct=assessment.pct, user=UserFactory(email="board@example.org")
    )
    comment = FactualAccuracyCommentFactory(assessment=assessment, rating=at_check)
    assessment.round.published_at = timezone.now() - datetime.timedelta(hours=1)
    assessment.round.save(update_fields=["published_at"])

    with django_capture_on_commit_callbacks(execute=True):
        publication_notices_send(round_=assessment.round)
    assert mail.outbox == []  # held back: not told with the others
    assessment.refresh_from_db()
    assert assessment.stage == Stage.FACTUAL_ACCURACY

    with django_capture_on_commit_callbacks(execute=True):
        comment_answer(comment=comment, response="Checked.", by=UserFactory())

    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["board@example.org"], f"{assessment.round.name}: your comment on {comment.rating.item} "
         "has been answered"),
        (["board@example.org"], f"{assessment.round.name}: your results are published"),
    ]  # fmt: skip
    # The board walk: it read like the others' and did not say the PCT joined late.
    assert mail.outbox[1].body.startswith(f"Dear board of {assessment.pct.name},")
    assert "were held back by a factual-accuracy comment until it was answered" in (
        mail.outbox[1].body
    )
    assessment.refresh_from_db()
    assert assessment.stage == Stage.PUBLISHED


def test_held_back_board_released_after_a_corrected_republication_is_told_both_dates(
    at_check, django_capture_on_commit_callbacks
):
    """Walk AA: a PCT held back in a round withdrawn and published again got the ordinary
    "published on <date>" notice, as if the round had been published once."""
    assessment = at_check.assessment
    RoleFactory(
        kind=Role.Kind.PCT_BOARD, pct=assessment.pct, user=UserFactory(email="board@example.org")
    )
    comment = FactualAccuracyCommentFactory(assessment=assessment, rating=at_check)
    round_ = assessment.round
    first = datetime.datetime(2009, 2, 17, 9, 30, tzinfo=datetime.UTC)  # GMT in winter
    again = datetime.datetime(2009, 3, 2, 10, 15, tzinfo=datetime.UTC)  # GMT in winter
    round_.first_published_at, round_.published_at = first, again
    round_.save(update_fields=["first_published_at", "published_at"])
    with django_capture_on_commit_callbacks(execute=True):
        publication_notices_send(round_=round_)
    assert mail.outbox == []  # held back

    with django_capture_on_commit_callbacks(execute=True):
        comment_answer(comment=comment, response="Checked.", by=UserFactory())

    body = mail.outbox[1].body
    assert mail.outbox[1].subject == f"{round_.name}: your results are published"
    assert (
        f"The results of {round_.name}, first published on 17 February 2009, were withdrawn "
        f"and published again on 2 March 2009 at 10:15. Those of {assessment.pct.name} were "
        "held back by a factual-accuracy comment until it was answered; they are published "
        "now."
    ) in " ".join(body.split())
    assert "did not change" not in body  # the answer may have changed its ratings


def test_held_back_board_released_after_a_single_publication_is_told_one_date(
    at_check, django_capture_on_commit_callbacks
):
    assessment = at_check.assessment
    RoleFactory(
        kind=Role.Kind.PCT_BOARD, pct=assessment.pct, user=UserFactory(email="board@example.org")
    )
    comment = FactualAccuracyCommentFactory(assessment=assessment, rating=at_check)
    round_ = assessment.round
    round_.published_at = datetime.datetime(
        2009, 3, 2, 10, 15, tzinfo=datetime.UTC
    )  # GMT in winter
    round_.save(update_fields=["published_at"])
    with django_capture_on_commit_callbacks(execute=True):
        publication_notices_send(round_=round_)
        comment_answer(comment=comment, response="Checked.", by=UserFactory())

    body = " ".join(mail.outbox[-1].body.split())
    assert (
        f"The results of {round_.name} were published on 2 March 2009 at 10:15. Those of "
        f"{assessment.pct.name} were held back" in body
    )
    assert "withdrawn" not in body
