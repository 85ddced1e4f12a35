"""Sending a submitted self-assessment back to the board (``assessments.reopening``): the
states it leaves, its history row, each refusal, the conflict, and the board's e-mail."""

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import (
    Assessment,
    EvidenceDocument,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    Stage,
    StageChange,
)
from assessments.proceeding import assessment_proceed_without_self_assessment
from assessments.reopening import self_assessment_send_back, self_assessment_send_back_check
from assessments.selectors import self_assessment_sent_back
from assessments.services import (
    assessment_advance,
    evidence_upload,
    self_assessment_save,
    self_assessment_submit,
)
from tests.factories import RoleFactory
from tests.factories.files import PDF

pytestmark = pytest.mark.django_db

AFTER = datetime.datetime(2009, 10, 5, 12, tzinfo=datetime.UTC)
REASON = "Competency 2 should be level 1, and the financial strategy is last year's."


@pytest.fixture
def staff(assessment):
    return RoleFactory(
        kind=Role.Kind.SHA_STAFF,
        sha=assessment.pct.sha,
        user__first_name="Sam",
        user__last_name="Lee",
    ).user


def values(assessment, level=2, light="amber") -> dict:
    framework = assessment.round.framework
    return {c: (level, f"Why {c.number}") for c in framework.competencies.all()} | {
        a: (light, "") for a in framework.governance_areas.all()
    }


@pytest.fixture
def submitted(assessment, board, media):
    """The board's self-assessment with a document, submitted: the PCT is at panel formation."""
    evidence_upload(
        assessment=assessment,
        doc_type="financial_strategy",
        title="Financial strategy 2008",
        file=SimpleUploadedFile("strategy.pdf", PDF),
        by=board,
    )
    self_assessment_save(
        assessment=assessment,
        values=values(assessment),
        commentary="Agreed by the board.",
        by=board,
        expected_version=0,
        submit=True,
    )
    assessment.refresh_from_db()
    assert assessment.stage == Stage.PANEL_FORMATION
    return assessment


def _send_back(assessment, by, reason=REASON, version=None):
    return self_assessment_send_back(
        assessment=assessment,
        by=by,
        reason=reason,
        expected_version=assessment.version if version is None else version,
    )


def _stages(assessment) -> list[tuple]:
    return list(
        StageChange.objects.filter(assessment=assessment)
        .order_by("pk")
        .values_list("from_stage", "to_stage", "note")
    )


@time_machine.travel(AFTER)
def test_send_back_returns_to_self_assessment_as_a_draft_with_history(submitted, staff):
    version = submitted.version

    change = _send_back(submitted, staff, reason=f"  {REASON}  ")

    stored = Assessment.objects.get(pk=submitted.pk)
    assert (stored.stage, stored.version) == (Stage.SELF_ASSESSMENT, version + 1)
    assert (submitted.stage, submitted.version) == (Stage.SELF_ASSESSMENT, version + 1)
    assert _stages(submitted) == [
        (Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION, "Self-assessment submitted."),
        (Stage.PANEL_FORMATION, Stage.SELF_ASSESSMENT, REASON),
    ]
    assert (change.changed_by, change.changed_at, change.without_self_assessment) == (
        staff,
        AFTER,
        False,
    )
    assert change == self_assessment_sent_back(assessment=submitted)
    self_assessment = SelfAssessment.objects.get(assessment=submitted)
    assert (
        self_assessment.status,
        self_assessment.submitted_at,
        self_assessment.submitted_by,
        self_assessment.commentary,
    ) == (SelfAssessment.Status.DRAFT, None, None, "Agreed by the board.")


@time_machine.travel(AFTER)
def test_send_back_keeps_ratings_commentaries_and_evidence(submitted, staff):
    def ratings() -> list[tuple]:
        return list(
            SelfAssessmentRating.objects.order_by("pk").values_list(
                "competency_id", "area_id", "level", "light"
            )
        )

    before = ratings()

    _send_back(submitted, staff)

    assert ratings() == before
    assert len(before) == 5
    assert sorted(
        SelfAssessmentRating.objects.exclude(competency=None).values_list("commentary", flat=True)
    ) == ["Why 1", "Why 2"]
    assert list(EvidenceDocument.objects.values_list("title", flat=True)) == [
        "Financial strategy 2008"
    ]


