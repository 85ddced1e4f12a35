"""Work queues on the home page: what waits for each role, with counts, links and deadlines,
in a number of queries that does not grow with the work."""

import datetime

import pytest
from django.utils import timezone

from assessments.models import (
    FactualAccuracyConfirmation,
    RegionReview,
    Role,
    Stage,
    StageChange,
)
from assessments.selectors import user_scope
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    FactualAccuracyCommentFactory,
    PCTFactory,
    PersonFactory,
    RegionReviewFactory,
    RoleFactory,
    SelfAssessmentFactory,
    SHAFactory,
    UserFactory,
)
from tests.factories.panels import PanelFactory, SeatFactory, SeatTypeFactory
from wcc_site.selectors import board_queues

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def queues(response) -> dict[str, list[tuple[str, str, str, bool]]]:
    """The page's queues: key -> [(label, url, detail, overdue)]."""
    return {
        queue.key: [(i.label, i.url, i.detail, i.overdue) for i in queue.items]
        for queue in response.context["queues"]
    }


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


def seat(user, assessment, *, number=2, is_chair=False, **fields):
    person = getattr(user, "person", None) or PersonFactory(user=user)
    return SeatFactory(
        panel__assessment=assessment,
        seat_type=SeatTypeFactory(number=number, is_chair=is_chair),
        person=person,
        **fields,
    )


# --- SHA staff -------------------------------------------------------------------------------


def sha_work(sha, round_, n: int) -> None:
    """``n`` items of each kind of SHA staff work in ``sha``."""
    competency = CompetencyFactory(framework=round_.framework, number=1)
    for i in range(n):
        at_check = AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha), stage=Stage.FACTUAL_ACCURACY
        )
        rating = AgreedRatingFactory(assessment=at_check, competency=competency, level=2)
        FactualAccuracyCommentFactory(assessment=at_check, rating=rating if i % 2 else None)
        AssessmentFactory(round=round_, pct=PCTFactory(sha=sha), stage=Stage.MODERATION)
        SeatFactory(
            panel__assessment=AssessmentFactory(
                round=round_, pct=PCTFactory(sha=sha), stage=Stage.PANEL_FORMATION
            ),
            seat_type=SeatTypeFactory(number=1),
            person=None,
        )
    for _i in range(n):  # rounds opened for the region, sent back after moderation
        other_round = AssessmentRoundFactory(opened_at=timezone.now())
        AssessmentFactory(round=other_round, pct=PCTFactory(sha=sha), stage=Stage.CROSS_CHECK)
        RegionReviewFactory(round=other_round, sha=sha, status=RegionReview.Status.SENT_BACK)


