"""The GOV.UK form pattern and "work is never lost", in Chromium under the site's CSP: the
error summary takes focus and its links move to the fields; the scoring page warns before
leaving with unsaved changes, and keeps them in the browser until they are saved."""

import re

from django.conf import settings
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories.files import PDF

SCORE_URL = "/panels/2009-10/5pg/score/"
ACTIVE_ID = "() => document.activeElement && document.activeElement.id"


def test_scoring_errors_take_focus_and_each_link_moves_to_its_item(page, demo_data):
    log_in(page, "chair.q34")
    page.goto(SCORE_URL)
    page.locator("input[name=c1][value='3']").check()

    page.get_by_role("button", name="Submit my scores").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("There is a problem")
    expect(page).to_have_title(re.compile(r"^Error: Scoring:"))
    assert page.evaluate(ACTIVE_ID) == "error-summary"
    link = summary.get_by_role("link", name=re.compile(r"^2\. .*: choose a level\.$"))
    assert link.get_attribute("href") == "#id_c2_0"
    link.click()
    assert page.evaluate(ACTIVE_ID) == "id_c2_0"
    expect(page.locator("#id_c2_0")).to_be_in_viewport()
    expect(page.locator("input[name=c1][value='3']")).to_be_checked()  # kept as chosen


def test_unsaved_scores_warn_before_leaving_and_are_restored_until_saved(page, demo_data):
    log_in(page, "chair.q34")
    page.goto(SCORE_URL)
    leave_warning = (
        "() => { const e = new Event('beforeunload', {cancelable: true});"
        " window.dispatchEvent(e); return e.defaultPrevented; }"
    )
    assert page.evaluate(leave_warning) is False  # nothing typed yet

    page.locator("input[name=c1][value='3']").check()
    page.locator("textarea[name=c1_notes]").fill("Typed, never saved.")
    assert page.evaluate(leave_warning) is True

    # Leave without saving (accepting the browser's warning), then come back.
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto("/")
    page.goto(SCORE_URL)
    expect(page.locator("[data-test=restored]")).to_have_text(
        "We restored answers you had not saved. Save a draft to keep them."
    )
    expect(page.locator("input[name=c1][value='3']")).to_be_checked()
    expect(page.locator("textarea[name=c1_notes]")).to_have_value("Typed, never saved.")

    # Saving clears the browser's copy: coming back shows the saved draft, no notice.
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.goto("/")
    page.goto(SCORE_URL)
    expect(page.locator("textarea[name=c1_notes]")).to_have_value("Typed, never saved.")
    expect(page.locator("[data-test=restored]")).to_have_count(0)
    assert page.evaluate("() => Object.keys(localStorage)") == []


def test_answers_typed_before_the_session_expired_come_back_after_logging_in(page, demo_data):
    log_in(page, "chair.q34")
    page.goto(SCORE_URL)
    page.locator("input[name=c1][value='2']").check()
    page.locator("textarea[name=c1_notes]").fill("Typed while the session ran out.")
    page.context.clear_cookies(name="sessionid")  # the session expires

    page.get_by_role("button", name="Save draft").click()
    page.wait_for_url(re.compile(r".*/accounts/login/\?next="))
    form = page.locator("form", has=page.locator("input[name=username]"))
    form.locator("input[name=username]").fill("chair.q34")
    form.locator("input[name=password]").fill(settings.DEMO_PASSWORD)
    form.locator("[type=submit]").click()

    page.wait_for_url(re.compile(r".*/score/$"))
    expect(page.locator("[data-test=restored]")).to_be_visible()
    expect(page.locator("input[name=c1][value='2']")).to_be_checked()
    expect(page.locator("textarea[name=c1_notes]")).to_have_value(
        "Typed while the session ran out."
    )


def test_a_save_from_a_stale_page_keeps_what_was_typed(page, demo_data):
    log_in(page, "chair.q34")
    page.goto(SCORE_URL)
    other = page.context.new_page()  # the same member, in a second tab
    other.goto(SCORE_URL)
    other.locator("textarea[name=c1_notes]").fill("Saved in the other tab.")
    other.get_by_role("button", name="Save draft").click()
    expect(other.get_by_text("Draft saved.")).to_be_visible()
    other.close()

    page.locator("input[name=c2][value='4']").check()
    page.locator("textarea[name=c2_notes]").fill("Typed on the stale tab.")
    page.get_by_role("button", name="Save draft").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Your scores changed since you opened this page")
    assert page.evaluate(ACTIVE_ID) == "error-summary"
    expect(page.locator("input[name=c2][value='4']")).to_be_checked()
    expect(page.locator("textarea[name=c2_notes]")).to_have_value("Typed on the stale tab.")
    assert len(page.evaluate("() => Object.keys(localStorage)")) == 1  # still kept

    page.get_by_role("button", name="Save draft").click()  # knowingly, again
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.locator("textarea[name=c2_notes]")).to_have_value("Typed on the stale tab.")
    assert page.evaluate("() => Object.keys(localStorage)") == []


def test_logging_out_clears_answers_kept_in_the_browser(page, demo_data):
    log_in(page, "chair.q34")
    page.goto(SCORE_URL)
    page.locator("textarea[name=c1_notes]").fill("Typed on a shared computer.")
    assert len(page.evaluate("() => Object.keys(localStorage)")) == 1

    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()

    assert page.evaluate("() => Object.keys(localStorage)") == []