@time_machine.travel(AFTER)
def test_after_send_back_the_board_corrects_uploads_and_resubmits(submitted, staff, board):
    """The tester's walk: after submitting, an upload was refused ("The self-assessment is
    closed") and nobody could reopen it."""
    _send_back(submitted, staff)
    draft = SelfAssessment.objects.get(assessment=submitted)

    evidence_upload(
        assessment=submitted,
        doc_type="financial_strategy",
        title="Financial strategy 2009",
        file=SimpleUploadedFile("strategy-2009.txt", b"This year's strategy."),
        by=board,
    )
    corrected = self_assessment_save(
        assessment=submitted,
        values=values(submitted, level=1),
        commentary="Corrected.",
        by=board,
        expected_version=draft.version,
        submit=True,
    )

    submitted.refresh_from_db()
    assert submitted.stage == Stage.PANEL_FORMATION
    assert (corrected.status, corrected.submitted_by) == (SelfAssessment.Status.SUBMITTED, board)
    assert set(
        SelfAssessmentRating.objects.exclude(level=None).values_list("level", flat=True)
    ) == {1}
    assert [row[:2] for row in _stages(submitted)] == [
        (Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION),
        (Stage.PANEL_FORMATION, Stage.SELF_ASSESSMENT),
        (Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION),
    ]
    assert EvidenceDocument.objects.count() == 2


def test_other_moves_back_from_panel_formation_are_refused(submitted, staff):
    """Only the service sends a self-assessment back: a plain stage change cannot."""
    with pytest.raises(TransitionError) as refused:
        assessment_advance(assessment=submitted, to_stage=Stage.SELF_ASSESSMENT, by=staff)

    assert str(refused.value) == (
        "An assessment cannot move from Panel formation to Self-assessment."
    )
    assert Assessment.objects.get(pk=submitted.pk).stage == Stage.PANEL_FORMATION


def test_send_back_is_no_way_back_from_other_stages(submitted, staff):
    submitted.stage = Stage.SCORING
    submitted.save()

    with pytest.raises(TransitionError) as refused:
        assessment_advance(
            assessment=submitted, to_stage=Stage.SELF_ASSESSMENT, by=staff, send_back=True
        )

    assert str(refused.value) == "An assessment cannot move from Scoring to Self-assessment."


def _refused(assessment, staff, **kwargs) -> str:
    before = (_stages(assessment), list(SelfAssessment.objects.values_list("status", "version")))
    with pytest.raises(TransitionError) as refused:
        _send_back(assessment, staff, **kwargs)
    assert (_stages(assessment), list(SelfAssessment.objects.values_list("status", "version"))) == (
        before
    )
    return str(refused.value)


@pytest.mark.parametrize("stage", [Stage.SCORING, Stage.CONSENSUS, Stage.MODERATION])
def test_send_back_refused_once_scoring_has_opened(submitted, staff, stage):
    Assessment.objects.filter(pk=submitted.pk).update(stage=stage)
    submitted.refresh_from_db()

    assert _refused(submitted, staff) == (
        f"{submitted.pct.name} is at {stage.label}: its panel has opened scoring on the "
        "self-assessment, which can no longer be sent back to the board."
    )


def test_send_back_refused_before_the_board_has_submitted(assessment, board, staff):
    self_assessment_save(
        assessment=assessment,
        values=values(assessment),
        commentary="",
        by=board,
        expected_version=0,
    )

    assert _refused(assessment, staff) == (
        f"{assessment.pct.name} is at Self-assessment: the board has not submitted its "
        "self-assessment, so there is nothing to send back; it can still change it."
    )


@time_machine.travel(AFTER)
def test_send_back_twice_says_who_already_did_it(submitted, staff):
    stale = Assessment.objects.select_related("round", "pct").get(pk=submitted.pk)
    _send_back(submitted, staff)

    assert _refused(stale, staff, version=stale.version + 1) == (
        f"The self-assessment of {submitted.pct.name} is already back with its board: Sam Lee "
        "sent it back on 5 October 2009 at 13:00, and the board has not submitted it again yet."
    )


@time_machine.travel(AFTER)
def test_send_back_refused_when_staff_proceeded_without_a_self_assessment(assessment, staff):
    assessment.round.self_assessment_due = datetime.date(2009, 9, 30)
    assessment.round.save()
    assessment_proceed_without_self_assessment(
        assessment=assessment,
        by=staff,
        reason="No board account.",
        expected_version=assessment.version,
    )

    assert _refused(assessment, staff) == (
        f"The board of {assessment.pct.name} did not submit a self-assessment (Sam Lee moved "
        "it on without one on 5 October 2009): there is nothing to send back."
    )


