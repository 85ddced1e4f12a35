"""Reads of a PCT's evidence history: each document uploaded or removed, by whom and when.

The rows (``EvidenceChange``) are written by ``assessments.services.evidence_upload`` and
``evidence_delete``; the board's self-assessment page, the panel's scoring page and the
panel's history (``panels.selectors.assessment_history``) show them.
"""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from assessments.models import Assessment, EvidenceChange

# The day migration 0022 added the record: uploads and removals before it were not kept,
# and the pages say so.
HISTORY_KEPT_FROM = date(2026, 12, 8)


def evidence_history(*, assessment: Assessment) -> QuerySet[EvidenceChange]:
    """Every upload and removal of the assessment's evidence, newest first, with who made
    it: one query, whatever the number of rows."""
    return (
        EvidenceChange.objects.filter(assessment=assessment)
        .select_related("by")
        .order_by("-at", "-pk")
    )
