"""The national cross-check: confirm or send back a region, and who may."""

import datetime
import re
import zoneinfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import Assessment, RegionReview, Role, Stage, StrategicHealthAuthority
from assessments.regions import add_working_days, region_confirm, region_send_back, region_sign_off
from reports.moderation import Flag, moderation, round_flags
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    GovernanceAreaFactory,
    MemberScoreFactory,
    PanelFactory,
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SeatFactory,
    SeatTypeFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_off():
    sha = SHAFactory(name="North East")
    round_ = AssessmentRoundFactory(slug="2009-10")
    for n in range(2):
        AssessmentFactory(
            round=round_, pct=PCTFactory(sha=sha, name=f"PCT {n}"), stage=Stage.MODERATION
        )
    region_sign_off(round_=round_, sha=sha, by=UserFactory())
    return round_, sha


def seen_on_page(client, round_) -> str:
    """The sign-off time the cross-check page carries in its decision forms (``U.u``)."""
    page = client.get(f"/reports/cross-check/{round_.slug}/").content.decode()
    return re.search(r'name="signed_off" value="([0-9.]+)"', page).group(1)


def test_ten_working_days_from_a_friday_end_on_the_friday_two_weeks_later():
    friday = datetime.datetime(2010, 2, 5, 17, 0, tzinfo=datetime.UTC)

    assert add_working_days(friday, 10) == datetime.datetime(
        2010, 2, 19, 17, 0, tzinfo=datetime.UTC
    )


LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_working_days_are_counted_on_the_uk_calendar():
    """The review: counted on UTC's calendar, a confirmation at 00:30 on a UK Monday (23:30
    UTC on the Sunday) closed on a Saturday."""
    monday_early = datetime.datetime(2009, 5, 31, 23, 30, tzinfo=datetime.UTC)

    closes = add_working_days(monday_early, 10).astimezone(LONDON)

    assert closes.strftime("%A %-d %B %H:%M") == "Monday 15 June 00:30"


def test_working_days_keep_the_uk_time_of_day_across_the_change_of_the_clocks():
    friday_bst = datetime.datetime(2009, 10, 16, 16, 0, tzinfo=datetime.UTC)  # 17:00 BST

    closes = add_working_days(friday_bst, 10).astimezone(LONDON)

    assert closes.strftime("%A %-d %B %H:%M") == "Friday 30 October 17:00"  # GMT by then


def test_confirm_opens_the_factual_accuracy_check_with_its_window(signed_off):
    round_, sha = signed_off

    with time_machine.travel(datetime.datetime(2010, 2, 5, 12, 0, tzinfo=datetime.UTC), tick=False):
        review = region_confirm(round_=round_, sha=sha, by=UserFactory())

    assert review.status == RegionReview.Status.CONFIRMED
    assert review.factual_accuracy_closes == datetime.datetime(
        2010, 2, 19, 12, 0, tzinfo=datetime.UTC
    )
    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.FACTUAL_ACCURACY}


@pytest.mark.skipif(
    not connection.features.has_select_for_update,
    reason="SQLite takes the whole database for each write (BEGIN IMMEDIATE) instead",
)
@pytest.mark.parametrize("decide", [region_confirm, region_send_back])
def test_a_decision_on_a_region_locks_its_review_before_reading_it(signed_off, decide):
    """The review: both read "signed off" unlocked, so on PostgreSQL two tabs could confirm
    a region twice (its window reset, its boards told twice)."""
    round_, sha = signed_off
    extra = {"comment": "Look again."} if decide is region_send_back else {}

    with CaptureQueriesContext(connection) as queries:
        decide(round_=round_, sha=sha, by=UserFactory(), **extra)

    assert any(
        '"assessments_regionreview"' in q["sql"] and "FOR UPDATE" in q["sql"]
        for q in queries.captured_queries
    )


