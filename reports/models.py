"""Generated feedback reports: the stored PDF files and the batches that make them.

The reports app mostly reads other apps' data. What it owns is the output: a
``StoredReport`` per PCT, round and kind (draft or final) points at a PDF under
``MEDIA_ROOT`` together with the fingerprint of what it was rendered from, so an unchanged
report is served again rather than rendered again (``reports.storage``). The files are
never served as media, only through the access-checked report URL.
"""

from django.db import models
from django.utils import timezone

from assessments.models import Assessment


class StoredReport(models.Model):
    """The latest rendered PDF of one assessment's report, draft or final."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="stored_reports"
    )
    draft = models.BooleanField(help_text="Rendered before the round's publication time.")
    path = models.CharField(max_length=255, help_text="Relative to MEDIA_ROOT.")
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
