"""The history of a PCT's evidence (``EvidenceChange``): each upload and removal writes its
row in the same transaction as the change, the self-assessment page lists the rows newest
first in one query, and no stored file outlives an upload whose transaction did not commit
(the COMMIT included)."""

import datetime
import html
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, OperationalError, connections
from django.test import Client

from assessments.evidence import HISTORY_KEPT_FROM, evidence_history
from assessments.exceptions import TransitionError
from assessments.models import EvidenceChange, EvidenceDocument, Role
from assessments.services import evidence_delete, evidence_upload, self_assessment_save
from tests.factories import EvidenceChangeFactory, RoleFactory, SHAFactory, UserFactory
from tests.factories.files import PDF

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

LDQ, RDQ = "\u201c", "\u201d"  # the quotes around a title on the page
MARCH_12 = datetime.datetime(2009, 3, 12, 14, 2, tzinfo=datetime.UTC)  # GMT: UK time too


def upload(assessment, by, *, name="strategy.pdf", content=PDF, title="Five-year strategic plan"):
    return evidence_upload(
        assessment=assessment,
        doc_type="strategic_plan",
        title=title,
        file=SimpleUploadedFile(name, content),
        by=by,
    )


def files_in(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def history_rows() -> list[tuple]:
    return list(
        EvidenceChange.objects.order_by("pk").values_list(
            "assessment", "action", "doc_type", "title", "stored_name", "size", "sha256", "by"
        )
    )


def page_url(assessment) -> str:
    return f"/assessments/{assessment.round.slug}/{assessment.pct.ods_code}/self-assessment/"


def history_shown(response) -> list[str]:
    """The lines of the page's "History of the evidence", as read."""
    items = re.findall(
        r'<li data-test="evidence-change"[^>]*>(.*?)</li>', response.content.decode(), re.S
    )
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


@pytest.fixture
def jane(board):
    board.first_name, board.last_name = "Jane", "Smith"
    board.save(update_fields=["first_name", "last_name"])
    return board


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


# --- The rows the services write -------------------------------------------------------------


def test_an_upload_writes_its_history_row_with_what_was_stored(assessment, board):
    document = upload(assessment, board)

    assert history_rows() == [
        (
            assessment.pk,
            "added",
            "strategic_plan",
            "Five-year strategic plan",
            document.file.name,
            len(PDF),
            document.sha256,
            board.pk,
        )
    ]
    assert EvidenceChange.objects.get().at == document.uploaded_at
    assert (document.file.name.rsplit("/", 1)[-1], len(document.sha256)) == ("strategy.pdf", 64)


def test_a_removal_writes_its_history_row_and_the_row_outlives_the_document(
    assessment, board, django_capture_on_commit_callbacks, media
):
    document = upload(assessment, board)
    stored_name, digest = document.file.name, document.sha256
    remover = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=assessment.pct).user

    with django_capture_on_commit_callbacks(execute=True):
        evidence_delete(document=document, by=remover)

    assert history_rows() == [
        (assessment.pk, "added", "strategic_plan", "Five-year strategic plan", stored_name,
         len(PDF), digest, board.pk),
        (assessment.pk, "removed", "strategic_plan", "Five-year strategic plan", stored_name,
         len(PDF), digest, remover.pk),
    ]  # fmt: skip
    assert (EvidenceDocument.objects.count(), files_in(media)) == (0, [])


def test_a_removal_of_a_document_whose_file_is_missing_records_the_size_as_unknown(
    assessment, board, media
):
    document = upload(assessment, board)
    (media / document.file.name).unlink()

    evidence_delete(document=document, by=board)

    assert (
        EvidenceChange.objects.filter(action="removed").values_list("size", flat=True).get() is None
    )


def test_a_refused_upload_writes_no_history(assessment, board, media):
    with pytest.raises(ValidationError):
        upload(assessment, board, name="plan.exe", content=b"MZ")

    assert (history_rows(), files_in(media)) == ([], [])


def test_a_refused_removal_writes_no_history(assessment, board, media):
    document = upload(assessment, board)
    submit(assessment, board)

    with pytest.raises(TransitionError):
        evidence_delete(document=EvidenceDocument.objects.get(), by=board)

    assert [row[1] for row in history_rows()] == ["added"]
    assert list(EvidenceDocument.objects.all()) == [document]


def test_an_upload_whose_history_row_is_refused_keeps_neither_document_nor_file(
    assessment, board, media, monkeypatch
):
    """The row and its history in one transaction: no document without its history."""

    def refuse(*args, **kwargs):
        raise IntegrityError("database is locked")

    monkeypatch.setattr(EvidenceChange, "_do_insert", refuse)

    with pytest.raises(ValidationError) as excinfo:
        upload(assessment, board)

    assert excinfo.value.messages == [
        "strategy.pdf was not uploaded: it could not be saved just now, so nothing was kept. "
        "Choose the file and upload it again."
    ]
    assert (EvidenceDocument.objects.count(), history_rows(), files_in(media)) == (0, [], [])


