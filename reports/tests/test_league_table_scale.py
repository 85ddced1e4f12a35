"""The league tables rank every synthetic PCT of ``seed_demo --scale N``
(``panels.demo.scale``) in both demo rounds, with varied ratings: ties as well as spread."""

from collections import Counter

import pytest

from assessments.models import AssessmentRound
from panels.demo.scale import add_synthetic_pcts, synthetic_code
from reports.tables import league_table

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("slug", "demo_ranked"), [("2008-09", 152), ("2009-10", 135)])
def test_league_table_ranks_every_synthetic_pct(demo, slug, demo_ranked):
    add_synthetic_pcts(count=25, seed=7)
    codes = {synthetic_code(i) for i in range(25)}

    table = league_table(round_=AssessmentRound.objects.get(slug=slug))

    assert len(table) == demo_ranked + 25
    synthetic = table[table["ods_code"].isin(codes)]
    assert set(synthetic["ods_code"]) == codes
    assert synthetic["rank"].notna().all()
    assert synthetic["pct"].str.fullmatch(r"Synthetic PCT \d{5}").all()


def test_league_table_of_synthetic_pcts_has_spread_and_ties(demo):
    add_synthetic_pcts(count=25, seed=7)
    codes = {synthetic_code(i) for i in range(25)}

    table = league_table(round_=AssessmentRound.objects.get(slug="2008-09"))

    synthetic = table[table["ods_code"].isin(codes)]
    assert set(synthetic[[f"c{n}" for n in range(1, 11)]].stack()) == {1, 2, 3, 4}
    assert set(synthetic[["strategy", "finance", "board"]].stack()) == {"red", "amber", "green"}
    ranks = Counter(synthetic["rank"])
    assert max(ranks.values()) >= 2  # some share a rank
    assert len(ranks) >= 10  # and they spread over the table