def test_send_back_needs_a_comment_and_returns_to_moderation(signed_off):
    round_, sha = signed_off

    with pytest.raises(ValidationError):
        region_send_back(round_=round_, sha=sha, by=UserFactory(), comment="  ")
    review = region_send_back(
        round_=round_, sha=sha, by=UserFactory(), comment="Competency 7 looks lenient."
    )

    assert (review.status, review.national_comment) == ("sent_back", "Competency 7 looks lenient.")
    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.MODERATION}
    assert region_sign_off(round_=round_, sha=sha, by=UserFactory()).status == "signed_off"


def test_a_region_not_signed_off_cannot_be_confirmed():
    sha, round_ = SHAFactory(), AssessmentRoundFactory(slug="2009-10")
    AssessmentFactory(round=round_, pct=PCTFactory(sha=sha), stage=Stage.MODERATION)

    with pytest.raises(TransitionError):
        region_confirm(round_=round_, sha=sha, by=UserFactory())


def test_page_and_decisions_for_the_national_team_only(client, signed_off):
    round_, sha = signed_off
    national = RoleFactory(kind=Role.Kind.NATIONAL).user
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user

    for user in (staff, UserFactory()):
        client.force_login(user)
        assert client.get(f"/reports/cross-check/{round_.slug}/").status_code == 404
        assert (
            client.post(
                f"/reports/cross-check/{round_.slug}/{sha.ods_code}/",
                {"decision": "confirm", "confirm": "1"},
            ).status_code
            == 404
        )
    client.force_login(national)
    page = client.get(f"/reports/cross-check/{round_.slug}/")
    seen = seen_on_page(client, round_)
    check = client.post(
        f"/reports/cross-check/{round_.slug}/{sha.ods_code}/",
        {"decision": "confirm", "signed_off": seen},
    )

    assert (page.status_code, check.templates[0].name) == (200, "confirm.html")
    # Says who will be e-mailed (window_opened_notices tells each board), never "nobody".
    assert check.context["told"].startswith("Each board with an account is e-mailed")
    assert RegionReview.objects.get().status == "signed_off"
    client.post(
        f"/reports/cross-check/{round_.slug}/{sha.ods_code}/",
        {"decision": "confirm", "confirm": "1", "signed_off": seen},
    )

    assert RegionReview.objects.get().status == "confirmed"


def test_send_back_shows_the_comment_first_then_acts_on_confirm(client, signed_off):
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    decide = f"/reports/cross-check/{round_.slug}/{sha.ods_code}/"
    seen = seen_on_page(client, round_)

    empty = client.post(
        decide, {"decision": "send_back", "comment": " ", "signed_off": seen}, follow=True
    )
    # invisible characters only are no comment either (the verify walk: a blank check page)
    invisible = client.post(
        decide, {"decision": "send_back", "comment": "\u200b\u00a0", "signed_off": seen}
    )
    assert invisible.context["error"]["field"] == f"c-{sha.ods_code}"
    check = client.post(
        decide, {"decision": "send_back", "comment": "C5 looks generous.", "signed_off": seen}
    )

    message = f"Say why {sha.name} is sent back: its staff read the comment."
    page = empty.content.decode()
    assert (empty.status_code, empty.context["error"]["message"]) == (200, message)
    assert f'<a href="#c-{sha.ods_code}">{message}</a>' in page and "<title>Error: " in page
    assert f'aria-describedby="c-{sha.ods_code}_error"' in page
    assert check.context["carry"] == [
        ("decision", "send_back"),
        ("comment", "C5 looks generous."),
        ("signed_off", seen),
    ]
    assert check.context["told"].startswith(f"The staff of {sha.name} are e-mailed your comment")
    assert RegionReview.objects.get().status == "signed_off"
    kept = f"typed:cross-check:{round_.slug}" in client.session
    client.post(decide, dict(check.context["carry"]) | {"confirm": "1"})

    review = RegionReview.objects.get()
    assert (review.status, review.national_comment) == ("sent_back", "C5 looks generous.")
    # What the check page kept for "Go back" is forgotten once sent (review X).
    assert kept and f"typed:cross-check:{round_.slug}" not in client.session


