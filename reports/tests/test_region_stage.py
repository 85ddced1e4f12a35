"""A region's stage is told from its PCTs' stages: never "Regional moderation" while
some of them are still scoring (issue 11, finding 9)."""

import datetime
import re

import pytest
from django.utils import timezone

from assessments.models import AssessmentRound, Role, Stage
from reports.moderation import region_stage
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    FactualAccuracyCommentFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
)

pytestmark = pytest.mark.django_db


def test_region_stage_names_every_stage_its_pcts_are_at_earliest_first():
    assert region_stage({Stage.SCORING: 16, Stage.PANEL_FORMATION: 1}) == (
        "Panel formation (1 of 17), Scoring (16 of 17)"
    )
    assert region_stage({Stage.MODERATION: 12, Stage.SCORING: 0}) == "Regional moderation"
    assert region_stage({}) == "No assessments"


def test_cross_check_and_moderation_page_say_scoring_while_pcts_score(client):
    sha = SHAFactory(name="West Midlands")
    round_ = AssessmentRoundFactory(slug="2009-10")
    for n, stage in enumerate([Stage.SCORING, Stage.SCORING, Stage.MODERATION]):
        AssessmentFactory(round=round_, pct=PCTFactory(sha=sha, name=f"PCT {n}"), stage=stage)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    cross_check = client.get("/reports/cross-check/2009-10/").content.decode()
    moderation = client.get(f"/reports/moderation/2009-10/{sha.ods_code}/").content.decode()

    expected = "Scoring (2 of 3), Regional moderation (1 of 3)"
    assert f'<td data-test="region-status">{expected}' in cross_check
    assert f'data-test="review-status">{expected}</span>' in moderation


# --- Published on the clock, before the publication notices are sent ---------------------


@pytest.fixture
def at_check(client):
    """Three PCTs of West Midlands at the factual-accuracy check of 2009-10, the third
    (PCT 2) held back by an unanswered comment; the national team logged in."""
    sha = SHAFactory(name="West Midlands")
    round_ = AssessmentRoundFactory(slug="2009-10")
    assessments = [
        AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha, name=f"PCT {n}"), stage=Stage.FACTUAL_ACCURACY
        )
        for n in range(3)
    ]
    FactualAccuracyCommentFactory(assessment=assessments[2])
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    return round_, sha, assessments


def publish(round_: AssessmentRound, *, minutes: int) -> None:
    """The round's publication time ``minutes`` from now (negative: passed), its notices
    not sent yet, so that no assessment's stage has moved."""
    AssessmentRound.objects.filter(pk=round_.pk).update(
        published_at=timezone.now() + datetime.timedelta(minutes=minutes),
        publication_notified_at=None,
    )


def grid_page(client, round_, sha) -> str:
    return client.get(f"/reports/moderation/{round_.slug}/{sha.ods_code}/").content.decode()


def grid(client, round_, sha) -> tuple[list[str], dict[str, str], str, dict]:
    """The moderation page's current stage of each row, its totals by stage value, its
    region status, and the live grid's stages by ODS code."""
    page = client.get(f"/reports/moderation/{round_.slug}/{sha.ods_code}/").content.decode()
    progress = client.get(f"/reports/moderation/{round_.slug}/{sha.ods_code}/progress.json")
    return (
        # a held-back PCT's stage links to the comments to answer: its text, as the others
        [
            text if not link else f"{text} -> {link}"
            for link, text in re.findall(
                r'data-test="current">(?:<a href="([^"]*)">)?([^<]+)<', page
            )
        ],
        dict(re.findall(r'data-count="([0-9]+)">([0-9]+)<', page)),
        re.findall(r'data-test="review-status">([^<]+)<', page)[0],
        {a["ods_code"]: a["stage"] for a in progress.json()["assessments"]},
    )


def test_the_grids_say_published_once_the_publication_time_has_passed(client, at_check):
    round_, sha, assessments = at_check
    publish(round_, minutes=-5)
    codes = [a.pct.ods_code for a in assessments]

    current, totals, status, live = grid(client, round_, sha)
    cross_check = client.get("/reports/cross-check/2009-10/").content.decode()

    # The held-back PCT is not published: it reads Held back (walk AA), linked to the
    # comments to answer, and counts in a column of its own.
    held = "Held back: a comment to answer"
    assert current == ["Published", "Published", f"{held} -> #unanswered-heading"]
    assert (totals["70"], totals["75"], totals["80"]) == ("0", "1", "2")
    assert status == f"{held} (1 of 3), Published (2 of 3)"
    assert live == {codes[0]: 80, codes[1]: 80, codes[2]: 75}
    assert f'<td data-test="region-status">{held} (1 of 3), Published (2 of 3)' in cross_check
    # A published row is not ticked as having passed Held back: only the check is ticked.
    page = grid_page(client, round_, sha)
    published_row = re.search(rf'data-ods="{codes[0]}">(.*?)</tr>', page).group(1)
    assert published_row.count("mod-stage--done") == 7
    # Only what the grids say: the stages move when the notices are sent.
    assert sorted(a.stage for a in type(assessments[0]).objects.filter(round=round_)) == [70] * 3


def test_the_grids_say_factual_accuracy_check_before_the_publication_time(client, at_check):
    round_, sha, _assessments = at_check
    publish(round_, minutes=5)

    current, totals, status, live = grid(client, round_, sha)
    cross_check = client.get("/reports/cross-check/2009-10/").content.decode()

    assert '<td data-test="region-status">Factual-accuracy check<' in cross_check
    assert current == ["Factual-accuracy check"] * 3
    assert (totals["70"], totals["80"]) == ("3", "0")
    assert "75" not in totals  # no Held back column before the publication time
    assert status == "Factual-accuracy check"
    assert sorted(live.values()) == [70, 70, 70]


@pytest.mark.parametrize("pcts", [1, 3])
def test_the_published_grid_adds_no_query_per_pct(client, django_assert_num_queries, pcts):
    """The shown stage is part of the query that reads the stages: as many queries for 1
    PCT as for 3, published or not."""
    sha = SHAFactory(name="West Midlands")
    round_ = AssessmentRoundFactory(slug="2009-10")
    for n in range(pcts):
        AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha, name=f"PCT {n}"), stage=Stage.FACTUAL_ACCURACY
        )
    publish(round_, minutes=-5)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    progress = f"/reports/moderation/{round_.slug}/{sha.ods_code}/progress.json"
    client.get(progress)

    with django_assert_num_queries(6):
        response = client.get(progress)

    assert [a["stage"] for a in response.json()["assessments"]] == [80] * pcts
