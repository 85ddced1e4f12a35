"""The panels' part of the access layer (``assessments.access``): the lookups of the
panel pages and the scoped selector of panels."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from assessments.models import EvidenceDocument
from assessments.selectors import user_scope
from panels.models import Panel, Person
from panels.selectors import assessment_for_panel, people_with_organisation


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


def person_by_pk(*, pk: int) -> Person | None:
    """A person (with their organisation, its SHA, and their account), or None."""
    return people_with_organisation().filter(pk=pk).first()


def people_visible_to(user) -> QuerySet[Person]:
    """The people whose page the user may open (``panels.view_person``): everyone for the
    national team; for SHA staff, their region's people (of the SHA or its PCTs) and every
    person from an organisation outside the NHS (shared by all SHAs)."""
    scope = user_scope(user)
    people = people_with_organisation()
    if scope.is_national:
        return people.all()
    if not scope.is_sha_staff:
        return people.none()
    return people.filter(
        Q(sha_id__in=scope.sha_ids)
        | Q(pct__sha_id__in=scope.sha_ids)
        | Q(external_organisation__isnull=False)
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
