"""Generated feedback reports: the stored PDF files and the batches that make them.

The reports app mostly reads other apps' data. What it owns is the output: a
``StoredReport`` per PCT, round and kind (draft or final) points at a PDF in the
``reports`` file storage (``MEDIA_ROOT`` or the S3 bucket) together with the fingerprint of what it was rendered from, so an unchanged
report is served again rather than rendered again (``reports.storage``). The files are
never served as media, only through the access-checked report URL. A ``ReportBatch``
records one background run over a round (``reports.tasks``) and its progress, and a
``ReportBatchItem`` each report of it, so that several workers share a batch; both change
only through the functions there.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound


class StoredReport(models.Model):
    """The latest rendered PDF of one assessment's report, draft or final."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="stored_reports"
    )
    draft = models.BooleanField(help_text="Rendered before the round's publication time.")
    path = models.CharField(
        max_length=255, help_text='Its name in the reports storage (STORAGES["reports"]).'
    )
    fingerprint = models.CharField(
        max_length=64,
        help_text="SHA-256 of the report's HTML, the PDF stylesheet and the draft flag.",
    )
    generated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "draft"], name="reports_storedreport_one_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return self.path


def duration_label(seconds: int | None) -> str:
    """``75`` -> "1 min 15 s", ``3700`` -> "1 h 1 min"; "" for None."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes} min"
    if minutes:
        return f"{minutes} min {secs} s"
    return f"{secs} s"


# One report takes well under a second; five minutes without one means the workers are gone.
STALLED_AFTER = timedelta(minutes=5)


class ReportBatch(models.Model):
    """One background run generating a round's reports, with its progress.

    At most one batch per round is queued or running at a time (a database constraint);
    ``reports.tasks.report_batch_start`` creates them and the task updates them.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    round = models.ForeignKey(
        AssessmentRound, on_delete=models.CASCADE, related_name="report_batches"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    task_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="The django-tasks result of batches made before items (now on each item).",
    )
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    rendered = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(
        default=timezone.now, help_text="Last sign of life: creation, start or a report done."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "report batches"
        constraints = [
            models.UniqueConstraint(
                fields=["round"],
                condition=Q(status__in=["queued", "running"]),
                name="reports_reportbatch_one_active_per_round",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")), name="reports_reportbatch_done_le_total"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.round.slug} reports ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    def is_stalled(self, now=None) -> bool:
        """Running, but no report finished for ``STALLED_AFTER``: its workers were stopped
        (a restart, a deployment) and nothing will finish it. A new batch may start."""
        now = now or timezone.now()
        return self.status == self.Status.RUNNING and self.updated_at < now - STALLED_AFTER

    @property
    def status_label(self) -> str:
        """The status as the pages write it: a stalled batch reads as stopped, not running."""
        if self.is_stalled():
            return "Stopped (no report finished for 5 minutes)"
        return self.get_status_display()

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return 100 * self.done // self.total if self.total else 0

    def elapsed_seconds(self, now=None) -> int | None:
        """Seconds since a worker picked the batch up (to its end once finished)."""
        if self.started_at is None:
            return None
        end = self.finished_at or now or timezone.now()
        return max(0, int((end - self.started_at).total_seconds()))

    def remaining_seconds(self, now=None) -> int | None:
        """An estimate of the time left while running: the time per report so far times
        the reports left. None until a report is done (nothing to estimate from)."""
        elapsed = self.elapsed_seconds(now)
        if self.status != self.Status.RUNNING or elapsed is None or not self.done:
            return None
        if self.is_stalled(now):
            return None
        return round(elapsed / self.done * (self.total - self.done))

    @property
    def summary(self) -> str:
        """What the batch page says of it: who is doing what."""
        if self.status == self.Status.QUEUED:
            return "Queued: waiting for a background worker (manage.py db_worker) to pick it up"
        if self.status == self.Status.RUNNING:
            return f"Running: {self.done} of {self.total} reports done"
        return f"{self.get_status_display()}: {self.done} of {self.total} reports"


class ReportBatchItem(models.Model):
    """One report of a batch: its own task, so that any worker may make it, exactly once.

    A worker claims the row (queued to running) with a conditional UPDATE before it
    renders; a second delivery of the same task finds it claimed and does nothing.
    Created and changed by ``reports.tasks`` only.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    batch = models.ForeignKey(ReportBatch, on_delete=models.CASCADE, related_name="items")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rendered = models.BooleanField(
        null=True, help_text="Done: whether it was rendered (no: the stored file was current)."
    )
    error = models.TextField(blank=True)
    worker = models.CharField(
        max_length=100, blank=True, help_text="host:pid of the worker that claimed it."
    )
    task_id = models.CharField(max_length=64, blank=True, help_text="The django-tasks result.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "assessment"], name="reports_reportbatchitem_one_per_report"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.assessment_id} ({self.get_status_display()})"
