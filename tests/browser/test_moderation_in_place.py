"""moderator.q30 adjusts ratings in place: no page load, the new value and the message
appear in the rating's cell; a stale version is refused beside the rating."""

from playwright.sync_api import expect

from assessments.models import AgreedRating, RatingChange
from tests.browser.conftest import log_in


def test_moderator_adjusts_a_rating_in_place_without_a_page_load(page, live_server, demo_data):
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=7
    )
    new_level = "2" if rating.level != 2 else "3"
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Regional moderation: North East")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    page.evaluate("window.wccSamePage = true")

    cell = page.locator(f"#rating-{rating.pk}")
    cell.get_by_text("Adjust").click()
    cell.locator("select[name=value]").select_option(new_level)
    cell.locator("input[name=reason]").fill("Consistent with the region's evidence.")
    cell.get_by_role("button", name="Save the change").click()

    live = page.locator(f"#live-{rating.pk}")
    expect(live).to_have_text(
        f"{rating.assessment.pct.name}, {rating.item}: now {new_level} "
        f"(the panel's {rating.level} is kept)."
    )
    expect(live).to_have_attribute("role", "status")
    expect(cell.locator("[data-test=value]")).to_have_text(f"{new_level} (panel: {rating.level})")
    expect(cell).to_have_class("mod-cell mod-cell--moderated")
    expect(cell.locator("input[name=version]")).to_have_value(str(rating.version + 1))
    assert (navigations, page.evaluate("window.wccSamePage")) == ([], True)
    latest = (
        RatingChange.objects.filter(assessment=rating.assessment, competency=rating.competency)
        .order_by("-pk")
        .values_list("source", "old_value", "new_value")
        .first()
    )
    assert latest == ("moderation", str(rating.level), new_level)

    # The same form on an out-of-date version (another moderator's change): refused beside it.
    cell.locator("input[name=version]").evaluate("input => { input.value = '1'; }")
    cell.get_by_text("Adjust").click()
    cell.locator("select[name=value]").select_option(str(rating.level))
    cell.locator("input[name=reason]").fill("Back to the panel's value.")
    cell.get_by_role("button", name="Save the change").click()

    expect(live).to_contain_text("not changed.")
    expect(live).to_have_class("mod-live mod-live--error")
    expect(cell.locator("[data-test=value]")).to_have_text(f"{new_level} (panel: {rating.level})")
    assert (navigations, page.evaluate("window.wccSamePage")) == ([], True)
    # What the moderator chose and typed is kept, in view; saving again replaces the change.
    expect(cell.locator("select[name=value]")).to_have_value(str(rating.level))
    expect(cell.locator("input[name=reason]")).to_have_value("Back to the panel's value.")
    expect(cell.locator("details")).to_have_attribute("open", "")
    cell.get_by_role("button", name="Save the change").click()
    expect(live).to_have_class("mod-live mod-live--success")
    expect(cell.locator("[data-test=value]")).to_have_text(str(rating.level))


def test_a_save_after_the_session_ended_says_so_and_works_once_signed_in_again(
    page, live_server, demo_data
):
    """The moderation walk: the cell said "the server answered 200" and the reason was lost
    on reloading. Signed in again in another tab, the same Save now goes through."""
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=6
    )
    new_level = "2" if rating.level != 2 else "3"
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")
    cell = page.locator(f"#rating-{rating.pk}")
    cell.get_by_text("Adjust").click()
    cell.locator("select[name=value]").select_option(new_level)
    cell.locator("input[name=reason]").fill("Typed before the session ended.")
    page.context.clear_cookies(name="sessionid")

    cell.get_by_role("button", name="Save the change").click()

    live = page.locator(f"#live-{rating.pk}")
    expect(live).to_contain_text("Not saved: you have been signed out.")
    expect(cell.locator("input[name=reason]")).to_have_value("Typed before the session ended.")
    other = page.context.new_page()
    log_in(other, "moderator.q30")
    other.close()
    cell.get_by_role("button", name="Save the change").click()
    expect(live).to_have_class("mod-live mod-live--success")
    rating.refresh_from_db()
    assert str(rating.level) == new_level


