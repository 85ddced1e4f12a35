"""The panel formation list at scale: 50 PCTs a page under the whole region's counts, the
"Find a PCT" lookup, the national team's summary by region, and query counts that do not
grow with the PCTs or the regions."""

import re

import pytest

from assessments.models import Role, Stage
from panels.models import JobRole, Panel, Seat
from panels.selectors import formation_counts
from panels.tests.formation_builders import build_region, person
from panels.views.formation import PAGE_SIZE
from tests.factories import PCTFactory, RoleFactory, SHAFactory

pytestmark = pytest.mark.django_db


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


def national():
    return RoleFactory(kind=Role.Kind.NATIONAL).user


def region_url(region, query=""):
    return f"/panels/{region.round.slug}/formation/{query}"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def more_pcts(region, n, *, sha=None, stage=Stage.PANEL_FORMATION):
    """``n`` more assessments named "Zed 01"... (after "Assessed PCT" and "Neighbour PCT")."""
    return [
        region.assessment_in(
            region.round, pct=PCTFactory(sha=sha or region.sha_a, name=f"Zed {i:02}"), stage=stage
        )
        for i in range(1, n + 1)
    ]


def ods_of(response) -> list[str]:
    return [r.assessment.pct.ods_code for r in response.context["overview"].rows]


# --- Pages of the list -------------------------------------------------------------------------


def test_formation_region_shows_50_pcts_a_page_and_the_whole_regions_counts(client):
    region = build_region()
    region.seated()
    extra = more_pcts(region, PAGE_SIZE)  # 51 PCTs in all
    client.force_login(staff_of(region.sha_a))

    first = client.get(region_url(region))
    second = client.get(region_url(region, "?page=2"))

    assert ods_of(first) == [region.pct.ods_code] + [a.pct.ods_code for a in extra[:49]]
    assert ods_of(second) == [extra[-1].pct.ods_code]
    for response in (first, second):
        total = response.context["total"]
        assert (total.pcts, total.panels_complete, total.ready, total.filled, total.seats) == (
            51,
            1,
            1,
            5,
            5,
        )
    assert 'data-test="count-pcts">51<' in second.content.decode()
    assert "PCTs 51 to 51 of 51 (page 2 of 2)" in text(second)
    assert 'href="?page=1#formation-list"' in second.content.decode()


def test_formation_region_page_links_keep_the_sha(client):
    region = build_region()
    more_pcts(region, PAGE_SIZE)
    client.force_login(national())

    response = client.get(region_url(region, f"?sha={region.sha_a.ods_code}"))

    assert f'href="?sha={region.sha_a.ods_code}&amp;page=2#formation-list"' in (
        response.content.decode()
    )


@pytest.mark.parametrize("page", ["2", "0", "x", "1.5"])
def test_formation_region_is_404_for_a_page_that_does_not_exist(client, page):
    region = build_region()
    client.force_login(staff_of(region.sha_a))

    assert client.get(region_url(region, f"?page={page}")).status_code == 404


# --- Find a PCT -----------------------------------------------------------------------------


def test_formation_region_lookup_jumps_to_the_page_holding_the_pct(client):
    region = build_region()
    extra = more_pcts(region, PAGE_SIZE)
    wanted = extra[-1].pct
    client.force_login(staff_of(region.sha_a))

    by_code = client.get(region_url(region, f"?pct={wanted.ods_code.lower()}"))
    by_name = client.get(region_url(region, "?pct=zed 50"))

    expected = f"/panels/{region.round.slug}/formation/?page=2#pct-{wanted.ods_code}"
    assert (by_code.status_code, by_code["Location"]) == (302, expected)
    assert (by_name.status_code, by_name["Location"]) == (302, expected)


def test_formation_region_lookup_keeps_the_sha(client):
    region = build_region()
    client.force_login(national())

    response = client.get(region_url(region, f"?sha={region.sha_a.ods_code}&pct=assessed"))

    assert response["Location"] == (
        f"/panels/{region.round.slug}/formation/?sha={region.sha_a.ods_code}&page=1"
        f"#pct-{region.pct.ods_code}"
    )


def test_formation_region_lookup_says_when_several_pcts_match(client):
    region = build_region()
    first = more_pcts(region, 2)[0].pct
    client.force_login(staff_of(region.sha_a))

    response = client.get(region_url(region, "?pct=zed"), follow=True)

    assert [str(m) for m in response.context["messages"]] == [
        f"2 PCTs match “zed”: this is Zed 01 ({first.ods_code}). Enter an ODS code to find another."
    ]


def test_formation_region_lookup_with_no_match_shows_an_error_summary(client):
    region = build_region()
    region.assessment_in(region.round, pct=region.pct_b)  # another region: not found
    client.force_login(staff_of(region.sha_a))

    response = client.get(region_url(region, f"?pct={region.pct_b.ods_code}"))

    page = text(response)
    assert response.status_code == 200
    assert "<title>Error: " in page
    assert 'data-test="error-summary"' in page
    assert (
        f"No PCT of SHA Alpha matches “{region.pct_b.ods_code}”: enter its ODS code (such as "
        f"{region.pct.ods_code}) or part of its name." in page
    )
    assert ods_of(response) == [region.pct.ods_code]


