"""The seat rules and conflict rules, one by one, and their database form."""

import pytest

from assessments.models import Role
from panels.eligibility import (
    eligibility_q,
    reciprocal_chief_executives,
    seat_refusals,
)
from panels.models import JobRole, Panel, Person, Seat
from panels.selectors import eligible_people, reciprocal_warnings
from panels.tests.formation_builders import build_region, person
from tests.factories import (
    AssessmentFactory,
    ExternalOrganisationFactory,
    RoleFactory,
    SHAFactory,
)

pytestmark = pytest.mark.django_db


def refusals(region, number, who, other_seats=()):
    return seat_refusals(
        seat_type=region.seat_types[number],
        person=who,
        assessment=region.assessment,
        other_seats=list(other_seats),
    )


def test_seat_refusals_none_for_each_eligible_person():
    region = build_region()

    assert {n: refusals(region, n, p) for n, p in region.people.items()} == {
        1: [],
        2: [],
        3: [],
        4: [],
        5: [],
    }


def test_seat_refusals_seat_1_refuses_a_director_of_another_sha():
    region = build_region()
    outsider = person(JobRole.SHA_DIRECTOR, sha=region.sha_b, name="Zed Elsewhere")

    result = refusals(region, 1, outsider)

    assert [(r.rule, r.message) for r in result] == [
        (
            "seat-eligibility",
            "Seat 1 (Local SHA director (chair)): Zed Elsewhere (SHA director, SHA Beta) is not "
            "eligible; this seat takes someone from the assessed PCT's own SHA.",
        )
    ]


def test_seat_refusals_seat_2_refuses_the_wrong_role():
    region = build_region()
    chief = person(JobRole.CHIEF_EXECUTIVE, pct=region.other_pct_a, name="Yan Chief")

    result = refusals(region, 2, chief)

    assert [(r.rule, r.message) for r in result] == [
        (
            "seat-eligibility",
            "Seat 2 (PEC chair or medical director of another PCT): Yan Chief (chief "
            "executive, Neighbour PCT) is not eligible; this seat takes a professional "
            "executive committee chair or medical director.",
        )
    ]


def test_seat_refusals_seat_2_takes_a_pec_chair_of_another_sha_too():
    region = build_region()
    pec = person(JobRole.PEC_CHAIR, pct=region.pct_b)

    assert refusals(region, 2, pec) == []


def test_seat_refusals_seat_3_takes_a_director_of_childrens_services():
    region = build_region()
    children = person(JobRole.DIRECTOR_CHILDRENS_SERVICES, pct=region.other_pct_a)

    assert refusals(region, 3, children) == []


def test_seat_refusals_seat_3_refuses_a_medical_director():
    region = build_region()

    result = refusals(region, 3, region.people[2])

    assert [r.rule for r in result] == ["seat-eligibility"]
    assert result[0].message.startswith("Seat 3 (Director of adult or children's services")
    assert result[0].message.endswith(
        "this seat takes a director of adult services or director of children's services."
    )


def test_seat_refusals_seat_4_refuses_an_nhs_executive():
    region = build_region()
    nhs = person(JobRole.EXTERNAL_EXECUTIVE, pct=region.other_pct_a, name="Xi Inside")

    result = refusals(region, 4, nhs)

    assert [(r.rule, r.message) for r in result] == [
        (
            "seat-eligibility",
            "Seat 4 (International reviewer): Xi Inside (executive director (outside the NHS), "
            "Neighbour PCT) is not eligible; this seat takes someone from an organisation "
            "outside the NHS.",
        )
    ]


def test_seat_refusals_seat_5_refuses_a_chief_executive_of_the_same_sha():
    region = build_region()
    near = person(JobRole.CHIEF_EXECUTIVE, pct=region.other_pct_a, name="Wu Near")

    result = refusals(region, 5, near)

    assert [(r.rule, r.message) for r in result] == [
        (
            "seat-eligibility",
            "Seat 5 (PCT chief executive from another SHA area): Wu Near (chief executive, "
            "Neighbour PCT) is not eligible; this seat takes someone from a PCT in another "
            "SHA area.",
        )
    ]


def test_seat_refusals_refuses_the_assessed_pcts_own_people_once():
    region = build_region()
    own = person(JobRole.MEDICAL_DIRECTOR, pct=region.pct, name="Vic Own")

    result = refusals(region, 2, own)

    assert [(r.rule, r.message) for r in result] == [
        (
            "own-organisation",
            "Seat 2 (PEC chair or medical director of another PCT): Vic Own works for "
            "Assessed PCT, the PCT under assessment; nobody may sit on the panel of their own "
            "organisation.",
        )
    ]


def test_seat_refusals_refuse_someone_who_acts_for_the_assessed_pcts_board():
    """A clinician of another PCT given access to the assessed PCT's board pages would
    score the PCT they answer for: refused, and not offered."""
    region = build_region()
    janet = region.people[2]
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=region.pct, user=janet.user)

    result = refusals(region, 2, janet)
    offered = eligible_people(seat_type=region.seat_types[2], assessment=region.assessment)

    assert [r.message for r in result] == [
        f"Seat 2 (PEC chair or medical director of another PCT): {janet.full_name} acts for "
        "the board of Assessed PCT; nobody may sit on the panel of a PCT whose board they "
        "act for."
    ]
    assert janet not in offered


