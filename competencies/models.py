"""The assessment framework: what is scored, and what each score means.

A framework version belongs to one or more assessment rounds; it knows nothing of who is
assessed. Each version lists the competencies it scores (year one scored 1-10, year two
1-11), a descriptor for each level 1-4 of each competency, and the governance areas rated
green/amber/red, with what each light means and optional sub-indicators.

The abstract ``ItemRating`` is the shape every rating shares (a PCT's self-assessment, a
panel member's score, an agreed rating): one *item* of a framework (a competency, a
governance area or a sub-indicator) with a level for a competency or a light otherwise.
"""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from competencies.vocabulary import (
    LEVEL_CHOICES,
    AreaCode,
    Light,
    competency_code,
    parse_level,
    parse_light,
)

# The rating vocabulary lives in ``competencies.vocabulary``; these names stay importable
# from here too, where the models that use them are.
from competencies.vocabulary import LEVELS as LEVELS
from competencies.vocabulary import LIGHT_POINTS as LIGHT_POINTS


class FrameworkVersion(models.Model):
    slug = models.SlugField(unique=True, help_text="For example 2008-09.")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    locked_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a round using this framework opened: never changed from then on.",
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class Competency(models.Model):
    framework = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="competencies"
    )
    number = models.PositiveSmallIntegerField(help_text="Position in the official order, from 1.")
    short_name = models.CharField(max_length=100)
    statement = models.TextField(help_text="The full competency statement.")

    class Meta:
        ordering = ["framework", "number"]
        verbose_name_plural = "competencies"
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "number"], name="competency_unique_number_in_framework"
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="competency_number_from_1"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.short_name}"

    @property
    def code(self) -> str:
        """Column name in files: ``c1`` … ``cN``."""
        return competency_code(self.number)


