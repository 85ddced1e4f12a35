"""Walk Z: a PCT moved to another SHA while the round runs leaves the old SHA's moderation
grid. The page says so above the grid, in both regions: "Dudley (5PE) moved to East
Midlands on ...: its moderation and sign-off are theirs now." and "... joined from West
Midlands on ..." (``reports.moderation.region_moves``, one query)."""

import datetime

import pytest
from django.utils import timezone

from assessments.models import AssessmentRound, PCTChange, PrimaryCareTrust
from assessments.models import StrategicHealthAuthority as SHA
from assessments.organisations import pct_update
from reports.moderation import region_moves
from tests.users import demo_user

pytestmark = pytest.mark.django_db

PAGE = "/reports/moderation/{}/{}/"


def move(ods: str, *codes: str) -> None:
    pct = PrimaryCareTrust.objects.select_related("sha").get(ods_code=ods)
    for code in codes:
        pct_update(
            pct=pct, name=pct.name, sha=SHA.objects.get(ods_code=code), org_type=pct.org_type,
            closed_on=pct.closed_on, by=demo_user("national"),
        )  # fmt: skip


def moved_lines(client, username: str, sha: str, slug: str = "2009-10") -> list[str]:
    client.force_login(demo_user(username))
    response = client.get(PAGE.format(slug, sha))
    assert response.status_code == 200
    return [
        " ".join(line.split())
        for line in response.text.split('data-test="moved">')[1:]
        for line in [line.split("</p>")[0]]
    ]


def today() -> str:
    return f"{timezone.localdate():%-d %B %Y}"


def test_the_old_shas_page_says_where_the_pct_went_and_the_new_one_where_it_came_from(client, demo):
    move("5PE", "Q33")

    west = moved_lines(client, "moderator.q34", "Q34")
    east = moved_lines(client, "moderator.q33", "Q33")
    elsewhere = moved_lines(client, "moderator.q30", "Q30")

    assert west == [
        f"Dudley (5PE) moved to East Midlands on {today()}: its moderation and sign-off are "
        "theirs now."
    ]
    assert east == [f"Dudley (5PE) joined from West Midlands on {today()}."]
    assert elsewhere == []


def test_no_line_without_a_move(client, demo):
    assert moved_lines(client, "moderator.q34", "Q34") == []


def test_a_move_before_the_round_opened_is_not_the_rounds(demo):
    """A move before 2009-10 opened came before any of its moderation."""
    move("5PE", "Q33")
    round_ = AssessmentRound.objects.get(slug="2009-10")
    PCTChange.objects.filter(pct__ods_code="5PE", field="sha").update(
        changed_at=round_.opened_at - datetime.timedelta(days=1)
    )

    assert region_moves(round_=round_, sha=SHA.objects.get(ods_code="Q34")) == []


def test_a_move_after_publication_is_said_on_both_published_pages(client, demo):
    """Walk AD: 2008-09's West Midlands grid lost Dudley (and East Midlands' gained it)
    with no word, though West Midlands moderated and signed it off and the published
    figures still count it there."""
    move("5PE", "Q33")

    west = moved_lines(client, "moderator.q34", "Q34", "2008-09")
    east = moved_lines(client, "moderator.q33", "Q33", "2008-09")

    assert west == [
        f"Dudley (5PE) moved to East Midlands on {today()}, after these results were "
        "published: this region moderated and signed it off, and its published figures and "
        "report still count it here, but its row is now on the page of East Midlands."
    ]
    assert east == [
        f"Dudley (5PE) moved here on {today()}, after these results were published: West "
        "Midlands moderated and signed it off, and its published figures and report still "
        "count it there."
    ]


def test_a_pct_moved_away_and_back_reads_both_moves_in_order(demo):
    move("5PE", "Q33", "Q34")

    moves = region_moves(
        round_=AssessmentRound.objects.get(slug="2009-10"), sha=SHA.objects.get(ods_code="Q34")
    )

    assert [(m.ods_code, m.left, m.other) for m in moves] == [
        ("5PE", True, "East Midlands"),
        ("5PE", False, "East Midlands"),
    ]


@pytest.mark.parametrize("moved", [1, 3])
def test_the_moves_are_read_in_one_query(demo, django_assert_num_queries, moved):
    for ods in ["5PE", "5MD", "5CN"][:moved]:
        move(ods, "Q33")
    round_ = AssessmentRound.objects.get(slug="2009-10")
    east = SHA.objects.get(ods_code="Q33")

    with django_assert_num_queries(1):
        moves = region_moves(round_=round_, sha=east)

    assert [(m.left, m.other) for m in moves] == [(False, "West Midlands")] * moved


def test_a_pct_moved_on_through_a_region_after_publication_is_not_said_to_be_its(client, demo):
    """Review AE: a second move read as if the region in between had signed it off."""
    # West Midlands (Q34) -> East Midlands (Q33) -> London (Q36), all after 2008-09 published.
    move("5PE", "Q33", "Q36")
    east = moved_lines(client, "moderator.q33", "Q33", "2008-09")
    # East Midlands never moderated Dudley in 2008-09 and its published figures never
    # counted it: yet its page says so.
    assert east == []
    west = moved_lines(client, "moderator.q34", "Q34", "2008-09")
    assert len(west) == 1 and "moved to London on" in west[0]
    london = moved_lines(client, "moderator.q36", "Q36", "2008-09")
    assert len(london) == 1 and "West Midlands moderated and signed it off" in london[0]


def test_a_pct_moved_away_and_back_after_publication_reads_nothing(client, demo):
    """Review AE: a move back read as if East Midlands had signed it off."""
    # Q34 -> Q33 -> Q34: shas_when_published leaves it out (counted in Q34, where it is).
    move("5PE", "Q33", "Q34")
    west = moved_lines(client, "moderator.q34", "Q34", "2008-09")
    assert west == []
