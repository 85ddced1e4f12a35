"""The home page at scale (issue 13): a list that grows with the number of PCTs shows its
first ``LIST_LIMIT`` items of each round and region, the whole count, and "and N more"
linking to the page that lists them all, in a number of queries that does not grow."""

import pytest

from assessments.models import Role, Stage
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    FactualAccuracyCommentFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)
from tests.factories.panels import SeatFactory, SeatTypeFactory
from wcc_site.selectors import LIST_LIMIT, More, region_rounds

pytestmark = pytest.mark.django_db


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


def region_with_work(sha, round_, n: int) -> None:
    """``n`` PCTs of ``sha`` at each of: a comment to answer, moderation, panel formation."""
    competency = CompetencyFactory(framework=round_.framework, number=1)
    for i in range(n):
        at_check = AssessmentFactory(
            round=round_,
            pct=PCTFactory(sha=sha, name=f"C{i:03} PCT"),
            stage=Stage.FACTUAL_ACCURACY,
        )
        rating = AgreedRatingFactory(assessment=at_check, competency=competency, level=2)
        FactualAccuracyCommentFactory(assessment=at_check, rating=rating)
        AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha, name=f"M{i:03} PCT"), stage=Stage.MODERATION
        )
        formation = AssessmentFactory(
            round=round_,
            pct=PCTFactory(sha=sha, name=f"F{i:03} PCT"),
            stage=Stage.PANEL_FORMATION,
        )
        if i % 2:  # half have a panel with an empty seat, half none yet
            SeatFactory(
                panel__assessment=formation, seat_type=SeatTypeFactory(number=1), person=None
            )


def test_sha_staff_queues_show_the_first_items_the_whole_count_and_a_link_to_the_rest(client):
    sha = SHAFactory(name="West Midlands", ods_code="Q34")
    round_ = AssessmentRoundFactory(slug="2009-10", name="Round 2009-10")
    region_with_work(sha, round_, LIST_LIMIT + 3)
    client.force_login(staff_of(sha))

    response = client.get("/")

    queues = {q.key: q for q in response.context["queues"]}
    assert {key: (q.count, [i.label for i in q.items], q.more) for key, q in queues.items()} == {
        "comments": (
            13,
            [f"C{i:03} PCT: 1. Competency 1" for i in range(10)],
            [
                More(
                    3,
                    "All 13 on the moderation page of West Midlands, Round 2009-10",
                    "/reports/moderation/2009-10/Q34/#unanswered-heading",
                )
            ],
        ),
        "moderate": (
            13,
            [f"M{i:03} PCT" for i in range(10)],
            [
                More(
                    3,
                    "All 13 on the moderation grid of West Midlands, Round 2009-10",
                    "/reports/moderation/2009-10/Q34/",
                )
            ],
        ),
        "form": (
            13,
            [f"F{i:03} PCT" for i in range(10)],
            [
                More(
                    3,
                    "All 13 on panel formation for West Midlands, Round 2009-10",
                    "/panels/2009-10/formation/?sha=Q34",
                )
            ],
        ),
    }
    assert [i.detail for i in queues["form"].items[:2]] == [
        "Round 2009-10: no panel yet",
        "Round 2009-10: 1 seat to fill",
    ]
    page = response.content.decode()
    assert (
        'PCTs to moderate <span class="badge text-bg-primary" data-test="count">13</span>' in page,
        page.count('data-test="queue-more"'),
        '<p data-test="queue-more">and 3 more: <a href="/reports/moderation/2009-10/Q34/">'
        "All 13 on the moderation grid of West Midlands, Round 2009-10</a></p>" in page,
    ) == (True, 3, True)


def test_sha_staff_queue_of_several_regions_and_rounds_links_each_ones_rest(client):
    west, east = SHAFactory(name="West", ods_code="Q34"), SHAFactory(name="East", ods_code="Q35")
    old = AssessmentRoundFactory(slug="2008-09", name="Round 2008-09")
    new = AssessmentRoundFactory(slug="2009-10", name="Round 2009-10")
    for sha, round_, n in ((west, new, 12), (east, new, 4), (west, old, 11)):
        for _ in range(n):
            AssessmentFactory(round=round_, pct=PCTFactory(sha=sha), stage=Stage.MODERATION)
    user = staff_of(west)
    RoleFactory(kind=Role.Kind.SHA_STAFF, sha=east, user=user)
    client.force_login(user)

    response = client.get("/")

    queues = {queue.key: queue for queue in response.context["queues"]}
    # 2008-09 was never opened for East: its PCTs' boards are asked for, besides.
    assert list(queues) == ["moderate", "before-opening"]
    moderate = queues["moderate"]
    assert (moderate.count, len(moderate.items), [(m.count, m.url) for m in moderate.more]) == (
        27,
        10 + 4 + 10,
        [(2, "/reports/moderation/2009-10/Q34/"), (1, "/reports/moderation/2008-09/Q34/")],
    )


