"""The framework's rating vocabulary: each fact about a rating value, defined once.

- A competency takes a *level* from 1 to 4 (``LEVELS``); a governance area or sub-indicator
  a *light* (``Light``), worth governance points in the league table (``LIGHT_POINTS``).
- The three governance areas have fixed codes (``AreaCode``), in the framework's order.
- "Red on all three": a PCT whose agreed light is red in every governance area
  (``RED_ON_ALL_THREE``, ``is_red_on_all_three``); reports' pandas code derives its column
  test from the same constant.

``parse_level`` and ``parse_light`` are the one way text from a form, a file or a service
argument becomes a value. They are strict: ASCII ``1``-``4`` for a level and the three light
words (any case) for a light, surrounding whitespace allowed; anything else (``"³"``,
``"1.0"``, ``"+1"``, ``""``, ``"5"``) is a ``ValidationError`` naming the value and what is
allowed. Every other module imports these names rather than spelling the facts again
(``competencies/tests/test_one_home.py`` checks).
"""

import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import models

LEVELS = (1, 2, 3, 4)
LEVEL_CHOICES = [(level, f"Level {level}") for level in LEVELS]


class Light(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"

    @property
    def points(self) -> int:
        """Governance points used by the league table: green 2, amber 1, red 0."""
        return LIGHT_POINTS[self.value]


LIGHT_POINTS = {Light.GREEN.value: 2, Light.AMBER.value: 1, Light.RED.value: 0}


class AreaCode(models.TextChoices):
    """The governance areas' codes (also their column names in files), in framework order."""

    STRATEGY = "strategy", "Strategy"
    FINANCE = "finance", "Financial management"
    BOARD = "board", "Board governance"


AREA_CODES: tuple[str, ...] = tuple(AreaCode.values)

# The lights of a PCT red on all three governance areas, by area code.
RED_ON_ALL_THREE: dict[str, str] = dict.fromkeys(AREA_CODES, Light.RED.value)


def is_red_on_all_three(lights: Mapping[str, str]) -> bool:
    """Whether ``lights`` (area code → light) is red in every governance area."""
    return {code: lights.get(code) for code in AREA_CODES} == RED_ON_ALL_THREE


_LEVEL_WORDS = {str(level): level for level in LEVELS}
_LIGHT_WORDS = {light.value: light for light in Light}


def _word(raw: object) -> str | None:
    """``raw`` without surrounding whitespace if it is ASCII text, else None."""
    if not isinstance(raw, str):
        return None
    word = raw.strip()
    return word if word.isascii() else None


def parse_level(raw: object) -> int:
    """A level from ``"1"``…``"4"`` (or the int itself); ``ValidationError`` otherwise."""
    if isinstance(raw, int) and not isinstance(raw, bool) and raw in LEVELS:
        return raw
    level = _LEVEL_WORDS.get(_word(raw))
    if level is None:
        raise ValidationError(
            "%(value)s is not a level: a competency takes a level from 1 to 4.",
            code="invalid_level",
            params={"value": repr(raw)},
        )
    return level


def parse_light(raw: object) -> Light:
    """A light from green, amber or red in any case; ``ValidationError`` otherwise."""
    word = _word(raw)
    light = _LIGHT_WORDS.get(word.lower()) if word is not None else None
    if light is None:
        raise ValidationError(
            "%(value)s is not a light: use green, amber or red",
            code="invalid_light",
            params={"value": repr(raw)},
        )
    return light


def competency_code(number: int) -> str:
    """A competency's code in files and tables: ``c1`` … ``cN``."""
    return f"c{number}"


def is_competency_code(column: str) -> bool:
    """Whether ``column`` is a competency's code in files (``c1`` … ``cN``, ASCII digits)."""
    return re.fullmatch(r"c[0-9]+", column) is not None
