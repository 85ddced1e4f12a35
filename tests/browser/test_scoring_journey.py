"""The chair of the 5PG panel scores, saves a draft, resumes, submits, and records consensus
(year two: eleven competencies, three areas and their sixteen sub-indicators)."""

import re

from playwright.sync_api import expect

from assessments.models import AgreedRating, Assessment, Stage
from competencies.models import Competency
from competencies.selectors import rated_items
from panels.models import Seat
from panels.services.scoring import MemberInput, member_scores_save
from tests.browser.conftest import log_in

SCORE_URL = "/panels/2009-10/5pg/score/"
CONSENSUS_URL = "/panels/2009-10/5pg/consensus/"
AREAS = ("strategy", "finance", "board")
SUB_INDICATORS = (
    *(f"strategy_{n}" for n in range(1, 7)),
    *(f"finance_{n}" for n in range(1, 6)),
    *(f"board_{n}" for n in range(1, 6)),
)


def test_chair_scores_resumes_submits_and_closes_consensus(page, live_server, demo_data):
    log_in(page, "chair.q34")

    # Score every item: level 2 everywhere but competency 1 at 3; lights amber, board green.
    page.goto(SCORE_URL)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Birmingham East and North")
    for number in range(1, 12):
        page.locator(f"input[name=c{number}][value='{3 if number == 1 else 2}']").check()
    for area in AREAS:
        page.locator(
            f"input[name={area}][value='{'green' if area == 'board' else 'amber'}']"
        ).check()
    for code in SUB_INDICATORS:
        page.locator(f"input[name={code}][value='amber']").check()
    page.locator("textarea[name=c1_notes]").fill("Clear local leadership, seen by partners.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    # Leaving and coming back loses nothing.
    page.goto("/")
    page.goto(SCORE_URL)
    expect(page.locator("input[name=c1][value='3']")).to_be_checked()
    expect(page.locator("input[name=c11][value='2']")).to_be_checked()
    expect(page.locator("input[name=board][value='green']")).to_be_checked()
    expect(page.locator("textarea[name=c1_notes]")).to_have_value(
        "Clear local leadership, seen by partners."
    )

    page.get_by_role("button", name="Submit my scores").click()
    expect(page.locator("[data-test=answers]")).to_contain_text(
        "Clear local leadership, seen by partners."
    )
    page.get_by_role("button", name="Confirm and submit my scores").click()
    expect(page.get_by_text("Your scores are submitted.")).to_be_visible()

    # The other four members submit (acting as them through the same service).
    assessment = Assessment.objects.select_related("round__framework").get(
        round__slug="2009-10", pct__ods_code="5PG"
    )
    items = rated_items(assessment.round.framework)
    for seat in Seat.objects.filter(
        panel__assessment=assessment, submitted_at__isnull=True
    ).select_related("person__user", "panel__assessment__round__framework", "seat_type"):
        values = {
            item: MemberInput(2 if isinstance(item, Competency) else "amber") for item in items
        }
        member_scores_save(
            seat=seat,
            values=values,
            by=seat.person.user,
            expected_version=seat.version,
            submit=True,
        )
    assert Assessment.objects.get(pk=assessment.pk).stage == Stage.CONSENSUS

    # Consensus: the chair sees everyone's scores, records each item, and closes.
    page.goto(CONSENSUS_URL)
    expect(page.locator("[data-test=done]")).to_have_text("5 of 5")
    for number in range(1, 12):
        page.locator(f"input[name=c{number}][value='2']").check()
        page.locator(f"textarea[name=c{number}_rationale]").fill(
            f"The panel agreed level 2 on competency {number}."
        )
    for area in AREAS:
        page.locator(f"input[name={area}][value='amber']").check()
        page.locator(f"textarea[name={area}_rationale]").fill(f"Some concerns on {area}.")
    for code in SUB_INDICATORS:
        page.locator(f"input[name={code}][value='amber']").check()
        page.locator(f"textarea[name={code}_rationale]").fill(f"Some concerns on {code}.")
    page.get_by_role("button", name="Save consensus").click()
    expect(page.get_by_text("Consensus saved.")).to_be_visible()
    page.get_by_role("button", name="Close consensus").click()
    page.get_by_role("button", name="Confirm and close consensus").click()
    expect(page.get_by_text(re.compile("Consensus closed"))).to_be_visible()

    assert Assessment.objects.get(pk=assessment.pk).stage == Stage.MODERATION
    assert AgreedRating.objects.filter(assessment=assessment).count() == 14 + 16