class LevelDescriptor(models.Model):
    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="levels")
    level = models.PositiveSmallIntegerField(choices=LEVEL_CHOICES)
    descriptor = models.TextField()

    class Meta:
        ordering = ["competency", "level"]
        constraints = [
            models.UniqueConstraint(
                fields=["competency", "level"], name="descriptor_unique_level_per_competency"
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=4), name="descriptor_level_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.competency} — level {self.level}"


class GovernanceArea(models.Model):
    Code = AreaCode

    framework = models.ForeignKey(
        FrameworkVersion, on_delete=models.CASCADE, related_name="governance_areas"
    )
    code = models.CharField(max_length=20, choices=Code.choices)
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    green_meaning = models.TextField()
    amber_meaning = models.TextField()
    red_meaning = models.TextField()

    class Meta:
        ordering = ["framework", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["framework", "code"], name="area_unique_code_in_framework"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def meaning(self, light: str) -> str:
        return {
            Light.GREEN: self.green_meaning,
            Light.AMBER: self.amber_meaning,
            Light.RED: self.red_meaning,
        }[Light(light)]


class SubIndicator(models.Model):
    """A red/amber/green factor inside a governance area (for example, five finance factors)."""

    area = models.ForeignKey(
        GovernanceArea, on_delete=models.CASCADE, related_name="sub_indicators"
    )
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["area", "number"]
        constraints = [
            models.UniqueConstraint(fields=["area", "number"], name="subindicator_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.area.name}: {self.name}"

    @property
    def code(self) -> str:
        """Its name in forms and files: the area's code and its number (``finance_3``)."""
        return f"{self.area.code}_{self.number}"

    def meaning(self, light: str) -> str:
        """What a light means for a sub-indicator (the framework words only the areas')."""
        return SUB_INDICATOR_MEANINGS[Light(light)]


SUB_INDICATOR_MEANINGS = {
    Light.GREEN: "No concerns",
    Light.AMBER: "Some concerns",
    Light.RED: "Serious concerns",
}


class ItemRating(models.Model):
    """One rated item: a competency with a level, or an area or sub-indicator with a light.

    Exactly one of ``competency``, ``area`` and ``sub_indicator`` is set; a competency takes
    a level (1-4) and no light, the others a light and no level. Subclasses add who rated
    and unique constraints per item. A blank value is allowed where a subclass holds drafts
    (``allow_blank_value``); the database still refuses a value of the wrong kind.
    """

    competency = models.ForeignKey(
        Competency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area = models.ForeignKey(
        GovernanceArea, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sub_indicator = models.ForeignKey(
        SubIndicator, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    level = models.PositiveSmallIntegerField(choices=LEVEL_CHOICES, null=True, blank=True)
    light = models.CharField(max_length=5, choices=Light.choices, blank=True)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(competency__isnull=False, area__isnull=True, sub_indicator__isnull=True)
                    | Q(competency__isnull=True, area__isnull=False, sub_indicator__isnull=True)
                    | Q(competency__isnull=True, area__isnull=True, sub_indicator__isnull=False)
                ),
                name="%(app_label)s_%(class)s_exactly_one_item",
            ),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(level__gte=1, level__lte=4),
                name="%(app_label)s_%(class)s_level_1_to_4",
            ),
            models.CheckConstraint(
                condition=Q(light__in=["", *Light.values]),
                name="%(app_label)s_%(class)s_light_known",
            ),
            models.CheckConstraint(
                condition=(
                    Q(competency__isnull=False, light="")
                    | Q(competency__isnull=True, level__isnull=True)
                ),
                name="%(app_label)s_%(class)s_value_fits_item",
            ),
        ]

    @property
    def item(self) -> "Competency | GovernanceArea | SubIndicator":
        return self.competency or self.area or self.sub_indicator

    @property
    def value(self) -> int | str | None:
        return self.level if self.competency_id else (self.light or None)


def item_unique_constraints(owner: str, prefix: str) -> list[models.UniqueConstraint]:
    """One rating per owner and item, for each of the three kinds of item."""
    return [
        models.UniqueConstraint(fields=[owner, field], name=f"{prefix}_unique_{field}")
        for field in ("competency", "area", "sub_indicator")
    ]


def item_value_required_constraint(prefix: str) -> models.CheckConstraint:
    """For final ratings: a competency has a level, any other item a light."""
    return models.CheckConstraint(
        condition=Q(competency__isnull=False, level__isnull=False) | ~Q(light=""),
        name=f"{prefix}_value_required",
    )


def item_field(item: "Competency | GovernanceArea | SubIndicator") -> str:
    """The ``ItemRating`` field that holds ``item``: competency, area or sub_indicator."""
    if isinstance(item, Competency):
        return "competency"
    if isinstance(item, GovernanceArea):
        return "area"
    if isinstance(item, SubIndicator):
        return "sub_indicator"
    raise ValidationError(
        {"item": f"{item!r} is not a competency, governance area or sub-indicator."}
    )


def item_key(
    item: "Competency | GovernanceArea | SubIndicator",
) -> tuple[int | None, int | None, int | None]:
    """``(competency id, area id, sub-indicator id)`` of an item, one of them set: how
    ratings of any item are looked up together (``rating_key`` is the rating's side)."""
    field = item_field(item)
    return (
        item.pk if field == "competency" else None,
        item.pk if field == "area" else None,
        item.pk if field == "sub_indicator" else None,
    )


def rating_key(rating: "ItemRating") -> tuple[int | None, int | None, int | None]:
    """The ``item_key`` of the item a rating (self, member's or agreed) is about."""
    return (rating.competency_id, rating.area_id, rating.sub_indicator_id)


def value_field(item: "Competency | GovernanceArea | SubIndicator") -> str:
    """The ``ItemRating`` field that holds ``item``'s value: level or light."""
    return "level" if isinstance(item, Competency) else "light"


def item_value(
    item: "Competency | GovernanceArea | SubIndicator", raw: object
) -> dict[str, int | str | None]:
    """``{"level": …, "light": …}`` for ``raw`` given for ``item``, parsed strictly (a level
    for a competency, a light otherwise); a ``ValidationError`` names what is allowed."""
    if value_field(item) == "level":
        return {"level": parse_level(raw), "light": ""}
    return {"level": None, "light": parse_light(raw).value}
