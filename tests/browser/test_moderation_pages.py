"""moderator.q36 (London, 31 PCTs: two pages of the grid) finds a PCT of the second page by
name and pages back, without losing the whole region's counts."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import log_in


def test_moderator_finds_a_pct_on_another_page_and_pages_back(page, live_server, demo_data):
    log_in(page, "moderator.q36")
    page.goto("/reports/moderation/2009-10/Q36/?page=2")
    first = page.locator("[data-test=rating-row]").first
    name = first.locator("[data-test=pct-link]").inner_text()
    ods = first.get_attribute("id").removeprefix("pct-")

    page.goto("/reports/moderation/2009-10/Q36/")
    expect(page.locator("[data-test=page-range]")).to_have_text("PCTs 1 to 25 of 31 (page 1 of 2)")
    page.get_by_role("textbox", name="Find a PCT").fill(name.lower())
    page.get_by_role("button", name="Find", exact=True).click()

    expect(page).to_have_url(re.compile(rf"/reports/moderation/2009-10/Q36/\?page=2#pct-{ods}$"))
    expect(page.locator(f"#pct-{ods}")).to_be_in_viewport()
    expect(page.locator("[data-test=count-total]")).to_have_text("31")
    page.get_by_role("link", name="Previous page").click()
    expect(page.locator("[data-test=page-range]")).to_have_text("PCTs 1 to 25 of 31 (page 1 of 2)")
    expect(page.get_by_role("link", name="Page 1")).to_have_attribute("aria-current", "page")