def test_sha_staff_see_each_kind_of_waiting_work_with_links(client):
    sha = SHAFactory(name="West Midlands", ods_code="Q34")
    round_ = AssessmentRoundFactory(
        slug="2009-10", name="Round 2009-10", panel_formation_due=TODAY - datetime.timedelta(1)
    )
    competency = CompetencyFactory(framework=round_.framework, number=1)
    at_check = AssessmentFactory(
        round=round_,
        pct=PCTFactory(sha=sha, name="Dudley PCT", ods_code="5PE"),
        stage=Stage.FACTUAL_ACCURACY,
    )
    rating = AgreedRatingFactory(assessment=at_check, competency=competency, level=2)
    comment = FactualAccuracyCommentFactory(assessment=at_check, rating=rating)
    FactualAccuracyCommentFactory(assessment=at_check, response="Answered.")
    for name, ods in (("Coventry PCT", "5CV"), ("Solihull PCT", "5QW")):
        AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha, name=name, ods_code=ods), stage=Stage.MODERATION
        )
    AssessmentFactory(
        round=round_,
        pct=PCTFactory(sha=sha, name="Walsall PCT", ods_code="5M1"),
        stage=Stage.PANEL_FORMATION,
    )  # no panel yet
    full = AssessmentFactory(
        round=round_, pct=PCTFactory(sha=sha, name="Sandwell PCT"), stage=Stage.PANEL_FORMATION
    )
    SeatFactory(panel__assessment=full, seat_type=SeatTypeFactory(number=1))  # scoring to open
    left = AssessmentFactory(
        round=round_, pct=PCTFactory(sha=sha, name="Telford PCT"), stage=Stage.PANEL_FORMATION
    )  # the SHA walk: a member deactivated after being seated left the seat to fill again
    SeatFactory(
        panel__assessment=left, seat_type=SeatTypeFactory(number=2), person__is_active=False
    )
    RegionReviewFactory(round=round_, sha=sha, status=RegionReview.Status.SENT_BACK)
    elsewhere = PCTFactory(name="Elsewhere PCT")  # another SHA's work is not listed
    AssessmentFactory(round=round_, pct=elsewhere, stage=Stage.MODERATION)
    client.force_login(staff_of(sha))

    response = client.get("/")

    assert queues(response) == {
        "comments": [
            (
                "Dudley PCT: 1. Competency 1",
                f"/reports/pct/5PE/2009-10/#comment-{comment.pk}",
                f"Round 2009-10, raised {timezone.localdate():%-d %B %Y}",
                False,
            )
        ],
        "moderate": [
            (
                name,
                f"/reports/moderation/2009-10/Q34/#pct-{ods}",
                "Round 2009-10, at regional moderation",
                False,
            )
            for name, ods in (("Coventry PCT", "5CV"), ("Solihull PCT", "5QW"))
        ],
        "form": [
            (
                "Sandwell PCT",
                f"/panels/2009-10/{full.pct.ods_code}/formation/",
                "Round 2009-10: every seat filled: open scoring",
                True,
            ),
            (
                "Telford PCT",
                f"/panels/2009-10/{left.pct.ods_code}/formation/",
                "Round 2009-10: 1 seat to fill",
                True,
            ),
            ("Walsall PCT", "/panels/2009-10/5M1/formation/", "Round 2009-10: no panel yet", True),
        ],
        "sent-back": [
            (
                "West Midlands: Round 2009-10",
                "/reports/moderation/2009-10/Q34/",
                "sent back by the national team",
                False,
            )
        ],
    }
    page = response.content.decode()
    assert '<h2 id="waiting-heading" class="mt-0">Waiting for you</h2>' in page
    assert 'PCTs to moderate <span class="badge text-bg-primary" data-test="count">2</span>' in page
    assert page.index("Waiting for you") < page.index('id="region-heading"')
    assert page.count('data-test="overdue"') == 3  # the three panels to form


def test_panel_with_an_empty_seat_is_listed_with_the_seats_to_fill(client):
    sha = SHAFactory()
    round_ = AssessmentRoundFactory(slug="2009-10", name="Round 2009-10")
    assessment = AssessmentFactory(
        round=round_, pct=PCTFactory(sha=sha, name="Walsall PCT"), stage=Stage.PANEL_FORMATION
    )
    panel = PanelFactory(assessment=assessment)
    for number in (1, 2, 3):
        SeatFactory(panel=panel, seat_type=SeatTypeFactory(number=number), person=None)
    SeatFactory(panel=panel, seat_type=SeatTypeFactory(number=4))
    client.force_login(staff_of(sha))

    response = client.get("/")

    assert [item[2] for item in queues(response)["form"]] == ["Round 2009-10: 3 seats to fill"]


def test_nothing_waiting_says_so(client):
    client.force_login(staff_of(SHAFactory()))

    response = client.get("/")

    assert (
        response.context["queues"],
        "Nothing is waiting for you just now." in str(response.content),
    ) == (
        [],
        True,
    )


def test_sha_staff_are_asked_for_board_accounts_while_a_created_round_waits_to_open(client):
    """The real-year walk: between the round's creation and its opening the SHA's home said
    "Nothing is waiting for you", though its opening e-mails only boards with an account."""
    sha = SHAFactory(name="South Central", ods_code="Q38")
    PCTFactory(sha=sha)
    PCTFactory(sha=sha)
    PCTFactory(sha=sha, closed_on=TODAY)  # closed: no board to give an account
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory(sha=sha))  # has one
    PCTFactory(sha=SHAFactory())  # another region's
    round_ = AssessmentRoundFactory(slug="2010-11", name="Round 2010-11")
    client.force_login(staff_of(sha))

    waiting = queues(client.get("/"))
    AssessmentFactory(round=round_, pct=PCTFactory(sha=SHAFactory()))  # opened elsewhere
    elsewhere = queues(client.get("/"))
    AssessmentFactory(round=round_, pct=PCTFactory(sha=sha))  # opened for the region
    opened = queues(client.get("/"))

    assert waiting["before-opening"] == [
        (
            "South Central: 2 PCTs with no board account",
            "/boards/?without=on&sha=Q38",
            "Round 2010-11 is not open for them yet: its opening e-mails each PCT's board "
            "members, so give these boards an account first",
            False,
        )
    ]
    assert elsewhere["before-opening"] == waiting["before-opening"]
    assert "before-opening" not in opened


