"""The framework's models: lights, and the constraints the database enforces.

Rows are written with ``objects.create`` (no model validation) so that each test shows the
database itself refusing a bad row. ``ITEM_RATING_CASES`` is shared with the tests of the
concrete ``ItemRating`` models in assessments and panels.
"""

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from competencies.models import (
    Competency,
    GovernanceArea,
    LevelDescriptor,
    Light,
    SubIndicator,
)
from tests.factories import (
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    SubIndicatorFactory,
)


def refused(create, constraint: str | None = None) -> IntegrityError:
    """Run ``create`` and show the database refuses it (naming ``constraint`` for a check)."""
    with pytest.raises(IntegrityError) as exc, transaction.atomic():
        create()
    if constraint is not None:
        assert constraint in str(exc.value)
    return exc.value


# Overrides of a valid competency rating (level 2) that break one ItemRating constraint each:
# (constraint name suffix, overrides given a competency ``c`` and a governance area ``a``).
# ``panel_*`` keep AgreedRating's own panel constraint satisfied; other models drop them.
ITEM_RATING_CASES = [
    pytest.param(
        "exactly_one_item",
        lambda c, a: {
            "competency": None,
            "level": None,
            "light": "green",
            "panel_level": None,
            "panel_light": "green",
        },
        id="no-item",
    ),
    pytest.param("exactly_one_item", lambda c, a: {"area": a}, id="two-items"),
    pytest.param("level_1_to_4", lambda c, a: {"level": 0}, id="level-0"),
    pytest.param("level_1_to_4", lambda c, a: {"level": 5}, id="level-5"),
    pytest.param(
        "light_known",
        lambda c, a: {
            "competency": None,
            "area": a,
            "level": None,
            "light": "pink",
            "panel_level": None,
            "panel_light": "green",
        },
        id="light-pink",
    ),
    pytest.param("value_fits_item", lambda c, a: {"light": "green"}, id="competency-with-light"),
    pytest.param(
        "value_fits_item",
        lambda c, a: {
            "competency": None,
            "area": a,
            "level": 2,
            "light": "green",
            "panel_level": None,
            "panel_light": "green",
        },
        id="area-with-level",
    ),
]

# Every constraint of this app's models has a test below; a new one fails this list.
TESTED_CONSTRAINTS = {
    "competency_unique_number_in_framework",
    "competency_number_from_1",
    "descriptor_unique_level_per_competency",
    "descriptor_level_1_to_4",
    "area_unique_code_in_framework",
    "subindicator_unique_number",
}


def test_constraints_of_competencies_all_have_tests():
    names = {
        constraint.name
        for model in apps.get_app_config("competencies").get_models()
        for constraint in model._meta.constraints
    }

    assert names == TESTED_CONSTRAINTS


# --- Light ------------------------------------------------------------------------------


def test_light_points_are_green_2_amber_1_red_0():
    assert [(light, light.points) for light in Light] == [
        (Light.GREEN, 2),
        (Light.AMBER, 1),
        (Light.RED, 0),
    ]


# --- Competency ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_competency_code_is_c_and_its_number():
    assert CompetencyFactory(number=11, with_levels=False).code == "c11"


@pytest.mark.django_db
def test_competency_numbers_from_1_are_accepted():
    framework = FrameworkFactory()

    Competency.objects.create(framework=framework, number=1, short_name="A", statement="A.")

    assert list(framework.competencies.values_list("number", flat=True)) == [1]


@pytest.mark.django_db
def test_competency_number_0_is_refused():
    framework = FrameworkFactory()

    refused(
        lambda: Competency.objects.create(
            framework=framework, number=0, short_name="A", statement="A."
        ),
        "competency_number_from_1",
    )


@pytest.mark.django_db
def test_competency_number_twice_in_a_framework_is_refused_but_allowed_in_another():
    existing = CompetencyFactory(number=3, with_levels=False)
    other = FrameworkFactory()

    refused(
        lambda: Competency.objects.create(
            framework=existing.framework, number=3, short_name="B", statement="B."
        )
    )
    Competency.objects.create(framework=other, number=3, short_name="B", statement="B.")

    assert Competency.objects.filter(number=3).count() == 2


# --- LevelDescriptor ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("level", [1, 4])
def test_level_descriptor_levels_1_to_4_are_accepted(level):
    competency = CompetencyFactory(with_levels=False)

    LevelDescriptor.objects.create(competency=competency, level=level, descriptor="D.")

    assert list(competency.levels.values_list("level", flat=True)) == [level]


@pytest.mark.django_db
@pytest.mark.parametrize("level", [0, 5])
def test_level_descriptor_level_outside_1_to_4_is_refused(level):
    competency = CompetencyFactory(with_levels=False)

    refused(
        lambda: LevelDescriptor.objects.create(competency=competency, level=level, descriptor="D."),
        "descriptor_level_1_to_4",
    )


@pytest.mark.django_db
def test_level_descriptor_twice_for_a_level_is_refused():
    competency = CompetencyFactory()  # with its four levels

    refused(
        lambda: LevelDescriptor.objects.bulk_create(
            [LevelDescriptor(competency=competency, level=2, descriptor="Again.")]
        )
    )
    assert competency.levels.count() == 4


# --- GovernanceArea and SubIndicator -------------------------------------------------------


def _area(framework, code: str) -> GovernanceArea:
    return GovernanceArea.objects.create(
        framework=framework,
        code=code,
        position=1,
        name=code,
        green_meaning="G.",
        amber_meaning="A.",
        red_meaning="R.",
    )


@pytest.mark.django_db
def test_governance_area_code_twice_in_a_framework_is_refused():
    framework = FrameworkFactory()
    _area(framework, "finance")

    refused(lambda: _area(framework, "finance"))
    _area(framework, "board")
    _area(FrameworkFactory(), "finance")

    assert GovernanceArea.objects.filter(framework=framework).count() == 2


@pytest.mark.django_db
def test_governance_area_meaning_follows_the_light():
    area = GovernanceAreaFactory()

    assert [area.meaning(value) for value in ("green", "amber", Light.RED)] == [
        "No concerns.",
        "Some concerns.",
        "Serious concerns.",
    ]


@pytest.mark.django_db
def test_sub_indicator_number_twice_in_an_area_is_refused():
    existing = SubIndicatorFactory(number=1)

    refused(lambda: SubIndicator.objects.create(area=existing.area, number=1, name="Again"))
    SubIndicator.objects.create(area=existing.area, number=2, name="Second")

    assert list(existing.area.sub_indicators.values_list("number", flat=True)) == [1, 2]
