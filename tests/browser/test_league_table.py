"""An anonymous visitor opens the published 2008-09 league table and downloads the CSV."""

import csv
import io

from playwright.sync_api import expect


def test_anonymous_visitor_reads_the_published_table_and_downloads_csv(
    page, live_server, demo_data
):
    page.goto("/reports/league-table/2008-09/")

    rows = page.locator("[data-test=league] tbody tr")
    expect(rows).to_have_count(152)
    expect(rows.nth(0).locator("[data-test=pct]")).to_have_text("Birmingham East and North")
    expect(rows.nth(0).locator("[data-test=rank]")).to_have_text("1")
    with page.expect_download() as download_info:
        page.locator("[data-test=csv]").click()
    content = download_info.value.path().read_text(encoding="utf-8")

    table = list(csv.DictReader(io.StringIO(content)))
    assert download_info.value.suggested_filename == "league-table-2008-09.csv"
    assert [(r["rank"], r["ods_code"]) for r in table[:3]] == [
        ("1", "5PG"),
        ("2", "5C4"),
        ("3", "5QL"),
    ]
    assert len(table) == 152


def test_anonymous_visitor_gets_404_for_the_unpublished_round(page, live_server, demo_data):
    response = page.goto("/reports/league-table/2009-10/")

    assert response.status == 404
