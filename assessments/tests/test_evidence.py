"""Evidence documents through the pages: what may be uploaded, by whom, and who may download
them. (The upload and delete services are tested in test_self_assessment_services.py.)"""

import datetime
import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from assessments.form_errors import summary_entries
from assessments.models import EvidenceDocument, Role
from assessments.services import evidence_upload, self_assessment_save
from tests.factories import (
    AssessmentFactory,
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SeatFactory,
    SeatTypeFactory,
    UserFactory,
)
from tests.factories.files import PDF

# Stored files go to a fresh folder for each test (the root conftest's ``media``); the
# assessment (5PG, at self-assessment) and its board come from assessments/tests/conftest.py.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def document(assessment, board):
    return evidence_upload(
        assessment=assessment,
        doc_type="strategic_plan",
        title="Five-year plan: 2009/14",
        file=SimpleUploadedFile("plan.pdf", PDF),
        by=board,
    )


def upload_url(assessment, ods=None) -> str:
    return f"/assessments/{assessment.round.slug}/{ods or assessment.pct.ods_code}/evidence/"


def post_file(client, assessment, name, content, doc_type="other", title=""):
    return client.post(
        upload_url(assessment),
        {"doc_type": doc_type, "title": title, "file": SimpleUploadedFile(name, content)},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def upload_errors(response) -> list[tuple[str, str]]:
    """The upload's error summary: ``(link, message)`` for each problem."""
    return summary_entries(response.context["evidence_form"])


def submit(assessment, board):
    framework = assessment.round.framework
    values = {c: (2, "") for c in framework.competencies.all()}
    values |= {a: ("amber", "") for a in framework.governance_areas.all()}
    self_assessment_save(
        assessment=assessment,
        values=values,
        commentary="",
        by=board,
        expected_version=0,
        submit=True,
    )


# --- Uploading ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content"),
    [("plan.pdf", PDF), ("od-plan.DOCX", docx_bytes()), ("budget.csv", b"year,spend\n2009,1\n")],
)
def test_board_uploads_an_accepted_file(client, assessment, board, media, name, content):
    client.force_login(board)

    response = client.post(
        upload_url(assessment, ods="5pg"),
        {"doc_type": "od_plan", "title": "", "file": SimpleUploadedFile(name, content)},
        follow=True,
    )

    document = EvidenceDocument.objects.get()
    assert (document.doc_type, document.uploaded_by, document.assessment) == (
        "od_plan",
        board,
        assessment,
    )
    assert messages_of(response) == [f"Uploaded {document.title}."]
    assert (media / document.file.name).read_bytes() == content
    assert list(response.context["detail"].evidence) == [document]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "minutes.exe",
            b"MZ\x90\x00",
            "minutes.exe: files of type .exe are not accepted; upload PDF, DOCX, XLSX, PPTX, "
            "ODT, CSV, TXT.",
        ),
        ("plan.pdf", b"<html><script></script></html>", "plan.pdf: the content is not a PDF file."),
        ("finance.xlsx", PDF, "finance.xlsx: the content is not an XLSX file."),
        (
            "macro.xlsm",
            b"PK\x03\x04",
            "macro.xlsm: files of type .xlsm are not accepted; upload PDF, DOCX, XLSX, PPTX, "
            "ODT, CSV, TXT.",
        ),
        (
            "notes",
            b"text",
            "notes: files of type (none) are not accepted; upload PDF, DOCX, XLSX, "
            "PPTX, ODT, CSV, TXT.",
        ),
    ],
)
def test_wrong_type_refused_naming_the_file_and_the_rule(
    client, assessment, board, media, name, content, message
):
    client.force_login(board)

    response = post_file(client, assessment, name, content)

    assert upload_errors(response) == [("#id_file", f"File: {message}")]
    assert EvidenceDocument.objects.count() == 0
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_too_big_refused_naming_the_file_and_the_limit(client, assessment, board, settings, media):
    settings.EVIDENCE_MAX_BYTES = 2048
    client.force_login(board)

    response = post_file(client, assessment, "plan.pdf", PDF + b"0" * (4096 - len(PDF)))

    assert upload_errors(response) == [
        ("#id_file", "File: plan.pdf: the file is 4 KB; the limit is 2 KB.")
    ]
    assert EvidenceDocument.objects.count() == 0
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_upload_without_a_file_says_so(client, assessment, board):
    client.force_login(board)

    response = client.post(upload_url(assessment), {"doc_type": "other"}, follow=True)

    assert upload_errors(response) == [("#id_file", "File: Choose the file to upload.")]


