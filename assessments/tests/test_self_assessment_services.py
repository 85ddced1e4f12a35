"""The board's self-assessment and evidence services: every rule, its history, and nothing
half-written. (The pages are in test_self_assessment_views.py and test_evidence.py.)"""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import (
    Assessment,
    EvidenceDocument,
    RatingChange,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    Stage,
    StageChange,
)
from assessments.services import (
    evidence_delete,
    evidence_upload,
    self_assessment_save,
    self_assessment_submit,
)
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    RoleFactory,
)
from tests.factories.files import PDF

pytestmark = pytest.mark.django_db


def items(framework):
    competencies = list(framework.competencies.order_by("number"))
    areas = list(framework.governance_areas.order_by("position"))
    return competencies, areas


def complete(framework, level=2, light="amber"):
    competencies, areas = items(framework)
    return {c: (level, "") for c in competencies} | {a: (light, "") for a in areas}


def history(assessment):
    return list(
        RatingChange.objects.filter(assessment=assessment)
        .order_by("pk")
        .values_list("source", "competency__number", "area__code", "old_value", "new_value")
    )


# --- Saving a draft ----------------------------------------------------------------------------


def test_save_writes_history_only_for_changed_values(assessment, board, framework):
    (c1, c2), (strategy, *_) = items(framework)
    first = self_assessment_save(
        assessment=assessment,
        values={c1: (2, "Draft note."), strategy: ("amber", "")},
        commentary="",
        by=board,
        expected_version=0,
    )

    second = self_assessment_save(
        assessment=assessment,
        values={c1: (3, "Draft note."), strategy: ("amber", "Commentary only."), c2: (None, "")},
        commentary="Overall.",
        by=board,
        expected_version=first.version,
    )

    assert history(assessment) == [
        ("self_assessment", 1, None, "", "2"),
        ("self_assessment", None, "strategy", "", "amber"),
        ("self_assessment", 1, None, "2", "3"),
    ]
    assert set(RatingChange.objects.values_list("changed_by", flat=True)) == {board.pk}
    assert (second.version, SelfAssessment.objects.get().commentary) == (2, "Overall.")
    assert SelfAssessmentRating.objects.get(area=strategy).commentary == "Commentary only."


def test_save_with_one_bad_value_writes_nothing(assessment, board, framework):
    (c1, c2), (strategy, *_) = items(framework)

    with pytest.raises(ValidationError) as excinfo:
        self_assessment_save(
            assessment=assessment,
            values={c1: (3, ""), c2: (5, ""), strategy: ("green", "")},
            commentary="",
            by=board,
            expected_version=0,
        )

    assert excinfo.value.messages == [
        "2. Managing knowledge and assessing need: 5 is not a level: a competency takes a "
        "level from 1 to 4."
    ]
    assert (SelfAssessment.objects.count(), SelfAssessmentRating.objects.count()) == (0, 0)
    assert RatingChange.objects.count() == 0


def test_draft_saves_blank_items_and_history_only_for_values(assessment, board, framework):
    (c1, c2), _ = items(framework)

    sa = self_assessment_save(
        assessment=assessment,
        values={c1: (3, "Strong partnerships."), c2: (None, "")},
        commentary="",
        by=board,
        expected_version=0,
    )

    ratings = list(SelfAssessmentRating.objects.values_list("competency_id", "level", "commentary"))
    assert (sa.status, sa.version) == ("draft", 1)
    assert sorted(ratings) == sorted([(c1.pk, 3, "Strong partnerships."), (c2.pk, None, "")])
    assert history(assessment) == [("self_assessment", 1, None, "", "3")]


def test_save_with_a_bad_light_names_the_item(assessment, board, framework):
    _, (strategy, *_) = items(framework)

    with pytest.raises(ValidationError) as excinfo:
        self_assessment_save(
            assessment=assessment,
            values={strategy: ("purple", "")},
            commentary="",
            by=board,
            expected_version=0,
        )

    assert excinfo.value.messages == ["Strategy: 'purple' is not a light: use green, amber or red"]