def test_formation_region_national_lookup_lands_on_the_pcts_region(client):
    region = build_region()
    extra = more_pcts(region, PAGE_SIZE + 1, sha=region.sha_b)
    wanted = extra[-1].pct  # "Far PCT" comes first in SHA Beta: this is its 53rd PCT
    client.force_login(national())

    response = client.get(region_url(region, f"?pct={wanted.ods_code}"))

    assert response["Location"] == (
        f"/panels/{region.round.slug}/formation/?sha={region.sha_b.ods_code}&page=2"
        f"#pct-{wanted.ods_code}"
    )


def test_formation_region_national_lookup_with_no_match_shows_the_summary(client):
    region = build_region()
    client.force_login(national())

    response = client.get(region_url(region, "?pct=nowhere"))

    assert response.status_code == 200
    assert "No PCT in England matches “nowhere”" in text(response)
    assert [s for s, _ in response.context["regions"]] == [region.sha_a, region.sha_b]


# --- The national team's summary --------------------------------------------------------------


def test_formation_region_national_summary_counts_each_region(client):
    region = build_region()
    region.seated()
    more_pcts(region, 2, stage=Stage.SELF_ASSESSMENT)
    far = region.assessment_in(region.round, pct=region.pct_b, stage=Stage.SCORING)
    Seat.objects.create(
        panel=Panel.objects.create(assessment=far),
        seat_type=region.seat_types[5],
        person=person(JobRole.CHIEF_EXECUTIVE, pct=region.pct, name="Gus Home"),
    )
    client.force_login(national())

    response = client.get(region_url(region))

    counts = dict(response.context["regions"])
    alpha, beta = counts[region.sha_a], counts[region.sha_b]
    assert alpha.by_stage == [
        ("Self-assessment", 2),
        ("Panel formation", 1),
        ("Scoring", 0),
        ("Later stages", 0),
    ]
    assert (alpha.pcts, alpha.panels_complete, alpha.ready, alpha.filled, alpha.warned) == (
        3,
        1,
        1,
        5,
        1,
    )
    assert (beta.pcts, beta.panels_complete, beta.ready, beta.filled, beta.warned) == (
        1,
        1,
        0,
        1,
        1,
    )
    assert response.context["total"].pcts == 4
    assert f'<a href="?sha={region.sha_b.ods_code}">SHA Beta</a>' in response.content.decode()
    assert text(response).count('data-test="pct-row"') == 0


def test_formation_counts_match_the_rows_of_the_list(client):
    region = build_region()
    region.seated()
    half = more_pcts(region, 2)
    panel = Panel.objects.create(assessment=half[0])
    for number, seat_type in region.seat_types.items():
        Seat.objects.create(
            panel=panel, seat_type=seat_type, person=region.people[number] if number < 3 else None
        )
    client.force_login(staff_of(region.sha_a))

    response = client.get(region_url(region))

    rows = response.context["overview"].rows
    counts = formation_counts(round=region.round, sha_ids=[region.sha_a.pk])[region.sha_a.pk]
    assert (counts.pcts, counts.filled, counts.seats, counts.panels_complete, counts.ready) == (
        len(rows),
        sum(r.filled for r in rows),
        sum(r.size for r in rows),
        sum(r.complete for r in rows),
        sum(r.can_open_scoring for r in rows),
    )


# --- Query counts ----------------------------------------------------------------------------


def seated_pcts(region, n):
    for i, assessment in enumerate(more_pcts(region, n)):
        panel = Panel.objects.create(assessment=assessment)
        for number, seat_type in region.seat_types.items():
            Seat.objects.create(
                panel=panel, seat_type=seat_type, person=region.people[number] if i else None
            )


@pytest.mark.parametrize("pcts", [0, 2, PAGE_SIZE + 10])
def test_formation_region_queries_do_not_grow_with_the_region(
    client, django_assert_num_queries, pcts
):
    region = build_region()
    region.seated()
    seated_pcts(region, pcts)
    client.force_login(staff_of(region.sha_a))

    with django_assert_num_queries(11):
        response = client.get(region_url(region, "?page=1"))

    assert len(response.context["overview"].rows) == min(pcts + 1, PAGE_SIZE)


@pytest.mark.parametrize("pcts", [0, 2, PAGE_SIZE + 10])
def test_formation_region_lookup_queries_do_not_grow_with_the_region(
    client, django_assert_num_queries, pcts
):
    region = build_region()
    seated_pcts(region, pcts)
    client.force_login(staff_of(region.sha_a))

    with django_assert_num_queries(6):
        response = client.get(region_url(region, f"?pct={region.pct.ods_code}"))

    assert response.status_code == 302


@pytest.mark.parametrize("regions", [1, 3])
def test_formation_region_national_summary_queries_do_not_grow_with_regions(
    client, django_assert_num_queries, regions
):
    region = build_region()
    region.seated()
    for _ in range(regions - 1):
        sha = SHAFactory()
        more_pcts(region, 2, sha=sha)
    client.force_login(national())

    with django_assert_num_queries(8):
        response = client.get(region_url(region))

    assert len(response.context["regions"]) == regions + 1
