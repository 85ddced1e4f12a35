"""Background batches: the national team starts a round's reports and watches them; the
reports are made by one task per report, exactly once, whichever worker runs it."""

import datetime
import threading

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from assessments.models import Role, Stage
from reports.models import STALLED_AFTER, ReportBatch, ReportBatchItem, StoredReport
from reports.tasks import (
    report_batch_generate,
    report_batch_item_generate,
    report_batch_start,
)
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    GovernanceAreaFactory,
    PCTFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PAGE = "/reports/batches/2009-10/"
PROGRESS = "/reports/batches/2009-10/progress.json"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def round_(settings, tmp_path):
    """Round 2009-10 with two PCTs at moderation with agreed ratings, and one without."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE
    round_ = AssessmentRoundFactory(slug="2009-10")
    competency = CompetencyFactory(framework=round_.framework, number=1)
    areas = [
        GovernanceAreaFactory(framework=round_.framework, code=code, position=position)
        for position, code in enumerate(["strategy", "finance", "board"], 1)
    ]
    for ods, name in (("5PG", "Alpha"), ("5ND", "Beta")):
        assessment = AssessmentFactory(
            round=round_, pct=PCTFactory(ods_code=ods, name=name), stage=Stage.MODERATION
        )
        AgreedRatingFactory(assessment=assessment, competency=competency, level=2)
        for area in areas:
            AgreedRatingFactory(assessment=assessment, area=area, light="amber")
    AssessmentFactory(round=round_, pct=PCTFactory(name="Gamma"), stage=Stage.SCORING)
    return round_


@pytest.fixture
def national():
    return RoleFactory(kind=Role.Kind.NATIONAL, user=UserFactory(username="national")).user


def running_batch(round_, **fields) -> ReportBatch:
    return ReportBatch.objects.create(
        round=round_, status=ReportBatch.Status.RUNNING, total=2, **fields
    )


def test_batch_start_records_one_queued_item_per_report_and_enqueues_them_after_commit(
    round_, national, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        batch = report_batch_start(round_=round_, by=national)

    assert (batch.status, batch.total, batch.done) == (ReportBatch.Status.QUEUED, 2, 0)
    assert sorted(
        ReportBatchItem.objects.values_list("assessment__pct__ods_code", "status", "task_id")
    ) == [("5ND", "queued", ""), ("5PG", "queued", "")]
    assert StoredReport.objects.count() == 0  # nothing runs before the commit
    assert len(callbacks) == 1


def test_batch_items_store_every_report_and_the_last_one_finishes_the_batch(
    round_, national, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        batch = report_batch_start(round_=round_, by=national)

    batch.refresh_from_db()
    assert (batch.status, batch.total, batch.done, batch.rendered, batch.unchanged) == (
        ReportBatch.Status.DONE,
        2,
        2,
        2,
        0,
    )
    assert batch.error == ""
    assert batch.started_at <= batch.finished_at
    assert sorted(StoredReport.objects.values_list("path", flat=True)) == [
        "reports/2009-10/5ND-draft.pdf",
        "reports/2009-10/5PG-draft.pdf",
    ]
    items = list(ReportBatchItem.objects.all())
    assert [(i.status, i.rendered) for i in items] == [("done", True), ("done", True)]
    assert all(i.task_id and i.worker and i.finished_at for i in items)


def test_item_task_delivered_twice_makes_its_report_once(
    round_, national, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        batch = report_batch_start(round_=round_, by=national)
    first, second = ReportBatchItem.objects.order_by("pk")

    results = [
        report_batch_item_generate.enqueue(item_id=item.pk).return_value
        for item in (first, first, second, second)
    ]

    batch.refresh_from_db()
    assert results == [
        {"item": first.pk, "claimed": True, "rendered": True},
        {"item": first.pk, "claimed": False},
        {"item": second.pk, "claimed": True, "rendered": True},
        {"item": second.pk, "claimed": False},
    ]
    assert (batch.status, batch.done, batch.rendered, batch.unchanged) == (
        ReportBatch.Status.DONE,
        2,
        2,
        0,
    )
    assert StoredReport.objects.count() == 2


def test_item_of_a_batch_that_is_no_longer_active_is_not_made(
    round_, national, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        batch = report_batch_start(round_=round_, by=national)
    ReportBatch.objects.filter(pk=batch.pk).update(status=ReportBatch.Status.FAILED)
    item = ReportBatchItem.objects.first()

    result = report_batch_item_generate.enqueue(item_id=item.pk)

    item.refresh_from_db()
    assert result.return_value == {"item": item.pk, "claimed": False}
    assert (item.status, StoredReport.objects.count()) == (ReportBatchItem.Status.QUEUED, 0)


def test_batch_of_a_round_without_reports_is_done_at_once(national):
    empty = AssessmentRoundFactory(slug="2010-11")

    batch = report_batch_start(round_=empty, by=national)

    assert (batch.status, batch.total, batch.done, batch.percent) == ("done", 0, 0, 100)
    assert ReportBatchItem.objects.count() == 0


def test_second_batch_renders_nothing_when_nothing_changed(
    round_, national, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        report_batch_start(round_=round_, by=national)
    with django_capture_on_commit_callbacks(execute=True):
        second = report_batch_start(round_=round_, by=national)

    second.refresh_from_db()
    assert (second.status, second.done, second.rendered, second.unchanged) == (
        ReportBatch.Status.DONE,
        2,
        0,
        2,
    )
    assert list(second.items.values_list("rendered", flat=True)) == [False, False]


def test_batch_whose_item_fails_records_the_error_and_makes_no_more(
    round_, national, settings, tmp_path, django_capture_on_commit_callbacks
):
    (tmp_path / "not-a-folder").write_text("a file where the media folder should be")
    settings.MEDIA_ROOT = tmp_path / "not-a-folder"

    with django_capture_on_commit_callbacks(execute=True):
        batch = report_batch_start(round_=round_, by=national)

    batch.refresh_from_db()
    first, second = ReportBatchItem.objects.order_by("pk")
    assert (batch.status, batch.done, batch.total) == (ReportBatch.Status.FAILED, 0, 2)
    assert batch.error.startswith("5PG: NotADirectoryError: ")  # Alpha first
    assert batch.finished_at is not None
    assert (first.status, first.error) == (ReportBatchItem.Status.FAILED, batch.error)
    assert second.status == ReportBatchItem.Status.QUEUED  # not claimed: its batch had failed
    assert StoredReport.objects.count() == 0


def test_batch_page_shows_the_latest_batches_to_the_national_team(client, round_, national):
    ReportBatch.objects.create(
        round=round_,
        requested_by=national,
        status=ReportBatch.Status.DONE,
        total=2,
        done=2,
        rendered=1,
        unchanged=1,
    )
    client.force_login(national)

    response = client.get(PAGE)

    text = response.content.decode()
    assert response.templates[0].name == "reports/batches.html"
    assert "<h1>PDF reports: Round 2009-10</h1>" in text
    assert "Generate the reports of 2009-10</button>" in text
    assert [(b.done, b.rendered, b.unchanged) for b in response.context["batches"]] == [(2, 1, 1)]
    assert response.context["active"] is None
    assert '<td class="num" data-cell="done_total">2 / 2</td>' in text


@pytest.mark.parametrize(
    "kind",
    [
        Role.Kind.SHA_STAFF,  # staff of these PCTs' own region
        Role.Kind.PCT_BOARD,  # a board of this round
        None,  # an outsider with no role
    ],
)
@pytest.mark.parametrize(("method", "url"), [("get", PAGE), ("post", PAGE), ("get", PROGRESS)])
def test_batch_pages_are_404_to_everyone_but_the_national_team(
    client, round_, kind, method, url, django_capture_on_commit_callbacks
):
    user = UserFactory()
    pct = round_.assessments.get(pct__ods_code="5PG").pct
    if kind == Role.Kind.SHA_STAFF:
        RoleFactory(user=user, kind=kind, sha=pct.sha)
    elif kind == Role.Kind.PCT_BOARD:
        RoleFactory(user=user, kind=kind, pct=pct)
    client.force_login(user)

    with django_capture_on_commit_callbacks(execute=True):
        response = getattr(client, method)(url)

    assert response.status_code == 404
    assert ReportBatch.objects.count() == 0


def test_batch_page_is_404_for_an_unknown_round(client, national):
    client.force_login(national)

    assert client.get("/reports/batches/1999-00/").status_code == 404


def test_posting_starts_a_batch_that_the_worker_runs(
    client, round_, national, django_capture_on_commit_callbacks
):
    client.force_login(national)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PAGE, follow=True)

    batch = ReportBatch.objects.get()
    assert response.redirect_chain == [(PAGE, 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "The reports of 2009-10 are queued: a background worker generates them."
    ]
    assert (batch.requested_by, batch.status, batch.done, batch.rendered) == (
        national,
        ReportBatch.Status.DONE,
        2,
        2,
    )


def test_second_batch_is_refused_while_one_is_running(client, round_, national):
    running = running_batch(round_, done=1)
    client.force_login(national)

    response = client.post(PAGE, follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        "The reports of 2009-10 are already being generated: wait for that batch to finish."
    ]
    assert list(ReportBatch.objects.all()) == [running]
    assert response.context["active"] == running
    assert 'data-progress-url="/reports/batches/2009-10/progress.json"' in response.content.decode()
    assert "reports/batches.js" in response.content.decode()


def test_a_stalled_batch_no_longer_blocks_a_new_one(round_, national):
    stalled = running_batch(round_, updated_at=timezone.now() - datetime.timedelta(minutes=11))

    batch = report_batch_start(round_=round_, by=national)

    stalled.refresh_from_db()
    assert stalled.status == ReportBatch.Status.FAILED
    assert stalled.error.startswith("Stopped without finishing")
    assert batch.status == ReportBatch.Status.QUEUED


def test_the_page_says_a_stalled_batch_stopped_and_offers_to_start_again(client, round_, national):
    """A batch whose workers were stopped stays running in the database: after
    ``STALLED_AFTER`` without a report done, the page stops following it, says so and
    shows the button again (the progress answer tells the page's script to reload)."""
    quiet = timezone.now() - STALLED_AFTER - datetime.timedelta(seconds=1)
    running_batch(round_, done=1, updated_at=quiet)
    client.force_login(national)

    page = client.get(PAGE)
    progress = client.get(PROGRESS).json()["batch"]

    text = page.content.decode()
    assert page.context["active"] is None
    assert "stopped at 1 of 2 reports" in text
    assert "Start again: generate the reports of 2009-10" in text
    assert (progress["active"], progress["stalled"], progress["remaining"]) == (False, True, "")
    # its row in the table says so too (the reports walk saw "Running" there)
    assert '<td data-cell="status_label">Stopped (no report finished for 5 minutes)</td>' in text
    assert progress["status_label"] == "Stopped (no report finished for 5 minutes)"
    client.post(PAGE)
    assert ReportBatch.objects.filter(status=ReportBatch.Status.QUEUED).count() == 1


def test_a_quiet_batch_not_yet_stalled_is_still_followed(client, round_, national):
    running_batch(round_, done=1, updated_at=timezone.now() - datetime.timedelta(minutes=4))
    client.force_login(national)

    assert client.get(PAGE).context["active"] is not None
    assert client.get(PROGRESS).json()["batch"]["active"] is True


def test_progress_endpoint_answers_the_latest_batch(client, round_, national):
    ReportBatch.objects.create(round=round_, status=ReportBatch.Status.DONE, total=2, done=2)
    latest = running_batch(round_, done=1, rendered=1)
    client.force_login(national)

    response = client.get(PROGRESS)

    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "private, no-store"
    assert response.json() == {
        "batch": {
            "id": latest.pk,
            "status": "running",
            "status_label": "Running",
            "active": True,
            "stalled": False,
            "total": 2,
            "done": 1,
            "rendered": 1,
            "unchanged": 0,
            "percent": 50,
            "error": "",
            "summary": "Running: 1 of 2 reports done",
            "elapsed_seconds": None,
            "elapsed": "",
            "remaining_seconds": None,
            "remaining": "",
        }
    }


def test_progress_endpoint_gives_elapsed_time_and_an_estimate_of_the_time_left(
    client, round_, national
):
    started = timezone.now() - datetime.timedelta(seconds=90)
    running_batch(round_, done=1, rendered=1, started_at=started)
    client.force_login(national)

    with time_machine.travel(started + datetime.timedelta(seconds=90), tick=False):
        batch = client.get(PROGRESS).json()["batch"]

    assert (batch["summary"], batch["elapsed_seconds"], batch["elapsed"]) == (
        "Running: 1 of 2 reports done",
        90,
        "1 min 30 s",
    )
    assert (batch["remaining_seconds"], batch["remaining"]) == (90, "1 min 30 s")


def test_batch_page_says_how_far_a_running_batch_is_not_waiting_for_a_worker(
    client, round_, national
):
    batch = running_batch(
        round_, done=1, rendered=1, started_at=timezone.now() - datetime.timedelta(minutes=2)
    )
    client.force_login(national)

    page = client.get(PAGE).content.decode()

    assert (
        '<strong data-field="summary" data-test="summary">Running: 1 of 2 reports done</strong>'
        in page
    )
    assert "waiting for a background worker" not in page
    assert f'<tr data-batch="{batch.pk}">' in page
    assert '<td class="num" data-cell="done_total">1 / 2</td>' in page
    assert 'About <span data-field="remaining">2 min 0 s</span> left.' in page


def test_progress_endpoint_answers_null_before_any_batch(client, round_, national):
    client.force_login(national)

    assert client.get(PROGRESS).json() == {"batch": None}


@pytest.mark.parametrize("batches", [1, 3])
def test_batch_page_queries_do_not_grow_with_the_batches(
    client, round_, national, batches, django_assert_num_queries
):
    for n in range(batches):
        ReportBatch.objects.create(
            round=round_,
            requested_by=UserFactory(username=f"requester{n}"),
            status=ReportBatch.Status.DONE,
        )
    client.force_login(national)

    with django_assert_num_queries(5):
        response = client.get(PAGE)

    assert len(response.context["batches"]) == batches


def test_publication_page_links_to_the_batch_page(client, round_, national):
    client.force_login(national)

    response = client.get("/reports/publication/2009-10/")

    assert (
        '<a href="/reports/batches/2009-10/" data-test="batches-link">' in response.content.decode()
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_item_claimed_by_several_workers_at_once_goes_to_exactly_one(round_):
    from reports.tasks import _claim

    batch = ReportBatch.objects.create(round=round_, total=1)
    item = ReportBatchItem.objects.create(batch=batch, assessment=round_.assessments.first())
    start = threading.Barrier(4)
    claims: list[bool] = []

    def claim():
        try:
            start.wait()
            claims.append(_claim(item.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    item.refresh_from_db()
    assert sorted(claims) == [False, False, False, True]
    assert item.status == ReportBatchItem.Status.RUNNING


def test_batch_queued_before_items_existed_is_split_and_finished(
    round_, national, django_capture_on_commit_callbacks
):
    batch = ReportBatch.objects.create(round=round_, requested_by=national)  # as before

    with django_capture_on_commit_callbacks(execute=True):
        result = report_batch_generate.enqueue(batch_id=batch.pk)

    batch.refresh_from_db()
    assert result.return_value == {"total": 2, "items": 2}
    assert (batch.status, batch.done, batch.rendered) == (ReportBatch.Status.DONE, 2, 2)
    assert StoredReport.objects.count() == 2


def test_the_request_queues_one_task_and_a_second_delivery_queues_no_item_twice(
    round_, national, django_capture_on_commit_callbacks
):
    """Starting a batch queues the batch's task alone; the worker running it queues the
    items, and running it again queues none of them a second time."""
    with django_capture_on_commit_callbacks(execute=True):
        batch = report_batch_start(round_=round_, by=national)
    tasks = set(ReportBatchItem.objects.values_list("task_id", flat=True))

    result = report_batch_generate.enqueue(batch_id=batch.pk)  # delivered again

    assert result.return_value == {"total": 2, "items": 2}
    assert set(ReportBatchItem.objects.values_list("task_id", flat=True)) == tasks
    assert StoredReport.objects.count() == 2