def test_a_stale_pages_decision_is_refused_before_any_check_page(client, signed_off):
    """The national walk: a send-back from a tab opened before the region was confirmed got
    a check page about "The 0 assessments of North East"; only confirming it refused."""
    round_, sha = signed_off
    national = RoleFactory(kind=Role.Kind.NATIONAL).user
    client.force_login(national)
    decide = f"/reports/cross-check/{round_.slug}/{sha.ods_code}/"
    seen = seen_on_page(client, round_)
    client.post(decide, {"decision": "confirm", "confirm": "1", "signed_off": seen}, follow=True)

    for decision in ("send_back", "confirm"):
        stale = client.post(
            decide,
            {"decision": decision, "comment": "Too late.", "signed_off": seen},
            follow=True,
        )

        assert "happens" not in stale.context
        assert [str(m) for m in stale.context["messages"]] == [
            f"Nothing was changed: no assessment of {sha.name} is at the national cross-check "
            "now, so there is nothing to confirm or send back. The page shows where the region "
            "is. Your comment, not sent: \u201cToo late.\u201d"
        ]
    assert RegionReview.objects.get().status == "confirmed"


def test_a_decision_on_a_sign_off_since_sent_back_and_made_again_is_refused(client, signed_off):
    """The two-tabs walk: a "Confirm" check page left open while another tab sent the region
    back, and its staff moderated again and signed off, confirmed the new sign-off unseen."""
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    decide = f"/reports/cross-check/{round_.slug}/{sha.ods_code}/"
    page = client.get(f"/reports/cross-check/{round_.slug}/").content.decode()
    seen = re.search(r'name="signed_off" value="([0-9.]+)"', page).group(1)
    check = client.post(decide, {"decision": "confirm", "signed_off": seen})
    assert dict(check.context["carry"])["signed_off"] == seen
    staff = UserFactory()
    region_send_back(round_=round_, sha=sha, by=staff, comment="Another look, please.")
    region_sign_off(round_=round_, sha=sha, by=staff)  # moderated again, signed off again

    stale = client.post(decide, dict(check.context["carry"]) | {"confirm": "1"})

    # The page, its error summary linked to the region's decision (the accessibility walk:
    # a message above the place the page scrolled to, not read out).
    assert stale.status_code == 200
    assert stale.context["error"] == {
        "field": f"decide-{sha.ods_code}",
        "sha": "",
        "message": f"Nothing was changed: {sha.name} was signed off again since you looked at "
        "it (it was sent back and moderated again). The page shows it as it is now: check it "
        "again.",
    }
    assert "<title>Error: " in stale.content.decode()
    assert RegionReview.objects.get().status == "signed_off"
    # A send-back from such a page gives its comment back, in its box.
    again = client.post(decide, {"decision": "send_back", "comment": "Why C5?", "signed_off": seen})
    assert again.context["error"]["field"] == f"c-{sha.ods_code}"
    assert again.context["error"]["message"].startswith(
        f"Nothing was changed: {sha.name} was signed off again"
    )
    assert 'name="comment" rows="3">Why C5?</textarea>' in again.content.decode()
    # The service refuses it too, in case both pages are sent at once.
    with pytest.raises(ConflictError):
        region_confirm(
            round_=round_,
            sha=sha,
            by=staff,
            signed_off_seen=datetime.datetime(2001, 1, 1, tzinfo=datetime.UTC),
        )


