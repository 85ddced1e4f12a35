"""The rating vocabulary: the strict value parsers and "red on all three"."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import example, given
from hypothesis import strategies as st

from competencies.models import item_field, item_value, value_field
from competencies.vocabulary import (
    AREA_CODES,
    LEVELS,
    Light,
    is_competency_code,
    is_red_on_all_three,
    parse_level,
    parse_light,
)
from tests.factories import CompetencyFactory, GovernanceAreaFactory, SubIndicatorFactory

WHITESPACE = st.text(alphabet=" \t\r\n", max_size=3)


def _level_allowed(raw: str) -> bool:
    return raw.strip() in {"1", "2", "3", "4"} and raw.strip().isascii()


def _light_allowed(raw: str) -> bool:
    word = raw.strip()
    return word.isascii() and word.lower() in {"green", "amber", "red"}


@pytest.mark.parametrize(("raw", "level"), [("1", 1), ("4", 4), (" 3\n", 3), ("\t2 ", 2), (2, 2)])
def test_parse_level_accepts_ascii_1_to_4(raw, level):
    assert parse_level(raw) == level


@pytest.mark.parametrize(
    "raw",
    ["³", "٣", "\uff13", "1.0", "+1", "-1", "", " ", "5", "0", "01", "1 2", True, 3.0, None, 5],
)
def test_parse_level_refuses_anything_else_naming_value_and_choices(raw):
    with pytest.raises(ValidationError) as exc:
        parse_level(raw)

    assert exc.value.messages == [
        f"{raw!r} is not a level: a competency takes a level from 1 to 4."
    ]


@pytest.mark.parametrize(
    ("raw", "light"),
    [("green", Light.GREEN), ("AMBER", Light.AMBER), (" Red\n", Light.RED), ("gReEn", Light.GREEN)],
)
def test_parse_light_is_case_insensitive(raw, light):
    assert parse_light(raw) is light


@pytest.mark.parametrize("raw", ["purple", "", "g", "green-ish", "gre en", 2, None, "\u0261reen"])
def test_parse_light_refuses_other_values_naming_the_choices(raw):
    with pytest.raises(ValidationError) as exc:
        parse_light(raw)

    assert exc.value.messages == [f"{raw!r} is not a light: use green, amber or red"]


@given(
    st.one_of(
        st.text(max_size=6),
        st.builds(
            lambda before, word, after: before + word + after,
            WHITESPACE,
            st.sampled_from(["1", "2", "3", "4", "³", "٣", "1.0", "+1", "5"]),
            WHITESPACE,
        ),
    )
)
@example("³")
@example("٣")
def test_parse_level_accepts_exactly_the_ascii_levels(raw):
    if _level_allowed(raw):
        assert parse_level(raw) == int(raw.strip())
    else:
        with pytest.raises(ValidationError):
            parse_level(raw)


@given(
    st.one_of(
        st.text(max_size=7),
        st.builds(
            lambda before, word, after: before + word + after,
            WHITESPACE,
            st.sampled_from(["green", "AMBER", "Red", "gReen", "greenish", "gren", "\uff52ed"]),
            WHITESPACE,
        ),
    )
)
def test_parse_light_accepts_exactly_the_three_words(raw):
    if _light_allowed(raw):
        assert parse_light(raw) == raw.strip().lower()
    else:
        with pytest.raises(ValidationError):
            parse_light(raw)


def test_levels_are_1_to_4():
    assert LEVELS == (1, 2, 3, 4)


@pytest.mark.parametrize(
    ("lights", "expected"),
    [
        ({"strategy": "red", "finance": "red", "board": "red"}, True),
        ({"strategy": "red", "finance": "red", "board": "amber"}, False),
        ({"strategy": "red", "finance": "red"}, False),
        ({}, False),
    ],
)
def test_is_red_on_all_three(lights, expected):
    assert is_red_on_all_three(lights) is expected


def test_area_codes_are_in_framework_order():
    assert AREA_CODES == ("strategy", "finance", "board")


@pytest.mark.parametrize(
    ("column", "expected"),
    [("c1", True), ("c11", True), ("c", False), ("c³", False), ("x1", False)],
)
def test_is_competency_code(column, expected):
    assert is_competency_code(column) is expected


@pytest.mark.django_db
def test_item_field_value_field_and_item_value_for_each_kind_of_item():
    competency = CompetencyFactory()
    area = GovernanceAreaFactory(framework=competency.framework)
    sub_indicator = SubIndicatorFactory(area=area)

    assert [item_field(i) for i in (competency, area, sub_indicator)] == [
        "competency",
        "area",
        "sub_indicator",
    ]
    assert [value_field(i) for i in (competency, area, sub_indicator)] == [
        "level",
        "light",
        "light",
    ]
    assert item_value(competency, " 3 ") == {"level": 3, "light": ""}
    assert item_value(sub_indicator, "Amber") == {"level": None, "light": "amber"}
    with pytest.raises(ValidationError):
        item_value(area, "3")
