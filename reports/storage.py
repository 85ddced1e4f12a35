"""Stored PDF reports: render once, serve again until the data change.

A report's fingerprint is the SHA-256 of its HTML (which holds every value it shows and
its chart), the PDF stylesheet and the draft flag. Building the HTML is cheap (a fixed
number of queries and a cached chart); laying it out as PDF is not, so the PDF is
rendered only when no stored file has the same fingerprint. Files live under
``MEDIA_ROOT/reports/<round>/<ODS>[-draft].pdf``, are written atomically (a temporary file
in the same folder, then ``os.replace``), and are served only by the access-checked view
``reports.views.pdf``, never as media.
"""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound
from reports.models import StoredReport


@dataclass(frozen=True)
class StoredPdf:
    path: Path  # absolute
    draft: bool
    rendered: bool  # False: the stored file was already up to date


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


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
        os.chmod(temporary, 0o640)  # mkstemp makes 0600; the web server's group may read
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
    relative = stored_report_relative_path(assessment=assessment, draft=draft)
    path = Path(settings.MEDIA_ROOT) / relative

    stored = StoredReport.objects.filter(assessment=assessment, draft=draft).first()
    if (
        stored is not None
        and stored.fingerprint == fingerprint
        and stored.path == relative
        and path.is_file()
    ):
        return StoredPdf(path=path, draft=draft, rendered=False)

    _write_atomically(path, html_to_pdf(html))
    _record(assessment=assessment, draft=draft, path=relative, fingerprint=fingerprint)
    return StoredPdf(path=path, draft=draft, rendered=True)
