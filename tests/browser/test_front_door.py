"""The public front door, and a confirmation step that acts only on confirm."""

import re

from playwright.sync_api import expect

from assessments.models import Assessment, RegionReview, Stage
from tests.browser.conftest import log_in


def test_anonymous_visitor_opens_the_published_league_table_then_logs_in(
    page, live_server, demo_data
):
    page.goto("/")

    expect(page.get_by_role("heading", level=1)).to_have_text("World Class Commissioning assurance")
    published = page.locator("[data-test=published-round]")
    expect(published).to_have_count(1)  # 2009-10 is not published: it does not appear
    expect(page.get_by_role("link", name="How it works").first).to_be_visible()
    published.get_by_role("link", name="League table 2008-09").click()
    expect(page).to_have_url(re.compile(r"/reports/league-table/2008-09/$"))
    expect(page.locator("table").first).to_be_visible()

    page.locator("[data-test=login-link]").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("input[name=username]")).to_be_visible()


def test_sign_off_shows_a_confirmation_and_acts_only_on_confirm(page, live_server, demo_data):
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")

    page.get_by_role("button", name="Sign off North East").click()
    expect(page.locator("[data-test=confirmation] h1")).to_contain_text("Sign off North East")
    expect(page.locator("[data-test=told]")).to_contain_text("Nobody is e-mailed")
    assert not RegionReview.objects.filter(sha__ods_code="Q30", status="signed_off").exists()

    page.get_by_role("link", name="Go back").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional moderation: North East")
    assert set(
        Assessment.objects.filter(round__slug="2009-10", pct__sha__ods_code="Q30").values_list(
            "stage", flat=True
        )
    ) == {Stage.MODERATION}

    page.get_by_role("button", name="Sign off North East").click()
    page.get_by_role("button", name="Confirm and sign off North East").click()
    expect(page.get_by_text("North East signed off")).to_be_visible()
    assert set(
        Assessment.objects.filter(round__slug="2009-10", pct__sha__ods_code="Q30").values_list(
            "stage", flat=True
        )
    ) == {Stage.CROSS_CHECK}