def test_save_refuses_an_item_of_another_framework(assessment, board):
    stranger = CompetencyFactory(framework=FrameworkFactory(slug="fw-other"), number=1)

    with pytest.raises(ValidationError) as excinfo:
        self_assessment_save(
            assessment=assessment,
            values={stranger: (2, "")},
            commentary="",
            by=board,
            expected_version=0,
        )

    assert excinfo.value.messages == [
        f"1. Competency 1 is not part of the framework of {assessment.round}."
    ]
    assert SelfAssessment.objects.count() == 0


def test_save_refused_once_the_assessment_has_moved_on(framework, board):
    assessment = AssessmentFactory(
        round=AssessmentRoundFactory(slug="2009-10", framework=framework),
        stage=Stage.PANEL_FORMATION,
    )

    with pytest.raises(TransitionError) as excinfo:
        self_assessment_save(
            assessment=assessment,
            values=complete(framework),
            commentary="",
            by=board,
            expected_version=0,
        )

    assert str(excinfo.value) == (
        "The self-assessment is closed: this assessment is at Panel formation."
    )
    assert SelfAssessment.objects.count() == 0


def test_two_stale_copies_the_second_save_is_refused_and_the_first_kept(
    assessment, board, framework
):
    (c1, _), _ = items(framework)
    opened = self_assessment_save(
        assessment=assessment, values={c1: (1, "")}, commentary="", by=board, expected_version=0
    )
    alice_sees = bob_sees = opened.version  # both open the page at version 1

    self_assessment_save(
        assessment=assessment,
        values={c1: (3, "Alice.")},
        commentary="Alice's view.",
        by=board,
        expected_version=alice_sees,
    )
    with pytest.raises(ConflictError) as excinfo:
        self_assessment_save(
            assessment=assessment,
            values={c1: (4, "Bob.")},
            commentary="Bob's view.",
            by=board,
            expected_version=bob_sees,
        )

    stored = SelfAssessment.objects.get()
    assert str(excinfo.value) == (
        "Someone else saved this self-assessment since you opened it: the values below are the "
        "current ones; your changes were not saved."
    )
    assert excinfo.value.current == stored
    assert (stored.version, stored.commentary) == (2, "Alice's view.")
    assert SelfAssessmentRating.objects.get(competency=c1).level == 3
    assert [row[3:] for row in history(assessment)] == [("", "1"), ("1", "3")]


def test_two_first_saves_the_second_is_refused(assessment, board, framework):
    (c1, _), _ = items(framework)
    self_assessment_save(
        assessment=assessment, values={c1: (2, "")}, commentary="", by=board, expected_version=0
    )

    with pytest.raises(ConflictError):
        self_assessment_save(
            assessment=assessment,
            values={c1: (4, "")},
            commentary="",
            by=board,
            expected_version=0,
        )

    assert list(SelfAssessmentRating.objects.values_list("level", flat=True)) == [2]


# --- Submitting --------------------------------------------------------------------------------


def test_submit_names_every_missing_item_beside_its_field(assessment, board, framework):
    (c1, _), _ = items(framework)
    draft = self_assessment_save(
        assessment=assessment, values={c1: (2, "")}, commentary="", by=board, expected_version=0
    )

    with pytest.raises(ValidationError) as excinfo:
        self_assessment_submit(assessment=assessment, by=board, expected_version=draft.version)

    assert excinfo.value.message_dict == {
        "c2": ["2. Managing knowledge and assessing need: choose a level."],
        "strategy": ["Strategy: choose a light."],
        "finance": ["Financial management: choose a light."],
        "board": ["Board governance: choose a light."],
    }
    assert SelfAssessment.objects.get().status == "draft"
    assert Assessment.objects.get().stage == Stage.SELF_ASSESSMENT
    assert StageChange.objects.count() == 0


