from django.conf import settings
from django.shortcuts import resolve_url
from playwright.sync_api import expect


def test_chair_q34_sees_5pg_panel_after_login(page, live_server, demo_data):
    page.goto("/accounts/login/")

    login_form = page.locator("form", has=page.locator("input[name=username]"))
    login_form.locator("input[name=username]").fill("chair.q34")
    login_form.locator("input[name=password]").fill(settings.DEMO_PASSWORD)
    login_form.locator("[type=submit]").click()

    page.wait_for_url(live_server.url + resolve_url(settings.LOGIN_REDIRECT_URL))
    my_panels = page.get_by_role("region", name="My panels")
    expect(my_panels.get_by_text("Birmingham East and North", exact=True).first).to_be_visible()
