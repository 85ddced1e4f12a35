"""The panel models: the constraints the database enforces.

Rows are written with ``objects.create``/``bulk_create`` (no model validation) so that each
test shows the database itself refusing a bad row.
"""

import datetime

import pytest
from django.apps import apps
from django.db import IntegrityError, transaction

from competencies.tests.test_models import ITEM_RATING_CASES, refused
from panels.models import MemberScore, Person, ReminderSent, Seat, SeatType
from tests.factories import (
    CompetencyFactory,
    ExternalOrganisationFactory,
    GovernanceAreaFactory,
    PanelFactory,
    PCTFactory,
    PersonFactory,
    ReminderSentFactory,
    SeatFactory,
    SeatTypeFactory,
    SubIndicatorFactory,
)

pytestmark = [
    pytest.mark.django_db,
]

ITEMS = ("competency", "area", "sub_indicator")

# Every constraint of this app's models has a test below; a new one fails this list.
TESTED_CONSTRAINTS = {
    "person_exactly_one_affiliation",
    "seat_type_number_1_to_5",
    "seat_one_per_type",
    "seat_one_person_one_seat",
    "seat_submitted_needs_person",
    *(
        f"panels_memberscore_{suffix}"
        for suffix in ("exactly_one_item", "level_1_to_4", "light_known", "value_fits_item")
    ),
    *(f"member_score_unique_{item}" for item in ITEMS),
    "reminder_one_per_person_kind_day",
}


def test_constraints_of_panels_all_have_tests():
    names = {
        constraint.name
        for model in apps.get_app_config("panels").get_models()
        for constraint in model._meta.constraints
    }

    assert names == TESTED_CONSTRAINTS


# --- ReminderSent -------------------------------------------------------------------------


def test_reminder_sent_once_per_person_kind_and_day():
    first = ReminderSentFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        ReminderSentFactory(person=first.person, kind=first.kind, day=first.day)
    ReminderSentFactory(person=first.person, kind=first.kind, day=first.day.replace(day=29))

    assert ReminderSent.objects.count() == 2


# --- Person -------------------------------------------------------------------------------


@pytest.fixture
def affiliations():
    pct = PCTFactory()
    return {"sha": pct.sha, "pct": pct, "external_organisation": ExternalOrganisationFactory()}


@pytest.mark.parametrize("affiliation", ["sha", "pct", "external_organisation"])
def test_person_with_one_affiliation_is_accepted(affiliations, affiliation):
    person = Person.objects.create(
        full_name="Ann Example", job_role="other", **{affiliation: affiliations[affiliation]}
    )

    assert list(Person.objects.all()) == [person]
    assert person.organisation == affiliations[affiliation]


@pytest.mark.parametrize(
    "fields",
    [(), ("sha", "pct"), ("pct", "external_organisation"), ("sha", "pct", "external_organisation")],
    ids=lambda fields: "+".join(fields) or "none",
)
def test_person_without_exactly_one_affiliation_is_refused(affiliations, fields):
    refused(
        lambda: Person.objects.create(
            full_name="Ann Example",
            job_role="other",
            **{field: affiliations[field] for field in fields},
        ),
        "person_exactly_one_affiliation",
    )


# --- SeatType ------------------------------------------------------------------------------


def _seat_type(number: int) -> SeatType:
    return SeatType.objects.create(
        number=number,
        code=f"seat-{number}",
        name=f"Seat {number}",
        description="A seat.",
        eligible_roles=["chief_executive"],
        affiliation="other_pct",
    )


@pytest.mark.parametrize("number", [0, 6])
def test_seat_type_number_outside_1_to_5_is_refused(number):
    refused(lambda: _seat_type(number), "seat_type_number_1_to_5")


def test_seat_type_numbers_1_to_5_are_accepted():
    for number in range(1, 6):
        _seat_type(number)

    assert list(SeatType.objects.values_list("number", flat=True)) == [1, 2, 3, 4, 5]


# --- Seat ---------------------------------------------------------------------------------


def test_seat_one_per_seat_type_on_a_panel():
    seat = SeatFactory()

    refused(
        lambda: Seat.objects.create(
            panel=seat.panel, seat_type=seat.seat_type, person=PersonFactory()
        )
    )
    Seat.objects.create(panel=PanelFactory(), seat_type=seat.seat_type, person=PersonFactory())

    assert Seat.objects.count() == 2


def test_seat_one_person_one_seat_on_a_panel():
    seat = SeatFactory()

    refused(
        lambda: Seat.objects.bulk_create(
            [Seat(panel=seat.panel, seat_type=SeatTypeFactory(number=2), person=seat.person)]
        )
    )
    Seat.objects.create(panel=PanelFactory(), seat_type=seat.seat_type, person=seat.person)

    assert seat.person.seats.count() == 2


def test_seat_vacant_seats_on_a_panel_are_accepted():
    panel = PanelFactory()

    Seat.objects.bulk_create(
        [Seat(panel=panel, seat_type=SeatTypeFactory(number=number)) for number in (1, 2)]
    )

    assert list(panel.seats.values_list("seat_type__number", "person")) == [(1, None), (2, None)]


def test_seat_submitted_without_a_person_is_refused():
    panel, seat_type = PanelFactory(), SeatTypeFactory()

    refused(
        lambda: Seat.objects.create(
            panel=panel,
            seat_type=seat_type,
            submitted_at=datetime.datetime(2009, 11, 2, 10, tzinfo=datetime.UTC),
        ),
        "seat_submitted_needs_person",
    )


# --- MemberScore ------------------------------------------------------------------------


@pytest.fixture
def items():
    seat = SeatFactory()
    framework = seat.panel.assessment.round.framework
    area = GovernanceAreaFactory(framework=framework)
    return {
        "seat": seat,
        "competency": CompetencyFactory(framework=framework, with_levels=False),
        "area": area,
        "sub_indicator": SubIndicatorFactory(area=area),
    }


def _score(items, overrides) -> dict:
    names = {field.name for field in MemberScore._meta.fields}
    fields = {"seat": items["seat"], "competency": items["competency"], "level": 2, "light": ""}
    return {**fields, **{k: v for k, v in overrides.items() if k in names}}


@pytest.mark.parametrize(("suffix", "overrides"), ITEM_RATING_CASES)
def test_member_score_breaking_a_rule_is_refused(items, suffix, overrides):
    fields = _score(items, overrides(items["competency"], items["area"]))

    refused(lambda: MemberScore.objects.create(**fields), f"panels_memberscore_{suffix}")


@pytest.mark.parametrize(
    ("item", "value"),
    [("competency", {"level": 4}), ("area", {"light": "green"}), ("sub_indicator", {})],
    ids=["level", "light", "draft"],
)
def test_member_score_of_one_item_with_its_kind_of_value_or_blank_is_accepted(items, item, value):
    score = MemberScore.objects.create(
        **_score(items, {"competency": None, item: items[item], "level": None, **value})
    )

    assert list(MemberScore.objects.all()) == [score]
    assert score.item == items[item]


@pytest.mark.parametrize("item", ITEMS)
def test_member_score_twice_for_an_item_by_a_seat_is_refused(items, item):
    fields = _score(items, {"competency": None, item: items[item], "level": None})
    MemberScore.objects.create(**fields)

    refused(lambda: MemberScore.objects.create(**fields))
    MemberScore.objects.create(
        **{
            **fields,
            "seat": SeatFactory(panel=items["seat"].panel, seat_type=SeatTypeFactory(number=2)),
        }
    )

    assert MemberScore.objects.count() == 2
