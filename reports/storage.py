"""Stored PDF reports: render once, serve again until the data change.

A report's fingerprint is the SHA-256 of its HTML (which holds every value it shows and
its chart), the PDF stylesheet and the draft flag. Building the HTML is cheap (a fixed
number of queries and a cached chart); laying it out as PDF is not, so the PDF is
rendered only when no stored file has the same fingerprint. Files are named
``reports/<round>/<ODS>[-draft].pdf`` in Django's ``reports`` storage (``STORAGES``:
under ``MEDIA_ROOT``, written atomically, or in the S3 bucket shared by every server), and
are served only by the access-checked view ``reports.views.pdf``, never as media.
"""

import hashlib
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound
from reports.models import StoredReport


@dataclass(frozen=True)
class StoredPdf:
    name: str  # in report_storage()
    draft: bool
    rendered: bool  # False: the stored file was already up to date


def report_storage() -> Storage:
    """Where the PDFs live: looked up on each use, so that a changed setting is seen."""
    return storages["reports"]


def reportable_assessments(*, round_: AssessmentRound) -> QuerySet[Assessment]:
    """The round's assessments that have a report: those with any agreed rating."""
    return (
        Assessment.objects.filter(round=round_, agreed_ratings__isnull=False)
        .distinct()
        .select_related("round__framework", "round__previous", "pct__sha")
    )


def report_fingerprint(*, html: str, stylesheet: str, draft: bool) -> str:
    digest = hashlib.sha256()
    for part in (html, "\0", stylesheet, "\0", "draft" if draft else "final"):
        digest.update(part.encode())
    return digest.hexdigest()


def stored_report_relative_path(*, assessment: Assessment, draft: bool) -> str:
    suffix = "-draft" if draft else ""
    return f"reports/{assessment.round.slug}/{assessment.pct.ods_code}{suffix}.pdf"


def _record(*, assessment: Assessment, draft: bool, path: str, fingerprint: str) -> None:
    values = {"path": path, "fingerprint": fingerprint, "generated_at": timezone.now()}
    try:
        with transaction.atomic():
            StoredReport.objects.update_or_create(
                assessment=assessment, draft=draft, defaults=values
            )
    except IntegrityError:  # another process created the row first: ours is as new
        StoredReport.objects.filter(assessment=assessment, draft=draft).update(**values)


def stored_report_pdf(*, assessment: Assessment) -> StoredPdf:
    """The report's PDF file, rendered and stored only if its data changed.

    ``assessment`` has ``round__framework``, ``round__previous`` and ``pct__sha`` loaded.
    """
    from reports.pct_report import pct_report  # pandas and WeasyPrint load on first use
    from reports.pdf import html_to_pdf, render_pct_html, stylesheet_text

    report = pct_report(assessment=assessment)
    draft = report.is_draft
    html = render_pct_html(report)
    fingerprint = report_fingerprint(html=html, stylesheet=stylesheet_text(), draft=draft)
    name = stored_report_relative_path(assessment=assessment, draft=draft)
    storage = report_storage()

    stored = StoredReport.objects.filter(assessment=assessment, draft=draft).first()
    if (
        stored is not None
        and stored.fingerprint == fingerprint
        and stored.path == name
        and storage.exists(name)
    ):
        return StoredPdf(name=name, draft=draft, rendered=False)

    saved = storage.save(name, ContentFile(html_to_pdf(html)))
    if saved != name:  # a storage that renames instead of overwriting is misconfigured
        raise RuntimeError(f"The reports storage saved {name} as {saved}: it must overwrite.")
    _record(assessment=assessment, draft=draft, path=name, fingerprint=fingerprint)
    return StoredPdf(name=name, draft=draft, rendered=True)
