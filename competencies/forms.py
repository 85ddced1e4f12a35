"""Choices that carry the framework's words, for every form that asks for a level or light.

Each level is offered with its descriptor and each light with what it means for that area,
so the choice is made where the descriptors are read.
"""

from competencies.models import Competency, GovernanceArea, Light

LIGHTS = [Light.GREEN, Light.AMBER, Light.RED]


def level_choices(item: Competency, *, with_descriptors: bool = True) -> list[tuple[str, str]]:
    """Levels 1-4 of ``item`` (its ``levels`` should be prefetched)."""
    if not with_descriptors:
        return [(str(d.level), f"Level {d.level}") for d in item.levels.all()]
    return [(str(d.level), f"Level {d.level}: {d.descriptor}") for d in item.levels.all()]


def light_choices(area: GovernanceArea, *, with_meanings: bool = True) -> list[tuple[str, str]]:
    if not with_meanings:
        return [(light.value, light.label) for light in LIGHTS]
    return [(light.value, f"{light.label}: {area.meaning(light)}") for light in LIGHTS]


def value_choices(item) -> list[tuple[str, str]]:
    """Levels with descriptors for a competency, lights with meanings for an area."""
    return level_choices(item) if isinstance(item, Competency) else light_choices(item)
