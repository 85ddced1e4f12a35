"""Reads of the framework: what a round scores, with the words that explain each choice."""

from django.db.models import Prefetch

from competencies.models import (
    Competency,
    FrameworkVersion,
    GovernanceArea,
    LevelDescriptor,
    SubIndicator,
)


def framework_items(framework: FrameworkVersion) -> list[Competency | GovernanceArea]:
    """The items scored under ``framework``: its competencies (with their level descriptors
    prefetched) in the official order, then its governance areas. Two queries."""
    competencies = list(
        Competency.objects.filter(framework=framework).prefetch_related(
            Prefetch("levels", queryset=LevelDescriptor.objects.order_by("level"))
        )
    )
    areas = list(GovernanceArea.objects.filter(framework=framework))
    return [*competencies, *areas]


def rated_items(
    framework: FrameworkVersion,
) -> list[Competency | GovernanceArea | SubIndicator]:
    """Everything rated under ``framework``: its competencies (descriptors prefetched), then
    each governance area preceded by its sub-indicators (their ``area`` loaded), so that a
    headline light is chosen with its sub-indicators' lights already set. Three queries.

    ``framework_items`` stays the list the league table ranks on (no sub-indicators)."""
    competencies, areas = [], []
    for item in framework_items(framework):
        (competencies if isinstance(item, Competency) else areas).append(item)
    subs: dict[int, list[SubIndicator]] = {a.pk: [] for a in areas}
    for sub in SubIndicator.objects.filter(area__framework=framework).order_by("number"):
        sub.area = next(a for a in areas if a.pk == sub.area_id)
        subs[sub.area_id].append(sub)
    return [*competencies, *(x for area in areas for x in (*subs[area.pk], area))]


def item_label(item) -> str:
    """How pages and messages name an item: "5. Managing knowledge…", "Strategy" or
    "Strategy: Evidence base"."""
    return str(item) if isinstance(item, Competency | SubIndicator) else item.name