def test_uploading_evidence_keeps_what_the_board_typed(page, demo_data, tmp_path):
    document = tmp_path / "minutes.pdf"
    document.write_bytes(PDF)
    log_in(page, "board.5pe")
    page.goto("/assessments/2009-10/5PE/self-assessment/")
    page.locator("textarea[name=c1_commentary]").fill("Typed before uploading.")
    expect(page.locator("select[name=doc_type]")).to_have_value("")  # no default: asks

    page.locator("select[name=doc_type]").select_option("other")
    page.locator("input[name=file]").set_input_files(str(document))
    page.get_by_role("button", name="Upload").click()

    expect(
        page.get_by_text("Your answers were saved as a draft and the document uploaded")
    ).to_be_visible()
    expect(page.locator("textarea[name=c1_commentary]")).to_have_value("Typed before uploading.")
    expect(page.locator("[data-test=evidence]")).to_contain_text("minutes")


def test_removing_evidence_without_script_keeps_what_the_board_typed(
    page, browser, live_server, demo_data, tmp_path
):
    """Remove posts the whole page, as Upload does: without JavaScript the typing was lost."""
    document = tmp_path / "minutes.pdf"
    document.write_bytes(PDF)
    log_in(page, "board.5pe")
    page.goto("/assessments/2009-10/5PE/self-assessment/")
    page.locator("select[name=doc_type]").select_option("other")
    page.locator("input[name=file]").set_input_files(str(document))
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("[data-test=evidence]")).to_contain_text("minutes")
    context = browser.new_context(
        base_url=live_server.url,
        java_script_enabled=False,
        storage_state=page.context.storage_state(),
    )
    nojs = context.new_page()
    nojs.goto("/assessments/2009-10/5PE/self-assessment/")
    nojs.locator("textarea[name=c1_commentary]").fill("Typed, then a document removed.")

    nojs.get_by_role("button", name="Remove minutes").click()

    expect(nojs.locator("[data-test=happens]")).to_contain_text(
        "Your answers were saved as a draft first."
    )
    nojs.get_by_role("link", name="Go back").click()
    expect(nojs.locator("textarea[name=c1_commentary]")).to_have_value(
        "Typed, then a document removed."
    )
    context.close()


def test_a_long_form_says_it_is_working_and_is_not_sent_twice(page, demo_data):
    log_in(page, "moderator.q34")
    page.goto("/boards/")
    csv = "ods_code,full_name,email\n5PG,Ann Busy,ann.busy@example.nhs.uk\n"
    page.locator("input[name=file]").set_input_files(
        files=[{"name": "boards.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.locator("[data-test=file-form] [type=submit]").click()
    confirm = page.locator("form[data-busy]")
    # Keep the page here once the form's own handler has run, to look at it.
    page.evaluate(
        "document.querySelector('form[data-busy]')"
        ".addEventListener('submit', (event) => event.preventDefault())"
    )

    confirm.get_by_role("button").first.click()

    expect(confirm.locator("[data-test=busy]")).to_contain_text("Giving 1 board account")
    expect(confirm.get_by_role("button").first).to_be_disabled()

    # The browser's Back button brings a page back from its cache as it was left: sent.
    # (Playwright's Chromium keeps no such cache, so the event it fires is sent here.)
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow', {persisted: true}))")

    expect(confirm.get_by_role("button").first).to_be_enabled()
    expect(confirm.locator("[data-test=busy]")).to_have_count(0)


def test_back_after_loading_a_file_says_it_was_dealt_with_not_resubmit(page, demo_data):
    """The SHA walk: Back after confirming a file of board accounts showed Chromium's
    "Confirm Form Resubmission". The preview is now a page of its own, shown by GET."""
    log_in(page, "moderator.q34")
    page.goto("/boards/")
    csv = "ods_code,full_name,email\n5PG,Bea Back,bea.back@example.nhs.uk\n"
    page.locator("input[name=file]").set_input_files(
        files=[{"name": "boards.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.locator("[data-test=file-form] [type=submit]").click()
    expect(page).to_have_url(re.compile(r"/boards/file/$"))
    page.reload()  # no resubmission: the same preview
    page.locator("form[data-busy]").get_by_role("button").first.click()
    expect(page.get_by_text("Loaded boards.csv: 1 board account given")).to_be_visible()

    page.go_back()

    expect(page.get_by_text("No file of board accounts is waiting to be checked")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/boards/#file-h$"))


def test_typing_in_an_older_window_does_not_blank_a_value_saved_in_this_one(page, demo_data):
    """The chair walk: a second, older tab's typing was kept as the whole form, so this
    tab, reloaded, "restored" that copy and showed a level it had just saved as blank."""
    log_in(page, "chair.q34")
    page.goto(SCORE_URL)
    older = page.context.new_page()
    older.goto(SCORE_URL)
    page.locator("input[name=c1][value='3']").check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved")).to_be_visible()

    older.locator("textarea[name=c2_notes]").fill("Typed in the older window.")
    page.reload()

    expect(page.locator("[data-test=restored]")).to_be_visible()
    expect(page.locator("input[name=c1][value='3']")).to_be_checked()
    expect(page.locator("textarea[name=c2_notes]")).to_have_value("Typed in the older window.")