def test_a_removal_whose_history_row_fails_removes_nothing(assessment, board, media, monkeypatch):
    document = upload(assessment, board)

    def refuse(*args, **kwargs):
        raise IntegrityError("refused")

    monkeypatch.setattr(EvidenceChange, "_do_insert", refuse)

    with pytest.raises(IntegrityError):
        evidence_delete(document=document, by=board)

    assert list(EvidenceDocument.objects.all()) == [document]
    assert [p.name for p in files_in(media)] == ["strategy.pdf"]


def test_the_remove_check_page_says_the_removal_is_kept_in_the_history(client, assessment, board):
    document = upload(assessment, board)
    client.force_login(board)

    check = client.post(f"/assessments/{assessment.round.slug}/5PG/evidence/{document.pk}/delete/")

    assert check.context["happens"][-1] == (
        "The removal is kept in the evidence's history (your name, the time, the document "
        "and its file), which your panel, your SHA's staff and the national team see."
    )
    assert [row[1] for row in history_rows()] == ["added"]  # asking records nothing


# --- A failed COMMIT leaves no file ------------------------------------------------------------


def commit_fails(monkeypatch, times: int = 1) -> None:
    """The next ``times`` COMMITs fail as SQLite's do past the busy timeout (the rows are
    rolled back, as Django does when its commit fails)."""
    wrapper = type(connections["default"])
    real = wrapper.commit
    state = {"left": times}

    def commit(self):
        if state["left"]:
            state["left"] -= 1
            raise OperationalError("database is locked")
        return real(self)

    monkeypatch.setattr(wrapper, "commit", commit)


@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_commit_fails_deletes_the_file_it_stored(
    assessment, board, media, monkeypatch
):
    """The service's transaction is the outermost: its COMMIT fails after the file was
    stored and the rows written (the review: a stored file with no row)."""
    commit_fails(monkeypatch)

    with pytest.raises(OperationalError, match="database is locked"):
        upload(assessment, board)

    assert (EvidenceDocument.objects.count(), history_rows(), files_in(media)) == (0, [], [])


@pytest.mark.django_db(transaction=True)
def test_an_upload_whose_commit_succeeds_keeps_its_file(assessment, board, media):
    """The control of the test above: outside any transaction, the file stays."""
    document = upload(assessment, board)

    assert [p.relative_to(media).as_posix() for p in files_in(media)] == [document.file.name]
    assert [row[1] for row in history_rows()] == ["added"]


@pytest.mark.django_db(transaction=True)
def test_a_page_upload_whose_commit_fails_answers_503_and_leaves_no_file(
    assessment, board, media, monkeypatch
):
    """Through the page the view's transaction is the outermost (the draft and the upload
    in one): its failed COMMIT deletes the file too; the answer is the busy page as before,
    and the next try stores the file under its own name."""
    client = Client(raise_request_exception=False)
    client.force_login(board)
    post = {"doc_type": "other", "title": "Plan"}
    commit_fails(monkeypatch)

    refused = client.post(
        f"/assessments/{assessment.round.slug}/5PG/evidence/",
        post | {"file": SimpleUploadedFile("strategy.pdf", PDF)},
    )

    assert (refused.status_code, refused["Retry-After"]) == (503, "5")
    assert (EvidenceDocument.objects.count(), history_rows(), files_in(media)) == (0, [], [])

    again = client.post(
        f"/assessments/{assessment.round.slug}/5PG/evidence/",
        post | {"file": SimpleUploadedFile("strategy.pdf", PDF)},
    )

    assert again.status_code == 302
    document = EvidenceDocument.objects.get()
    assert [p.relative_to(media).as_posix() for p in files_in(media)] == [document.file.name]
    assert document.file.name.endswith("/strategy.pdf")
    assert [row[1] for row in history_rows()] == ["added"]


# --- The page -----------------------------------------------------------------------------------