def test_upload_refused_after_submission(client, assessment, board):
    submit(assessment, board)
    client.force_login(board)

    response = post_file(client, assessment, "late.pdf", PDF)

    assert messages_of(response) == [
        "The document was not uploaded. The self-assessment is closed: this assessment is at "
        "Panel formation."
    ]
    assert EvidenceDocument.objects.count() == 0


@pytest.mark.parametrize("who", ["other board", "staff of the SHA", "outsider"])
def test_only_the_board_uploads_everyone_else_404(client, assessment, who):
    user = {
        "other board": lambda: RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory()).user,
        "staff of the SHA": lambda: (
            RoleFactory(kind=Role.Kind.SHA_STAFF, sha=assessment.pct.sha).user
        ),
        "outsider": UserFactory,
    }[who]()
    client.force_login(user)

    response = client.post(
        upload_url(assessment),
        {"doc_type": "other", "file": SimpleUploadedFile("plan.pdf", PDF)},
    )

    assert response.status_code == 404
    assert EvidenceDocument.objects.count() == 0


# --- Downloading ----------------------------------------------------------------------------


def seat_holder_of(assessment):
    user = UserFactory()
    SeatFactory(
        panel__assessment=assessment,
        seat_type=SeatTypeFactory(number=3),
        person=PersonFactory(user=user, pct=PCTFactory()),
    )
    return user


# Two ways to a document: the board's own page (assessments) and the panel's pages
# (panels), each answering to its own permission.
@pytest.mark.parametrize(
    ("who", "status", "panel_status"),
    [
        ("board", 200, 404),
        ("seat holder", 404, 200),
        ("staff of the SHA", 200, 200),
        ("national", 200, 200),
        ("other board", 404, 404),
        ("seat holder of another panel", 404, 404),
        ("staff of another SHA", 404, 404),
        ("outsider", 404, 404),
    ],
)
def test_download_only_to_those_who_may_see_the_evidence(
    client, assessment, board, document, who, status, panel_status
):
    user = {
        "board": lambda: board,
        "seat holder": lambda: seat_holder_of(assessment),
        "staff of the SHA": lambda: (
            RoleFactory(kind=Role.Kind.SHA_STAFF, sha=assessment.pct.sha).user
        ),
        "national": lambda: RoleFactory(kind=Role.Kind.NATIONAL).user,
        "other board": lambda: RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory()).user,
        "seat holder of another panel": lambda: seat_holder_of(AssessmentFactory()),
        "staff of another SHA": lambda: (
            RoleFactory(kind=Role.Kind.SHA_STAFF, sha=PCTFactory().sha).user
        ),
        "outsider": UserFactory,
    }[who]()
    client.force_login(user)

    answers = []
    for url in (
        f"/assessments/evidence/{document.pk}/",
        f"/panels/{assessment.round.slug}/{assessment.pct.ods_code}/evidence/{document.pk}/",
    ):
        response = client.get(url)
        # Reading a file response to its end closes it, as a WSGI server would; closing it
        # again would fire request_finished, which on PostgreSQL closes the test's
        # connection before the next request.
        content = b"".join(response.streaming_content) if response.status_code == 200 else None
        answers.append((response.status_code, content))

    assert answers == [
        (status, PDF if status == 200 else None),
        (panel_status, PDF if panel_status == 200 else None),
    ]


def test_panel_download_refuses_another_pcts_document(client, assessment, document):
    other = AssessmentFactory(round=assessment.round)
    client.force_login(seat_holder_of(other))

    response = client.get(
        f"/panels/{other.round.slug}/{other.pct.ods_code}/evidence/{document.pk}/"
    )

    assert response.status_code == 404


def test_download_name_spells_letters_plainly(client, board, document):
    document.title = "Łódź: Œuvre of Søren"
    document.save()
    client.force_login(board)

    response = client.get(f"/assessments/evidence/{document.pk}/")
    b"".join(response.streaming_content)
    response.close()

    assert response["Content-Disposition"] == (
        'attachment; filename="5PG-lodz-oeuvre-of-soren.pdf"'
    )


def test_download_is_an_attachment_with_a_safe_name_and_nosniff(client, board, document):
    client.force_login(board)

    response = client.get(f"/assessments/evidence/{document.pk}/")

    content = b"".join(response.streaming_content)
    response.close()

    assert content == PDF
    assert response["Content-Disposition"] == (
        'attachment; filename="5PG-five-year-plan-200914.pdf"'
    )
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_download_of_a_missing_file_is_404(client, board, document, media):
    (media / document.file.name).unlink()
    client.force_login(board)

    assert client.get(f"/assessments/evidence/{document.pk}/").status_code == 404