@pytest.mark.parametrize("n", [1, 3])
def test_sha_staff_queues_query_count(client, django_assert_num_queries, n):
    sha = SHAFactory()
    sha_work(sha, AssessmentRoundFactory(), n)
    client.force_login(staff_of(sha))

    with django_assert_num_queries(13):  # 5 + eight SHA staff queues
        response = client.get("/")

    counts = {queue.key: queue.count for queue in response.context["queues"]}
    assert counts == {"comments": n, "moderate": n, "form": n, "sent-back": n}


# --- Panel members and chairs ------------------------------------------------------------------


def test_member_sees_scores_due_with_the_deadline_and_overdue_marked(client):
    user = UserFactory()
    late = AssessmentRoundFactory(
        slug="2009-10", name="Round 2009-10", scoring_due=TODAY - datetime.timedelta(days=2)
    )
    soon = AssessmentRoundFactory(
        slug="2010-11", name="Round 2010-11", scoring_due=TODAY + datetime.timedelta(days=5)
    )
    seat(
        user,
        AssessmentFactory(
            round=late, pct=PCTFactory(name="Dudley PCT", ods_code="5PE"), stage=Stage.SCORING
        ),
    )
    seat(
        user,
        AssessmentFactory(
            round=soon, pct=PCTFactory(name="Walsall PCT", ods_code="5M1"), stage=Stage.SCORING
        ),
    )
    seat(
        user,
        AssessmentFactory(round=soon, pct=PCTFactory(), stage=Stage.SCORING),
        submitted_at=timezone.now(),
    )  # done
    seat(user, AssessmentFactory(round=soon, pct=PCTFactory(), stage=Stage.CONSENSUS))
    client.force_login(user)

    response = client.get("/")

    assert queues(response) == {
        "scores": [
            ("Dudley PCT", "/panels/2009-10/5PE/score/", "Round 2009-10, Seat 2", True),
            ("Walsall PCT", "/panels/2010-11/5M1/score/", "Round 2010-11, Seat 2", False),
        ]
    }
    page = response.content.decode()
    assert f'due <time datetime="{late.scoring_due:%Y-%m-%d}">' in page
    # Dudley's alone, in the queue and beside its deadline in "My panels" (the panel walk:
    # the table showed no mark)
    assert page.count('data-test="overdue"') == 2


def test_chair_sees_consensus_to_hold(client):
    user = UserFactory()
    round_ = AssessmentRoundFactory(slug="2009-10", name="Round 2009-10")
    seat(
        user,
        AssessmentFactory(
            round=round_, pct=PCTFactory(name="Dudley PCT", ods_code="5PE"), stage=Stage.CONSENSUS
        ),
        number=1,
        is_chair=True,
    )
    other = UserFactory()  # a member, not the chair, of a panel at consensus
    seat(other, AssessmentFactory(round=round_, stage=Stage.CONSENSUS))
    client.force_login(user)

    response = client.get("/")

    assert queues(response) == {
        "consensus": [("Dudley PCT", "/panels/2009-10/5PE/consensus/", "Round 2009-10", False)]
    }
    client.force_login(other)
    assert queues(client.get("/")) == {}


@pytest.mark.parametrize("n", [1, 3])
def test_member_and_chair_queues_query_count(client, django_assert_num_queries, n):
    user = UserFactory()
    for _i in range(n):
        seat(user, AssessmentFactory(stage=Stage.SCORING), number=2)
        seat(user, AssessmentFactory(stage=Stage.CONSENSUS), number=1, is_chair=True)
    client.force_login(user)

    with django_assert_num_queries(7):  # the member's queue, the chair's two
        response = client.get("/")

    assert {q.key: q.count for q in response.context["queues"]} == {"scores": n, "consensus": n}


# --- National team ---------------------------------------------------------------------------


def national_user():
    return RoleFactory(kind=Role.Kind.NATIONAL).user


