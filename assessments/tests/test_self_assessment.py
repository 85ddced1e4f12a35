"""The board's self-assessment and evidence: rules of the writes, pages and who may see them."""

from dataclasses import dataclass

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import (
    Assessment,
    EvidenceDocument,
    RatingChange,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    Stage,
)
from assessments.services import (
    evidence_upload,
    self_assessment_save,
    self_assessment_submit,
)
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SeatFactory,
    SeatTypeFactory,
    UserFactory,
)
from tests.factories.files import PDF

pytestmark = pytest.mark.django_db


@dataclass
class Case:
    assessment: Assessment
    board: object
    competencies: list
    areas: list

    @property
    def url(self) -> str:
        return f"/assessments/{self.assessment.round.slug}/{self.assessment.pct.ods_code}/self-assessment/"

    def full(self, level=2, light="amber") -> dict:
        values = {c: (level, f"Why {c.number}") for c in self.competencies}
        return values | {a: (light, "") for a in self.areas}


@pytest.fixture
def case() -> Case:
    framework = FrameworkFactory(slug="fw-sa")
    competencies = [
        CompetencyFactory(framework=framework, number=n, short_name=f"Competency {n}")
        for n in (1, 2)
    ]
    areas = [
        GovernanceAreaFactory(framework=framework, code=code, position=i)
        for i, code in enumerate(["strategy", "finance", "board"], start=1)
    ]
    assessment = AssessmentFactory(
        round=AssessmentRoundFactory(slug="2009-10", framework=framework),
        pct=PCTFactory(),
        stage=Stage.SELF_ASSESSMENT,
    )
    board = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=assessment.pct).user
    return Case(assessment, board, competencies, areas)


def save(case, values, version=0, submit=False, commentary=""):
    return self_assessment_save(
        assessment=case.assessment,
        values=values,
        commentary=commentary,
        by=case.board,
        expected_version=version,
        submit=submit,
    )


# --- Services ----------------------------------------------------------------------------


def test_draft_saves_blank_items_and_history_for_values(case):
    first = case.competencies[0]

    sa = save(case, {first: (3, "Strong partnerships."), case.competencies[1]: (None, "")})

    ratings = list(SelfAssessmentRating.objects.values_list("competency_id", "level", "commentary"))
    assert (sa.status, sa.version) == ("draft", 1)
    assert sorted(ratings) == sorted(
        [(first.pk, 3, "Strong partnerships."), (case.competencies[1].pk, None, "")]
    )
    assert list(RatingChange.objects.values_list("source", "old_value", "new_value")) == [
        ("self_assessment", "", "3")
    ]


def test_a_stale_draft_is_refused_and_the_first_kept(case):
    first = case.competencies[0]
    save(case, {first: (3, "")}, version=0)

    with pytest.raises(ConflictError):
        save(case, {first: (1, "")}, version=0)

    assert SelfAssessmentRating.objects.get(competency=first).level == 3


def test_submit_refused_naming_every_missing_item_and_nothing_written(case):
    with pytest.raises(ValidationError) as excinfo:
        save(case, {case.competencies[0]: (2, "")}, submit=True)

    assert excinfo.value.messages == [
        "2. Competency 2: choose a level.",
        "Strategy: choose a light.",
        "Financial management: choose a light.",
        "Board governance: choose a light.",
    ]
    assert SelfAssessment.objects.count() == 0
    assert Assessment.objects.get(pk=case.assessment.pk).stage == Stage.SELF_ASSESSMENT


def test_submit_moves_to_panel_formation_and_then_nothing_changes(case):
    sa = save(case, case.full(), submit=True)

    assert (sa.status, Assessment.objects.get(pk=case.assessment.pk).stage) == (
        "submitted",
        Stage.PANEL_FORMATION,
    )
    with pytest.raises(TransitionError):
        save(case, case.full(level=3), version=sa.version)
    assert set(
        SelfAssessmentRating.objects.filter(competency__isnull=False).values_list(
            "level", flat=True
        )
    ) == {2}


def test_bad_value_refused_naming_the_item(case):
    with pytest.raises(ValidationError) as excinfo:
        save(case, {case.areas[0]: ("purple", "")})

    assert excinfo.value.messages == ["Strategy: 'purple' is not a light: use green, amber or red"]


def test_submit_twice_is_refused(case):
    sa = save(case, case.full(), submit=True)

    with pytest.raises(TransitionError):
        self_assessment_submit(
            assessment=case.assessment, by=case.board, expected_version=sa.version
        )


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plan.exe", b"MZ", "plan.exe: files of type .exe are not accepted"),
        ("plan.pdf", b"<html>not a pdf</html>", "plan.pdf: the content is not a PDF file."),
        ("notes.txt", b"\x00\x01binary", "notes.txt: the content is not plain text."),
        ("plan.docx", b"%PDF-", "plan.docx: the content is not a DOCX file."),
    ],
)
def test_evidence_of_the_wrong_type_is_refused(case, settings, tmp_path, name, content, message):
    settings.MEDIA_ROOT = tmp_path

    with pytest.raises(ValidationError) as excinfo:
        evidence_upload(
            assessment=case.assessment,
            doc_type="other",
            title="",
            file=SimpleUploadedFile(name, content),
            by=case.board,
            max_bytes=1_000_000,
        )

    assert excinfo.value.messages[0].startswith(message)
    assert EvidenceDocument.objects.count() == 0


