"""The league table's query count does not grow with the number of PCTs.

Kept apart from test_league_table.py, whose module-wide demo data would be counted too.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import AgreedRating, Assessment, AssessmentRound, PrimaryCareTrust
from assessments.standings import standings_rebuild
from tests.database import analyze
from tests.factories import (
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    SHAFactory,
)

URL = "/reports/league-table/{}/"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def build_round(pcts: int) -> AssessmentRound:
    framework = FrameworkFactory(slug="fw-count")
    competencies = [
        CompetencyFactory(framework=framework, number=n, with_levels=False) for n in (1, 2)
    ]
    areas = [
        GovernanceAreaFactory(framework=framework, code=code, position=i)
        for i, code in enumerate(["strategy", "finance", "board"], start=1)
    ]
    round_ = AssessmentRoundFactory(
        slug="2030-31", framework=framework, published_at=timezone.now() - timedelta(days=1)
    )
    sha = SHAFactory()
    trusts = PrimaryCareTrust.objects.bulk_create(
        PrimaryCareTrust(
            ods_code="Z" + ALPHABET[n // 26] + ALPHABET[n % 26],
            name=f"Trust {n:03d}",
            org_type="pct",
            sha=sha,
        )
        for n in range(pcts)
    )
    assessments = Assessment.objects.bulk_create(
        Assessment(round=round_, pct=p, stage=80) for p in trusts
    )
    ratings = []
    for n, a in enumerate(assessments):
        ratings += [
            AgreedRating(
                assessment=a, competency=c, level=1 + n % 3, panel_level=1 + n % 3, rationale="r"
            )
            for c in competencies
        ]
        ratings += [
            AgreedRating(assessment=a, area=ar, light="amber", panel_light="amber", rationale="r")
            for ar in areas
        ]
    AgreedRating.objects.bulk_create(ratings)
    standings_rebuild(rounds=[round_])  # as a bulk load must
    analyze()
    return round_


@pytest.mark.django_db
@pytest.mark.parametrize("pcts", [10, 150])
def test_league_table_query_count_does_not_grow(client, django_assert_num_queries, pcts):
    round_ = build_round(pcts)

    # 7: one of them the competency key (the names behind the C1 … CN headers), one the
    # round's figures version (the frame is computed once per version).
    with django_assert_num_queries(7):
        response = client.get(URL.format(round_.slug))

    assert len(response.context["rows"]) == pcts