def test_region_lists_the_first_pcts_furthest_behind_first_with_counts_of_the_whole():
    sha = SHAFactory(name="West Midlands", ods_code="Q34")
    round_ = AssessmentRoundFactory(slug="2009-10")
    for i in range(12):
        AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha, name=f"A{i:02}"), stage=Stage.SCORING
        )
    for i in range(3):
        AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha, name=f"B{i:02}"), stage=Stage.PANEL_FORMATION
        )
    AssessmentFactory(round=round_, pct=PCTFactory(sha=sha, name="C"), stage=Stage.PUBLISHED)

    (block,) = region_rounds(sha_ids=[sha.pk])

    assert (
        [(c.stage, c.count) for c in block.stage_counts],
        [pct.name for pct in block.pcts],
        block.total,
        block.more,
    ) == (
        [(Stage.PANEL_FORMATION, 3), (Stage.SCORING, 12), (Stage.PUBLISHED, 1)],
        ["B00", "B01", "B02", *(f"A{i:02}" for i in range(7))],
        16,
        6,
    )


def test_region_more_links_to_panel_formation_of_the_region(client):
    sha = SHAFactory(name="West Midlands", ods_code="Q34")
    round_ = AssessmentRoundFactory(slug="2009-10", name="Round 2009-10")
    for _ in range(LIST_LIMIT + 1):
        AssessmentFactory(round=round_, pct=PCTFactory(sha=sha), stage=Stage.SCORING)
    client.force_login(staff_of(sha))

    page = client.get("/").content.decode()

    assert (
        page.count('data-test="pct"'),
        '<p class="mb-0 mt-2" data-test="region-more">and 1 more: '
        '<a href="/panels/2009-10/formation/?sha=Q34">All 11 PCTs of West Midlands in '
        "Round 2009-10, with their stage, on panel formation</a></p>" in page,
    ) == (LIST_LIMIT, True)


@pytest.mark.parametrize("n", [1, LIST_LIMIT + 3])
def test_home_sha_staff_query_count_is_the_same_for_a_small_and_a_larger_region(
    client, django_assert_num_queries, n
):
    sha = SHAFactory()
    round_ = AssessmentRoundFactory()
    region_with_work(sha, round_, n)
    for _ in range(n):
        AssessmentFactory(round=AssessmentRoundFactory(slug="2008-09"), pct=PCTFactory(sha=sha))
    client.force_login(staff_of(sha))

    with django_assert_num_queries(13):  # eight SHA staff queues
        response = client.get("/")

    assert {q.key: q.count for q in response.context["queues"]} == {
        "comments": n,
        "moderate": n,
        "form": n,
        "boards": n,  # the PCTs at self-assessment have no board account
    }


@pytest.mark.parametrize("n", [1, LIST_LIMIT + 3])
def test_home_national_query_count_is_the_same_for_few_and_many_pcts(
    client, django_assert_num_queries, n
):
    round_ = AssessmentRoundFactory()
    for _ in range(n):
        AssessmentFactory(round=round_, pct=PCTFactory(sha=SHAFactory()))
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    with django_assert_num_queries(9):
        response = client.get("/")

    assert sum(row.total for block in response.context["national"] for row in block.rows) == n


@pytest.mark.parametrize("n", [1, LIST_LIMIT + 3])
def test_home_board_query_count_is_the_same_for_a_small_and_a_larger_country(
    client, django_assert_num_queries, n
):
    round_ = AssessmentRoundFactory()
    pct = PCTFactory()
    AssessmentFactory(round=round_, pct=pct, stage=Stage.SELF_ASSESSMENT)
    for _ in range(n):  # other boards' PCTs are not read
        AssessmentFactory(round=round_, pct=PCTFactory(sha=pct.sha), stage=Stage.SELF_ASSESSMENT)
    client.force_login(RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct).user)

    with django_assert_num_queries(11):  # with the four board queues and the take-backs
        response = client.get("/")

    assert [q.count for q in response.context["queues"]] == [1]


@pytest.mark.parametrize("n", [1, LIST_LIMIT + 3])
def test_home_chair_query_count_is_the_same_for_a_small_and_a_larger_region(
    client, django_assert_num_queries, n
):
    sha = SHAFactory()
    round_ = AssessmentRoundFactory()
    user = UserFactory()
    SeatFactory(
        panel__assessment=AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha), stage=Stage.CONSENSUS
        ),
        seat_type=SeatTypeFactory(number=1, is_chair=True),
        person__user=user,
    )
    for _ in range(n):  # the region's other panels are not the chair's
        SeatFactory(
            panel__assessment=AssessmentFactory(
                round=round_, pct=PCTFactory(sha=sha), stage=Stage.CONSENSUS
            ),
            seat_type=SeatTypeFactory(number=1, is_chair=True),
        )
    client.force_login(user)

    with django_assert_num_queries(7):  # the chair's two queues
        response = client.get("/")

    assert {q.key: q.count for q in response.context["queues"]} == {"consensus": 1}


def test_home_without_work_makes_no_list(client):
    client.force_login(UserFactory())

    response = client.get("/")

    assert (response.context["queues"], response.context["region"]) == ([], [])
