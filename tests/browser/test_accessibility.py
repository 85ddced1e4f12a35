"""axe-core over the main page of every role and every form, error states included.

axe-playwright-python injects axe-core with ``page.evaluate`` (the DevTools protocol),
which the site's Content-Security-Policy does not block, so the pages are checked as
served, CSP and all. A violation of impact "serious" or "critical" fails the test; each
one found is printed with the page, the rule and the elements (CSS targets) to fix.

One test, so the demo is seeded once; one browser context per role.
"""

from tests.browser.conftest import TIMEOUT_MS, log_in

BLOCKING = {"serious", "critical"}
ERRORS = ".wcc-error-summary, .errorlist, .invalid-feedback, .alert-danger, [role=alert]"

# (role, pages): username None is the anonymous visitor. Each page is a URL, or a
# (label, URL, action) where the action is run on the loaded page before axe (error states).


def _submit(button_name):
    def action(page):
        page.get_by_role("button", name=button_name, exact=True).first.click()
        page.wait_for_load_state()

    return action


def _submit_form(selector):
    def action(page):
        page.locator(f"{selector} [type=submit]").last.click()
        page.wait_for_load_state()

    return action


def _wrong_password(page):
    form = page.locator("form", has=page.locator("input[name=username]"))
    form.locator("input[name=username]").fill("national")
    form.locator("input[name=password]").fill("not-the-password")
    form.locator("[type=submit]").click()
    page.wait_for_load_state()


def _pages(q30_ods):
    return [
        (
            None,
            [
                "/",
                "/help/",
                "/accounts/login/",
                ("login, wrong password", "/accounts/login/", _wrong_password),
                "/reports/league-table/2008-09/",
                "/reports/league-table/2008-09/?pattern=no-red",
                "/reports/summary/2008-09/",
                "/reports/pct/5PG/2008-09/",
            ],
        ),
        (
            "national",
            [
                "/",
                "/reports/cross-check/2009-10/",
                "/reports/publication/2009-10/",
                "/reports/publication/2008-09/",
                "/reports/batches/2008-09/",
                "/reports/import/2009-10/",
                "/reports/development/2008-09/",
                "/rounds/",
                "/rounds/2009-10/",
                "/people/",
                "/reports/league-table/2009-10/",
                "/staff/",
                "/staff/Q30/",
                (
                    "staff invite form, empty",
                    "/staff/national/",
                    _submit_form("[data-test=invite-form]"),
                ),
                (
                    "publication time, refused",
                    "/reports/publication/2009-10/",
                    _submit_form("[data-test=publication-form]"),
                ),
            ],
        ),
        (
            "moderator.q34",
            [
                "/",
                "/panels/2009-10/formation/",
                "/panels/2009-10/5MD/formation/",
                "/people/",
                "/people/add/",
                ("people add form, empty", "/people/add/", _submit_form("[data-test=person-form]")),
                "/boards/",
                "/boards/?without=on",
                "/boards/5PG/",
                (
                    "board invite form, empty",
                    "/boards/5PG/",
                    _submit_form("[data-test=invite-form]"),
                ),
            ],
        ),
        (
            "moderator.q30",
            [
                "/",
                "/reports/moderation/2009-10/Q30/",
                "/reports/development/2009-10/",
                f"/reports/development/2009-10/{q30_ods}/",
                f"/reports/pct/{q30_ods}/2009-10/",
                "/reports/summary/2009-10/Q30/",
            ],
        ),
        (
            "chair.q34",
            [
                "/",
                "/panels/mine/",
                "/panels/2009-10/5PG/score/",
                ("scoring form, empty", "/panels/2009-10/5PG/score/", _submit("Submit my scores")),
                "/panels/2009-10/5PG/consensus/",
            ],
        ),
        ("janet.richards", ["/", "/panels/mine/", "/panels/2009-10/5PG/score/"]),
        ("board.5pg", ["/", "/reports/pct/5PG/2008-09/"]),
        (
            "board.5pe",
            [
                "/",
                "/assessments/2009-10/5PE/self-assessment/",
                (
                    "self-assessment, missing items",
                    "/assessments/2009-10/5PE/self-assessment/",
                    _submit("Submit self-assessment"),
                ),
            ],
        ),
    ]


def _describe(label, violations):
    lines = []
    for violation in violations:
        lines.append(f"{label}: [{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.extend(
            f"    {node['target']}  {node.get('failureSummary', '')[:200]!r}"
            for node in violation["nodes"][:8]
        )
    return lines


