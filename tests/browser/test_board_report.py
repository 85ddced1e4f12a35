"""The board of Birmingham East and North logs in and downloads its 2008-09 feedback report."""

import io

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.conftest import log_in


def test_board_downloads_its_published_feedback_report(page, live_server, demo_data):
    log_in(page, "board.5pg")

    link = page.get_by_role("link", name="Download (PDF) for 2008-09")
    expect(link).to_be_visible()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    text = "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(download.path().read_bytes())).pages
    )

    assert download.suggested_filename == "wcc-5PG-2008-09.pdf"
    assert "Birmingham East and North" in text
    assert "DRAFT" not in text
    expect(page.get_by_text("After publication")).to_be_visible()  # 2009-10 is embargoed
