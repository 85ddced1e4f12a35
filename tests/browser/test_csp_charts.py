"""Under the strict Content-Security-Policy (no inline style or script) the summary page's
charts still draw in Chromium, and the browser reports no violation (issue 12)."""

from playwright.sync_api import expect

from tests.browser.conftest import RESULTS_DIR, log_in


def test_summary_charts_render_under_the_content_security_policy(page, live_server, demo_data):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, "national")

    response = page.goto("/reports/summary/2008-09/")
    chart = page.locator("[data-test=competency-charts] svg").first
    expect(chart).to_be_visible()
    RESULTS_DIR.mkdir(exist_ok=True)
    chart.screenshot(path=str(RESULTS_DIR / "csp-summary-chart.png"))

    box = chart.bounding_box()
    bar = chart.locator("path[fill='#0072b2']").first
    assert "style-src 'self'" in response.headers["content-security-policy"]
    assert violations == []
    # The chart fills its card (summary.css) and its bars keep their colour, now given as
    # presentation attributes, which the policy allows.
    assert box["width"] > 250
    assert bar.evaluate("e => getComputedStyle(e).fill") == "rgb(0, 114, 178)"


def test_pct_profile_chart_renders_under_the_content_security_policy(page, live_server, demo_data):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, "national")

    page.goto("/reports/pct/5PG/2008-09/")
    chart = page.locator("#compare figure svg")
    expect(chart).to_be_visible()
    RESULTS_DIR.mkdir(exist_ok=True)
    chart.screenshot(path=str(RESULTS_DIR / "csp-pct-profile-chart.png"))

    strokes = chart.locator("path[stroke-dasharray]").evaluate_all(
        "paths => paths.map(e => getComputedStyle(e).stroke)"
    )
    assert violations == []
    # England's dashed line keeps its near-black, drawn over its white edge.
    assert "rgb(17, 17, 17)" in strokes