def test_a_save_after_someone_else_signed_in_in_another_tab_is_refused(
    page, live_server, demo_data
):
    """The two-tabs walk: a colleague signing in in another tab had the change recorded
    under the colleague's name; the national team signing in got "your session has ended"."""
    from django.conf import settings

    from assessments.models import Role, StrategicHealthAuthority
    from tests.factories import RoleFactory

    colleague = RoleFactory(
        kind=Role.Kind.SHA_STAFF, sha=StrategicHealthAuthority.objects.get(ods_code="Q30")
    ).user
    colleague.set_password(settings.DEMO_PASSWORD)
    colleague.save()
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=7
    )
    new_level = "2" if rating.level != 2 else "3"
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")
    cell = page.locator(f"#rating-{rating.pk}")
    cell.get_by_text("Adjust").click()
    cell.locator("select[name=value]").select_option(new_level)
    cell.locator("input[name=reason]").fill("Typed by moderator.q30.")
    other = page.context.new_page()
    log_in(other, colleague.username)

    cell.get_by_role("button", name="Save the change").click()

    live = page.locator(f"#live-{rating.pk}")
    expect(live).to_contain_text("not changed. This browser is now signed in as")
    expect(cell.locator("input[name=reason]")).to_have_value("Typed by moderator.q30.")
    # the refusal describes the field, as without script (the accessibility walk), from
    # inside the box, where it is readable on a phone (the second accessibility walk)
    expect(cell.locator("input[name=reason]")).to_have_attribute(
        "aria-describedby", f"error-{rating.pk}"
    )
    expect(cell.locator(f"#error-{rating.pk}")).to_contain_text(
        "not changed. This browser is now signed in as"
    )
    expect(cell.locator("input[name=reason]")).to_be_focused()
    assert not RatingChange.objects.filter(changed_by=colleague).exists()
    log_in(other, "national")  # may read the page, not change it
    cell.get_by_role("button", name="Save the change").click()
    expect(live).to_contain_text("may see this page but not change it")
    other.close()


def test_an_adjustment_in_place_shows_the_flags_it_raises_as_a_reload_would(
    page, live_server, demo_data
):
    """The SHA walk: a level moved far from the members' scores showed no flag until the
    page was loaded again, and "Flags (N)" stayed as it was."""
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=7
    )
    far = "4" if rating.level <= 2 else "1"
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")
    cell = page.locator(f"#rating-{rating.pk}")
    cell.get_by_text("Adjust").click()
    cell.locator("select[name=value]").select_option(far)
    cell.locator("input[name=reason]").fill("Testing the flags.")
    cell.get_by_role("button", name="Save the change").click()
    expect(page.locator(f"#live-{rating.pk}")).to_contain_text(f": now {far} ")

    in_place = (
        cell.locator(":scope > .mod-flag-mark").count(),
        page.locator("[data-test=count-flags]").inner_text(),
    )
    page.reload()

    assert in_place == (
        page.locator(f"#rating-{rating.pk} > .mod-flag-mark").count(),
        page.locator("[data-test=count-flags]").inner_text(),
    )
    assert in_place[0] == 1  # moved far from the members' scores: flagged


def test_an_open_adjust_box_closes_on_escape_and_when_focus_leaves_it(page, live_server, demo_data):
    """The accessibility walk: an open box hid the next cells' controls as Tab reached them
    (WCAG 2.4.11), and Escape left it open."""
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=5
    )
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")
    cell = page.locator(f"#rating-{rating.pk}")
    box, pencil = cell.locator("details"), cell.locator("summary")

    pencil.focus()
    page.keyboard.press("Enter")
    expect(box).to_have_attribute("open", "")
    cell.locator("input[name=reason]").fill("Typed, then Escape.")
    page.keyboard.press("Escape")

    expect(box).not_to_have_attribute("open", "")
    expect(pencil).to_be_focused()
    page.keyboard.press("Enter")
    expect(cell.locator("input[name=reason]")).to_have_value("Typed, then Escape.")
    cell.get_by_role("button", name="Save the change").focus()
    page.keyboard.press("Tab")  # past the box's last control, to the next cell's

    expect(box).not_to_have_attribute("open", "")


def test_an_adjust_box_opened_on_a_phone_is_brought_into_view_whole(page, live_server, demo_data):
    """The accessibility walk, at 320 px: a box opened in the grid's last column sat partly
    outside the grid's scrolling area, its Save button out of sight."""
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=11
    )
    page.set_viewport_size({"width": 320, "height": 640})
    log_in(page, "moderator.q30")
    page.goto("/reports/moderation/2009-10/Q30/")
    cell = page.locator(f"#rating-{rating.pk}")
    cell.locator("summary").scroll_into_view_if_needed()
    # The cell at the foot of the screen: the box opens below it, out of sight.
    cell.evaluate("c => window.scrollBy(0, c.getBoundingClientRect().bottom - innerHeight + 2)")
    cell.locator("summary").click()
    expect(cell.locator("details")).to_have_attribute("open", "")
    expect(cell.get_by_role("button", name="Save the change")).to_be_visible()

    def outside():
        return cell.locator("form").evaluate(
            """form => {
                let box = form.parentElement;
                while (box && !/(auto|scroll)/.test(getComputedStyle(box).overflowX)) {
                    box = box.parentElement;
                }
                const area = box ? box.getBoundingClientRect()
                    : {left: 0, right: innerWidth, top: 0, bottom: innerHeight};
                const r = form.getBoundingClientRect();
                // Whole pixels: the grid's cells have fractional widths.
                return [area.left - r.left, r.right - area.right, -r.top, r.bottom - innerHeight]
                    .map(d => Math.max(0, Math.round(d)));
            }"""
        )

    # The page scrolls smoothly (Bootstrap's scroll-behavior): wait for it to settle.
    for _ in range(20):
        if outside() == [0, 0, 0, 0]:
            break
        page.wait_for_timeout(100)
    assert outside() == [0, 0, 0, 0]