def test_submit_with_no_draft_names_every_item(assessment, board):
    with pytest.raises(ValidationError) as excinfo:
        self_assessment_submit(assessment=assessment, by=board, expected_version=0)

    assert list(excinfo.value.message_dict) == ["c1", "c2", "strategy", "finance", "board"]
    assert SelfAssessment.objects.count() == 0


def test_save_and_submit_with_missing_items_names_each_and_writes_nothing(
    assessment, board, framework
):
    (c1, _), _ = items(framework)

    with pytest.raises(ValidationError) as excinfo:
        self_assessment_save(
            assessment=assessment,
            values={c1: (2, "")},
            commentary="",
            by=board,
            expected_version=0,
            submit=True,
        )

    assert excinfo.value.messages == [
        "2. Managing knowledge and assessing need: choose a level.",
        "Strategy: choose a light.",
        "Financial management: choose a light.",
        "Board governance: choose a light.",
    ]
    assert SelfAssessment.objects.count() == 0
    assert Assessment.objects.get().stage == Stage.SELF_ASSESSMENT


def test_save_and_submit_moves_to_panel_formation_and_then_nothing_changes(
    assessment, board, framework
):
    sa = self_assessment_save(
        assessment=assessment,
        values=complete(framework),
        commentary="",
        by=board,
        expected_version=0,
        submit=True,
    )

    assert (sa.status, Assessment.objects.get().stage) == ("submitted", Stage.PANEL_FORMATION)
    with pytest.raises(TransitionError):
        self_assessment_save(
            assessment=assessment,
            values=complete(framework, level=3),
            commentary="",
            by=board,
            expected_version=sa.version,
        )
    assert set(
        SelfAssessmentRating.objects.exclude(level=None).values_list("level", flat=True)
    ) == {2}


def test_submit_twice_is_refused(assessment, board, framework):
    sa = self_assessment_save(
        assessment=assessment,
        values=complete(framework),
        commentary="",
        by=board,
        expected_version=0,
        submit=True,
    )

    with pytest.raises(TransitionError):
        self_assessment_submit(assessment=assessment, by=board, expected_version=sa.version)


def test_submit_records_who_and_moves_to_panel_formation(assessment, board, framework):
    draft = self_assessment_save(
        assessment=assessment,
        values=complete(framework),
        commentary="",
        by=board,
        expected_version=0,
    )

    submitted = self_assessment_submit(
        assessment=assessment, by=board, expected_version=draft.version
    )

    stored = SelfAssessment.objects.get()
    assert (stored.status, stored.submitted_by, stored.version) == ("submitted", board, 2)
    assert stored.submitted_at is not None
    assert submitted.status == "submitted"
    assert list(
        StageChange.objects.values_list("from_stage", "to_stage", "changed_by", "note")
    ) == [(Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION, board.pk, "Self-assessment submitted.")]
    assert (assessment.stage, Assessment.objects.get().stage) == (
        Stage.PANEL_FORMATION,
        Stage.PANEL_FORMATION,
    )


def test_submit_with_a_stale_version_is_refused_and_nothing_moves(assessment, board, framework):
    draft = self_assessment_save(
        assessment=assessment,
        values=complete(framework),
        commentary="",
        by=board,
        expected_version=0,
    )
    self_assessment_save(
        assessment=assessment,
        values=complete(framework, level=3),
        commentary="",
        by=board,
        expected_version=draft.version,
    )

    with pytest.raises(ConflictError):
        self_assessment_submit(assessment=assessment, by=board, expected_version=1)

    assert SelfAssessment.objects.get().status == "draft"
    assert Assessment.objects.get().stage == Stage.SELF_ASSESSMENT