def test_download_needs_a_login(client, document):
    response = client.get(f"/assessments/evidence/{document.pk}/")

    assert (response.status_code, response["Location"]) == (
        302,
        f"/accounts/login/?next=/assessments/evidence/{document.pk}/",
    )


# --- Deleting -------------------------------------------------------------------------------


def _delete_url(document) -> str:
    a = document.assessment
    return f"/assessments/{a.round.slug}/{a.pct.ods_code}/evidence/{document.pk}/delete/"


def test_board_deletes_a_document_before_submission(
    client, board, document, media, django_capture_on_commit_callbacks
):
    stored = media / document.file.name
    client.force_login(board)

    check = client.post(_delete_url(document))
    assert check.context["button"] == "Confirm and remove Five-year plan: 2009/14"
    assert EvidenceDocument.objects.count() == 1  # asking removes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_delete_url(document), {"confirm": "1"}, follow=True)

    assert messages_of(response) == ["Removed Five-year plan: 2009/14."]
    assert EvidenceDocument.objects.count() == 0
    assert not stored.exists()


def test_the_remove_check_page_gives_the_uk_date_of_upload(client, board, document):
    """The review: uploaded at 00:30 BST on 2 June (23:30 UTC on 1 June), it said 1 June."""
    EvidenceDocument.objects.filter(pk=document.pk).update(
        uploaded_at=datetime.datetime(2009, 6, 1, 23, 30, tzinfo=datetime.UTC)
    )
    client.force_login(board)

    check = client.post(_delete_url(document))

    assert "uploaded 2 June 2009)" in " ".join(check.context["happens"])


def test_delete_refused_after_submission(client, assessment, board, document, media):
    submit(assessment, board)
    client.force_login(board)

    response = client.post(_delete_url(document), {"confirm": "1"}, follow=True)

    assert messages_of(response) == [
        "The self-assessment is closed: this assessment is at Panel formation."
    ]
    assert list(EvidenceDocument.objects.all()) == [document]
    assert (media / document.file.name).read_bytes() == PDF


@pytest.mark.parametrize("who", ["other board", "staff of the SHA", "outsider"])
def test_only_the_board_deletes_everyone_else_404(client, assessment, document, who):
    user = {
        "other board": lambda: RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory()).user,
        "staff of the SHA": lambda: (
            RoleFactory(kind=Role.Kind.SHA_STAFF, sha=assessment.pct.sha).user
        ),
        "outsider": UserFactory,
    }[who]()
    client.force_login(user)

    response = client.post(_delete_url(document), {"confirm": "1"})

    assert response.status_code == 404
    assert list(EvidenceDocument.objects.all()) == [document]


def test_delete_by_get_is_not_allowed(client, board, document):
    client.force_login(board)

    response = client.get(_delete_url(document))

    assert response.status_code == 405
    assert list(EvidenceDocument.objects.all()) == [document]


# --- The content is what the name says (issue 12) -------------------------------------------


def office_bytes(parts: dict[str, bytes], *, stored_first: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            kind = zipfile.ZIP_STORED if name == stored_first else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=kind)
    return buffer.getvalue()


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["year", "spend"])
    workbook.active.append([2009, 1.5])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def zip_bomb(suffix: str) -> bytes:
    """A valid Office zip whose one extra part unpacks to 101 MiB of zeros (about 100 KB
    packed)."""
    folder = {".docx": "word/", ".xlsx": "xl/"}[suffix]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open(f"{folder}media/bomb.bin", "w", force_zip64=True) as stream:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(101):
                stream.write(chunk)
    return buffer.getvalue()