def test_seat_refusals_one_person_one_seat():
    region = build_region()
    pec = person(JobRole.PEC_CHAIR, pct=region.other_pct_a, name="Una Twice")
    # Seat 3's rule is loosened for the test, so that only "one person, one seat" refuses.
    seat_3 = region.seat_types[3]
    seat_3.eligible_roles = [*seat_3.eligible_roles, JobRole.PEC_CHAIR]
    holding = Seat(seat_type=region.seat_types[2], person=pec)

    result = refusals(region, 3, pec, other_seats=[holding])

    assert [(r.rule, r.message) for r in result] == [
        (
            "one-person-one-seat",
            "Seat 3 (Director of adult or children's services of another PCT): Una Twice "
            "already holds seat 2 on this panel; one person holds one seat.",
        )
    ]


def test_seat_refusals_same_seat_is_not_a_second_seat():
    region = build_region()
    holding = Seat(seat_type=region.seat_types[2], person=region.people[2])

    assert refusals(region, 2, region.people[2], other_seats=[holding]) == []


def test_eligibility_q_agrees_with_seat_refusals():
    region = build_region()
    outside = ExternalOrganisationFactory()
    pool = [
        *region.people.values(),
        person(JobRole.SHA_DIRECTOR, sha=region.sha_b),
        person(JobRole.MEDICAL_DIRECTOR, pct=region.pct),
        person(JobRole.PEC_CHAIR, pct=region.pct_b),
        person(JobRole.DIRECTOR_CHILDRENS_SERVICES, pct=region.pct),
        person(JobRole.CHIEF_EXECUTIVE, pct=region.other_pct_a),
        person(JobRole.CHIEF_EXECUTIVE, pct=region.pct),
        person(JobRole.EXTERNAL_EXECUTIVE, external=outside),
        person(JobRole.OTHER, external=outside),
        person(JobRole.EXTERNAL_EXECUTIVE, pct=region.pct_b),
    ]

    for number, seat_type in region.seat_types.items():
        in_db = set(
            Person.objects.filter(eligibility_q(seat_type=seat_type, assessment=region.assessment))
        )
        by_rules = {p for p in pool if not refusals(region, number, p)}
        assert (number, in_db) == (number, by_rules)


def test_eligible_people_counts_panels_this_round_only():
    region = build_region()
    region.seated()
    other = region.assessment_in(region.round)
    Seat.objects.create(
        panel=Panel.objects.create(assessment=other),
        seat_type=region.seat_types[2],
        person=region.people[2],
    )
    last_year = AssessmentFactory(pct=region.pct)  # another round
    Seat.objects.create(
        panel=Panel.objects.create(assessment=last_year),
        seat_type=region.seat_types[2],
        person=region.people[2],
    )

    people = list(eligible_people(seat_type=region.seat_types[2], assessment=region.assessment))

    assert [(p, p.panels_this_round) for p in people] == [(region.people[2], 2)]


def test_eligible_people_excludes_the_assessed_pct_and_sorts_by_name():
    region = build_region()
    person(JobRole.MEDICAL_DIRECTOR, pct=region.pct, name="Aaron Own")
    pec = person(JobRole.PEC_CHAIR, pct=region.pct_b, name="Abe Far")

    people = list(eligible_people(seat_type=region.seat_types[2], assessment=region.assessment))

    assert people == [pec, region.people[2]]


def test_reciprocal_chief_executives_finds_each_pair_once():
    seats = [
        (1, 2, JobRole.CHIEF_EXECUTIVE),
        (2, 1, JobRole.CHIEF_EXECUTIVE),
        (3, 4, JobRole.CHIEF_EXECUTIVE),
        (4, 3, JobRole.MEDICAL_DIRECTOR),  # not a chief executive: no pair
        (5, 6, JobRole.CHIEF_EXECUTIVE),
        (None, 5, JobRole.CHIEF_EXECUTIVE),
    ]

    assert reciprocal_chief_executives(seats) == {(1, 2)}


def test_reciprocal_warnings_names_both_chief_executives():
    region = build_region()
    region.seated()  # Eve Chief (Far PCT) sits on Assessed PCT's panel
    assessed_chief = person(JobRole.CHIEF_EXECUTIVE, pct=region.pct, name="Gus Home")
    far = region.assessment_in(region.round, pct=region.pct_b)
    Seat.objects.create(
        panel=Panel.objects.create(assessment=far),
        seat_type=region.seat_types[5],
        person=assessed_chief,
    )

    warnings = reciprocal_warnings(round=region.round, sha_ids=[region.sha_a.pk])

    assert [(w.pct_ids, w.message) for w in warnings] == [
        (
            (region.pct.pk, region.pct_b.pk),
            "Gus Home (chief executive of Assessed PCT) sits on the panel of Far PCT, whose "
            "chief executive Eve Chief sits on the panel of Assessed PCT: they assess each "
            "other's PCT this round.",
        )
    ]


def test_reciprocal_warnings_filters_by_sha_and_pct():
    region = build_region()
    region.seated()
    far = region.assessment_in(region.round, pct=region.pct_b)
    Seat.objects.create(
        panel=Panel.objects.create(assessment=far),
        seat_type=region.seat_types[5],
        person=person(JobRole.CHIEF_EXECUTIVE, pct=region.pct),
    )

    assert reciprocal_warnings(round=region.round, sha_ids=[SHAFactory().pk]) == []
    assert reciprocal_warnings(round=region.round, pct_id=region.other_pct_a.pk) == []
    assert len(reciprocal_warnings(round=region.round, pct_id=region.pct_b.pk)) == 1


def test_reciprocal_warnings_none_when_only_one_way():
    region = build_region()
    region.seated()

    assert reciprocal_warnings(round=region.round) == []
