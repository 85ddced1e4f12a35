"""SHA staff try to seat an ineligible person and read the refusal; nothing is saved."""

from playwright.sync_api import expect

from assessments.models import Assessment, Stage
from panels.models import JobRole, Person, Seat
from tests.browser.conftest import log_in

FORMATION_URL = "/panels/2009-10/5md/formation/"


def test_staff_seating_an_ineligible_person_is_refused_with_the_rule(page, live_server, demo_data):
    # One West Midlands panel is still being formed (the demo has them all at scoring).
    Assessment.objects.filter(round__slug="2009-10", pct__ods_code="5MD").update(
        stage=Stage.PANEL_FORMATION
    )
    chief_executive = Person.objects.filter(job_role=JobRole.CHIEF_EXECUTIVE).order_by("pk").first()
    seat_2 = Seat.objects.get(
        panel__assessment__round__slug="2009-10",
        panel__assessment__pct__ods_code="5MD",
        seat_type__number=2,
    )
    log_in(page, "moderator.q34")

    page.goto(FORMATION_URL)
    seat_select = page.locator("select[name=seat_2]")
    offered = seat_select.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert str(chief_executive.pk) not in offered  # the form offers only eligible people
    # A stale or tampered form posts someone the seat does not take: the server decides.
    seat_select.evaluate(
        "(select, pk) => { const o = new Option('Tampered', pk); select.add(o); select.value = pk; }",
        str(chief_executive.pk),
    )
    page.locator("[data-test=seats-form] [type=submit]").click()

    summary = page.locator("[data-test=error-summary]")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Seat 2")
    expect(summary).to_contain_text(f"{chief_executive.full_name} (chief executive")
    expect(summary).to_contain_text("is not eligible")
    assert Seat.objects.get(pk=seat_2.pk).person_id == seat_2.person_id