def test_send_back_refused_on_a_stale_version(submitted, staff, mailoutbox):
    with pytest.raises(ConflictError) as conflict:
        _send_back(submitted, staff, version=submitted.version - 1)

    assert str(conflict.value) == (
        f"{submitted} was changed by someone else since you opened it; check it again."
    )
    assert conflict.value.current.version == submitted.version
    assert Assessment.objects.get(pk=submitted.pk).stage == Stage.PANEL_FORMATION
    assert SelfAssessment.objects.get().status == SelfAssessment.Status.SUBMITTED
    assert len(_stages(submitted)) == 1
    assert mailoutbox == []


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("", "Say what the board should correct."),
        ("  \u200b ", "Say what the board should correct."),
        ("x" * 1001, "Keep the reason to 1,000 characters or fewer (it has 1,001)."),
        ("Level\x00two", "The reason holds a character that is not text: type it again."),
    ],
)
def test_send_back_refuses_a_bad_reason(submitted, staff, reason, message, mailoutbox):
    with pytest.raises(ValidationError) as refused:
        _send_back(submitted, staff, reason=reason)

    assert refused.value.message_dict == {"reason": [message]}
    assert Assessment.objects.get(pk=submitted.pk).stage == Stage.PANEL_FORMATION
    assert len(_stages(submitted)) == 1
    assert mailoutbox == []


def test_send_back_keeps_the_line_breaks_of_a_reason(submitted, staff):
    change = _send_back(submitted, staff, reason="Level 1 for c2.\r\nThe right strategy file.")

    assert change.note == "Level 1 for c2.\r\nThe right strategy file."


def test_check_gives_the_submitted_self_assessment(submitted):
    assert self_assessment_send_back_check(assessment=submitted) == SelfAssessment.objects.get()


def test_the_board_can_submit_the_sent_back_self_assessment_unchanged(submitted, staff, board):
    _send_back(submitted, staff)

    self_assessment_submit(
        assessment=submitted,
        by=board,
        expected_version=SelfAssessment.objects.get().version,
    )

    assert Assessment.objects.get(pk=submitted.pk).stage == Stage.PANEL_FORMATION


def test_resubmitting_tells_whoever_sent_it_back(
    submitted, staff, board, mailoutbox, django_capture_on_commit_callbacks
):
    """Walk R: nobody was told when the board submitted again; the staff waiting to open
    scoring had to look."""
    _send_back(submitted, staff)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        self_assessment_submit(
            assessment=submitted,
            by=board,
            expected_version=SelfAssessment.objects.get().version,
        )

    assert [m.to for m in mailoutbox] == [[staff.email]]
    assert mailoutbox[0].subject == (
        f"{submitted.pct.name} has submitted its self-assessment again: Round 2009-10"
    )
    assert REASON in mailoutbox[0].body
    assert "/panels/2009-10/5PG/formation/" in mailoutbox[0].body


# --- The board's e-mail ----------------------------------------------------------------------


@time_machine.travel(AFTER)
def test_send_back_emails_the_board_once_on_commit(
    submitted, staff, board, mailoutbox, django_capture_on_commit_callbacks
):
    submitted.round.self_assessment_due = datetime.date(2009, 10, 20)
    submitted.round.save()
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=submitted.pct, user__email="")  # no address
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=submitted.pct, user__is_active=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _send_back(submitted, staff)
    assert mailoutbox == []  # nothing before the commit
    for callback in callbacks:
        callback()

    assert [m.to for m in mailoutbox] == [[board.email]]
    assert mailoutbox[0].subject == (
        f"Round 2009-10: your self-assessment of {submitted.pct.name} has been sent back to "
        "you to correct"
    )
    body = " ".join(mailoutbox[0].body.split())
    assert (
        f"Sam Lee of the {submitted.pct.sha.name} SHA has sent the self-assessment of "
        f"{submitted.pct.name} for Round 2009-10 back to the board"
    ) in body
    assert f"What to correct: {REASON}" in body
    assert "Sent back on 5 October 2009." in body
    assert "Please resubmit by 20 October 2009, the self-assessment deadline." in body
    assert "has passed" not in body
    assert "/assessments/2009-10/5PG/self-assessment/" in body


@time_machine.travel(AFTER)
def test_send_back_email_past_the_deadline_asks_to_resubmit_promptly(
    submitted, board, mailoutbox, django_capture_on_commit_callbacks
):
    submitted.round.self_assessment_due = datetime.date(2009, 9, 30)
    submitted.round.save()
    national = RoleFactory(kind=Role.Kind.NATIONAL, user__first_name="Nia", user__last_name="Ode")

    with django_capture_on_commit_callbacks(execute=True):
        _send_back(submitted, national.user)

    body = " ".join(mailoutbox[0].body.split())
    assert "Nia Ode of the national assurance team has sent" in body
    assert (
        "The self-assessment deadline (30 September 2009) has passed: please resubmit promptly."
        in body
    )
