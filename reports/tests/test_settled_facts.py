"""The members' facts of assessments past scoring, grouped by the database
(``settled_panel_facts``), are the facts ``panel_facts`` takes from every member's row."""

import random

import pandas as pd
import pytest
from django.utils import timezone

from assessments.models import Assessment, Stage
from panels.models import Seat
from reports.kept import forget_kept
from reports.moderation import (
    PanelFacts,
    _england_panel_facts,
    _member_rows,
    _Settled,
    _settled_facts,
    panel_facts,
    settled_panel_facts,
)
from reports.tests.test_moderation import add_pct
from tests.factories import SHAFactory
from tests.factories.panels import MemberScoreFactory, PanelFactory, SeatFactory, SeatTypeFactory

pytestmark = pytest.mark.django_db

LIGHTS = ("green", "amber", "red")


def add_random_panel(world, assessment, rng):
    """One to five members, each submitted, excused or still drafting, whose levels (some
    not given) and lights are random, or copied from the first member (identical panels)."""
    panel = PanelFactory(assessment=assessment)
    copy = rng.random() < 0.4
    first = None
    for number in range(1, rng.randint(1, 5) + 1):
        state = rng.choices(("submitted", "excused", "draft"), weights=(8, 1, 1))[0]
        seat = SeatFactory(
            panel=panel,
            seat_type=SeatTypeFactory(number=number),
            submitted_at=None if state == "draft" else timezone.now(),
            absence_reason="Unwell on the panel day." if state == "excused" else "",
        )
        levels = [rng.choice((1, 2, 3, 4, 4, None)) for _ in world.competencies]
        lights = [rng.choice(LIGHTS) for _ in world.areas]
        if copy and first is not None:
            levels, lights = first
        first = first or (levels, lights)
        for competency, level in zip(world.competencies, levels, strict=True):
            MemberScoreFactory(seat=seat, competency=competency, level=level)
        for area, light in zip(world.areas, lights, strict=True):
            MemberScoreFactory(seat=seat, area=area, level=None, light=light)


@pytest.mark.parametrize("seed", range(4))
def test_grouped_by_the_database_as_by_pandas(world, seed):
    rng = random.Random(seed)
    shas = [SHAFactory(), SHAFactory()]
    for n in range(14):
        stage = Stage.SCORING if n % 7 == 0 else Stage.MODERATION
        assessment = add_pct(world, rng.choice(shas), stage=stage)
        add_random_panel(world, assessment, rng)
    settled = frozenset(
        Assessment.objects.filter(round=world.round, stage__gt=Stage.SCORING).values_list(
            "pk", flat=True
        )
    )

    grouped = settled_panel_facts(round_=world.round, settled=settled)
    expected = panel_facts(_member_rows(round_=world.round, settled=True))

    pd.testing.assert_series_equal(grouped.medians, expected.medians.sort_index())
    assert grouped.identical == expected.identical
    # The seeds give both cases the rules turn on: a flagged panel and a level not given.
    assert expected.identical and expected.medians.isna().any()


def test_identical_panels_and_even_medians_are_found(world):
    """Not left to chance: four members agreeing on everything (flagged), and two levels
    each of 2 and 3 (median 2.5)."""
    sha = SHAFactory()
    same, split = (add_pct(world, sha) for _ in range(2))
    for assessment, levels in (
        (same, [(3, 1, 2)] * 4),
        (split, [(2, 1, 1), (2, 1, 1), (3, 1, 1), (3, 4, 1)]),
    ):
        panel = PanelFactory(assessment=assessment)
        for number, seat_levels in enumerate(levels, start=1):
            seat = SeatFactory(
                panel=panel, seat_type=SeatTypeFactory(number=number), submitted_at=timezone.now()
            )
            for competency, level in zip(world.competencies, seat_levels, strict=True):
                MemberScoreFactory(seat=seat, competency=competency, level=level)
            for area in world.areas:
                MemberScoreFactory(seat=seat, area=area, level=None, light="amber")

    facts = settled_panel_facts(round_=world.round, settled=frozenset({same.pk, split.pk}))

    assert facts.identical == [(same.pct.ods_code, 4, 6)]
    assert facts.medians[(split.pct.ods_code, "c1")] == 2.5
    assert facts.medians[(split.pct.ods_code, "c2")] == 1.0
    assert facts.medians[(same.pct.ods_code, "c1")] == 3.0


