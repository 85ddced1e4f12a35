"""Panel formation services: all or nothing, stage refusals, races, copying, opening."""

import pytest
from django.core.exceptions import ValidationError

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import Stage, StageChange
from panels.models import JobRole, Panel, Seat, SeatChange
from panels.services.formation import (
    SeatRefused,
    panel_copy_previous,
    panel_ensure,
    panel_open_scoring,
    panel_seats_set,
)
from panels.tests.formation_builders import build_region, person
from tests.factories import AssessmentRoundFactory, UserFactory

pytestmark = pytest.mark.django_db


def holders(panel) -> dict[int, object]:
    return {
        s.seat_type.number: s.person
        for s in Seat.objects.filter(panel=panel).select_related("seat_type", "person")
    }


def test_panel_ensure_creates_five_empty_seats_once():
    region = build_region()

    first = panel_ensure(assessment=region.assessment)
    again = panel_ensure(assessment=region.assessment)

    assert first == again
    assert holders(first) == {1: None, 2: None, 3: None, 4: None, 5: None}


def test_panel_seats_set_fills_every_seat_and_bumps_versions():
    region = build_region()
    panel = panel_ensure(assessment=region.assessment)
    user = UserFactory()

    result = panel_seats_set(panel=panel, people=region.people, by=user, expected_version=1)

    assert holders(panel) == region.people
    assert result.version == 2
    assert Panel.objects.get(pk=panel.pk).version == 2
    assert sorted(Seat.objects.filter(panel=panel).values_list("version", flat=True)) == [2] * 5


def test_panel_seats_set_is_all_or_nothing_and_lists_every_refusal():
    region = build_region()
    panel = panel_ensure(assessment=region.assessment)
    own = person(JobRole.MEDICAL_DIRECTOR, pct=region.pct, name="Vic Own")
    people = region.people | {2: own, 5: region.people[3]}

    with pytest.raises(SeatRefused) as caught:
        panel_seats_set(panel=panel, people=people, by=UserFactory(), expected_version=1)

    assert sorted(caught.value.refusals) == [2, 3, 5]
    assert caught.value.message_dict == {
        "seat_2": [
            "Seat 2 (PEC chair or medical director of another PCT): Vic Own works for "
            "Assessed PCT, the PCT under assessment; nobody may sit on the panel of their own "
            "organisation."
        ],
        "seat_3": [
            "Seat 3 (Director of adult or children's services of another PCT): Cat Services "
            "already holds seat 5 on this panel; one person holds one seat."
        ],
        "seat_5": [
            "Seat 5 (PCT chief executive from another SHA area): Cat Services (director of "
            "adult services, Neighbour PCT) is not eligible; this seat takes a chief executive.",
            "Seat 5 (PCT chief executive from another SHA area): Cat Services (director of "
            "adult services, Neighbour PCT) is not eligible; this seat takes someone from a "
            "PCT in another SHA area.",
            "Seat 5 (PCT chief executive from another SHA area): Cat Services already holds "
            "seat 3 on this panel; one person holds one seat.",
        ],
    }
    assert holders(panel) == {1: None, 2: None, 3: None, 4: None, 5: None}
    assert Panel.objects.get(pk=panel.pk).version == 1


def test_panel_seats_set_lets_two_people_swap_seats():
    region = build_region()
    panel = region.seated()
    pec = person(JobRole.PEC_CHAIR, pct=region.other_pct_a)
    children = person(JobRole.DIRECTOR_CHILDRENS_SERVICES, pct=region.other_pct_a)
    panel_seats_set(panel=panel, people={2: pec, 3: children}, by=None, expected_version=1)
    # Swap back and forth through the same save: vacating first keeps the constraint happy.

    panel_seats_set(
        panel=panel, people={2: region.people[2], 3: region.people[3]}, by=None, expected_version=2
    )

    assert holders(panel) == region.people


def test_panel_seats_set_clears_a_seat_with_none():
    region = build_region()
    panel = region.seated()

    panel_seats_set(panel=panel, people={4: None}, by=None, expected_version=1)

    assert holders(panel) == region.people | {4: None}


@pytest.mark.parametrize("stage", [Stage.SCORING, Stage.CONSENSUS, Stage.PUBLISHED])
def test_panel_seats_set_refused_once_scoring_has_opened(stage):
    region = build_region(stage=stage)
    panel = region.seated()
    replacement = person(JobRole.PEC_CHAIR, pct=region.other_pct_a)

    with pytest.raises(TransitionError) as caught:
        panel_seats_set(panel=panel, people={2: replacement}, by=None, expected_version=1)

    assert str(caught.value) == (
        "Seats can be changed only at self-assessment or panel formation; the assessment of "
        f"Assessed PCT is at {Stage(stage).label}, so its panel is fixed."
    )
    assert holders(panel) == region.people