def test_national_sees_regions_to_cross_check_windows_closing_and_rounds_to_publish(client):
    round_ = AssessmentRoundFactory(slug="2009-10", name="Round 2009-10")
    north = SHAFactory(name="North West")
    west = SHAFactory(name="West Midlands")
    RegionReviewFactory(round=round_, sha=north, status=RegionReview.Status.SIGNED_OFF)
    closes = timezone.now() + datetime.timedelta(days=1)
    RegionReviewFactory(
        round=round_, sha=west, status=RegionReview.Status.CONFIRMED, factual_accuracy_closes=closes
    )
    pcts = [PCTFactory(), PCTFactory()]  # every round opened for both: none to open
    later = AssessmentRoundFactory()
    for pct in pcts:
        AssessmentFactory(round=later, pct=pct, stage=Stage.MODERATION)
    RegionReviewFactory(  # closes in three weeks: not yet
        round=later,
        sha=west,
        status=RegionReview.Status.CONFIRMED,
        factual_accuracy_closes=timezone.now() + datetime.timedelta(days=21),
    )
    ready = AssessmentRoundFactory(slug="2008-09", name="Round 2008-09")
    for pct in pcts:
        AssessmentFactory(round=ready, pct=pct, stage=Stage.FACTUAL_ACCURACY)
        AssessmentFactory(round=round_, pct=pct, stage=Stage.MODERATION)  # 2009-10: not ready
    client.force_login(national_user())

    response = client.get("/")

    assert queues(response) == {
        "cross-check": [
            (
                "North West: Round 2009-10",
                f"/reports/cross-check/2009-10/#decide-{north.ods_code}",
                "signed off",
                False,
            )
        ],
        "closing": [
            (
                "West Midlands: Round 2009-10",
                "/reports/publication/2009-10/",
                f"closes {timezone.localtime(closes):%-d %B %Y at %H:%M}",
                False,
            )
        ],
        "publish": [
            (
                "Round 2008-09",
                "/reports/publication/2008-09/",
                "2 PCTs at the factual-accuracy check; no publication time set",
                False,
            )
        ],
    }


def test_national_team_is_asked_to_create_the_first_round_then_to_open_it(client):
    client.force_login(national_user())

    first = queues(client.get("/"))
    AssessmentRoundFactory(slug="2010-11", name="Round 2010-11")
    created = queues(client.get("/"))

    assert first == {
        "to-open": [
            (
                "Create the first round",
                "/rounds/new/",
                "no round exists yet: create one, check its framework and timetable, then "
                "open it for the SHAs",
                False,
            )
        ]
    }
    assert created == {
        "to-open": [
            (
                "Round 2010-11",
                "/rounds/2010-11/",
                "created, not yet open: check its framework and timetable, then open it",
                False,
            )
        ]
    }


def test_national_is_told_of_a_round_opened_for_some_shas_until_its_publication_time(client):
    """The real-year walk published one SHA's 9 PCTs as "England", never told of the rest."""
    opened, other = SHAFactory(), SHAFactory()
    round_ = AssessmentRoundFactory(slug="2010-11", name="Round 2010-11")
    AssessmentFactory(round=round_, pct=PCTFactory(sha=opened), stage=Stage.MODERATION)
    PCTFactory(sha=other)
    PCTFactory(sha=other)
    PCTFactory(sha=other, closed_on=TODAY)  # closed: not waiting
    client.force_login(national_user())

    before = queues(client.get("/"))
    round_.published_at = timezone.now() + datetime.timedelta(days=3)
    round_.save()
    after = queues(client.get("/"))

    assert before == {
        "to-open": [
            (
                "Round 2010-11",
                "/rounds/2010-11/open/",
                "open for some SHAs only: 2 PCTs not started. Open it for them before setting "
                "a publication time, or they are not assessed this year",
                False,
            )
        ]
    }
    assert after == {}


@pytest.mark.parametrize("n", [1, 3])
def test_national_queues_query_count(client, django_assert_num_queries, n):
    pct = PCTFactory()
    partial = AssessmentRoundFactory(slug="2098-99")  # opened, one PCT not started
    AssessmentFactory(round=partial, pct=PCTFactory())
    for i in range(n):
        # Slugs of its own: the factory's sequence reaches "2098-99" after enough rounds in
        # one process, and get_or_create then gave back the partial round (a CI run).
        round_ = AssessmentRoundFactory(slug=f"{2080 + i}-{81 + i}")
        AssessmentFactory(round=round_, pct=pct, stage=Stage.FACTUAL_ACCURACY)
        RegionReviewFactory(round=round_, status=RegionReview.Status.SIGNED_OFF)
        RegionReviewFactory(
            round=round_, factual_accuracy_closes=timezone.now() + datetime.timedelta(hours=2)
        )
    client.force_login(national_user())

    AssessmentRoundFactory(slug="2099-00")  # created, not opened
    with django_assert_num_queries(9):
        response = client.get("/")

    assert {q.key: q.count for q in response.context["queues"]} == {
        # The created round, and every opened round: each lacks one of the two PCTs.
        "to-open": 1 + 1 + n,
        "cross-check": n,
        "closing": n,
        "publish": n,
    }