@pytest.mark.parametrize("sent", [None, "", "yesterday", "12.34.56", "99999999999999999999"])
@pytest.mark.parametrize("confirming", [False, True])
def test_a_decision_without_a_readable_sign_off_time_is_refused_as_stale(
    client, signed_off, sent, confirming
):
    """The review: a form without the "signed off at" field (a very old page, or forged)
    skipped the stale-page guard and confirmed, on the check page and on confirming."""
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    posted = {"decision": "confirm"} | ({"confirm": "1"} if confirming else {})
    if sent is not None:
        posted["signed_off"] = sent

    stale = client.post(f"/reports/cross-check/{round_.slug}/{sha.ods_code}/", posted)

    assert (stale.status_code, stale.context["error"]) == (
        200,
        {
            "field": f"decide-{sha.ods_code}",
            "sha": "",
            "message": f"Nothing was changed: the page you decided on did not say which "
            f"sign-off of {sha.name} you looked at, so it may be out of date. The page shows "
            "it as it is now: check it again.",
        },
    )
    assert "<title>Error: " in stale.content.decode()
    assert RegionReview.objects.get().status == "signed_off"
    assert set(Assessment.objects.values_list("stage", flat=True)) == {Stage.CROSS_CHECK}


def test_a_send_back_without_a_sign_off_time_is_refused_and_gives_the_comment_back(
    client, signed_off
):
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    stale = client.post(
        f"/reports/cross-check/{round_.slug}/{sha.ods_code}/",
        {"decision": "send_back", "comment": "Why C5?", "confirm": "1"},
    )

    assert stale.context["error"]["field"] == f"c-{sha.ods_code}"
    assert stale.context["error"]["message"].startswith(
        "Nothing was changed: the page you decided on did not say which sign-off"
    )
    assert 'name="comment" rows="3">Why C5?</textarea>' in stale.content.decode()
    review = RegionReview.objects.get()
    assert (review.status, review.national_comment) == ("signed_off", "")


def test_go_back_from_the_send_back_check_keeps_the_comment(client, signed_off):
    """The keyboard walk: "Go back" came back to an empty comment box."""
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    # long: in the address it made gunicorn answer 414 (the verify walk)
    comment = "Please re-check <Gateshead> & C5. " + "x" * 5000

    check = client.post(
        f"/reports/cross-check/{round_.slug}/{sha.ods_code}/",
        {"decision": "send_back", "comment": comment, "signed_off": seen_on_page(client, round_)},
    )
    back = client.get(check.context["back"])

    assert re.fullmatch(
        rf"/reports/cross-check/{round_.slug}/\?typed=[\w-]+#c-{sha.ods_code}",
        check.context["back"],
    )
    page = back.content.decode()
    assert (
        f'id="c-{sha.ods_code}" name="comment" rows="3">'
        f"Please re-check &lt;Gateshead&gt; &amp; C5. {'x' * 5000}</textarea>" in page
    )
    # shown once: a later visit has an empty box
    assert "Please re-check" not in client.get(check.context["back"]).content.decode()
    assert RegionReview.objects.get().status == "signed_off"


@pytest.mark.parametrize(
    ("given", "days", "message"),
    [
        ("15", 15, "Boards of the regions confirmed from now on have 15 working days"),
        ("0", 10, "Factual-accuracy window: Give between 1 and 30 working days."),
        ("ten", 10, "Factual-accuracy window: 'ten' is not a whole number of working days."),
    ],
)
def test_national_team_sets_the_window_for_regions_confirmed_later(
    client, signed_off, given, days, message
):
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.post(
        f"/reports/cross-check/{round_.slug}/window/", {"working_days": given}, follow=True
    )

    round_.refresh_from_db()
    assert round_.factual_accuracy_working_days == days
    if days == int(given if given.isdigit() else 0):
        (shown,) = [str(m) for m in response.context["messages"]]
    else:  # refused: the error summary, the field keeping what was typed
        shown = response.context["error"]["message"]
        assert f'value="{given}"' in response.content.decode()
    assert shown.startswith(message)
    assert list(round_.changes.values_list("field", "old_value", "new_value")) == (
        [("factual_accuracy_working_days", "10", given)] if days != 10 else []
    )
    with time_machine.travel(datetime.datetime(2010, 2, 5, 12, 0, tzinfo=datetime.UTC), tick=False):
        review = region_confirm(round_=round_, sha=sha, by=UserFactory())
    assert review.factual_accuracy_closes == add_working_days(
        datetime.datetime(2010, 2, 5, 12, 0, tzinfo=datetime.UTC), days
    )