def test_save_after_submission_is_refused(assessment, board, framework):
    submitted = self_assessment_save(
        assessment=assessment,
        values=complete(framework),
        commentary="",
        by=board,
        expected_version=0,
        submit=True,
    )
    # The assessment is back at self-assessment (say, by an administrator); the submitted
    # self-assessment still does not change.
    Assessment.objects.filter(pk=assessment.pk).update(stage=Stage.SELF_ASSESSMENT)

    with pytest.raises(TransitionError) as excinfo:
        self_assessment_save(
            assessment=Assessment.objects.get(),
            values=complete(framework, level=4),
            commentary="",
            by=board,
            expected_version=submitted.version,
        )

    assert str(excinfo.value) == (
        "The self-assessment has been submitted and can no longer change."
    )
    assert set(
        SelfAssessmentRating.objects.exclude(level=None).values_list("level", flat=True)
    ) == {2}


# --- Evidence ----------------------------------------------------------------------------------


def upload(assessment, board, name="plan.pdf", content=PDF, **kwargs):
    return evidence_upload(
        assessment=assessment,
        doc_type="strategic_plan",
        title="Five-year plan",
        file=SimpleUploadedFile(name, content),
        by=board,
        **kwargs,
    )


def test_upload_limit_defaults_to_the_setting(assessment, board, settings, media):
    settings.EVIDENCE_MAX_BYTES = 10

    with pytest.raises(ValidationError) as excinfo:
        upload(assessment, board)

    assert excinfo.value.messages == [
        f"plan.pdf: the file is {len(PDF)} bytes; the limit is 10 bytes."
    ]
    assert EvidenceDocument.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.exe", b"MZ", "plan.exe: files of type .exe are not accepted"),
        ("plan.pdf", b"<html>not a pdf</html>", "plan.pdf: the content is not a PDF file."),
        ("notes.txt", b"\x00\x01binary", "notes.txt: the content is not plain text."),
        ("plan.docx", b"%PDF-", "plan.docx: the content is not a DOCX file."),
    ],
)
def test_upload_of_the_wrong_type_is_refused(assessment, board, media, name, content, message):
    with pytest.raises(ValidationError) as excinfo:
        upload(assessment, board, name=name, content=content, max_bytes=1_000_000)

    assert excinfo.value.messages[0].startswith(message)
    assert EvidenceDocument.objects.count() == 0


def test_upload_too_large_is_refused(assessment, board, media):
    with pytest.raises(ValidationError) as excinfo:
        upload(assessment, board, content=PDF + b"x" * 3_000_000, max_bytes=2 * 1_048_576)

    assert excinfo.value.messages == ["plan.pdf: the file is 2.9 MB; the limit is 2 MB."]


def test_the_same_file_twice_is_refused_naming_the_one_already_there(assessment, board, media):
    first = upload(assessment, board)
    first.uploaded_at = datetime(2009, 6, 3, 12, tzinfo=UTC)
    first.save()

    with pytest.raises(ValidationError) as excinfo:
        upload(assessment, board, name="plan copy.pdf")

    assert excinfo.value.messages == [
        "plan copy.pdf is the same file as Five-year plan, uploaded 3 June 2009: it is "
        "already in the self-assessment, so it was not uploaded again."
    ]
    assert list(EvidenceDocument.objects.all()) == [first]
    assert len(list(media.rglob("*.pdf"))) == 1


def test_a_different_file_or_the_same_file_elsewhere_is_taken(assessment, board, media):
    upload(assessment, board)
    upload(assessment, board, content=PDF + b"\n% another version")
    elsewhere = AssessmentFactory(round=assessment.round, stage=Stage.SELF_ASSESSMENT)
    upload(elsewhere, RoleFactory(kind=Role.Kind.PCT_BOARD, pct=elsewhere.pct).user)

    assert EvidenceDocument.objects.count() == 3
    assert len(set(EvidenceDocument.objects.values_list("sha256", flat=True))) == 2


def test_upload_refused_once_submitted(assessment, board, framework, media):
    self_assessment_save(
        assessment=assessment,
        values=complete(framework),
        commentary="",
        by=board,
        expected_version=0,
        submit=True,
    )

    with pytest.raises(TransitionError):
        upload(assessment, board)

    assert EvidenceDocument.objects.count() == 0
    assert list(media.rglob("*.pdf")) == []


