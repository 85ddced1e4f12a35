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

    # A colleague signs the region off in another window.
    region_sign_off(
        round_=AssessmentRound.objects.get(slug="2009-10"),
        sha=StrategicHealthAuthority.objects.get(ods_code="Q30"),
        by=get_user_model().objects.get(username="moderator.q30"),
    )
    page.clock.run_for(31_000)

    expect(page.locator("[data-test=grid-updated]")).to_contain_text("Updated at")
    expect(current.first).to_have_text(Stage.CROSS_CHECK.label)
    assert set(current.all_text_contents()) == {Stage.CROSS_CHECK.label}
    assert errors == []