ODT = office_bytes(
    {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office/>"},
    stored_first="mimetype",
)
WINDOWS_1252_CSV = "organisation,note\nSt Helen\u2019s PCT,café £5 \u2013 ok\n".encode("cp1252")
LATIN_1_TEXT = "Réunion du conseil: £2 m, naïve".encode("latin-1")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("budget.xlsx", xlsx_bytes()),
        ("od-plan.docx", docx_bytes()),
        ("slides.pptx", office_bytes({"[Content_Types].xml": b"<Types/>", "ppt/p.xml": b"<p/>"})),
        ("minutes.odt", ODT),
        ("budget.csv", WINDOWS_1252_CSV),
        ("notes.txt", LATIN_1_TEXT),
        ("notes.txt", "\ufeffUTF-8 with a byte-order mark: ✓".encode()),
    ],
)
def test_real_files_of_each_type_are_accepted(assessment, board, name, content):
    document = evidence_upload(
        assessment=assessment,
        doc_type="other",
        title="",
        file=SimpleUploadedFile(name, content),
        by=board,
    )

    with document.file.open("rb") as stored:
        assert (stored.read(), EvidenceDocument.objects.count()) == (content, 1)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "plan.pdf",
            b"%PDF-1.4\n<html><script>alert(1)</script></html>",
            "plan.pdf: the file starts like a PDF but is not a readable PDF document.",
        ),
        (
            "notes.txt",
            b"  <!DOCTYPE html><html><script>alert(1)</script></html>",
            "notes.txt: the content is a web page (HTML), not plain text; upload it as PDF.",
        ),
        (
            "budget.csv",
            b"\n<html><body>x</body></html>",
            "budget.csv: the content is a web page (HTML), not plain text; upload it as PDF.",
        ),
        (
            "budget.xlsx",
            zip_bomb(".xlsx"),
            "budget.xlsx: a part of the file unpacks to more than 200 times its packed size; "
            "it is refused as a possible zip bomb.",
        ),
        (
            "plan.docx",
            zip_bomb(".docx"),
            "plan.docx: a part of the file unpacks to more than 200 times its packed size; "
            "it is refused as a possible zip bomb.",
        ),
        (
            "plan.docx",
            xlsx_bytes(),
            "plan.docx: the content is not a Word document (DOCX): its word/ parts are missing.",
        ),
        (
            "minutes.odt",
            office_bytes({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}),
            "minutes.odt: the content is not an ODT text document (its mimetype is not "
            "application/vnd.oasis.opendocument.text).",
        ),
        (
            "budget.xlsx",
            b"PK\x03\x04 not really a zip",
            "budget.xlsx: the content is not an XLSX file.",
        ),
        (
            "notes.txt",
            b"\x81\x8d\x8f\x90\x9d undefined in Windows-1252 \xff\xfe",
            "notes.txt: the content is not plain text (neither UTF-8 nor Windows-1252); "
            "save it from your spreadsheet or editor as CSV UTF-8.",
        ),
    ],
)
def test_files_that_are_not_what_they_say_are_refused(assessment, board, name, content, message):
    with pytest.raises(ValidationError) as excinfo:
        evidence_upload(
            assessment=assessment,
            doc_type="other",
            title="",
            file=SimpleUploadedFile(name, content),
            by=board,
            max_bytes=50 * 1024 * 1024,
        )

    assert (excinfo.value.messages, EvidenceDocument.objects.count()) == ([message], 0)


def test_zip_bomb_with_a_modest_ratio_is_refused_by_total_size(assessment, board, monkeypatch):
    # Many parts, each within the ratio limit, together over the unpacked limit.
    from assessments import evidence_files

    monkeypatch.setattr(evidence_files, "OFFICE_MAX_UNPACKED", 3 * 1024 * 1024)
    parts = {"[Content_Types].xml": b"<Types/>"}
    parts |= {f"word/p{i}.xml": bytes(range(256)) * 4096 for i in range(4)}  # 1 MiB each

    with pytest.raises(ValidationError) as excinfo:
        evidence_upload(
            assessment=assessment,
            doc_type="other",
            title="",
            file=SimpleUploadedFile("plan.docx", office_bytes(parts)),
            by=board,
        )

    assert excinfo.value.messages == [
        "plan.docx: the file unpacks to more than 3 MB; it is refused as a possible zip bomb."
    ]


def test_a_stale_windows_remove_of_a_document_already_removed_says_so(client, board, document):
    """The board walk: the second window's Remove answered 404."""
    url = _delete_url(document)
    EvidenceDocument.objects.filter(pk=document.pk).delete()
    client.force_login(board)

    response = client.post(url, {"confirm": "1"}, follow=True)

    assert response.redirect_chain[-1][1] == 302
    assert messages_of(response) == [
        "That document is no longer in the self-assessment: it was removed, perhaps in "
        "another window. Nothing was changed."
    ]


def test_an_upload_whose_row_is_refused_after_the_store_is_refused_on_the_page_and_leaves_no_file(
    client, assessment, board, media, monkeypatch
):
    """The review: the transaction rolled back after the file went to storage left the file
    with no row; the board saw a server error."""

    def refuse(*args, **kwargs):
        raise IntegrityError("database is locked")

    monkeypatch.setattr(EvidenceDocument, "_do_insert", refuse)
    client.force_login(board)

    response = post_file(client, assessment, "plan.pdf", PDF, title="Five-year plan")

    assert upload_errors(response) == [
        (
            "#id_file",
            "File: plan.pdf was not uploaded: it could not be saved just now, so nothing was "
            "kept. Choose the file and upload it again.",
        )
    ]
    assert response.context["evidence_form"]["title"].value() == "Five-year plan"
    assert EvidenceDocument.objects.count() == 0
    assert [p for p in media.rglob("*") if p.is_file()] == []