def test_delete_removes_the_row_and_then_the_file(
    assessment, board, media, django_capture_on_commit_callbacks
):
    document = upload(assessment, board)
    stored = media / document.file.name

    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(document=document, by=board)

    assert EvidenceDocument.objects.count() == 0
    assert not stored.exists()


def test_delete_refused_once_submitted_and_the_file_kept(assessment, board, framework, media):
    document = upload(assessment, board)
    self_assessment_save(
        assessment=assessment,
        values=complete(framework),
        commentary="",
        by=board,
        expected_version=0,
        submit=True,
    )

    with pytest.raises(TransitionError):
        evidence_delete(document=EvidenceDocument.objects.get(), by=board)

    assert list(EvidenceDocument.objects.all()) == [document]
    assert (media / document.file.name).read_bytes() == PDF


def test_a_file_just_over_the_limit_is_told_in_bytes_not_as_two_equal_sizes(
    assessment, board, media
):
    """The board walk: 21,000,000 bytes against 20 MB read "the file is 20 MB; the limit is
    20 MB"."""
    content = PDF + b"x" * (20 * 1_048_576 + 10 - len(PDF))
    with pytest.raises(ValidationError) as excinfo:
        upload(assessment, board, content=content, max_bytes=20 * 1_048_576)

    assert excinfo.value.messages == [
        "plan.pdf: the file is 20,971,530 bytes; the limit is 20,971,520 bytes."
    ]


def test_a_very_long_file_name_is_stored_shortened_and_titled_by_its_start(
    assessment, board, media
):
    """The board walk: a 304-character name was refused as "Ensure this value has at most
    200 characters (it has 251)"."""
    name = "Board minutes " + "x" * 286 + ".pdf"
    document = evidence_upload(
        assessment=assessment,
        doc_type="strategic_plan",
        title="",
        file=SimpleUploadedFile(name, PDF),
        by=board,
    )

    assert document.title == name[:200]
    assert len(document.file.name) <= 100 and document.file.name.endswith(".pdf")
    assert document.file.name.startswith("evidence/")


def _insert_refused(monkeypatch, error):
    """The row's insert fails after its file went to storage (the failure the review
    named: the transaction rolled back, the file left behind with no row)."""

    def refuse(*args, **kwargs):
        raise error

    monkeypatch.setattr(EvidenceDocument, "_do_insert", refuse)


def test_an_upload_whose_row_is_refused_deletes_the_file_it_stored(
    assessment, board, media, monkeypatch
):
    _insert_refused(monkeypatch, IntegrityError("database is locked"))

    with pytest.raises(ValidationError) as excinfo:
        upload(assessment, board)

    assert excinfo.value.messages == [
        "plan.pdf was not uploaded: it could not be saved just now, so nothing was kept. "
        "Choose the file and upload it again."
    ]
    assert (EvidenceDocument.objects.count(), [p for p in media.rglob("*") if p.is_file()]) == (
        0,
        [],
    )


def test_an_upload_failing_otherwise_after_the_store_deletes_the_file_and_says_why(
    assessment, board, media, monkeypatch
):
    refusal = ConflictError("The self-assessment was saved elsewhere meanwhile.", current=None)
    _insert_refused(monkeypatch, refusal)

    with pytest.raises(ConflictError) as excinfo:
        upload(assessment, board)

    assert excinfo.value is refusal
    assert (EvidenceDocument.objects.count(), [p for p in media.rglob("*") if p.is_file()]) == (
        0,
        [],
    )


def test_an_upload_after_a_refused_one_is_stored_under_its_own_name(
    assessment, board, media, monkeypatch
):
    """The deleted file's name is free again: the next upload is not renamed plan_xxxx.pdf."""
    with monkeypatch.context() as patch:
        _insert_refused(patch, IntegrityError("database is locked"))
        with pytest.raises(ValidationError):
            upload(assessment, board)

    document = upload(assessment, board)

    assert [p.name for p in media.rglob("*") if p.is_file()] == ["plan.pdf"]
    assert (media / document.file.name).read_bytes() == PDF
