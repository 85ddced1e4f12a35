"""Proceeding to a PCT's panel without its board's self-assessment
(``assessments.proceeding``): past the deadline, with a reason, e-mailing the board."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import Assessment, Role, SelfAssessment, Stage, StageChange
from assessments.proceeding import (
    assessment_proceed_without_check,
    assessment_proceed_without_self_assessment,
    deadline_passed,
)
from tests.factories import RoleFactory, SelfAssessmentFactory

pytestmark = pytest.mark.django_db

AFTER = datetime.datetime(2009, 10, 5, 12, tzinfo=datetime.UTC)


@pytest.fixture
def overdue(assessment):
    assessment.round.self_assessment_due = datetime.date(2009, 9, 30)
    assessment.round.save()
    return assessment


@pytest.fixture
def staff(overdue):
    return RoleFactory(
        kind=Role.Kind.SHA_STAFF, sha=overdue.pct.sha, user__first_name="Sam", user__last_name="Lee"
    ).user


def _proceed(assessment, by, reason="The board has no account.", version=None):
    return assessment_proceed_without_self_assessment(
        assessment=assessment,
        by=by,
        reason=reason,
        expected_version=assessment.version if version is None else version,
    )


@time_machine.travel(AFTER)
def test_proceed_without_moves_to_panel_formation_with_history(overdue, staff):
    change = _proceed(overdue, staff, reason="  The board has no account.  ")

    overdue.refresh_from_db()
    assert overdue.stage == Stage.PANEL_FORMATION
    assert list(
        StageChange.objects.filter(assessment=overdue).values_list(
            "from_stage", "to_stage", "changed_by", "note", "without_self_assessment"
        )
    ) == [
        (Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION, staff.pk, "The board has no account.", True)
    ]
    assert change == StageChange.objects.get(assessment=overdue)


@time_machine.travel(AFTER)
def test_proceed_without_emails_the_board_once_on_commit(
    overdue, staff, board, mailoutbox, django_capture_on_commit_callbacks
):
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=overdue.pct, user__email="")  # no address
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _proceed(overdue, staff)
    assert mailoutbox == []  # nothing before the commit
    for callback in callbacks:
        callback()

    assert [m.to for m in mailoutbox] == [[board.email]]
    body = mailoutbox[0].body
    assert "The board has no account." in body
    assert "Decided by Sam Lee on 5 October 2009." in body
    assert f"so {overdue.pct.sha.name} has moved {overdue.pct.name} on" in " ".join(body.split())
    assert mailoutbox[0].subject == (
        f"Round 2009-10: the panel of {overdue.pct.name} proceeds without your self-assessment"
    )


@time_machine.travel(AFTER)
def test_proceed_without_leaves_the_draft_unsubmitted_and_closed(overdue, staff, board):
    from assessments.services import self_assessment_save

    draft = SelfAssessmentFactory(assessment=overdue, commentary="Half done")
    _proceed(overdue, staff)

    draft.refresh_from_db()
    assert (draft.status, draft.submitted_at) == (SelfAssessment.Status.DRAFT, None)
    with pytest.raises(TransitionError, match="closed"):
        self_assessment_save(
            assessment=overdue,
            by=board,
            values={},
            commentary="Late",
            expected_version=draft.version,
        )


@time_machine.travel(datetime.datetime(2009, 9, 30, 12, tzinfo=datetime.UTC))
def test_proceed_without_refused_until_the_deadline_has_passed(overdue, staff):
    with pytest.raises(TransitionError, match="30 September 2009"):
        _proceed(overdue, staff)

    overdue.refresh_from_db()
    assert overdue.stage == Stage.SELF_ASSESSMENT
    assert StageChange.objects.filter(assessment=overdue).count() == 0


def test_proceed_without_refused_when_no_deadline_was_set(assessment):
    """The walk of today's fixes: with no deadline, staff proceeded a minute after the round
    opened, and the board was told its deadline had passed."""
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=assessment.pct.sha).user
    assert assessment.round.self_assessment_due is None

    with pytest.raises(TransitionError, match="has no self-assessment deadline"):
        _proceed(assessment, staff)

    assessment.refresh_from_db()
    assert assessment.stage == Stage.SELF_ASSESSMENT


def test_deadline_passed_the_day_after():
    from assessments.models import AssessmentRound

    round_ = AssessmentRound(self_assessment_due=datetime.date(2009, 9, 30))
    assert [deadline_passed(round_, today=datetime.date(2009, 9, d)) for d in (29, 30)] + [
        deadline_passed(round_, today=datetime.date(2009, 10, 1))
    ] == [False, False, True]


@pytest.mark.parametrize("stage", [Stage.PANEL_FORMATION, Stage.SCORING, Stage.MODERATION])
@time_machine.travel(AFTER)
def test_proceed_without_refused_at_other_stages(overdue, staff, stage):
    overdue.stage = stage
    overdue.save()

    with pytest.raises(TransitionError, match="not self-assessment"):
        _proceed(overdue, staff)
    assert StageChange.objects.filter(assessment=overdue).count() == 0


@time_machine.travel(AFTER)
def test_proceed_without_refused_when_the_board_submitted(overdue, staff):
    SelfAssessmentFactory(
        assessment=overdue, status=SelfAssessment.Status.SUBMITTED, submitted_at=AFTER
    )
    with pytest.raises(TransitionError, match="has submitted"):
        _proceed(overdue, staff)


@time_machine.travel(AFTER)
def test_proceed_without_refused_on_a_stale_version(overdue, staff):
    with pytest.raises(ConflictError):
        _proceed(overdue, staff, version=overdue.version - 1)

    overdue.refresh_from_db()
    assert overdue.stage == Stage.SELF_ASSESSMENT


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Give the reason"),
        ("   \u200b ", "Give the reason"),
        ("x" * 1001, "1,000 characters or fewer (it has 1,001)"),
        ("No\x00account", "not text"),
        ("No\x07account", "not text"),
    ],
)
@time_machine.travel(AFTER)
def test_proceed_without_refuses_a_bad_reason(overdue, staff, reason, message, mailoutbox):
    with pytest.raises(ValidationError) as caught:
        _proceed(overdue, staff, reason=reason)

    assert list(caught.value.message_dict) == ["reason"]
    assert message in caught.value.message_dict["reason"][0]
    overdue.refresh_from_db()
    assert overdue.stage == Stage.SELF_ASSESSMENT
    assert mailoutbox == []


@time_machine.travel(AFTER)
def test_proceed_without_keeps_line_breaks_of_a_reason(overdue, staff):
    change = _proceed(overdue, staff, reason="x" * 990 + "\r\nNo board")

    assert change.note == "x" * 990 + "\r\nNo board"


@time_machine.travel(AFTER)
def test_proceeding_twice_says_who_already_did_it(overdue, staff):
    """The walk of today's fixes: a second tab's confirmation read "there is no
    self-assessment to proceed without"."""
    _proceed(overdue, staff)
    stale = Assessment.objects.select_related("round", "pct").get(pk=overdue.pk)

    with pytest.raises(TransitionError) as refused:
        assessment_proceed_without_check(assessment=stale)

    assert str(refused.value) == (
        f"{overdue.pct.name} has already moved on without its board's self-assessment: "
        "Sam Lee did it on 5 October 2009 at 13:00."
    )