def test_an_assessment_not_in_the_settled_set_is_left_out(world):
    assessment = add_pct(world, SHAFactory())
    add_random_panel(world, assessment, random.Random(1))

    facts = settled_panel_facts(round_=world.round, settled=frozenset())

    assert facts.medians.empty and facts.identical == []


def england_facts(world):
    facts = _england_panel_facts(round_=world.round)
    return facts.medians.sort_index(), facts.identical


def test_kept_facts_follow_panels_moving_in_and_out_of_scoring(world, monkeypatch):
    """After each move, the facts made from those kept (newly settled panels read by their
    ids, those sent back left out) are those made from nothing."""
    rng = random.Random(7)
    shas = [SHAFactory(), SHAFactory()]
    assessments = []
    for _n in range(10):
        assessment = add_pct(world, rng.choice(shas), stage=Stage.MODERATION)
        add_random_panel(world, assessment, rng)
        assessments.append(assessment)
    england_facts(world)  # kept from now on
    read = []

    def reading(*, round_, settled):  # settled_panel_facts, noting what it was asked for
        read.append(settled)
        return settled_panel_facts(round_=round_, settled=settled)

    monkeypatch.setattr("reports.moderation.settled_panel_facts", reading)

    for step in range(6):
        moved = rng.sample(assessments, 2)
        for assessment in moved:
            stage = Stage.SCORING if assessment.stage > Stage.SCORING else Stage.MODERATION
            Assessment.objects.filter(pk=assessment.pk).update(stage=stage)
            assessment.stage = stage
            if stage == Stage.SCORING:  # sent back: its members' scores reopened, or not
                Seat.objects.filter(panel__assessment=assessment).update(
                    submitted_at=None if rng.random() < 0.5 else timezone.now()
                )
        newly_settled = {a.pk for a in moved if a.stage > Stage.SCORING}
        read.clear()

        kept = england_facts(world)

        assert read == ([newly_settled] if newly_settled else []), step
        forget_kept()
        fresh = england_facts(world)
        pd.testing.assert_series_equal(kept[0], fresh[0])
        assert kept[1] == fresh[1]
        assert not fresh[0].empty


def test_a_settled_panel_is_read_by_its_id(world, django_assert_num_queries):
    assessment = add_pct(world, SHAFactory())
    add_random_panel(world, assessment, random.Random(2))
    other = add_pct(world, SHAFactory())
    add_random_panel(world, other, random.Random(3))

    with django_assert_num_queries(2):  # its scores by item, its panel's size
        facts = settled_panel_facts(round_=world.round, settled=frozenset({assessment.pk}))

    assert set(facts.medians.index.get_level_values(0)) == {assessment.pct.ods_code}


def test_kept_facts_of_a_deleted_assessment_are_all_read_again(world):
    """Its PCT is unknown once it is gone (the demo seeded again), so nothing kept is used."""
    assessment = add_pct(world, SHAFactory())
    add_random_panel(world, assessment, random.Random(4))
    stale = PanelFacts(
        pd.Series([3.0], index=pd.MultiIndex.from_tuples([("ZZZ", "c1")]), name="median"),
        [("ZZZ", 5, 12)],
    )
    kept = _Settled(frozenset({assessment.pk, assessment.pk + 1000}), stale)

    facts = _settled_facts(round_=world.round, settled=frozenset({assessment.pk}), kept=kept)

    fresh = settled_panel_facts(round_=world.round, settled=frozenset({assessment.pk}))
    pd.testing.assert_series_equal(facts.medians, fresh.medians)
    assert facts.identical == fresh.identical
    assert "ZZZ" not in facts.medians.index.get_level_values(0)
