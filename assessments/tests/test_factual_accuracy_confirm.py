"""The board's "no comments" at the factual-accuracy check: it closes the board's window."""

import datetime

import pytest
from django.utils import timezone

from assessments.exceptions import TransitionError
from assessments.factual_accuracy import (
    comment_raise,
    factual_accuracy_confirm,
    is_held_back,
    window_for,
)
from assessments.models import Assessment, FactualAccuracyConfirmation, Role, Stage
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


def _at_check(closes_in_days: float = 3) -> Assessment:
    assessment = AssessmentFactory(stage=Stage.FACTUAL_ACCURACY)
    RegionReviewFactory(
        round=assessment.round,
        sha=assessment.pct.sha,
        status="confirmed",
        factual_accuracy_closes=timezone.now() + datetime.timedelta(days=closes_in_days),
    )
    competency = CompetencyFactory(framework=assessment.round.framework, number=1)
    AgreedRatingFactory(assessment=assessment, competency=competency, level=2)
    return Assessment.objects.select_related("round", "pct__sha").get(pk=assessment.pk)


def _fresh(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_related("round", "pct__sha").get(pk=assessment.pk)


@pytest.fixture
def assessment() -> Assessment:
    return _at_check()


@pytest.fixture
def board(assessment):
    return RoleFactory(kind=Role.Kind.PCT_BOARD, pct=assessment.pct).user


def test_factual_accuracy_confirm_closes_the_window_and_records_who(assessment, board):
    confirmation = factual_accuracy_confirm(assessment=assessment, by=board)

    window = window_for(_fresh(assessment))
    assert (window.is_open(), window.draft_visible(), window.confirmed_at) == (
        False,
        True,
        confirmation.confirmed_at,
    )
    assert list(FactualAccuracyConfirmation.objects.values_list("assessment", "confirmed_by")) == [
        (assessment.pk, board.pk)
    ]
    assert is_held_back(_fresh(assessment)) is False


def test_comment_refused_after_no_comments(assessment, board):
    factual_accuracy_confirm(assessment=assessment, by=board)

    with pytest.raises(TransitionError):
        comment_raise(assessment=_fresh(assessment), rating=None, comment="Late.", by=board)

    assert _fresh(assessment).factual_accuracy_comments.count() == 0


def test_factual_accuracy_confirm_refused_with_an_unanswered_comment(assessment, board):
    FactualAccuracyCommentFactory(assessment=assessment, raised_by=board)

    with pytest.raises(TransitionError) as refused:
        factual_accuracy_confirm(assessment=assessment, by=board)

    assert str(refused.value) == (
        "1 comment of the board still waits for an answer: confirm once SHA staff have answered."
    )
    assert FactualAccuracyConfirmation.objects.count() == 0


def test_factual_accuracy_confirm_allowed_once_comments_are_answered(assessment, board):
    FactualAccuracyCommentFactory(
        assessment=assessment, raised_by=board, response="Corrected.", responded_by=UserFactory()
    )

    factual_accuracy_confirm(assessment=assessment, by=board)

    assert FactualAccuracyConfirmation.objects.filter(assessment=assessment).count() == 1


def test_factual_accuracy_confirm_refused_after_the_window_closed(board):
    closed = _at_check(closes_in_days=-1)

    with pytest.raises(TransitionError):
        factual_accuracy_confirm(assessment=closed, by=board)

    assert FactualAccuracyConfirmation.objects.count() == 0


def test_factual_accuracy_confirm_refused_before_the_check(board):
    assessment = _at_check()
    Assessment.objects.filter(pk=assessment.pk).update(stage=Stage.CROSS_CHECK)

    with pytest.raises(TransitionError):
        factual_accuracy_confirm(assessment=_fresh(assessment), by=board)

    assert FactualAccuracyConfirmation.objects.count() == 0


def test_factual_accuracy_confirm_refused_twice(assessment, board):
    factual_accuracy_confirm(assessment=assessment, by=board)

    with pytest.raises(TransitionError) as refused:
        factual_accuracy_confirm(assessment=_fresh(assessment), by=board)

    assert str(refused.value).startswith("The board already confirmed it has no comments on ")
    assert FactualAccuracyConfirmation.objects.count() == 1


# --- Pages -------------------------------------------------------------------------------


def _url(assessment: Assessment, suffix: str = "") -> str:
    return f"/reports/pct/{assessment.pct.ods_code}/{assessment.round.slug}/{suffix}"


def test_no_comments_page_warns_before_confirming(client, assessment, board):
    client.force_login(board)

    response = client.get(_url(assessment, "no-comments/"))

    assert response.status_code == 200
    assert response.context["happens"][0].startswith("You will not be able to comment after this")
    assert FactualAccuracyConfirmation.objects.count() == 0


def test_a_board_that_commented_confirms_it_has_no_more_comments(client, assessment, board):
    """The accessibility walk: after commenting, the board confirmed it had "no comments",
    and its page said so above its own comment."""
    FactualAccuracyCommentFactory(assessment=assessment, raised_by=board, response="Answered.")
    client.force_login(board)

    check = client.get(_url(assessment, "no-comments/"))

    assert check.context["title"].endswith("has no more factual-accuracy comments?")


def test_no_comments_page_says_first_that_a_comment_still_waits(client, assessment, board):
    FactualAccuracyCommentFactory(assessment=assessment, raised_by=board)
    client.force_login(board)

    page = client.get(_url(assessment, "no-comments/")).content.decode()

    assert "1 comment of the board is still waiting for an answer" in page
    assert "Confirm: no comments" not in page


def test_no_comments_post_closes_the_window_and_says_so(client, assessment, board):
    client.force_login(board)

    response = client.post(_url(assessment, "no-comments/"), follow=True)

    assert response.redirect_chain == [(_url(assessment) + "#factual-accuracy", 302)]
    page = response.content.decode()
    assert "Confirmed: the board has no factual-accuracy comments." in page
    assert "The board confirmed it has no comments on " in page
    assert response.context["comment_form"] is None
    assert FactualAccuracyConfirmation.objects.get().confirmed_by == board


def test_results_page_offers_no_comments_only_without_unanswered_comments(
    client, assessment, board
):
    client.force_login(board)
    offered = 'data-test="no-comments"' in client.get(_url(assessment)).content.decode()
    FactualAccuracyCommentFactory(assessment=assessment, raised_by=board)

    after_comment = 'data-test="no-comments"' in client.get(_url(assessment)).content.decode()

    assert (offered, after_comment) == (True, False)


def test_no_comments_access(client, assessment, board):
    other_board = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=_at_check().pct).user
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=assessment.pct.sha).user
    outsider = UserFactory()
    answers = []
    for user in (board, other_board, staff, outsider):
        client.force_login(user)
        answers.append(client.get(_url(assessment, "no-comments/")).status_code)

    assert answers == [200, 404, 403, 404]
    assert FactualAccuracyConfirmation.objects.count() == 0