def test_board_page_lists_uploads_and_removals_newest_first(client, assessment, jane):
    with time_machine.travel(MARCH_12, tick=False):
        kept = upload(assessment, jane, name="od.pdf", content=PDF + b"\n% od", title="OD plan")
    with time_machine.travel(MARCH_12 + datetime.timedelta(minutes=1), tick=False):
        gone = upload(assessment, jane)
    with time_machine.travel(MARCH_12 + datetime.timedelta(minutes=3), tick=False):
        evidence_delete(document=gone, by=jane)
    client.force_login(jane)

    response = client.get(page_url(assessment))

    assert history_shown(response) == [
        f"12 March 2009, 14:05: Jane Smith removed {LDQ}Five-year strategic plan{RDQ} (strategy.pdf)",
        f"12 March 2009, 14:03: Jane Smith uploaded {LDQ}Five-year strategic plan{RDQ} (strategy.pdf)",
        f"12 March 2009, 14:02: Jane Smith uploaded {LDQ}OD plan{RDQ} (od.pdf)",
    ]
    assert [d.title for d in response.context["detail"].evidence] == [kept.title]
    page = response.content.decode()
    assert (
        f"Uploads and removals are recorded from {HISTORY_KEPT_FROM:%-d %B %Y}, when this "
        "record began to be kept; earlier ones were not recorded." in page
    )


def test_two_files_of_the_same_name_read_as_uploaded_not_as_stored(client, assessment, jane):
    """Walk AD: the second "fin.csv" read "fin_gIHjCOW.csv", the name the storage gave it
    to keep it apart from the first."""
    with time_machine.travel(MARCH_12, tick=False):
        upload(assessment, jane, name="fin.pdf", content=PDF + b"\n% one", title="Finance 1")
    with time_machine.travel(MARCH_12 + datetime.timedelta(minutes=1), tick=False):
        second = upload(
            assessment, jane, name="fin.pdf", content=PDF + b"\n% two", title="Finance 2"
        )
    with time_machine.travel(MARCH_12 + datetime.timedelta(minutes=2), tick=False):
        evidence_delete(document=second, by=jane)
    client.force_login(jane)

    shown = history_shown(client.get(page_url(assessment)))

    assert second.file.name.rsplit("/", 1)[-1] != "fin.pdf"  # the storage renamed it
    assert shown == [
        f"12 March 2009, 14:04: Jane Smith removed {LDQ}Finance 2{RDQ} (fin.pdf)",
        f"12 March 2009, 14:03: Jane Smith uploaded {LDQ}Finance 2{RDQ} (fin.pdf)",
        f"12 March 2009, 14:02: Jane Smith uploaded {LDQ}Finance 1{RDQ} (fin.pdf)",
    ]


def test_sha_staff_read_the_history_of_the_evidence(client, assessment, jane):
    with time_machine.travel(MARCH_12, tick=False):
        document = upload(assessment, jane)
        evidence_delete(document=document, by=jane)
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=assessment.pct.sha).user)

    response = client.get(page_url(assessment))

    assert history_shown(response) == [
        f"12 March 2009, 14:02: Jane Smith removed {LDQ}Five-year strategic plan{RDQ} (strategy.pdf)",
        f"12 March 2009, 14:02: Jane Smith uploaded {LDQ}Five-year strategic plan{RDQ} (strategy.pdf)",
    ]


def test_other_sha_staff_and_outsiders_get_404_not_the_history(client, assessment, jane):
    upload(assessment, jane)
    other = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=SHAFactory()).user  # another SHA's

    for user in (other, UserFactory()):
        client.force_login(user)
        response = client.get(page_url(assessment))
        assert (response.status_code, "History of the evidence" in response.content.decode()) == (
            404,
            False,
        )


def test_page_with_no_history_says_so(client, assessment, board):
    client.force_login(board)

    response = client.get(page_url(assessment))

    assert history_shown(response) == []
    assert "No document has been uploaded or removed since this record was kept." in (
        response.content.decode()
    )


def test_evidence_history_is_of_this_assessment_only(assessment, board):
    mine = upload(assessment, board)
    EvidenceChangeFactory()  # another PCT's

    assert [c.stored_name for c in evidence_history(assessment=assessment)] == [mine.file.name]


@pytest.mark.parametrize("changes", [1, 3])
def test_history_is_one_query_whatever_its_length(
    client, assessment, django_assert_num_queries, changes
):
    for _ in range(changes):  # each by another person: who made it comes in the same query
        EvidenceChangeFactory(assessment=assessment, by=UserFactory())

    with django_assert_num_queries(1):
        shown = [(c.title, c.by.get_username()) for c in evidence_history(assessment=assessment)]

    assert len(shown) == changes


@pytest.mark.parametrize("changes", [1, 3])
def test_staff_page_query_count_does_not_grow_with_the_history(
    client, assessment, django_assert_num_queries, changes
):
    for _ in range(changes):
        EvidenceChangeFactory(assessment=assessment, by=UserFactory())
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=assessment.pct.sha).user)

    with django_assert_num_queries(12):
        response = client.get(page_url(assessment))

    assert len(history_shown(response)) == changes