def test_no_serious_or_critical_axe_violations(browser, live_server, demo_data):
    from axe_playwright_python.sync_playwright import Axe

    from assessments.models import PrimaryCareTrust

    q30_ods = PrimaryCareTrust.objects.filter(sha__ods_code="Q30").first().ods_code
    axe = Axe()
    counts = {}
    report = []
    blocking = []
    for username, pages in _pages(q30_ods):
        context = browser.new_context(base_url=live_server.url)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        if username:
            log_in(page, username)
        for entry in pages:
            label, url, action = entry if isinstance(entry, tuple) else (entry, entry, None)
            response = page.goto(url)
            assert response.status == 200, f"{username} {url}: {response.status}"
            if action:
                action(page)
                # The error state is really on the page: an error summary or message.
                errors = page.locator(ERRORS)
                assert errors.count(), f"{username} {label}: no error shown"
            results = axe.run(page)
            violations = results.response["violations"]
            where = f"{username or 'anonymous'} {label}"
            for violation in violations:
                counts[violation["impact"]] = counts.get(violation["impact"], 0) + 1
            report.append(f"{where}: {len(violations)} rule(s) violated")
            report += _describe(where, violations)
            blocking += [v for v in violations if v["impact"] in BLOCKING]
        context.close()
    print(f"\naxe violations by impact (rule x page): {counts}")
    print("\n".join(report))
    assert not blocking, "serious or critical axe violations:\n" + "\n".join(
        _describe("", blocking)
    )


PHONE_PAGES = [
    (None, ["/reports/pct/5PG/2008-09/", "/reports/league-table/2008-09/"]),
    ("board.5pg", ["/", "/accounts/you/"]),
    ("national", ["/rounds/", "/boards/", "/boards/5PG/", "/staff/national/", "/organisations/"]),
    ("moderator.q34", ["/panels/2009-10/5MD/", "/reports/moderation/2009-10/Q34/"]),
    ("chair.q34", ["/", "/panels/2009-10/5PG/consensus/", "/panels/mine/", "/accounts/you/"]),
]

# Each box that scrolls sideways and has no scrolling box inside it: its tabindex (links in
# it reach only their own column, so the box itself must take focus to be scrolled).
UNREACHABLE_BOXES = """() => [...document.querySelectorAll('.table-responsive, .wcc-card, .wcc-scroll')]
  .filter((box) => box.scrollWidth > box.clientWidth + 1
    && !box.querySelector('.table-responsive, .wcc-scroll') && !box.hasAttribute('tabindex'))
  .map((box) => (box.querySelector('caption, h2, h3') || box).textContent.trim().slice(0, 40))"""

# Each box that scrolls sideways without a visible hint before it that there is more.
UNHINTED_BOXES = """() => [...document.querySelectorAll('[data-scroll-region]')]
  .filter((box) => !(box.previousElementSibling
    && box.previousElementSibling.classList.contains('wcc-scroll-hint')))
  .map((box) => (box.querySelector('caption, h2, h3') || box).textContent.trim().slice(0, 40))"""


def test_pages_fit_a_phone_and_their_sideways_boxes_are_reachable(browser, live_server, demo_data):
    """At 390 px no page is wider than the screen (a wide table scrolls in its box), and
    axe finds no serious violation there either: a box that scrolls sideways is reachable
    from the keyboard (the phone walk found 84 pages where it was not), even when it holds
    links (the chair walk: the home page's table showed only the linked column)."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    problems = []
    for username, pages in PHONE_PAGES:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 390, "height": 800}
        )
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        if username:
            log_in(page, username)
        for url in pages:
            assert page.goto(url).status == 200, f"{username} {url}"
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 392:
                problems.append(f"{username} {url}: the page is {width} px wide")
            problems += [
                f"{username} {url}: a box scrolls sideways out of reach: {box}"
                for box in page.evaluate(UNREACHABLE_BOXES)
            ]
            problems += [  # walk R: the last columns were hidden with no sign of them
                f"{username} {url}: a box scrolls sideways with nothing saying so: {box}"
                for box in page.evaluate(UNHINTED_BOXES)
            ]
            violations = axe.run(page).response["violations"]
            problems += _describe(
                f"{username} {url}", [v for v in violations if v["impact"] in BLOCKING]
            )
        context.close()
    assert not problems, "\n".join(problems)
