"""Sending e-mail through the task worker: queued on commit, one task per message, retried."""

import datetime
import logging

import pytest
import time_machine
from django.db import transaction
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from assessments.mail import MAX_ATTEMPTS, RETRY_DELAYS, mail_enqueue
from tests.mail import FlakyBackend

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def message(to: str) -> tuple[str, str, None, list[str]]:
    return ("Scoring is open", f"Dear {to},", None, [to])


@pytest.fixture
def flaky(settings):
    settings.EMAIL_BACKEND = "tests.mail.FlakyBackend"
    FlakyBackend.failures = 0
    yield FlakyBackend
    FlakyBackend.failures = 0


# The worker closes the database connection between tasks (``close_old_connections``), as a
# long-running process should. Inside a test's transaction that would end the transaction
# on PostgreSQL (SQLite's in-memory database ignores it), so the tests that run the worker
# are transactional.
runs_the_worker = pytest.mark.django_db(transaction=True)


def run_worker() -> None:
    """What ``manage.py db_worker --batch`` does: run every task that is due, then stop
    (without the command's signal handlers and logging set-up, which would outlive it)."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


@runs_the_worker
def test_mail_is_queued_on_commit_and_sent_by_the_worker(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS

    with django_capture_on_commit_callbacks(execute=True):
        queued = mail_enqueue(messages=[message("a@example.org"), message("b@example.org")])

    assert (queued, mailoutbox) == (2, [])
    assert DBTaskResult.objects.filter(status=TaskResultStatus.READY).count() == 2
    run_worker()
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.org", "b@example.org"]
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {
        TaskResultStatus.SUCCESSFUL
    }


def test_mail_of_a_rolled_back_change_is_never_queued(settings, django_capture_on_commit_callbacks):
    settings.TASKS = DATABASE_TASKS

    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        mail_enqueue(messages=[message("a@example.org")])
        transaction.set_rollback(True)

    assert (callbacks, DBTaskResult.objects.count()) == ([], 0)


@runs_the_worker
def test_worker_retries_a_failed_send_later_and_it_arrives_once(
    settings, flaky, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    flaky.failures = 1
    with django_capture_on_commit_callbacks(execute=True):
        mail_enqueue(messages=[message("a@example.org")])

    run_worker()

    first, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert (first.status, retry.status) == (TaskResultStatus.FAILED, TaskResultStatus.READY)
    assert first.task_result.errors[0].exception_class_path == ("smtplib.SMTPServerDisconnected")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after - first.finished_at == pytest.approx(
        RETRY_DELAYS[0], abs=datetime.timedelta(seconds=5)
    )
    assert mailoutbox == []
    assert [r.getMessage() for r in caplog.records if r.name == "wcc.mail"] == [
        "The e-mail 'Scoring is open' to a@example.org failed (attempt 1 of 5), trying again "
        "in 0:01:00: SMTPServerDisconnected: Connection unexpectedly closed (test: flaky server)"
    ]

    run_worker()  # not due yet
    assert mailoutbox == []
    with time_machine.travel(retry.run_after + datetime.timedelta(seconds=1)):
        run_worker()

    retry.refresh_from_db()
    assert retry.status == TaskResultStatus.SUCCESSFUL
    assert [m.to for m in mailoutbox] == [["a@example.org"]]
    assert DBTaskResult.objects.count() == 2


def test_mail_send_gives_up_loudly_after_the_last_attempt(
    flaky, mailoutbox, caplog, django_capture_on_commit_callbacks
):
    flaky.failures = 100
    with django_capture_on_commit_callbacks(execute=True):
        mail_enqueue(messages=[message("a@example.org")])

    assert mailoutbox == []
    assert flaky.failures == 100 - MAX_ATTEMPTS
    errors = [r for r in caplog.records if r.name == "wcc.mail" and r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "Gave up on the e-mail 'Scoring is open' to a@example.org after 5 attempts: "
        "SMTPServerDisconnected: Connection unexpectedly closed (test: flaky server)"
    ]


def test_one_failing_message_does_not_hold_up_the_others(
    flaky, mailoutbox, django_capture_on_commit_callbacks
):
    flaky.failures = MAX_ATTEMPTS  # every attempt of the first message fails

    with django_capture_on_commit_callbacks(execute=True):
        mail_enqueue(messages=[message("a@example.org"), message("b@example.org")])

    assert [m.to for m in mailoutbox] == [["b@example.org"]]
