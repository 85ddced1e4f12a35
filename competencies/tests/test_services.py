"""Copying a framework for a new round, and editing the copy until it is fixed."""

import pytest

from competencies.models import Competency, GovernanceArea, LevelDescriptor, SubIndicator
from competencies.services import (
    FrameworkLockedError,
    competency_update,
    framework_copy,
    framework_lock,
    governance_area_update,
)
from tests.factories import (
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    SubIndicatorFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    framework = FrameworkFactory(slug="2009-10", name="Framework 2009/10")
    for number in (1, 2):
        CompetencyFactory(framework=framework, number=number)
    finance = GovernanceAreaFactory(framework=framework, code="finance", position=2)
    SubIndicatorFactory(area=finance, number=1, name="Historical financial management")
    return framework


def _shape(framework):
    return (
        list(
            Competency.objects.filter(framework=framework).values_list(
                "number", "short_name", "statement"
            )
        ),
        list(
            LevelDescriptor.objects.filter(competency__framework=framework)
            .order_by("competency__number", "level")
            .values_list("competency__number", "level", "descriptor")
        ),
        list(
            GovernanceArea.objects.filter(framework=framework).values_list(
                "code", "position", "name", "green_meaning", "amber_meaning", "red_meaning"
            )
        ),
        list(
            SubIndicator.objects.filter(area__framework=framework).values_list(
                "area__code", "number", "name"
            )
        ),
    )


def test_framework_copy_is_deep(source):
    copy = framework_copy(source=source, slug="2010-11", name="Framework 2010-11")

    assert copy.pk != source.pk
    assert _shape(copy) == _shape(source)
    assert not Competency.objects.filter(framework=copy).filter(
        pk__in=Competency.objects.filter(framework=source)
    )


def test_framework_copy_edits_leave_the_source_unchanged(source):
    before = _shape(source)
    copy = framework_copy(source=source, slug="2010-11", name="Framework 2010-11")
    competency = Competency.objects.get(framework=copy, number=1)

    competency_update(
        competency=competency,
        short_name="Leading locally",
        statement="New statement.",
        levels={1: "One", 2: "Two", 3: "Three", 4: "Four"},
    )

    assert _shape(source) == before
    assert list(competency.levels.values_list("descriptor", flat=True)) == [
        "One",
        "Two",
        "Three",
        "Four",
    ]


def test_competency_update_refused_once_locked(source):
    framework_lock(framework=source)
    competency = Competency.objects.get(framework=source, number=1)

    with pytest.raises(FrameworkLockedError, match="can no longer be changed"):
        competency_update(
            competency=competency,
            short_name="Changed",
            statement="Changed.",
            levels={1: "a", 2: "b", 3: "c", 4: "d"},
        )

    assert Competency.objects.get(pk=competency.pk).short_name == "Competency 1"


def test_governance_area_update_changes_meanings_and_adds_a_sub_indicator(source):
    area = GovernanceArea.objects.get(framework=source, code="finance")
    existing = area.sub_indicators.get()

    changes = governance_area_update(
        area=area,
        values={
            "description": "",
            "green_meaning": "Sound.",
            "amber_meaning": "Some concerns.",
            "red_meaning": "Serious concerns.",
        },
        sub_indicators=[
            (existing, "Historical financial management", ""),
            (None, "Robust planning assumptions", "Plans rest on sound assumptions."),
        ],
    )

    assert [what for what, _old, _new in changes] == [
        "finance green_meaning",
        "finance sub-indicator 2",
    ]
    assert list(area.sub_indicators.values_list("number", "name")) == [
        (1, "Historical financial management"),
        (2, "Robust planning assumptions"),
    ]


def test_names_within_a_framework_are_each_ones_own(source):
    """The bad-input walk: competency 1 took competency 2's short name, and an area had
    three sub-indicators called "Evidence base"."""
    from django.core.exceptions import ValidationError

    first, second = Competency.objects.filter(framework=source).order_by("number")
    area = GovernanceArea.objects.get(framework=source, code="finance")
    existing = area.sub_indicators.get()
    meanings = {"green_meaning": "G.", "amber_meaning": "A.", "red_meaning": "R."}

    with pytest.raises(ValidationError) as competency:
        competency_update(
            competency=first,
            short_name=f" {second.short_name.upper()} ",
            statement=first.statement,
            levels={d.level: d.descriptor for d in first.levels.all()},
        )
    with pytest.raises(ValidationError) as sub:
        governance_area_update(
            area=area,
            values=meanings,
            sub_indicators=[
                (existing, "Evidence base", ""),
                (None, "evidence  BASE", ""),
            ],
        )

    assert competency.value.message_dict == {
        "short_name": [
            f"Competency 2 is already called {second.short_name}: give another short name."
        ]
    }
    assert sub.value.message_dict == {
        "new_name": ["evidence  BASE is already the name of sub-indicator 1: give another name."]
    }
    assert area.sub_indicators.count() == 1
    existing.refresh_from_db()
    assert existing.name == "Historical financial management"