def test_evidence_too_large_is_refused(case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path

    with pytest.raises(ValidationError) as excinfo:
        evidence_upload(
            assessment=case.assessment,
            doc_type="strategic_plan",
            title="Plan",
            file=SimpleUploadedFile("plan.pdf", PDF + b"x" * 3_000_000),
            by=case.board,
            max_bytes=2 * 1_048_576,
        )

    assert excinfo.value.messages == ["plan.pdf: the file is 2.9 MB; the limit is 2 MB."]


# --- Pages ---------------------------------------------------------------------------------


def test_board_page_shows_the_frameworks_descriptors(client, case):
    client.force_login(case.board)

    response = client.get(case.url)

    assert response.status_code == 200
    assert [item.code for item, *_ in response.context["form"].items] == [
        "c1",
        "c2",
        "strategy",
        "finance",
        "board",
    ]
    assert "Level 4: Level 4 of 1. Competency 1" in response.content.decode()
    assert response.context["editable"] is True


def test_board_saves_a_draft_then_submits(client, case):
    client.force_login(case.board)
    data = {"version": "0", "commentary": "Agreed by the board.", "action": "save"}
    data |= {
        "c1": "3",
        "c1_commentary": "JSNA in use.",
        "c2": "2",
        "strategy": "green",
        "finance": "amber",
        "board": "green",
    }

    client.post(case.url, data, follow=True)
    response = client.post(
        case.url, data | {"version": "1", "action": "submit", "confirm": "on"}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "Self-assessment submitted: it now goes to your panel."
    ]
    assert SelfAssessment.objects.get().status == "submitted"
    assert response.context["editable"] is False


def test_submit_without_the_confirmation_is_refused_beside_the_box(client, case):
    client.force_login(case.board)
    data = {
        "version": "0",
        "action": "submit",
        "c1": "3",
        "c2": "2",
        "strategy": "green",
        "finance": "amber",
        "board": "green",
    }

    response = client.post(case.url, data)

    assert response.context["form"].errors["confirm"] == [
        "Tick this box to submit: the board must have agreed it."
    ]
    assert SelfAssessment.objects.count() == 0


def test_a_post_after_submission_is_refused_by_the_server(client, case):
    save(case, case.full(), submit=True)
    client.force_login(case.board)

    response = client.post(case.url, {"version": "3", "action": "save", "c1": "4"}, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "The self-assessment is closed: this assessment is at Panel formation."
    ]
    assert set(
        SelfAssessmentRating.objects.filter(competency__isnull=False).values_list(
            "level", flat=True
        )
    ) == {2}


def test_another_board_and_an_outsider_get_404(client, case):
    other_board = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory()).user

    for user in (other_board, UserFactory()):
        client.force_login(user)
        assert client.get(case.url).status_code == 404
        assert client.post(case.url, {"version": "0"}).status_code == 404


def test_staff_of_the_sha_read_only_and_staff_of_another_sha_404(client, case):
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=case.assessment.pct.sha).user
    other = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=PCTFactory().sha).user

    client.force_login(staff)
    page = client.get(case.url)
    posted = client.post(case.url, {"version": "0", "c1": "4"})
    client.force_login(other)

    assert (page.status_code, page.context["editable"]) == (200, False)
    assert posted.status_code == 403  # may see, may not change
    assert client.get(case.url).status_code == 404


@pytest.mark.parametrize("documents", [1, 3])
def test_page_query_count_does_not_grow_with_documents(
    client, case, django_assert_num_queries, settings, tmp_path, documents
):
    settings.MEDIA_ROOT = tmp_path
    for n in range(documents):
        evidence_upload(
            assessment=case.assessment,
            doc_type="other",
            title=f"Doc {n}",
            file=SimpleUploadedFile(f"d{n}.pdf", PDF),
            by=case.board,
            max_bytes=1_000_000,
        )
    client.force_login(case.board)

    with django_assert_num_queries(9):
        client.get(case.url)


# --- Evidence files -------------------------------------------------------------------------


def test_board_uploads_and_a_seat_holder_downloads_but_another_board_cannot(
    client, case, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(case.board)
    client.post(
        f"/assessments/2009-10/{case.assessment.pct.ods_code.lower()}/evidence/",
        {
            "doc_type": "strategic_plan",
            "title": "Five-year plan",
            "file": SimpleUploadedFile("plan.pdf", PDF),
        },
    )
    document = EvidenceDocument.objects.get()
    member = PersonFactory(user=UserFactory(), pct=PCTFactory())
    SeatFactory(
        panel__assessment=case.assessment, seat_type=SeatTypeFactory(number=2), person=member
    )

    client.force_login(member.user)
    download = client.get(f"/panels/2009-10/{case.assessment.pct.ods_code}/evidence/{document.pk}/")
    client.force_login(RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory()).user)

    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert (
        download["Content-Disposition"]
        == f'attachment; filename="{case.assessment.pct.ods_code}-five-year-plan.pdf"'
    )
    assert download["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/assessments/evidence/{document.pk}/").status_code == 404


def test_upload_of_a_wrong_type_shows_the_reason(client, case, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(case.board)

    response = client.post(
        f"/assessments/2009-10/{case.assessment.pct.ods_code}/evidence/",
        {"doc_type": "other", "file": SimpleUploadedFile("macro.xlsm", b"PK\x03\x04")},
        follow=True,
    )

    message = next(str(m) for m in response.context["messages"])
    assert message.startswith(
        "The document was not uploaded. macro.xlsm: files of type .xlsm are not accepted"
    )
    assert EvidenceDocument.objects.count() == 0
