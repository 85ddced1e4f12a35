"""The league table's query count does not grow with the number of PCTs.

Kept apart from test_league_table.py, whose module-wide demo data would be counted too.
"""

import pytest

from assessments.models import Role
from reports.tests.test_league_pages import build_round
from tests.factories import RoleFactory

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


@pytest.mark.django_db
@pytest.mark.parametrize("pcts", [1, 3])
def test_a_file_with_rationales_reads_the_same_queries_whatever_the_pcts(
    client, django_assert_num_queries, pcts
):
    round_ = build_round(pcts, regions=1)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    client.get(URL.format(round_.slug))  # the table itself kept

    # Session, user, round, competency key, role, figures version; then the file's own:
    # the competencies' columns once and the rationales of the one chunk of rows
    # (reports.tables.with_extras: one more per 1,000 PCTs).
    with django_assert_num_queries(8):
        body = client.get(URL.format(round_.slug) + "?format=csv&rationales=1").getvalue()

    assert len(body.decode().splitlines()) == 1 + pcts
