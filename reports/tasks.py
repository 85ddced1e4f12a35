"""Generating a round's reports in the background (django-tasks), shared by workers.

``report_batch_start`` records a ``ReportBatch`` with one ``ReportBatchItem`` per report
and, once that is committed, enqueues ``report_batch_generate``, which a worker runs to
enqueue one ``report_batch_item_generate`` task per item (so the request that starts a
batch of 10,000 reports writes its items and one task, not 10,000). Any number of workers (``manage.py db_worker`` on any machine, see docs/deployment.md)
take items from the queue. Each task claims its item with a conditional UPDATE (queued to
running; the one that changes the row wins), so a report is made once even if its task
is delivered twice. Each finished item adds to the batch's counters with F() expressions
(no lost update between workers), and the item that brings ``done`` to ``total`` marks
the batch done; a failed item marks it failed, and the items not yet claimed are then left
alone. Unchanged reports are not rendered again (``reports.storage``). A batch queued by
an earlier release, without items, is given them by ``report_batch_generate``.

One batch per round at a time: the database refuses a second queued or running batch. A
running batch that has shown no progress for ``STALLED_AFTER`` (its workers were killed,
say) no longer blocks a new one: the batch page says so and offers to start again.
"""

import logging
import os
import socket

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from assessments.models import Assessment, AssessmentRound
from reports.models import STALLED_AFTER, ReportBatch, ReportBatchItem
from reports.storage import reportable_assessments

logger = logging.getLogger(__name__)


def _mark_stalled(*, round_: AssessmentRound) -> None:
    ReportBatch.objects.filter(
        round=round_,
        status=ReportBatch.Status.RUNNING,
        updated_at__lt=timezone.now() - STALLED_AFTER,
    ).update(
        status=ReportBatch.Status.FAILED,
        error="Stopped without finishing: no report done for "
        f"{STALLED_AFTER.seconds // 60} minutes (were its workers stopped?).",
        finished_at=timezone.now(),
    )


def _already_running(round_: AssessmentRound) -> ValidationError:
    return ValidationError(
        f"The reports of {round_.slug} are already being generated: wait for that batch to finish."
    )


@transaction.atomic
def report_batch_start(*, round_: AssessmentRound, by: AbstractBaseUser) -> ReportBatch:
    """Queue the generation of every report of ``round_``; refused while one is pending.

    The batch and all its items are written in one transaction and the tasks enqueued
    only after it commits, so a worker never picks up an item that is not there yet.
    """
    _mark_stalled(round_=round_)
    if ReportBatch.objects.filter(round=round_, status__in=ReportBatch.ACTIVE).exists():
        raise _already_running(round_)
    batch = ReportBatch(round=round_, requested_by=by)
    batch.full_clean()
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError as exc:  # another request started one at the same moment
        raise _already_running(round_) from exc
    _queue_items(batch)
    batch.refresh_from_db()
    return batch


def _queue_items(batch: ReportBatch, *, enqueue: bool = True) -> None:
    """Give a new batch one item per report and, once committed, queue the task that
    queues them (``enqueue``); a round without reports is done at once (no worker
    needed)."""
    assessment_ids = list(
        reportable_assessments(round_=batch.round)
        .order_by("pct__name")
        .values_list("pk", flat=True)
    )
    items = ReportBatchItem.objects.bulk_create(
        ReportBatchItem(batch=batch, assessment_id=pk) for pk in assessment_ids
    )
    if not items:
        now = timezone.now()
        ReportBatch.objects.filter(pk=batch.pk).update(
            status=ReportBatch.Status.DONE, started_at=now, finished_at=now, updated_at=now
        )
        return
    ReportBatch.objects.filter(pk=batch.pk).update(total=len(items))
    if enqueue:
        transaction.on_commit(lambda: _enqueue_batch(batch.pk))


def _enqueue_batch(batch_id: int) -> None:
    """Queue the task that queues the items: one task from the request, so that starting
    a batch of 10,000 reports does not write 20,000 rows before the page answers."""
    try:
        report_batch_generate.enqueue(batch_id=batch_id)
    except Exception as exc:
        _fail(batch_id=batch_id, error=f"Could not be queued: {exc}")
        raise


