"""moderator.q30 adjusts a rating with a reason and signs off North East."""

import re

from playwright.sync_api import expect

from assessments.models import AgreedRating, Assessment, ModerationAdjustment, Stage
from tests.browser.conftest import TIMEOUT_MS, log_in


def test_moderator_adjusts_a_rating_and_signs_off_the_region(page, live_server, demo_data):
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=7
    )
    new_level = "2" if rating.level != 2 else "3"
    log_in(page, "moderator.q30")

    page.get_by_role("link", name="Regional moderation").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional moderation: North East")
    row = page.locator(f"#rating-{rating.pk}")
    row.get_by_text("Adjust").click()
    row.locator("select[name=value]").select_option(new_level)
    row.locator("input[name=reason]").fill(
        "Consistent with the region's evidence on market development."
    )
    row.get_by_role("button", name="Save").click()
    expect(page.locator(f"#rating-{rating.pk} [data-test=value]")).to_contain_text(
        f"(panel: {rating.level})"
    )

    page.get_by_role("button", name="Sign off North East").click()
    page.get_by_role("button", name="Confirm and sign off North East").click()
    expect(page.get_by_text("North East signed off")).to_be_visible()

    adjustment = ModerationAdjustment.objects.get(rating=rating)
    assert (adjustment.old_value, adjustment.new_value) == (str(rating.level), new_level)
    assert set(
        Assessment.objects.filter(round__slug="2009-10", pct__sha__ods_code="Q30").values_list(
            "stage", flat=True
        )
    ) == {Stage.CROSS_CHECK}

    # The national team confirms North East at the cross-check.
    page.context.clear_cookies()
    log_in(page, "national")
    page.goto("/reports/cross-check/2009-10/")
    page.get_by_role("button", name="Confirm North East").click()
    expect(page.locator("[data-test=confirmation] h1")).to_have_text(
        "Confirm North East for World Class Commissioning assurance 2009/10?"
    )
    page.get_by_role(
        "button", name="Confirm and open the factual-accuracy check for North East"
    ).click()
    expect(page.get_by_text("North East confirmed")).to_be_visible()

    # A North East board now sees its own draft; Birmingham's board sees nothing of 2009-10.
    page.context.clear_cookies()
    log_in(page, "board.5nd")
    with page.expect_download() as draft:
        page.get_by_role("link", name="Download (PDF): draft for 2009-10").click()
    assert draft.value.suggested_filename == "wcc-5ND-2009-10-draft.pdf"

    # It comments on an item of its draft; North East's staff answer, changing the rating.
    c9 = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=9
    )
    corrected = 2 if c9.level != 2 else 3
    page.get_by_role("link", name="Results (draft) for 2009-10").click()
    expect(page.locator("[data-test=draft]")).to_be_visible()
    form = page.locator("[data-test=comment-form]")
    form.get_by_label("Item").select_option(label="9. Securing procurement skills")
    form.get_by_label("What is factually inaccurate").fill(
        "Our procurement capability review was completed in March."
    )
    # The session ends before it is sent (the board walk lost the comment): once logged in
    # again, the page has it back.
    page.context.clear_cookies(name="sessionid")
    form.get_by_role("button", name="Send the comment").click()
    page.wait_for_url(re.compile(r".*/accounts/login/"))
    log_in(page, "board.5nd")
    page.goto("/reports/pct/5ND/2009-10/")
    expect(page.locator("[data-test=restored]")).to_be_visible()
    expect(form.get_by_label("What is factually inaccurate")).to_have_value(
        "Our procurement capability review was completed in March."
    )
    form.get_by_role("button", name="Send the comment").click()
    page.get_by_role("button", name="Confirm and send the comment").click()  # its check page
    expect(page.get_by_text("Comment sent")).to_be_visible()
    page.reload()  # sent: the browser's copy is dropped
    expect(page.locator("[data-test=restored]")).to_have_count(0)
    expect(form.get_by_label("What is factually inaccurate")).to_have_value("")
    page.context.clear_cookies()
    log_in(page, "moderator.q30")
    page.goto("/reports/pct/5ND/2009-10/#factual-accuracy")
    comment = page.locator("[data-test=comment]")
    comment.get_by_label("Answer").fill("Agreed: the review is in the evidence.")
    comment.get_by_label("Change the rating to").select_option(str(corrected))
    comment.get_by_role("button", name="Answer").click()
    page.get_by_role("button", name="Confirm and send the answer").click()
    expect(page.locator("[data-test=answer]")).to_contain_text(
        "Agreed: the review is in the evidence."
    )
    c9.refresh_from_db()
    assert c9.level == corrected

    page.context.clear_cookies()
    log_in(page, "board.5pg")
    assert page.goto("/reports/pct/5pg/2009-10.pdf").status == 404
    assert page.goto("/reports/league-table/2009-10/").status == 404


def test_moderator_adjusts_a_rating_without_javascript_on_its_own_page(
    browser, live_server, demo_data
):
    """Without script a cell's trigger opens a link to the rating's own page: its form
    saves, and the grid comes back with the new value and the message beside it; a refusal
    comes back with the cell's form open, as typed, the error summary linked to the reason."""
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=7
    )
    new_level = "2" if rating.level != 2 else "3"
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")
    cell = page.locator(f"#rating-{rating.pk}")
    cell.get_by_text("Adjust").click()
    cell.get_by_role("link", name="Open the form on its own page").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Adjust {rating.assessment.pct.name}: {rating.item}"
    )
    page.get_by_label("New value").select_option(new_level)
    page.get_by_label("Reason (required").fill("Consistent with the region's evidence.")
    page.get_by_role("button", name="Save the change").click()

    expect(page.locator(f"#live-{rating.pk}")).to_contain_text(f": now {new_level} ")
    expect(cell.locator("[data-test=value]")).to_have_text(f"{new_level} (panel: {rating.level})")

    cell.get_by_text("Adjust").click()
    cell.get_by_role("link", name="Open the form on its own page").click()
    page.get_by_label("New value").select_option(str(rating.level))
    page.get_by_role("button", name="Save the change").click()  # no reason given

    expect(cell.locator("details")).to_have_attribute("open", "")
    expect(cell.locator("select[name=value]")).to_have_value(str(rating.level))
    expect(cell.locator("input[name=reason]")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"[data-test=error-summary] a[href='#r{rating.pk}']")).to_contain_text(
        "not changed."
    )
    context.close()
