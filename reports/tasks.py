"""Generating a round's reports in the background (django-tasks).

``report_batch_start`` records a ``ReportBatch`` and, once that is committed, enqueues
``report_batch_generate``. A worker (``manage.py db_worker``, see the README) runs it:
it stores each report through ``reports.storage.stored_report_pdf`` one after the other
(unchanged reports are not rendered again) and records the progress on the batch as it
goes, so the batch page can show it. One batch per round at a time: the database refuses
a second queued or running batch. A running batch that has shown no progress for
``STALLED_AFTER`` (its worker was killed, say) no longer blocks a new one.
"""

import logging
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from assessments.models import AssessmentRound
from reports.models import ReportBatch

logger = logging.getLogger(__name__)

# One report takes well under a second; ten minutes without one means the worker is gone.
STALLED_AFTER = timedelta(minutes=10)


def _mark_stalled(*, round_: AssessmentRound) -> None:
    ReportBatch.objects.filter(
        round=round_,
        status=ReportBatch.Status.RUNNING,
        updated_at__lt=timezone.now() - STALLED_AFTER,
    ).update(
        status=ReportBatch.Status.FAILED,
        error="Stopped without finishing: no progress for ten minutes (was the worker stopped?).",
        finished_at=timezone.now(),
    )


@transaction.atomic
def report_batch_start(*, round_: AssessmentRound, by: AbstractBaseUser) -> ReportBatch:
    """Queue the generation of every report of ``round_``; refused while one is pending."""
    _mark_stalled(round_=round_)
    if ReportBatch.objects.filter(round=round_, status__in=ReportBatch.ACTIVE).exists():
        raise ValidationError(
            f"The reports of {round_.slug} are already being generated: "
            "wait for that batch to finish."
        )
    batch = ReportBatch(round=round_, requested_by=by)
    batch.full_clean()
    try:
        with transaction.atomic():
            batch.save()
    except IntegrityError as exc:  # another request started one at the same moment
        raise ValidationError(
            f"The reports of {round_.slug} are already being generated: "
            "wait for that batch to finish."
        ) from exc
    transaction.on_commit(lambda: _enqueue(batch.pk))
    return batch


def _enqueue(batch_id: int) -> None:
    try:
        result = report_batch_generate.enqueue(batch_id=batch_id)
    except Exception as exc:
        ReportBatch.objects.filter(pk=batch_id).update(
            status=ReportBatch.Status.FAILED,
            error=f"Could not be queued: {exc}",
            finished_at=timezone.now(),
        )
        raise
    # The immediate backend has run it by now; the row may already be done.
    ReportBatch.objects.filter(pk=batch_id).update(task_id=str(result.id))


@task()
def report_batch_generate(batch_id: int) -> dict[str, int]:
    """Store every report of the batch's round; returns the batch's counts."""
    from reports.storage import reportable_assessments, stored_report_pdf

    batch = ReportBatch.objects.select_related("round").get(pk=batch_id)
    if batch.status != ReportBatch.Status.QUEUED:
        return {"total": batch.total, "rendered": batch.rendered, "unchanged": batch.unchanged}
    assessments = list(reportable_assessments(round_=batch.round).order_by("pct__name"))
    now = timezone.now()
    ReportBatch.objects.filter(pk=batch_id).update(
        status=ReportBatch.Status.RUNNING, total=len(assessments), started_at=now, updated_at=now
    )
    try:
        for assessment in assessments:
            stored = stored_report_pdf(assessment=assessment)
            counter = "rendered" if stored.rendered else "unchanged"
            ReportBatch.objects.filter(pk=batch_id).update(
                done=F("done") + 1, **{counter: F(counter) + 1}, updated_at=timezone.now()
            )
    except Exception as exc:
        logger.exception("Report batch %s failed", batch_id)  # the traceback, for the log
        ReportBatch.objects.filter(pk=batch_id).update(
            status=ReportBatch.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise
    now = timezone.now()
    ReportBatch.objects.filter(pk=batch_id).update(
        status=ReportBatch.Status.DONE, finished_at=now, updated_at=now
    )
    batch.refresh_from_db()
    return {"total": batch.total, "rendered": batch.rendered, "unchanged": batch.unchanged}
