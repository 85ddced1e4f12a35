"""A region's stage is told from its PCTs' stages: never "Regional moderation" while
some of them are still scoring (issue 11, finding 9)."""

import pytest

from assessments.models import Role, Stage
from reports.moderation import region_stage
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
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