def test_panel_seats_set_allowed_at_self_assessment():
    region = build_region(stage=Stage.SELF_ASSESSMENT)
    panel = panel_ensure(assessment=region.assessment)

    panel_seats_set(panel=panel, people=region.people, by=None, expected_version=1)

    assert holders(panel) == region.people


def test_panel_seats_set_second_of_two_saves_is_told_it_changed():
    region = build_region()
    panel = panel_ensure(assessment=region.assessment)
    # Two members of staff open the form at version 1; the first saves.
    first_copy = Panel.objects.get(pk=panel.pk)
    second_copy = Panel.objects.get(pk=panel.pk)
    panel_seats_set(panel=first_copy, people=region.people, by=None, expected_version=1)
    other = person(JobRole.PEC_CHAIR, pct=region.other_pct_a)

    with pytest.raises(ConflictError) as caught:
        panel_seats_set(panel=second_copy, people={2: other}, by=None, expected_version=1)

    assert caught.value.current.version == 2
    assert str(caught.value) == (
        "This panel was changed by someone else since you opened it. The seats shown are the "
        "current ones; your changes were not saved."
    )
    assert holders(panel) == region.people


def test_panel_seats_set_refuses_an_unknown_seat_number():
    region = build_region()
    panel = panel_ensure(assessment=region.assessment)

    with pytest.raises(ValidationError) as caught:
        panel_seats_set(panel=panel, people={7: None}, by=None, expected_version=1)

    assert caught.value.messages == ["This panel has no seat 7."]


# --- Copying from the previous round -----------------------------------------------------


def test_panel_copy_previous_copies_the_eligible_and_reports_the_others():
    region = build_region()
    region.last_years_panel()
    # Since last year, seat 2's holder became a chief executive, and seat 5's moved to a
    # PCT in the assessed PCT's own SHA.
    region.people[2].job_role = JobRole.CHIEF_EXECUTIVE
    region.people[2].save(update_fields=["job_role"])
    region.people[5].pct = region.other_pct_a
    region.people[5].save(update_fields=["pct"])

    result = panel_copy_previous(assessment=region.assessment, by=UserFactory())

    panel = Panel.objects.get(assessment=region.assessment)
    assert holders(panel) == {
        1: region.people[1],
        2: None,
        3: region.people[3],
        4: region.people[4],
        5: None,
    }
    assert [s.seat_type.number for s in result.copied] == [1, 3, 4]
    assert result.skipped == [
        "Seat 2 (PEC chair or medical director of another PCT): Bob Medic (chief executive, "
        "Neighbour PCT) is not eligible; this seat takes a professional executive committee "
        "chair or medical director.",
        "Seat 5 (PCT chief executive from another SHA area): Eve Chief (chief executive, "
        "Neighbour PCT) is not eligible; this seat takes someone from a PCT in another SHA "
        "area.",
    ]


def test_panel_copy_previous_refused_as_stale_writes_nothing_not_even_the_panel():
    """Its @transaction.atomic had slipped onto the helper above it: a copy refused after
    making the panel left the empty panel behind."""
    region = build_region()
    region.last_years_panel()

    with pytest.raises(ConflictError):
        panel_copy_previous(assessment=region.assessment, by=UserFactory(), expected_version=7)

    assert not Panel.objects.filter(assessment=region.assessment).exists()


def test_panel_copy_previous_refused_without_a_previous_round():
    region = build_region()

    with pytest.raises(ValidationError) as caught:
        panel_copy_previous(assessment=region.assessment, by=None)

    assert caught.value.messages == [f"{region.round} has no previous round to copy from."]


def test_panel_copy_previous_refused_without_a_previous_panel():
    region = build_region()
    previous = AssessmentRoundFactory(slug="2008-09")
    region.round.previous = previous
    region.round.save(update_fields=["previous"])

    with pytest.raises(ValidationError) as caught:
        panel_copy_previous(assessment=region.assessment, by=None)

    assert caught.value.messages == [f"Assessed PCT had no panel in {previous} to copy from."]


def test_panel_copy_previous_refused_once_scoring_has_opened():
    region = build_region(stage=Stage.SCORING)
    region.last_years_panel()

    with pytest.raises(TransitionError):
        panel_copy_previous(assessment=region.assessment, by=None)

    assert not Panel.objects.filter(assessment=region.assessment).exists()


# --- Opening scoring ----------------------------------------------------------------------


