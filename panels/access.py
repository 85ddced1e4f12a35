"""The panels' part of the access layer (``assessments.access``): the lookups of the
panel pages and the scoped selector of panels."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from assessments.models import EvidenceDocument
from assessments.selectors import user_scope
from panels.models import Panel
from panels.selectors import assessment_for_panel


def panel_assessment(*, round_slug: str, ods: str):
    """The assessment of a panel's pages, with its panel; None when there is none."""
    return assessment_for_panel(round_slug=round_slug, ods=ods)


def panel_document(*, round_slug: str, ods: str, pk: int) -> EvidenceDocument | None:
    """An evidence document of the assessment named in the URL (never another PCT's)."""
    return (
        EvidenceDocument.objects.select_related("assessment__round", "assessment__pct__sha")
        .filter(pk=pk, assessment__round__slug=round_slug, assessment__pct__ods_code=ods.upper())
        .first()
    )


def panels_visible_to(user) -> QuerySet[Panel]:
    """The panels whose page the user may open (``panels.view_panel``): every one for the
    national team, their region's for SHA staff, and those they sit on."""
    scope = user_scope(user)
    panels = Panel.objects.select_related("assessment__round", "assessment__pct__sha")
    if scope.is_national:
        return panels.all()
    if not user.is_authenticated:
        return panels.none()
    return panels.filter(
        Q(assessment__pct__sha_id__in=scope.sha_ids) | Q(seats__person__user=user)
    ).distinct()
