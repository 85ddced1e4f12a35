"""Browser tests: Playwright's sync API driving Debian's Chromium against ``live_server``.

No ``playwright install``: the browser is the system's ``/usr/bin/chromium``. Without it
these tests are skipped, except under ``CI=true``, where they fail. Every test collected
below this directory is marked ``browser`` (``pytest -m browser`` / ``-m "not browser"``).
A failing test leaves a full-page screenshot in ``test-results/``.
"""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

# Playwright's sync API runs an event loop in this thread, so Django would refuse ORM
# calls made in the test (SynchronousOnlyOperation). Here only: never in settings.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BROWSER_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BROWSER_DIR.parent.parent / "test-results"
TIMEOUT_MS = 15_000


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # Runs before pytest's own -m selection, so `-m browser` sees the mark.
    for item in items:
        if BROWSER_DIR in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the test, for the screenshot on failure.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(request, browser, live_server):
    """A page in a fresh browser context (no cookies), relative URLs on ``live_server``."""
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        RESULTS_DIR.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        page.screenshot(path=str(RESULTS_DIR / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def demo_data(transactional_db):
    """The reference data and the demo (``seed_demo``'s default seed).

    ``live_server`` makes each test transactional: the database is flushed after every
    test, so the demo is seeded again for each test that asks for it.
    """
    call_command("load_reference_data", verbosity=0)
    call_command("seed_demo", verbosity=0)


def log_in(page, username: str) -> None:
    """Log in through the login page as a demo user and wait for the home page."""
    from django.conf import settings

    page.goto("/accounts/login/")
    form = page.locator("form", has=page.locator("input[name=username]"))
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(settings.DEMO_PASSWORD)
    form.locator("[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))