def test_panel_open_scoring_advances_and_writes_history(django_capture_on_commit_callbacks):
    region = build_region()
    region.seated()
    staff = UserFactory()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = panel_open_scoring(assessment=region.assessment, by=staff)

    assert result.stage == Stage.SCORING
    assert list(
        StageChange.objects.filter(assessment=region.assessment).values_list(
            "from_stage", "to_stage", "changed_by", "note"
        )
    ) == [
        (
            Stage.PANEL_FORMATION,
            Stage.SCORING,
            staff.pk,
            "Scoring opened: every seat is filled.",
        )
    ]
    assert len(callbacks) == 1


def test_opening_scoring_makes_a_seats_form_opened_before_it_stale():
    """The review: the panel's version stayed, so a seats save begun before scoring opened
    (on PostgreSQL, past its stage check) could still change a seat after."""
    region = build_region()
    panel = region.seated()
    before = Panel.objects.get(pk=panel.pk).version

    panel_open_scoring(assessment=region.assessment, by=UserFactory())

    assert Panel.objects.get(pk=panel.pk).version == before + 1


def test_panel_open_scoring_refused_while_a_seat_is_empty():
    region = build_region()
    panel = region.seated()
    Seat.objects.filter(panel=panel, seat_type__number__in=[3, 5]).update(person=None)

    with pytest.raises(ValidationError) as caught:
        panel_open_scoring(assessment=region.assessment, by=None)

    assert caught.value.message_dict == {
        "seat_3": [
            "Seat 3 (Director of adult or children's services of another PCT): choose "
            "someone. Scoring opens only when every seat is filled."
        ],
        "seat_5": [
            "Seat 5 (PCT chief executive from another SHA area): choose someone. Scoring "
            "opens only when every seat is filled."
        ],
    }
    region.assessment.refresh_from_db()
    assert region.assessment.stage == Stage.PANEL_FORMATION


def test_panel_open_scoring_refused_without_a_panel():
    region = build_region()

    with pytest.raises(ValidationError):
        panel_open_scoring(assessment=region.assessment, by=None)


def test_panel_open_scoring_refused_when_a_holder_is_no_longer_eligible():
    region = build_region()
    region.seated()
    region.people[4].job_role = JobRole.OTHER
    region.people[4].save(update_fields=["job_role"])

    with pytest.raises(SeatRefused) as caught:
        panel_open_scoring(assessment=region.assessment, by=None)

    assert sorted(caught.value.refusals) == [4]


def test_panel_open_scoring_refused_at_self_assessment():
    region = build_region(stage=Stage.SELF_ASSESSMENT)
    region.seated()

    with pytest.raises(TransitionError) as caught:
        panel_open_scoring(assessment=region.assessment, by=None)

    assert str(caught.value) == (
        "Scoring opens from Panel formation; the assessment of Assessed PCT is at Self-assessment."
    )


# --- Seat history ------------------------------------------------------------------------


def seat_history(panel) -> list[tuple]:
    return list(
        SeatChange.objects.filter(seat__panel=panel)
        .order_by("seat__seat_type__number", "pk")
        .values_list("seat__seat_type__number", "how", "old_person", "new_person", "changed_by")
    )


def test_panel_seats_set_writes_a_seat_change_per_changed_seat():
    region = build_region()
    panel = region.seated()
    user = UserFactory()
    pec = person(JobRole.PEC_CHAIR, pct=region.other_pct_a)

    panel_seats_set(
        panel=panel,
        people={1: region.people[1], 2: pec, 4: None},
        by=user,
        expected_version=1,
    )

    assert seat_history(panel) == [
        (2, SeatChange.How.FORMATION, region.people[2].pk, pec.pk, user.pk),
        (4, SeatChange.How.FORMATION, region.people[4].pk, None, user.pk),
    ]


def test_panel_seats_set_refused_writes_no_seat_change():
    region = build_region()
    panel = panel_ensure(assessment=region.assessment)
    own = person(JobRole.MEDICAL_DIRECTOR, pct=region.pct, name="Vic Own")

    with pytest.raises(SeatRefused):
        panel_seats_set(
            panel=panel, people=region.people | {2: own}, by=UserFactory(), expected_version=1
        )

    assert seat_history(panel) == []


def test_panel_seats_set_stale_version_writes_no_seat_change():
    region = build_region()
    panel = panel_ensure(assessment=region.assessment)
    Panel.objects.filter(pk=panel.pk).update(version=2)

    with pytest.raises(ConflictError):
        panel_seats_set(panel=panel, people=region.people, by=UserFactory(), expected_version=1)

    assert seat_history(panel) == []


def test_panel_copy_previous_writes_seat_changes_as_copied():
    region = build_region()
    region.last_years_panel()
    user = UserFactory()

    panel_copy_previous(assessment=region.assessment, by=user)

    panel = Panel.objects.get(assessment=region.assessment)
    assert seat_history(panel) == [
        (number, SeatChange.How.COPIED, None, region.people[number].pk, user.pk)
        for number in (1, 2, 3, 4, 5)
    ]