def _enqueue_items(batch_id: int) -> None:
    """One task per item not queued yet (a second delivery of the batch's task queues
    nothing twice)."""
    waiting = ReportBatchItem.objects.filter(
        batch_id=batch_id, task_id="", status=ReportBatchItem.Status.QUEUED
    ).values_list("pk", flat=True)
    for item_id in list(waiting):
        try:
            result = report_batch_item_generate.enqueue(item_id=item_id)
        except Exception as exc:
            _fail(batch_id=batch_id, error=f"Could not be queued: {exc}")
            raise
        # The immediate backend has run it by now; the row may already be done.
        ReportBatchItem.objects.filter(pk=item_id).update(task_id=str(result.id))


def _fail(*, batch_id: int, error: str) -> None:
    now = timezone.now()
    ReportBatch.objects.filter(pk=batch_id, status__in=ReportBatch.ACTIVE).update(
        status=ReportBatch.Status.FAILED, error=error, finished_at=now, updated_at=now
    )


def _claim(item_id: int) -> bool:
    """Mark the item running if it is still queued and its batch still active; True for
    the one caller whose UPDATE changed the row (on PostgreSQL a concurrent claimant
    waits for the row lock, then finds it no longer queued)."""
    active_batches = ReportBatch.objects.filter(status__in=ReportBatch.ACTIVE)
    return (
        ReportBatchItem.objects.filter(
            pk=item_id, status=ReportBatchItem.Status.QUEUED, batch__in=active_batches
        ).update(
            status=ReportBatchItem.Status.RUNNING,
            started_at=timezone.now(),
            worker=f"{socket.gethostname()}:{os.getpid()}"[:100],
        )
        == 1
    )


@task()
def report_batch_item_generate(item_id: int) -> dict[str, object]:
    """Store one report of a batch, unless another delivery of this task already has."""
    from reports.storage import stored_report_pdf

    if not _claim(item_id):
        return {"item": item_id, "claimed": False}
    item = ReportBatchItem.objects.get(pk=item_id)
    now = timezone.now()
    ReportBatch.objects.filter(pk=item.batch_id, status=ReportBatch.Status.QUEUED).update(
        status=ReportBatch.Status.RUNNING, started_at=now, updated_at=now
    )
    assessment = Assessment.objects.select_related(
        "round__framework", "round__previous", "pct__sha"
    ).get(pk=item.assessment_id)
    try:
        stored = stored_report_pdf(assessment=assessment)
    except Exception as exc:
        logger.exception("Report batch item %s failed", item_id)  # the traceback, for the log
        error = f"{assessment.pct.ods_code}: {type(exc).__name__}: {exc}"
        ReportBatchItem.objects.filter(pk=item_id).update(
            status=ReportBatchItem.Status.FAILED, error=error, finished_at=timezone.now()
        )
        _fail(batch_id=item.batch_id, error=error)
        raise
    counter = "rendered" if stored.rendered else "unchanged"
    now = timezone.now()
    with transaction.atomic():
        ReportBatchItem.objects.filter(pk=item_id).update(
            status=ReportBatchItem.Status.DONE, rendered=stored.rendered, finished_at=now
        )
        ReportBatch.objects.filter(pk=item.batch_id).update(
            done=F("done") + 1, **{counter: F(counter) + 1}, updated_at=now
        )
    # Whoever sees done reach total closes the batch; the status condition makes it once.
    ReportBatch.objects.filter(
        pk=item.batch_id, status=ReportBatch.Status.RUNNING, done=F("total")
    ).update(status=ReportBatch.Status.DONE, finished_at=now, updated_at=now)
    return {"item": item_id, "claimed": True, "rendered": stored.rendered}


@task()
def report_batch_generate(batch_id: int) -> dict[str, int]:
    """Queue one task per item of the batch, in a worker rather than in the request that
    started it. A batch queued before items existed (by the code of an earlier release)
    is given its items first."""
    with transaction.atomic():
        batch = ReportBatch.objects.select_related("round").get(pk=batch_id)
        if batch.status == ReportBatch.Status.QUEUED and not batch.items.exists():
            _queue_items(batch, enqueue=False)
    _enqueue_items(batch_id)
    batch.refresh_from_db()
    return {"total": batch.total, "items": batch.items.count()}
