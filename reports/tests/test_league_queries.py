"""The league table's query count does not grow with the number of PCTs.

Kept apart from test_league_table.py, whose module-wide demo data would be counted too.
"""

import pytest

from reports.tests.test_league_pages import build_round

URL = "/reports/league-table/{}/"


@pytest.mark.django_db
@pytest.mark.parametrize("pcts", [10, 150])
def test_league_table_query_count_does_not_grow(client, django_assert_num_queries, pcts):
    round_ = build_round(pcts, regions=1)

    # 7: one of them the competency key (the names behind the C1 … CN headers), one the
    # round's figures version (the frame is computed once per version).
    with django_assert_num_queries(7):
        response = client.get(URL.format(round_.slug))

    assert len(response.context["rows"]) == pcts
