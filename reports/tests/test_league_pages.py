"""The league table's pages, its files, the open data and a PCT's page at scale (issue 13).

Tables of more than 200 rows are paginated, 50 rows a page; what a page shows is kept per
figures version, so each test that checks freshness warms the page first (a stale copy
would then be there to be served), changes a rating through the service a moderator's
action calls, and asks again. Query counts are asserted on a factory-built round small
and larger: they must be the same.
"""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import AgreedRating, Assessment, AssessmentRound, PrimaryCareTrust, Stage
from assessments.services import agreed_rating_adjust
from assessments.standings import standings_rebuild
from tests.database import analyze
from tests.factories import (
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    SHAFactory,
)
from tests.users import demo_user

LEAGUE = "/reports/league-table/{}/"
OPEN_DATA = "/api/results/{}.json"
PCT_PAGE = "/reports/pct/{}/{}/"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
SLUG = "2030-31"


def build_round(pcts: int, *, regions: int = 2) -> AssessmentRound:
    """A published round of ``pcts`` complete PCTs over ``regions`` SHAs, with varied
    levels (ties and spread), written in bulk as a load would be."""
    framework = FrameworkFactory(slug="fw-pages")
    competencies = [
        CompetencyFactory(framework=framework, number=n, with_levels=False) for n in (1, 2)
    ]
    areas = [
        GovernanceAreaFactory(framework=framework, code=code, position=i)
        for i, code in enumerate(["strategy", "finance", "board"], start=1)
    ]
    round_ = AssessmentRoundFactory(
        slug=SLUG, framework=framework, published_at=timezone.now() - timedelta(days=1)
    )
    shas = [SHAFactory() for _ in range(regions)]
    trusts = PrimaryCareTrust.objects.bulk_create(
        PrimaryCareTrust(
            ods_code="Z" + ALPHABET[n // 26] + ALPHABET[n % 26],
            name=f"Trust {n:03d}",
            org_type="pct",
            sha=shas[n % regions],
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
                assessment=a,
                competency=c,
                level=1 + (n + c.number) % 4,
                panel_level=1 + (n + c.number) % 4,
                rationale="r",
            )
            for c in competencies
        ]
        light = ["green", "amber", "red"][n % 3]
        ratings += [
            AgreedRating(assessment=a, area=ar, light=light, panel_light=light, rationale="r")
            for ar in areas
        ]
    AgreedRating.objects.bulk_create(ratings)
    standings_rebuild(rounds=[round_])  # as a bulk load must
    analyze()
    return round_


def ranks_and_codes(response) -> list[tuple[int, str]]:
    return [(r["rank"], r["ods_code"]) for r in response.context["rows"]]


def page_links(html: str) -> list[str]:
    nav = html[html.index('data-test="pagination"') :]
    nav = nav[: nav.index("</nav>")]
    return re.findall(r'href="([^"]+)"', nav)


# --- Pagination ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_league_table_over_200_rows_shows_50_a_page_and_page_2_continues(client):
    build_round(230)
    everything = [
        (int(r["rank"]), r["ods_code"])
        for r in csv.DictReader(io.StringIO(client.get(LEAGUE.format(SLUG) + "?format=csv").text))
    ]

    first = client.get(LEAGUE.format(SLUG))
    second = client.get(LEAGUE.format(SLUG) + "?page=2")
    last = client.get(LEAGUE.format(SLUG) + "?page=5")

    assert len(everything) == 230
    assert ranks_and_codes(first) == everything[:50]
    assert ranks_and_codes(second) == everything[50:100]
    assert ranks_and_codes(last) == everything[200:]
    html = second.content.decode()
    assert "Showing PCTs 51 to 100 of 230" in html
    # The whole table is one click away, said above the table.
    assert html.index('<a href="?sort=rank&amp;format=csv">download it as CSV</a>') < html.index(
        "<table"
    )
    assert "230 PCTs; sorted by rank; page 2 of 5</caption>" in html
    assert page_links(html) == [
        "?sort=rank&amp;page=1",
        "?sort=rank&amp;page=1",
        "?sort=rank&amp;page=2",
        "?sort=rank&amp;page=3",
        "?sort=rank&amp;page=4",
        "?sort=rank&amp;page=5",
        "?sort=rank&amp;page=3",
    ]
    assert 'aria-current="page" aria-label="Page 2"' in html


@pytest.mark.django_db
def test_league_table_page_links_keep_the_region_filter_and_sort(client):
    # Two regions of 320, of which 213 have no red: a region's filtered rows are paginated.
    round_ = build_round(640)
    sha = Assessment.objects.filter(round=round_).values_list("pct__sha__ods_code", flat=True)[0]
    query = f"?sha={sha}&pattern=no-red&sort=c2"

    response = client.get(LEAGUE.format(SLUG) + query + "&page=2")

    rows = response.context["rows"]
    assert {r["sha"] for r in rows} == {sha}
    assert all("red" not in (r["strategy"], r["finance"], r["board"]) for r in rows)
    assert [r["c2"] for r in rows] == sorted((r["c2"] for r in rows), reverse=True)
    links = page_links(response.content.decode())
    assert links[0] == f"?sha={sha}&amp;pattern=no-red&amp;sort=c2&amp;page=1"
    assert all(
        link.startswith(f"?sha={sha}&amp;pattern=no-red&amp;sort=c2&amp;page=") for link in links
    )


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["0", "999", "abc", "-1", "2.0", ""])
def test_league_table_page_out_of_range_or_not_a_number_is_404(client, page):
    build_round(230)

    response = client.get(LEAGUE.format(SLUG) + f"?page={page}")

    assert response.status_code == 404