def test_a_window_length_from_a_page_before_another_change_is_refused(client, signed_off):
    """The two-tabs walk: a stale tab (showing 10) set 5 over the 15 just set in another."""
    round_, _sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    address = f"/reports/cross-check/{round_.slug}/window/"
    client.post(address, {"working_days": "15", "was": "10"})

    refused = client.post(address, {"working_days": "5", "was": "10"})

    round_.refresh_from_db()
    assert round_.factual_accuracy_working_days == 15
    assert refused.context["error"]["message"] == (
        "Factual-accuracy window: changed from 10 to 15 working days since you opened this "
        "page (in another window); your 5 was not saved. Save again to replace it."
    )
    page = refused.content.decode()
    assert 'value="5"' in page and 'name="was" value="15"' in page
    client.post(address, {"working_days": "5", "was": "15"})
    round_.refresh_from_db()
    assert round_.factual_accuracy_working_days == 5


def test_window_is_404_for_sha_staff(client, signed_off):
    round_, sha = signed_off
    client.force_login(RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user)

    response = client.post(f"/reports/cross-check/{round_.slug}/window/", {"working_days": "3"})

    assert response.status_code == 404
    round_.refresh_from_db()
    assert round_.factual_accuracy_working_days == 10


@pytest.mark.parametrize("shas", [1, 3])
def test_page_query_count_does_not_grow(client, django_assert_num_queries, shas):
    round_ = AssessmentRoundFactory(slug="2009-10")
    competency = CompetencyFactory(framework=round_.framework, number=1)
    for _ in range(shas):
        assessment = AssessmentFactory(
            round=round_, pct=PCTFactory(sha=SHAFactory()), stage=Stage.MODERATION
        )
        AgreedRatingFactory(assessment=assessment, competency=competency)
        seat = SeatFactory(panel=PanelFactory(assessment=assessment), submitted_at=timezone.now())
        MemberScoreFactory(seat=seat, competency=competency, level=3)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    # Computed: the session and user (2), the round, the competency key, the competencies,
    # the figures version, the inputs' fingerprint, the round's frame (version, competencies,
    # rows), the assessments past scoring (twice), their members' scores by item and their
    # panels' sizes, the others' members' scores, the self-assessments, the moves, the
    # reviews, the regions' stages (region_stage), the SHAs.
    with django_assert_num_queries(21):
        client.get(f"/reports/cross-check/{round_.slug}/")
    # Kept: neither the frame nor the members' scores nor the self-assessments are read.
    with django_assert_num_queries(12):
        client.get(f"/reports/cross-check/{round_.slug}/")


@pytest.fixture
def flagged_round():
    """A small round whose flags can be worked out by hand (one competency, three areas).

    North (Q40): 5AA and 5AB, both level 4 on c1; 5AA red on all three areas; 5AB's three
    submitted members (of South's SHA, so that no other SHA exists) scored c1 1, 1 and 2.
    South (Q41): six PCTs, level 1, amber.

    England's c1 levels are 4, 4 and six 1s: mean 1.75, sd (population) √1.6875 = 1.30.
    North: z = (4 - 1.75) / (1.30 / √2) = +2.4, flagged; South: z = (1 - 1.75) / (1.30 / √6)
    = -1.4, not. 5AB's members' median is 1, three levels from its agreed 4: flagged. The
    members differ on c1, so the panel is not "identical"; nobody self-assessed.
    """
    round_ = AssessmentRoundFactory(slug="2030-31")
    framework = round_.framework
    c1 = CompetencyFactory(framework=framework, number=1)
    areas = [
        GovernanceAreaFactory(framework=framework, code=code, position=position)
        for position, code in enumerate(["strategy", "finance", "board"], start=1)
    ]
    north, south = SHAFactory(ods_code="Q40"), SHAFactory(ods_code="Q41")
    pcts = [("5AA", north, 4, "red"), ("5AB", north, 4, "green")]
    pcts += [(f"5B{n}", south, 1, "amber") for n in range(6)]
    for ods, sha, level, light in pcts:
        assessment = AssessmentFactory(
            round=round_, pct=PCTFactory(ods_code=ods, sha=sha), stage=Stage.MODERATION
        )
        AgreedRatingFactory(assessment=assessment, competency=c1, level=level)
        for area in areas:
            AgreedRatingFactory(assessment=assessment, area=area, light=light)
        if ods == "5AB":
            panel = PanelFactory(assessment=assessment)
            for number, member_level in enumerate([1, 1, 2], start=1):
                seat = SeatFactory(
                    panel=panel,
                    seat_type=SeatTypeFactory(number=number),
                    person=PersonFactory(pct=None, sha=south),
                    submitted_at=datetime.datetime(2031, 1, 5, tzinfo=datetime.UTC),
                )
                MemberScoreFactory(seat=seat, competency=c1, level=member_level)
    return round_


