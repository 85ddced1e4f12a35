"""The embargo: every output of a round, for every role, at every point of the process.

On the demo's 2009-10 round (unpublished), for North East's County Durham PCT (5ND):
- ``before``: North East is at regional moderation, before the cross-check;
- ``window``: the national team has confirmed North East; 5ND's board is in its window;
- ``published``: the clock is frozen an hour after the round's publication time.

Outside the process the answer is 404 (CONTRACTS.md), so nothing leaks, not even whether
results exist; pages that need a login send anonymous visitors to it (302).
"""

import datetime

import pytest
import time_machine

from assessments.models import AssessmentRound, StrategicHealthAuthority
from assessments.regions import region_confirm, region_sign_off
from tests.users import demo_user

pytestmark = pytest.mark.django_db

OUTPUTS = {
    "league": "/reports/league-table/2009-10/",
    "csv": "/reports/league-table/2009-10/?format=csv",
    "xlsx": "/reports/league-table/2009-10/?format=xlsx",
    "json": "/api/results/2009-10.json",
    "pdf": "/reports/pct/5ND/2009-10.pdf",
    "page": "/reports/pct/5ND/2009-10/",
    "england": "/reports/summary/2009-10/",
    "region": "/reports/summary/2009-10/Q30/",
    "development": "/reports/development/2009-10/",
}
ROLES = ["anonymous", "board.5nd", "board.5pg", "moderator.q30", "moderator.q31", "national"]

# What each role gets of each output (in the order of OUTPUTS), before publication. SHA
# staff of another region get their own region's league table and development list, which
# never include 5ND (checked below).
BEFORE = {
    "anonymous": [404, 404, 404, 404, 302, 404, 404, 404, 404],
    "board.5nd": [404, 404, 404, 404, 404, 404, 404, 404, 404],
    "board.5pg": [404, 404, 404, 404, 404, 404, 404, 404, 404],
    "moderator.q30": [200, 200, 200, 404, 200, 200, 404, 200, 200],
    "moderator.q31": [200, 200, 200, 404, 404, 404, 404, 404, 200],
    "national": [200, 200, 200, 404, 200, 200, 200, 200, 200],
}
# During its window, 5ND's board sees its own draft (PDF and page) and nothing else.
WINDOW = BEFORE | {"board.5nd": [404, 404, 404, 404, 200, 200, 404, 404, 404]}
# After publication everything is public but the PDF: the PCT's board, its SHA's staff and
# the national team.
PUBLISHED = {
    "anonymous": [200, 200, 200, 200, 302, 200, 200, 200, 200],
    "board.5nd": [200, 200, 200, 200, 200, 200, 200, 200, 200],
    "board.5pg": [200, 200, 200, 200, 404, 200, 200, 200, 200],
    "moderator.q30": [200, 200, 200, 200, 200, 200, 200, 200, 200],
    "moderator.q31": [200, 200, 200, 200, 404, 200, 200, 200, 200],
    "national": [200, 200, 200, 200, 200, 200, 200, 200, 200],
}


def statuses(client, role) -> dict[str, int]:
    client.logout()
    if role != "anonymous":
        client.force_login(demo_user(role))
    got = {}
    for name, url in OUTPUTS.items():
        response = client.get(url)
        if response.streaming:  # the PDF: read it to the end, which closes the file
            b"".join(response.streaming_content)
        got[name] = response.status_code
    return got


def confirm_north_east():
    round_ = AssessmentRound.objects.get(slug="2009-10")
    sha = StrategicHealthAuthority.objects.get(ods_code="Q30")
    region_sign_off(round_=round_, sha=sha, by=demo_user("moderator.q30"))
    return region_confirm(round_=round_, sha=sha, by=demo_user("national"))


@pytest.mark.parametrize("role", ROLES)
def test_before_the_cross_check(client, demo, role):
    assert statuses(client, role) == dict(zip(OUTPUTS, BEFORE[role], strict=True))


@pytest.mark.parametrize("role", ROLES)
def test_during_the_factual_accuracy_window(client, demo, role):
    confirm_north_east()

    assert statuses(client, role) == dict(zip(OUTPUTS, WINDOW[role], strict=True))


@pytest.mark.parametrize("role", ROLES)
def test_after_publication_with_the_clock_frozen(client, demo, role):
    review = confirm_north_east()
    publication = review.factual_accuracy_closes + datetime.timedelta(days=1)
    AssessmentRound.objects.filter(slug="2009-10").update(published_at=publication)

    with time_machine.travel(publication + datetime.timedelta(hours=1), tick=False):
        got = statuses(client, role)

    assert got == dict(zip(OUTPUTS, PUBLISHED[role], strict=True))


def test_a_minute_before_publication_nothing_is_public(client, demo):
    review = confirm_north_east()
    publication = review.factual_accuracy_closes + datetime.timedelta(days=1)
    AssessmentRound.objects.filter(slug="2009-10").update(published_at=publication)

    with time_machine.travel(publication - datetime.timedelta(minutes=1), tick=False):
        got = statuses(client, "anonymous")

    assert got == dict(zip(OUTPUTS, BEFORE["anonymous"], strict=True))


def test_staff_of_another_region_see_nothing_of_north_east(client, demo):
    client.force_login(demo_user("moderator.q31"))

    for name in ("league", "csv", "development"):
        body = client.get(OUTPUTS[name]).content
        assert b"5ND" not in body, name