@pytest.mark.django_db
def test_league_table_of_200_rows_or_fewer_is_one_page(client):
    build_round(200)

    response = client.get(LEAGUE.format(SLUG))

    assert len(response.context["rows"]) == 200
    assert response.context["paginated"] is False
    assert 'data-test="pagination"' not in response.content.decode()
    assert client.get(LEAGUE.format(SLUG) + "?page=2").status_code == 404


# --- Query counts: the same for a small and a larger round ---------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("pcts", [10, 230])
def test_league_table_queries_do_not_grow_cold_or_warm(client, django_assert_num_queries, pcts):
    build_round(pcts)

    # Cold: round, competency key, versions; the round's standings and its version
    # (ratings_frame), the framework's columns (league_frame); the SHAs of the filter.
    with django_assert_num_queries(7):
        cold = client.get(LEAGUE.format(SLUG))
    # Warm: round, competency key, versions, SHAs.
    with django_assert_num_queries(4):
        warm = client.get(LEAGUE.format(SLUG))

    assert ranks_and_codes(warm) == ranks_and_codes(cold)
    assert len(warm.context["rows"]) == min(pcts, 50)


@pytest.mark.django_db
@pytest.mark.parametrize("pcts", [10, 230])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_league_table_file_queries_do_not_grow_cold_or_warm(
    client, django_assert_num_queries, pcts, fmt
):
    build_round(pcts)
    url = LEAGUE.format(SLUG) + f"?format={fmt}"

    with django_assert_num_queries(6):
        cold = client.get(url)
    with django_assert_num_queries(3):  # round, competency key, versions
        warm = client.get(url)

    assert warm.content == cold.content


@pytest.mark.django_db
@pytest.mark.parametrize("pcts", [10, 230])
def test_open_data_queries_do_not_grow_cold_or_warm(client, django_assert_num_queries, pcts):
    build_round(pcts)

    # Cold: round, version; standings and version (ratings_frame); framework's columns.
    with django_assert_num_queries(6):
        cold = client.get(OPEN_DATA.format(SLUG))
    with django_assert_num_queries(2):  # round, version
        warm = client.get(OPEN_DATA.format(SLUG))

    assert warm.content == cold.content
    assert len(warm.json()["results"]) == pcts


@pytest.mark.django_db
@pytest.mark.parametrize("pcts", [10, 230])
def test_pct_page_queries_do_not_grow_cold_or_warm(client, django_assert_num_queries, pcts):
    build_round(pcts)
    url = PCT_PAGE.format("ZAB", SLUG)

    # Warm: the round's and last round's versions instead of their figures (the rest is
    # the page's own: the assessment, its ratings, panel, plan, comments).
    with django_assert_num_queries(16):
        cold = client.get(url)
    with django_assert_num_queries(13):
        warm = client.get(url)

    assert (warm.context["report"].rank, warm.context["report"].ranked) == (
        cold.context["report"].rank,
        pcts,
    )


# --- A rating changed shows on the next request ----------------------------------------------


@pytest.fixture
def published_2009(demo):
    """The demo's 2009-10 round published an hour ago, its assessments still where the
    demo left them (most at regional moderation, where a rating may still be adjusted)."""
    AssessmentRound.objects.filter(slug="2009-10").update(
        published_at=timezone.now() - timedelta(hours=1)
    )
    return AssessmentRound.objects.get(slug="2009-10")


@pytest.mark.django_db
def test_a_rating_changed_shows_on_the_next_league_table_csv_json_and_pct_page(
    client, published_2009
):
    rating = (
        AgreedRating.objects.filter(
            assessment__round=published_2009,
            assessment__stage=Stage.MODERATION,
            assessment__standing__complete=True,
            competency__isnull=False,
        )
        .select_related("assessment__pct", "competency")
        .order_by("assessment__pct__name", "competency__number")
        .first()
    )
    ods, code = rating.assessment.pct.ods_code, f"c{rating.competency.number}"
    old = rating.level
    new = next(n for n in (1, 2, 3, 4) if n not in (old, rating.panel_level))
    urls = {
        "page": LEAGUE.format("2009-10") + "?sort=pct",
        "csv": LEAGUE.format("2009-10") + "?format=csv",
        "json": OPEN_DATA.format("2009-10"),
        "pct": PCT_PAGE.format(ods, "2009-10"),
    }

    def seen() -> dict:
        responses = {name: client.get(url) for name, url in urls.items()}
        return {
            "page": next(
                r[code] for r in responses["page"].context["rows"] if r["ods_code"] == ods
            ),
            "csv": next(
                int(r[code])
                for r in csv.DictReader(io.StringIO(responses["csv"].text))
                if r["ods_code"] == ods
            ),
            "json": next(
                r["competencies"][code[1:]]
                for r in responses["json"].json()["results"]
                if r["ods_code"] == ods
            ),
            "pct": next(
                i.value
                for i in responses["pct"].context["report"].competencies
                if i.item.number == rating.competency.number
            ),
        }

    before = seen()  # and now kept
    agreed_rating_adjust(
        rating=rating,
        value=new,
        reason="Moderated.",
        by=demo_user("national"),
        expected_version=rating.version,
    )
    after = seen()

    assert before == dict.fromkeys(urls, old)
    assert after == dict.fromkeys(urls, new)
