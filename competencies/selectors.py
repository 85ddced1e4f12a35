"""Reads of the framework: what a round scores, with the words that explain each choice."""

from django.db.models import Prefetch

from competencies.models import Competency, FrameworkVersion, GovernanceArea, LevelDescriptor


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


def item_label(item) -> str:
    """How pages and messages name an item: "5. Managing knowledge…" or "Strategy"."""
    return str(item) if isinstance(item, Competency) else item.name