EXPECTED_FLAGS = {
    "Q40": [
        Flag(
            "region-mean",
            "Competency 1",
            "region mean 4.00 (n = 2) against England 1.75 (sd 1.30): z = +2.4",
            item="c1",
        ),
        Flag("panel-median", "PCT 5AB", "c1: agreed 4, members' median 1", "5AB", "c1"),
        Flag("red-all-three", "PCT 5AA", "red on strategy, finance and board", "5AA"),
    ],
    "Q41": [],
}


def test_round_flags_are_the_hand_computed_ones(flagged_round):
    assert round_flags(round_=flagged_round) == EXPECTED_FLAGS


def test_each_region_page_shows_the_same_flags_as_the_cross_check(flagged_round):
    shown = {
        sha.ods_code: moderation(round_=flagged_round, sha=sha).flags
        for sha in StrategicHealthAuthority.objects.order_by("ods_code")
    }

    assert shown == EXPECTED_FLAGS


def test_cross_check_page_counts_each_regions_flags_by_rule(client, flagged_round):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.get(f"/reports/cross-check/{flagged_round.slug}/")

    rows = {row.sha.ods_code: row for row in response.context["rows"]}
    assert {code: row.flag_total for code, row in rows.items()} == {"Q40": 3, "Q41": 0}
    assert {rule: n for rule, n in rows["Q40"].flags.items() if n} == {
        "region-mean": 1,
        "panel-median": 1,
        "red-all-three": 1,
    }
    assert 'data-test="flags-Q40-red-all-three"' in response.content.decode()


def test_a_round_with_no_pct_rated_yet_shows_no_mean_rather_than_nan(client):
    """The national walk: a round just opened read "nan" for every competency of England."""
    round_ = AssessmentRoundFactory(slug="2010-11")
    CompetencyFactory(framework=round_.framework, number=1)
    AssessmentFactory(round=round_, pct=PCTFactory(), stage=Stage.SELF_ASSESSMENT)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.get(f"/reports/cross-check/{round_.slug}/")

    england = response.content.decode().split('<th scope="row">England</th>')[1].split("</tr>")[0]
    assert response.context["england"] == {"c1": None}
    assert "nan" not in england and "—" in england


def test_a_region_sent_back_then_confirmed_shows_the_comment_as_the_send_backs(client, signed_off):
    """Walk N: the status column showed the old send-back comment beside "Confirmed" as if
    the confirmation had said it."""
    round_, sha = signed_off
    staff = UserFactory()
    region_send_back(round_=round_, sha=sha, by=staff, comment="Another look at c6, please.")
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    sent_back = client.get(f"/reports/cross-check/{round_.slug}/").content.decode()
    region_sign_off(round_=round_, sha=sha, by=staff)
    region_confirm(round_=round_, sha=sha, by=UserFactory())

    page = client.get(f"/reports/cross-check/{round_.slug}/").content.decode()

    def status(text):
        return text.split('data-test="region-status">')[1].split("</td>")[0]

    assert "Sent back before" not in status(sent_back)
    assert "Another look at c6, please." in status(sent_back)
    assert "Sent back before: Another look at c6, please." in status(page)
