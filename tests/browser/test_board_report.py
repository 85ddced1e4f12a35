"""The board of Birmingham East and North logs in, opens its 2008-09 results page and
downloads its feedback report from it."""

import io

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import log_in


def test_board_downloads_its_published_feedback_report(page, live_server, demo_data):
    log_in(page, "board.5pg")
    expect(page.get_by_text("After publication")).to_be_visible()  # 2009-10 is embargoed

    page.get_by_role("link", name="Results for 2008-09").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Birmingham East and North")
    expect(page.locator("[data-test=summary]")).to_contain_text("1 of 152")
    expect(page.locator("figure svg title")).to_have_text(
        "Birmingham East and North: competency levels against SHA and England means"
    )
    link = page.get_by_role("link", name="Download the feedback report (PDF)")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(download.path().read_bytes())).pages
    )

    assert download.suggested_filename == "wcc-5PG-2008-09.pdf"
    assert "Birmingham East and North" in text
    assert "DRAFT" not in text