# --- PCT boards ------------------------------------------------------------------------------


def test_board_sees_self_assessment_due_draft_to_check_and_comments_awaiting(client):
    sha = SHAFactory()
    pct = PCTFactory(sha=sha, name="Dudley PCT", ods_code="5PE")
    due = TODAY + datetime.timedelta(days=3)
    current = AssessmentRoundFactory(slug="2010-11", name="Round 2010-11", self_assessment_due=due)
    AssessmentFactory(round=current, pct=pct, stage=Stage.SELF_ASSESSMENT)
    checked = AssessmentRoundFactory(slug="2009-10", name="Round 2009-10")
    at_check = AssessmentFactory(round=checked, pct=pct, stage=Stage.FACTUAL_ACCURACY)
    closes = timezone.now() + datetime.timedelta(days=4)
    RegionReviewFactory(round=checked, sha=sha, factual_accuracy_closes=closes)
    comment = FactualAccuracyCommentFactory(assessment=at_check)
    neighbour = PCTFactory(sha=sha)  # its board's work is not listed here
    AssessmentFactory(round=current, pct=neighbour, stage=Stage.SELF_ASSESSMENT)
    FactualAccuracyCommentFactory(
        assessment=AssessmentFactory(round=checked, pct=neighbour, stage=Stage.FACTUAL_ACCURACY)
    )
    user = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct).user
    client.force_login(user)

    response = client.get("/")

    assert queues(response) == {
        "self-assessment": [
            (
                "Dudley PCT: Round 2010-11",
                "/assessments/2010-11/5PE/self-assessment/",
                "self-assessment to submit",
                False,
            )
        ],
        "draft": [
            (
                "Dudley PCT: Round 2009-10",
                "/reports/pct/5PE/2009-10/",
                "draft results to check; the window closes on "
                f"{timezone.localtime(closes):%-d %B %Y at %H:%M}",
                False,
            )
        ],
        "board-comments": [
            (
                "Dudley PCT: the draft as a whole",
                f"/reports/pct/5PE/2009-10/#comment-{comment.pk}",
                f"Round 2009-10, raised {timezone.localdate():%-d %B %Y}",
                False,
            )
        ],
    }


def test_board_draft_leaves_the_queue_once_submitted_or_confirmed(client):
    sha = SHAFactory()
    pct = PCTFactory(sha=sha)
    SelfAssessmentFactory(
        assessment=AssessmentFactory(pct=pct, stage=Stage.SELF_ASSESSMENT),
        status="submitted",
        submitted_at=timezone.now(),
    )
    at_check = AssessmentFactory(pct=pct, stage=Stage.FACTUAL_ACCURACY)
    RegionReviewFactory(
        round=at_check.round,
        sha=sha,
        factual_accuracy_closes=timezone.now() + datetime.timedelta(days=4),
    )
    user = RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct).user
    FactualAccuracyConfirmation.objects.create(
        assessment=at_check, confirmed_by=user, confirmed_at=timezone.now()
    )
    client.force_login(user)

    assert queues(client.get("/")) == {}


@pytest.mark.parametrize("n", [1, 3])
def test_board_queues_query_count(django_assert_num_queries, n):
    user = UserFactory()
    for _i in range(n):
        pct = PCTFactory()
        RoleFactory(user=user, kind=Role.Kind.PCT_BOARD, pct=pct)
        AssessmentFactory(pct=pct, stage=Stage.SELF_ASSESSMENT)
        at_check = AssessmentFactory(pct=pct, stage=Stage.FACTUAL_ACCURACY)
        RegionReviewFactory(
            round=at_check.round,
            sha=pct.sha,
            factual_accuracy_closes=timezone.now() + datetime.timedelta(days=2),
        )
        FactualAccuracyCommentFactory(assessment=at_check)
        AssessmentFactory(
            pct=pct,
            stage=Stage.PUBLISHED,
            round=AssessmentRoundFactory(published_at=timezone.now() - datetime.timedelta(days=1)),
        )
        AssessmentFactory(  # published long ago: no longer news
            pct=pct,
            stage=Stage.PUBLISHED,
            round=AssessmentRoundFactory(published_at=timezone.now() - datetime.timedelta(days=90)),
        )
    pct_ids = user_scope(user).pct_ids

    # The selector itself: the board section below it on the page asks each assessment at
    # the factual-accuracy check for its window (two queries each), which is not the queue's.
    with django_assert_num_queries(4):
        board = board_queues(pct_ids=pct_ids)

    assert {q.key: q.count for q in board} == {
        "self-assessment": n,
        "draft": n,
        "board-comments": n,
        "results": n,
    }


