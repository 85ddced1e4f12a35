"""``demo_advance``: the demo's 2009-10 reaches publication through the services, one stage
per call, and nothing else is touched. (A module of its own: it changes the demo.)"""

import io
from collections import defaultdict
from datetime import timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    PrimaryCareTrust,
    RegionReview,
    RegionReviewChange,
    Stage,
    StageChange,
)
from panels.models import JobRole, MemberScore, Person, Seat
from tests.factories import AssessmentRoundFactory

pytestmark = pytest.mark.django_db


def advance(slug="2009-10") -> str:
    out = io.StringIO()
    call_command("demo_advance", "--round", slug, stdout=out)
    return out.getvalue()


def test_demo_advance_refuses_a_round_that_is_not_the_demos():
    AssessmentRoundFactory(slug="2010-11")

    with pytest.raises(CommandError, match="2010-11 is not a demo round"):
        advance("2010-11")
    with pytest.raises(CommandError, match="No round '1999-00'"):
        advance("1999-00")


def test_demo_advance_reaches_publication_then_does_nothing(demo, client, mailoutbox):
    year_one = list(
        AgreedRating.objects.filter(assessment__round__slug="2008-09").values_list(
            "pk", "level", "light", "version"
        )
    )
    # The verify walk: someone added on the people list and not invited (no account) was
    # seated, scoring then refused to open with them, and every call stopped there.
    not_invited = Person.objects.create(
        full_name="Aaron Notinvited",
        job_role=JobRole.MEDICAL_DIRECTOR,
        pct=PrimaryCareTrust.objects.get(ods_code="5PG"),
    )
    said = []
    for _ in range(12):
        output = advance()
        said.append(output.splitlines()[0])
        if "will be published at" in output:
            with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=False):
                said.append(advance().splitlines()[0])
                said.append(advance().splitlines()[0])
                response = client.get("/reports/league-table/2009-10/")
            break

    assert (
        said[0] == "The board of Dudley (5PE) submitted its self-assessment: on to panel formation."
    )
    assert said[-2].startswith("2009-10 is published: the league table is public and 152 board(s)")
    assert said[-1] == "2009-10 is published; nothing left to do."
    assert response.status_code == 200
    assert len(response.context["rows"]) == 152
    # Everything went through the services: each stage has its history row, and every
    # member scored near the others.
    assert set(
        Assessment.objects.filter(round__slug="2009-10").values_list("stage", flat=True)
    ) == {Stage.PUBLISHED}
    dudley = StageChange.objects.filter(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5PE"
    )
    assert list(dudley.order_by("pk").values_list("to_stage", flat=True)) == [
        Stage.PANEL_FORMATION,
        Stage.SCORING,
        Stage.CONSENSUS,
        Stage.MODERATION,
        Stage.CROSS_CHECK,
        Stage.FACTUAL_ACCURACY,
        Stage.PUBLISHED,
    ]
    west_midlands = Seat.objects.filter(
        panel__assessment__round__slug="2009-10", panel__assessment__pct__sha__ods_code="Q34"
    )
    assert west_midlands.filter(submitted_at__isnull=True).count() == 0
    assert not west_midlands.filter(person=not_invited).exists()
    # Each item: 11 competencies, 3 areas and the 16 governance sub-indicators of 2009-10.
    assert MemberScore.objects.filter(seat__in=west_midlands).count() == 17 * 5 * (14 + 16)
    assert AgreedRating.objects.filter(assessment__round__slug="2009-10").count() == 152 * (14 + 16)
    assert set(
        RegionReview.objects.filter(round__slug="2009-10").values_list("status", flat=True)
    ) == {RegionReview.Status.CONFIRMED}
    assert (
        RegionReviewChange.objects.filter(
            review__round__slug="2009-10", decision=RegionReviewChange.Decision.WINDOW_CLOSED
        ).count()
        == 10
    )
    # Year one's published figures are untouched.
    assert (
        list(
            AgreedRating.objects.filter(assessment__round__slug="2008-09").values_list(
                "pk", "level", "light", "version"
            )
        )
        == year_one
    )
    assert AssessmentRound.objects.get(slug="2009-10").illustrative is True
    # All 152 read as the published year two (DOMAIN.md), the West Midlands included: the
    # national walk found board green 58%, a PCT red on all three and Birmingham East and
    # North tied third, the banner saying the shares follow the published figures.
    levels, lights = defaultdict(dict), defaultdict(dict)
    for code, number, area, level, light in AgreedRating.objects.filter(
        assessment__round__slug="2009-10", sub_indicator__isnull=True
    ).values_list(
        "assessment__pct__ods_code", "competency__number", "area__code", "level", "light"
    ):
        if number:
            levels[code][number] = level
        else:
            lights[code][area] = light
    assert len(levels) == len(lights) == 152

    def share(area):
        return sum(by_area[area] == "green" for by_area in lights.values()) / 152

    assert share("board") == pytest.approx(0.61, abs=0.02)
    assert share("finance") == pytest.approx(0.43, abs=0.02)
    triple = {code: set(by_area.values()) for code, by_area in lights.items()}
    assert sum(t == {"green"} for t in triple.values()) / 152 == pytest.approx(0.23, abs=0.02)
    assert not any(t == {"red"} for t in triple.values())
    mean = {n: sum(by[n] for by in levels.values()) / 152 for n in range(1, 12)}
    assert min(mean, key=mean.get) == 11 and mean[11] == pytest.approx(1.46, abs=0.02)
    points = {"green": 2, "amber": 1, "red": 0}
    key = {
        code: (sum(points[light] for light in lights[code].values()), sum(levels[code].values()))
        for code in levels
    }
    ranked = sorted(key, key=key.get, reverse=True)
    assert ranked[:3] == ["5NX", "5F5", "5C4"] and key[ranked[2]] > key[ranked[3]]
