"""The moderation page's progress grid updates itself while staff keep the page open."""

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from assessments.models import AssessmentRound, Stage, StrategicHealthAuthority
from assessments.regions import region_sign_off
from tests.browser.conftest import log_in


def test_grid_shows_a_sign_off_made_elsewhere_without_a_reload(page, live_server, demo_data):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.clock.install()
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")
    current = page.locator("[data-test=grid] [data-test=current]")
    expect(current.first).to_have_text(Stage.MODERATION.label)
    note = page.locator("[data-test=grid-updated]")
    # Nothing changed: the live note is left alone (it would be read out every 30 seconds).
    page.clock.run_for(31_000)
    page.wait_for_timeout(300)
    expect(note).to_have_text("The grid updates itself every 30 seconds while this page is open.")

    # A colleague signs the region off in another window.
    region_sign_off(
        round_=AssessmentRound.objects.get(slug="2009-10"),
        sha=StrategicHealthAuthority.objects.get(ods_code="Q30"),
        by=get_user_model().objects.get(username="moderator.q30"),
    )
    page.clock.run_for(31_000)

    expect(note).to_contain_text("Updated at")
    expect(note).to_contain_text("the grid changed")
    expect(current.first).to_have_text(Stage.CROSS_CHECK.label)
    assert set(current.all_text_contents()) == {Stage.CROSS_CHECK.label}
    assert errors == []


def test_the_grid_can_stop_updating_itself(page, live_server, demo_data):
    """The accessibility walk: the grid's note changed every 30 seconds with no way to stop
    it (WCAG 2.2.2)."""
    page.clock.install()
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "progress" in r.url else None)

    page.get_by_role("button", name="Stop updating").click()
    page.clock.run_for(95_000)

    expect(page.locator("[data-test=grid-updated]")).to_have_text(
        "The grid no longer updates itself; reload the page to see the latest."
    )
    assert requests == []
    page.get_by_role("button", name="Start updating").click()
    expect(page.locator("[data-test=grid-updated]")).to_have_text(
        "The grid updates itself every 30 seconds while this page is open."
    )
    page.wait_for_timeout(300)
    assert len(requests) == 1
