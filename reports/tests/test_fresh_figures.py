"""The reports read a round's figures once per version, and see every change on the next
request (``assessments.standings``, ``reports.tables.ratings_frame``).

Each test warms the page first, so that a stale frame would be there to be served, then
changes something through the service a user's action calls, then asks again.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import AgreedRating, Assessment, AssessmentRound, Stage, Standing
from assessments.organisations import pct_update
from assessments.publication import publication_withdraw
from assessments.services import agreed_rating_adjust
from assessments.standings import standings_rebuild
from tests.users import demo_user

pytestmark = pytest.mark.django_db

LEAGUE = "/reports/league-table/{}/"
OPEN_DATA = "/api/results/{}.json"


def _standing_table_read(queries) -> bool:
    return any('"assessments_standing"' in q["sql"] for q in queries)


def _moderation_rating() -> AgreedRating:
    """A competency rating of a 2009-10 assessment at regional moderation."""
    return (
        AgreedRating.objects.filter(
            assessment__round__slug="2009-10",
            assessment__stage=Stage.MODERATION,
            competency__isnull=False,
        )
        .select_related("assessment__pct", "competency")
        .order_by("assessment__pct__name", "competency__number")
        .first()
    )


def test_a_warm_frame_is_read_again_only_after_a_rating_changes(client, demo):
    client.force_login(demo_user("national"))
    rating = _moderation_rating()
    new = next(n for n in (1, 2, 3, 4) if n not in (rating.level, rating.panel_level))
    client.get(LEAGUE.format("2009-10"))

    with CaptureQueriesContext(connection) as warm:
        client.get(LEAGUE.format("2009-10"))
    agreed_rating_adjust(
        rating=rating,
        value=new,
        reason="Moderated.",
        by=demo_user("national"),
        expected_version=rating.version,
    )
    with CaptureQueriesContext(connection) as after:
        response = client.get(LEAGUE.format("2009-10"))

    assert not _standing_table_read(warm.captured_queries)
    assert _standing_table_read(after.captured_queries)
    row = next(
        r for r in response.context["rows"] if r["ods_code"] == rating.assessment.pct.ods_code
    )
    code = f"c{rating.competency.number}"
    assert row[code] == new
    assert row["moderated"][code] == str(rating.panel_level)  # the panel's value beside it


def test_a_renamed_pct_is_named_so_in_the_next_published_file(client, demo):
    pct = Assessment.objects.get(round__slug="2008-09", pct__ods_code="5PG").pct
    client.get(OPEN_DATA.format("2008-09"))

    pct_update(
        pct=pct,
        name="Birmingham East and North (renamed)",
        sha=pct.sha,
        org_type=pct.org_type,
        closed_on=pct.closed_on,
        by=demo_user("national"),
    )
    rows = client.get(OPEN_DATA.format("2008-09")).json()["results"]

    assert {r["ods_code"]: r["pct"] for r in rows}["5PG"] == "Birmingham East and North (renamed)"


def test_a_withdrawn_publication_is_embargoed_on_the_next_request(client, demo):
    assert client.get(OPEN_DATA.format("2008-09")).status_code == 200

    publication_withdraw(
        round_=AssessmentRound.objects.get(slug="2008-09"),
        reason="A figure was wrong.",
        by=demo_user("national"),
    )

    assert client.get(OPEN_DATA.format("2008-09")).status_code == 404


def test_a_publication_time_passing_publishes_without_any_write(client, demo):
    round_ = AssessmentRound.objects.get(slug="2008-09")
    published_at = round_.published_at
    client.force_login(demo_user("national"))
    # Before the publication time the national team sees the table but it is not public.
    AssessmentRound.objects.filter(pk=round_.pk).update(
        published_at=timezone.now() + timedelta(hours=1)
    )
    embargoed = client.get(LEAGUE.format("2008-09"))
    AssessmentRound.objects.filter(pk=round_.pk).update(published_at=published_at)

    published = client.get(LEAGUE.format("2008-09"))

    assert (embargoed.context["published"], published.context["published"]) == (False, True)
    assert len(published.context["rows"]) == len(embargoed.context["rows"])


def test_the_standings_the_services_kept_equal_a_rebuild_from_the_ratings(demo):
    rating = _moderation_rating()
    agreed_rating_adjust(
        rating=rating,
        value=1 if rating.level != 1 else 4,
        reason="Moderated.",
        by=demo_user("national"),
        expected_version=rating.version,
    )
    fields = ("assessment_id", "round_id", "values", "moderated", "governance", "total", "complete")
    kept = sorted(Standing.objects.values_list(*fields))

    standings_rebuild(rounds=AssessmentRound.objects.filter(slug__in=["2008-09", "2009-10"]))

    assert sorted(Standing.objects.values_list(*fields)) == kept
    assert len(kept) == Assessment.objects.filter(agreed_ratings__isnull=False).distinct().count()