def test_sha_staff_are_asked_to_give_boards_nobody_can_act_for_an_account(client):
    """A PCT at self-assessment with no active board account was not told the round opened
    and cannot start: its SHA's staff see it as work, linked to its board accounts page."""
    sha = SHAFactory(ods_code="Q37")
    round_ = AssessmentRoundFactory(slug="2010-11")
    orphan = AssessmentFactory(round=round_, pct=PCTFactory(sha=sha, name="Alone PCT"))
    told = AssessmentFactory(round=round_, pct=PCTFactory(sha=sha, name="Told PCT"))
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=told.pct)
    gone = AssessmentFactory(round=round_, pct=PCTFactory(sha=sha, name="Gone PCT"))
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=gone.pct, user=UserFactory(is_active=False))
    client.force_login(staff_of(sha))

    queues = {q.key: q for q in client.get("/").context["queues"]}

    assert [(i.label, i.url) for i in queues["boards"].items] == [
        ("Alone PCT", f"/boards/{orphan.pct.ods_code}/"),
        ("Gone PCT", f"/boards/{gone.pct.ods_code}/"),
    ]


# --- SHA staff: self-assessments overdue ---------------------------------------------------


def test_self_assessment_past_its_deadline_is_listed_to_proceed_without(client):
    sha = SHAFactory()
    late = AssessmentRoundFactory(
        slug="2009-10", name="Round 2009-10", self_assessment_due=datetime.date(2009, 9, 30)
    )
    AssessmentFactory(round=late, pct=PCTFactory(sha=sha, name="Walsall PCT", ods_code="5M1"))
    due_later = AssessmentRoundFactory(
        slug="2010-11", self_assessment_due=timezone.localdate() + datetime.timedelta(days=1)
    )
    AssessmentFactory(round=due_later, pct=PCTFactory(sha=sha))  # not overdue yet
    AssessmentFactory(round=AssessmentRoundFactory(slug="2011-12"), pct=PCTFactory(sha=sha))
    AssessmentFactory(round=late, pct=PCTFactory(sha=SHAFactory()))  # another region's
    client.force_login(staff_of(sha))

    response = client.get("/")

    assert queues(response)["overdue"] == [
        (
            "Walsall PCT",
            "/panels/2009-10/5M1/proceed-without-self-assessment/",
            "Round 2009-10: the board has not submitted; proceed without it",
            True,
        )
    ]
    assert "Self-assessments overdue" in response.content.decode()


def test_a_self_assessment_sent_back_and_overdue_says_it_was_sent_back(client):
    """Walk U: after SHA staff sent Coventry's back, the list read "the board has not
    submitted; proceed without it"."""
    sha = SHAFactory()
    late = AssessmentRoundFactory(
        slug="2009-10", name="Round 2009-10", self_assessment_due=datetime.date(2009, 9, 30)
    )
    back = AssessmentFactory(round=late, pct=PCTFactory(sha=sha, name="Coventry PCT"))
    StageChange.objects.create(
        assessment=back, from_stage=Stage.PANEL_FORMATION, to_stage=Stage.SELF_ASSESSMENT
    )
    client.force_login(staff_of(sha))

    [(label, _url, detail, _overdue)] = queues(client.get("/"))["overdue"]

    assert (label, detail) == (
        "Coventry PCT",
        "Round 2009-10: sent back to the board to correct, not yet submitted again; proceed "
        "without it if it does not come",
    )


@pytest.mark.parametrize("n", [1, 3])
def test_sha_staff_queues_query_count_with_self_assessments_overdue(
    client, django_assert_num_queries, n
):
    sha = SHAFactory()
    round_ = AssessmentRoundFactory(self_assessment_due=datetime.date(2009, 9, 30))
    for _ in range(n):
        AssessmentFactory(round=round_, pct=PCTFactory(sha=sha), stage=Stage.SELF_ASSESSMENT)
    client.force_login(staff_of(sha))

    with django_assert_num_queries(13):  # 5 + eight SHA staff queues
        response = client.get("/")

    counts = {queue.key: queue.count for queue in response.context["queues"]}
    assert counts == {"overdue": n, "boards": n}
