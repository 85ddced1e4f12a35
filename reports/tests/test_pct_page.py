"""A PCT's results page, and the factual-accuracy check on it (on the demo data).

In the demo, 2008-09 is published and 2009-10 is not; North East (Q30) is at regional
moderation in 2009-10. ``confirmed_north_east`` takes it through sign-off and the national
confirmation, so its boards are in their factual-accuracy window.
"""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    FactualAccuracyComment,
    ModerationAdjustment,
    PCTChange,
    PrimaryCareTrust,
    RatingChange,
    Stage,
    StrategicHealthAuthority,
)
from assessments.organisations import pct_update
from assessments.regions import region_confirm, region_sign_off
from assessments.standings import figures_changed
from competencies.selectors import item_label
from tests.mail import given_up
from tests.users import demo_user

pytestmark = pytest.mark.django_db

PAGE = "/reports/pct/{}/{}/"
# A published page read by its board: 18, and one for the name the PCT had then.
PUBLISHED_QUERIES = 19


def login(client, username):
    client.force_login(demo_user(username))


@pytest.fixture
def confirmed_north_east(demo):
    round_ = AssessmentRound.objects.get(slug="2009-10")
    sha = StrategicHealthAuthority.objects.get(ods_code="Q30")
    region_sign_off(round_=round_, sha=sha, by=demo_user("moderator.q30"))
    return region_confirm(round_=round_, sha=sha, by=demo_user("national"))


def rating(ods, slug, number):
    return AgreedRating.objects.get(
        assessment__pct__ods_code=ods, assessment__round__slug=slug, competency__number=number
    )


def held_back_after_publication(number: int) -> FactualAccuracyComment:
    """board.5nd's comment on its competency ``number``, still to answer, and 2009-10
    published an hour ago with its notices sent: County Durham is held back."""
    comment = FactualAccuracyComment.objects.create(
        assessment=Assessment.objects.get(pct__ods_code="5ND", round__slug="2009-10"),
        rating=rating("5ND", "2009-10", number),
        comment="Wrong.",
        raised_by=demo_user("board.5nd"),
    )
    AssessmentRound.objects.filter(slug="2009-10").update(
        published_at=timezone.now() - datetime.timedelta(hours=1),
        publication_notified_at=timezone.now(),
    )
    return comment


def test_board_reads_its_published_page_with_every_rating_and_the_chart(client, demo):
    login(client, "board.5pg")

    response = client.get(PAGE.format("5pg", "2008-09"))

    assert response.status_code == 200
    page = response.content.decode()
    # The first round has nothing to compare with (the data walk: "not assessed" everywhere)
    assert "Last year" not in page and "not assessed" not in page
    login(client, "national")
    assert '<th scope="col">Last year</th>' in client.get(PAGE.format("5nd", "2009-10")).text
    login(client, "board.5pg")
    report = response.context["report"]
    assert report.assessment.pct.ods_code == "5PG"
    assert report.is_draft is False
    assert report.rank == 1
    for agreed in AgreedRating.objects.filter(
        assessment__pct__ods_code="5PG", assessment__round__slug="2008-09"
    ):
        assert str(agreed.rationale).replace("'", "&#x27;") in page
    assert "<title>" in response.context["chart"]
    assert 'data-test="draft"' not in page
    # Each of the 10 competencies against England and against its SHA, as shape and word.
    shown = [(i.versus_england, i.versus_sha) for i in report.competencies]
    assert page.count('class="wcc-compare wcc-compare--') == 2 * len(shown) == 20
    assert all(a in ("better", "similar", "worse") for pair in shown for a in pair)


def test_page_shows_last_year_and_a_competency_new_this_year(client, demo):
    login(client, "moderator.q30")

    response = client.get(PAGE.format("5nd", "2009-10"))

    items = {i.item.code: i for i in response.context["report"].items}
    assert items["c11"].change == "new this year"
    assert items["c1"].has_previous is True
    assert items["c1"].change in ("better", "same", "worse")
    assert "new this year: no previous value" in response.content.decode()


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("national", 200),
        ("moderator.q30", 200),  # staff of the PCT's SHA
        ("moderator.q31", 404),  # staff of another SHA
        ("board.5nd", 404),  # its board, before its window
        ("board.5pg", 404),  # another PCT's board
    ],
)
def test_unpublished_page_personas(client, demo, username, status):
    login(client, username)

    assert client.get(PAGE.format("5nd", "2009-10")).status_code == status


def test_published_page_is_public_without_the_pdf_or_the_panel(client, demo):
    response = client.get(PAGE.format("5pg", "2008-09"))  # anonymous

    assert response.status_code == 200
    page = response.content.decode()
    assert (response.context["inside"], response.context["report"].rank) == (False, 1)
    assert 'data-test="pdf"' not in page
    assert "The review panel" not in page
    login(client, "board.5pg")
    page = client.get(PAGE.format("5pg", "2008-09")).content.decode()
    assert 'data-test="pdf"' in page
    assert "The review panel" in page


def test_unpublished_page_is_404_for_the_public(client, demo):
    assert client.get(PAGE.format("5nd", "2009-10")).status_code == 404


def test_board_sees_its_draft_in_its_window_without_rank_or_comparisons(
    client, confirmed_north_east
):
    login(client, "board.5nd")

    response = client.get(PAGE.format("5nd", "2009-10"))

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.is_draft, report.rank, response.context["chart"]) == (True, None, None)
    assert {i.england_mean for i in report.competencies} == {None}
    page = response.content.decode()
    assert "Draft — embargoed." in page
    assert 'data-test="comment-form"' in page


def test_board_comments_and_staff_answer_with_a_changed_rating(
    client, confirmed_north_east, send_answer
):
    target = rating("5ND", "2009-10", 3)
    old_level = target.level
    new_level = 2 if old_level != 2 else 3
    login(client, "board.5nd")

    client.post(
        PAGE.format("5nd", "2009-10") + "comments/",
        {
            "rating": target.pk,
            "comment": "Our market review was published in March.",
            "confirm": "1",
        },
    )

    comment = FactualAccuracyComment.objects.get(assessment__round__slug="2009-10")
    assert (comment.rating, comment.comment, comment.response) == (
        target,
        "Our market review was published in March.",
        "",
    )
    client.force_login(demo_user("moderator.q30"))
    page = client.get(PAGE.format("5nd", "2009-10"))
    assert f'action="/reports/pct/5ND/2009-10/comments/{comment.pk}/answer/"' in (
        page.content.decode()
    )

    send_answer(
        client,
        comment,
        {"response": "Agreed: the review is in the evidence.", "value": str(new_level)},
    )

    comment.refresh_from_db()
    target.refresh_from_db()
    assert comment.response == "Agreed: the review is in the evidence."
    assert target.level == new_level
    adjustment = ModerationAdjustment.objects.get(rating=target)
    assert (adjustment.new_value, adjustment.reason) == (
        str(new_level),
        "Agreed: the review is in the evidence.",
    )
    change = RatingChange.objects.get(
        source=RatingChange.Source.FACTUAL_ACCURACY, competency=target.competency
    )
    assert comment.rating_change == change
    # The board reads the change with the answer (it read only the answer's words).
    client.force_login(demo_user("board.5nd"))
    page = client.get(PAGE.format("5nd", "2009-10")).content.decode()
    shown = re.search(r'data-test="answer-change">(.*?)</strong>', page).group(1)
    assert re.sub(r"<[^>]+>", "", shown) == (
        f"The rating was changed from level {old_level} to level {new_level}."
    )


def test_an_answer_whose_effect_changed_since_its_check_page_is_checked_again(
    client, confirmed_north_east
):
    """The two-tabs walk: a check page made before the publication time (and before another
    comment was answered) said only "the board is e-mailed"; confirming it published the
    PCT into the live tables."""
    comment = held_back_after_publication(2)
    AssessmentRound.objects.filter(slug="2009-10").update(published_at=None)
    client.force_login(demo_user("moderator.q30"))
    address = PAGE.format("5nd", "2009-10") + f"comments/{comment.pk}/answer/"
    check = client.post(address, {f"c{comment.pk}-response": "Checked: it stands."})
    assert dict(check.context["carry"])["publishes"] == "0"
    AssessmentRound.objects.filter(slug="2009-10").update(
        published_at=timezone.now() - datetime.timedelta(minutes=5)
    )

    again = client.post(address, dict(check.context["carry"]) | {"confirm": "1"})

    comment.refresh_from_db()
    assert comment.response == ""  # nothing sent
    assert [str(m) for m in again.context["messages"]] == [
        "Nothing was sent: what this answer does has changed since you checked it. Check it "
        "again below."
    ]
    assert "its results are published at once" in " ".join(again.context["happens"])
    assert dict(again.context["carry"])["publishes"] == "1"


def test_an_answer_after_the_publication_time_before_its_notices_says_it_publishes(
    client, confirmed_north_east
):
    """The re-test walk: past the publication time, before the notices went, the last
    answer put the PCT into the live tables while its check page said nothing of it."""
    comment = held_back_after_publication(2)
    AssessmentRound.objects.filter(slug="2009-10").update(publication_notified_at=None)
    client.force_login(demo_user("moderator.q30"))

    check = client.post(
        PAGE.format("5nd", "2009-10") + f"comments/{comment.pk}/answer/",
        {f"c{comment.pk}-response": "Checked: it stands."},
    )

    assert dict(check.context["carry"])["publishes"] == "1"
    assert check.context["happens"][-1].endswith(
        "County Durham's results join the league table and England's figures at once, and "
        "the ranks of other PCTs change with them."
    )
    assert "publication notices, still to be sent" in check.context["told"]


def test_an_answer_to_a_comment_answered_meanwhile_gives_its_words_back(
    client, confirmed_north_east, send_answer
):
    """The two-tabs walk: the second answer was refused and its words were on the page
    nowhere (an answered comment has no answer box)."""
    comment = FactualAccuracyComment.objects.create(
        assessment=Assessment.objects.get(pct__ods_code="5ND", round__slug="2009-10"),
        rating=rating("5ND", "2009-10", 1),
        comment="Wrong.",
        raised_by=demo_user("board.5nd"),
    )
    client.force_login(demo_user("moderator.q30"))
    address = PAGE.format("5nd", "2009-10") + f"comments/{comment.pk}/answer/"
    stale = client.post(address, {f"c{comment.pk}-response": "Tab B: amber stands."})
    send_answer(client, comment, {"response": "Tab A: agreed."})

    refused = client.post(address, dict(stale.context["carry"]) | {"confirm": "1"}, follow=True)
    # and an answer typed in a tab from before gets no check page (the re-test walk)
    at_once = client.post(address, {f"c{comment.pk}-response": "Tab C: red."}, follow=True)

    message = (
        "Answer not saved. This comment has already been answered. Your answer, not sent: "
        "\u201c{}\u201d"
    )
    assert [str(m) for m in refused.context["messages"]][-1] == message.format(
        "Tab B: amber stands."
    )
    assert "happens" not in at_once.context
    assert [str(m) for m in at_once.context["messages"]][-1] == message.format("Tab C: red.")
    comment.refresh_from_db()
    assert comment.response == "Tab A: agreed."


def test_staff_of_another_region_cannot_answer(client, confirmed_north_east):
    comment = FactualAccuracyComment.objects.create(
        assessment=Assessment.objects.get(pct__ods_code="5ND", round__slug="2009-10"),
        rating=rating("5ND", "2009-10", 1),
        comment="Wrong.",
        raised_by=demo_user("board.5nd"),
    )
    login(client, "moderator.q31")

    response = client.post(
        PAGE.format("5nd", "2009-10") + f"comments/{comment.pk}/answer/",
        {f"c{comment.pk}-response": "No."},
    )

    assert response.status_code == 404
    comment.refresh_from_db()
    assert comment.response == ""


def test_board_may_not_answer_and_national_may_not_comment(client, confirmed_north_east):
    comment = FactualAccuracyComment.objects.create(
        assessment=Assessment.objects.get(pct__ods_code="5ND", round__slug="2009-10"),
        rating=rating("5ND", "2009-10", 1),
        comment="Wrong.",
        raised_by=demo_user("board.5nd"),
    )
    login(client, "board.5nd")
    assert (
        client.post(
            PAGE.format("5nd", "2009-10") + f"comments/{comment.pk}/answer/",
            {f"c{comment.pk}-response": "Fine."},
        ).status_code
        == 403
    )
    login(client, "national")
    assert (
        client.post(
            PAGE.format("5nd", "2009-10") + "comments/",
            {"rating": comment.rating_id, "comment": "Hm."},
        ).status_code
        == 403
    )
    assert FactualAccuracyComment.objects.filter(assessment__round__slug="2009-10").count() == 1


def test_comment_after_the_window_is_refused_with_the_closing_date(client, confirmed_north_east):
    target = rating("5ND", "2009-10", 2)

    with time_machine.travel(confirmed_north_east.factual_accuracy_closes, tick=False):
        login(client, "board.5nd")  # sessions end after two idle hours
        response = client.post(
            PAGE.format("5nd", "2009-10") + "comments/",
            {"rating": target.pk, "comment": "Late, and long:\nsecond line."},
            follow=True,
        )
        page = client.get(PAGE.format("5nd", "2009-10"))

    assert not FactualAccuracyComment.objects.filter(assessment__round__slug="2009-10").exists()
    # The two-tabs walk: a bare 404, the words lost. Refused with them given back; the
    # draft itself stays hidden (the window is closed and nothing holds it back).
    html = response.content.decode()
    closes = timezone.localtime(confirmed_north_east.factual_accuracy_closes)
    assert response.status_code == 200
    assert "<h1>Your comment was not sent</h1>" in html
    assert (
        f"The factual-accuracy window of County Durham closed on {closes:%-d %B %Y at %H:%M}."
        in (html)
    )
    assert "Late, and long:<br>second line." in html
    assert f'data-test="unsent-item"><strong>{item_label(target.item)}</strong>' in html
    assert 'data-test="comment-form"' not in html and "Rank" not in html
    assert page.status_code == 404


def test_unanswered_comment_holds_back_only_that_pct_after_publication(
    client, confirmed_north_east
):
    assessment = Assessment.objects.get(pct__ods_code="5ND", round__slug="2009-10")
    comment = FactualAccuracyComment.objects.create(
        assessment=assessment,
        rating=rating("5ND", "2009-10", 1),
        comment="Wrong.",
        raised_by=demo_user("board.5nd"),
    )
    round_ = AssessmentRound.objects.get(slug="2009-10")
    round_.published_at = timezone.now() - datetime.timedelta(hours=1)
    round_.save(update_fields=["published_at"])

    def published_codes():
        client.logout()
        rows = client.get("/api/results/2009-10.json").json()["results"]
        return {r["ods_code"] for r in rows}

    assert "5ND" not in published_codes()
    assert "5NF" in published_codes()  # another North East PCT is out
    login(client, "board.5nd")
    response = client.get(PAGE.format("5nd", "2009-10"))
    assert (response.status_code, response.context["report"].is_draft) == (200, True)
    assert "held back from publication" in response.content.decode()
    login(client, "board.5nf")
    assert client.get(PAGE.format("5nd", "2009-10")).status_code == 404

    FactualAccuracyComment.objects.filter(pk=comment.pk).update(
        response="Checked: the rating stands.", responded_by=demo_user("moderator.q30")
    )
    figures_changed(round_ids=[round_.pk])  # as the service answering it does

    assert "5ND" in published_codes()
    login(client, "board.5nd")
    assert client.get(PAGE.format("5nd", "2009-10")).context["report"].is_draft is False


@pytest.mark.parametrize("comments", [1, 3])
@pytest.mark.parametrize(("username", "queries"), [("moderator.q30", 19), ("board.5nd", 19)])
def test_page_queries_do_not_grow_with_comments(
    client, confirmed_north_east, django_assert_num_queries, comments, username, queries
):
    assessment = Assessment.objects.get(pct__ods_code="5ND", round__slug="2009-10")
    for number in range(1, comments + 1):
        FactualAccuracyComment.objects.create(
            assessment=assessment,
            rating=rating("5ND", "2009-10", number),
            comment=f"Comment {number}",
            raised_by=demo_user("board.5nd"),
        )
    login(client, username)
    client.get(PAGE.format("5nd", "2009-10"))  # warm caches (framework items)

    with django_assert_num_queries(queries):
        response = client.get(PAGE.format("5nd", "2009-10"))

    assert len(response.context["comments"]) == comments


def test_red_on_all_three_shows_zero_governance_points_not_a_dash(client, demo):
    red = sorted(
        DevelopmentPlan.objects.filter(
            assessment__round__slug="2008-09", reason="red_all_three"
        ).values_list("assessment__pct__ods_code", flat=True)
    )[0]

    response = client.get(PAGE.format(red, "2008-09"))

    assert response.context["report"].governance == 0
    assert '<dd class="col-sm-9">0 of 6</dd>' in response.content.decode()


def test_demo_board_reads_its_answered_comment_and_the_public_does_not(client, demo):
    login(client, "board.5pg")

    page = client.get(PAGE.format("5pg", "2008-09")).content.decode()

    assert "the board approved it on 14 January 2009" in page
    assert 'data-test="answer"' in page
    client.logout()
    assert "14 January 2009" not in client.get(PAGE.format("5pg", "2008-09")).content.decode()


def test_page_before_the_panel_has_agreed_says_so(client, demo):
    login(client, "moderator.q34")  # West Midlands is still scoring in 2009-10

    response = client.get(PAGE.format("5pg", "2009-10"))

    page = response.content.decode()
    assert response.status_code == 200
    assert "The panel has not agreed its ratings yet: the assessment is at scoring." in page
    assert "()" not in page


def test_a_comment_is_checked_before_it_is_sent(client, confirmed_north_east):
    """The accessibility walk: a comment, which cannot be withdrawn and holds the results
    back, was sent at the first press."""
    login(client, "board.5nd")
    target = rating("5ND", "2009-10", 2)
    page = PAGE.format("5nd", "2009-10")

    check = client.post(page + "comments/", {"rating": target.pk, "comment": "The 2008 figure."})

    assert check.context["button"] == "Confirm and send the comment"
    assert check.context["happens"][0].endswith(": \u201cThe 2008 figure.\u201d")
    assert "cannot be withdrawn" in check.context["happens"][1]
    assert not FactualAccuracyComment.objects.filter(assessment__round__slug="2009-10").exists()
    assert client.get(page).context["comment_form"]["comment"].value() is None  # a fresh page
    back = client.get(check.context["back"])  # "Go back": the comment as typed
    assert back.context["comment_form"]["comment"].value() == "The 2008 figure."
    assert back.context["comment_form"]["rating"].value() == str(target.pk)
    again = client.post(page + "comments/", {"rating": target.pk, "comment": "The 2008 figure."})
    key = f"typed:comment:{target.assessment_id}"
    kept = key in client.session
    client.post(page + "comments/", dict(again.context["carry"]) | {"confirm": "1"})
    assert FactualAccuracyComment.objects.get(assessment__round__slug="2009-10").comment == (
        "The 2008 figure."
    )
    # What the check page kept for "Go back" is forgotten once sent (review X).
    assert kept and key not in client.session


def test_board_comments_on_its_draft_as_a_whole(client, confirmed_north_east):
    login(client, "board.5nd")

    client.post(
        PAGE.format("5nd", "2009-10") + "comments/",
        {"rating": "0", "comment": "Our name is misspelt on the cover.", "confirm": "1"},
    )

    comment = FactualAccuracyComment.objects.get(assessment__round__slug="2009-10")
    assert (comment.rating, comment.assessment.pct.ods_code) == (None, "5ND")
    login(client, "moderator.q30")
    page = client.get(PAGE.format("5nd", "2009-10")).content.decode()
    assert "<strong>General</strong>" in page
    assert f"c{comment.pk}-value" not in page  # nothing to re-rate: an answer only


def _county_durham_commented() -> Assessment:
    """County Durham's 2009-10 assessment (as a report reads it), with an unanswered comment
    of its board's on competency 1."""
    assessment = Assessment.objects.select_related(
        "round__framework", "round__previous", "pct__sha"
    ).get(pct__ods_code="5ND", round__slug="2009-10")
    FactualAccuracyComment.objects.create(
        assessment=assessment,
        rating=rating("5ND", "2009-10", 1),
        comment="Wrong.",
        raised_by=demo_user("board.5nd"),
    )
    return assessment


def test_a_held_back_boards_draft_after_publication_shows_its_own_points_and_total(
    client, confirmed_north_east
):
    """The public walk: past the publication time, the held-back board's draft said "The
    panel has not agreed its ratings yet" with "— of 6", and its PDF "To be published" on a
    date gone by."""
    from reports.pct_report import pct_report
    from reports.pdf import render_pct_html

    assessment = _county_durham_commented()
    AssessmentRound.objects.filter(slug="2009-10").update(
        published_at=timezone.now() - datetime.timedelta(hours=1)
    )
    agreed = AgreedRating.objects.filter(assessment=assessment)
    total = sum(r.level for r in agreed.filter(competency__isnull=False))
    points = sum(
        {"green": 2, "amber": 1, "red": 0}[r.light] for r in agreed.filter(area__isnull=False)
    )
    login(client, "board.5nd")

    response = client.get(PAGE.format("5nd", "2009-10"))

    page = response.content.decode()
    assert 'data-test="not-agreed"' not in page
    assert (response.context["report"].total, response.context["report"].governance) == (
        total,
        points,
    )
    assessment.round.refresh_from_db()
    cover = render_pct_html(pct_report(assessment=assessment))
    assert (
        "Held back from publication until the board's factual-accuracy comment is answered" in cover
    )
    assert "To be published" not in cover


def test_a_draft_with_a_comment_before_publication_is_not_said_held_back(confirmed_north_east):
    """The year-two walk: while the window ran and no time was set, the draft's cover said
    "Held back from publication", where the page gives the rule (unanswered at the time)."""
    from reports.pct_report import pct_report
    from reports.pdf import render_pct_html

    assessment = _county_durham_commented()
    unset = render_pct_html(pct_report(assessment=assessment))
    when = timezone.now() + datetime.timedelta(days=9)
    AssessmentRound.objects.filter(slug="2009-10").update(published_at=when)
    assessment.round.refresh_from_db()
    set_ = render_pct_html(pct_report(assessment=assessment))

    assert "Held back" not in unset + set_
    assert "Publication date not set; a factual-accuracy comment awaits an answer" in unset
    assert (
        f"To be published {timezone.localtime(when):%-d %B %Y}, unless a factual-accuracy "
        "comment is still unanswered then"
    ) in set_


def test_answer_that_releases_a_held_back_pct_is_saved_when_the_mail_server_fails(
    client,
    confirmed_north_east,
    settings,
    mailoutbox,
    caplog,
    django_capture_on_commit_callbacks,
    send_answer,
):
    settings.EMAIL_BACKEND = "tests.mail.BrokenBackend"
    comment = held_back_after_publication(1)
    assessment = comment.assessment
    login(client, "moderator.q30")

    # The on-commit callbacks (queueing, and with the tests' immediate backend, sending)
    # run on leaving the block: a failure there would escape as the request's error.
    with django_capture_on_commit_callbacks(execute=True):
        _check, response = send_answer(client, comment, {"response": "Checked: the rating stands."})

    assert (response.status_code, response["Location"]) == (
        302,
        PAGE.format("5ND", "2009-10") + f"#comment-{comment.pk}",
    )
    comment.refresh_from_db()
    assessment.refresh_from_db()
    assert (comment.response, assessment.stage) == ("Checked: the rating stands.", Stage.PUBLISHED)
    assert mailoutbox == []
    # The board is told the answer and that its results are out; the national team that
    # the published tables changed (all given up on here, the answer kept).
    board, national = demo_user("board.5nd").email, demo_user("national").email
    assert given_up(caplog) == [board, board, national]


def test_comment_without_an_item_is_shown_again_with_the_error_summary(
    client, confirmed_north_east
):
    login(client, "board.5nd")
    before = FactualAccuracyComment.objects.count()

    response = client.post(
        PAGE.format("5nd", "2009-10") + "comments/",
        {"rating": "", "comment": "Typed, and kept."},
    )

    page = response.content.decode()
    assert "<title>Error: " in page
    assert (
        '<li><a href="#id_rating">Item: Choose the item the comment is about, or the draft as '
        "a whole.</a></li>" in page
    )
    assert 'aria-invalid="true"' in page
    # at the top of the page, above its heading (the accessibility walk: far below it)
    assert page.index('id="comment-error-summary"') < page.index("<h1>")
    assert page.count('id="comment-error-summary"') == 1
    assert response.context["comment_form"]["comment"].value() == "Typed, and kept."
    assert FactualAccuracyComment.objects.count() == before


def test_a_stale_tabs_comment_after_no_comments_says_so_and_keeps_the_text(
    client, confirmed_north_east
):
    """The board walk: tab A said "no comments"; tab B's comment was refused with a closing
    date twelve days ahead, and the typed comment was thrown away."""
    from assessments.factual_accuracy import factual_accuracy_confirm

    board = demo_user("board.5nd")
    assessment = Assessment.objects.get(round__slug="2009-10", pct__ods_code="5ND")
    factual_accuracy_confirm(assessment=assessment, by=board)
    login(client, "board.5nd")

    response = client.post(
        PAGE.format("5nd", "2009-10") + "comments/",
        {
            "rating": rating("5ND", "2009-10", 2).pk,
            "comment": "Line one.\nThe 2008 figure.",
            "confirm": "1",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page
    assert "that it has no comments, which closed its factual-accuracy window." in page
    assert "closed on" not in page.split('data-test="comment-unsent"')[1][:400]
    assert "Line one.<br>The 2008 figure." in page
    assert not FactualAccuracyComment.objects.filter(assessment=assessment).exists()


def test_an_answer_that_would_publish_a_held_back_pct_says_so_first_and_tells_national(
    client, confirmed_north_east, send_answer, mailoutbox, django_capture_on_commit_callbacks
):
    """The national walk: an answer changing a held-back PCT's rating after publication put
    it into the published tables (125 other PCTs' ranks moved) with no check page, and the
    national team was not told."""
    comment = held_back_after_publication(5)
    target = comment.rating
    login(client, "moderator.q30")
    old_level = target.level
    new_level = 3 if old_level != 3 else 2
    typed = {"response": "Agreed: the plan was approved in March.", "value": str(new_level)}

    check = client.post(
        PAGE.format("5nd", "2009-10") + f"comments/{comment.pk}/answer/",
        {f"c{comment.pk}-{k}": v for k, v in typed.items()},
    )

    happens = check.context["happens"]
    assert happens[0] == (
        "The board of County Durham reads your answer on this page: "
        "\u201cAgreed: the plan was approved in March.\u201d"
    )
    assert happens[1].endswith(
        f"changes from Level {target.level} to Level {new_level}; your answer is the reason, "
        "in its history, and is shown beside the change on County Durham's results page and "
        "feedback report, which are public once its results are published."
    )
    assert (
        "its results are published at once, and the league table, England's figures and "
        "the ranks of other PCTs change with them." in happens[2]
    )
    assert "the national team" in check.context["told"]
    comment.refresh_from_db()
    assert comment.response == ""  # asking changes nothing
    # "Go back": the answer as typed, on the page.
    back = client.get(check.context["back"])
    (form,) = [f for c, f in back.context["comments"] if c.pk == comment.pk]
    assert form["response"].value() == typed["response"]

    with django_capture_on_commit_callbacks(execute=True):
        send_answer(client, comment, typed)

    said = [str(m) for m in client.get(PAGE.format("5nd", "2009-10")).context["messages"]]
    assert said == [
        "Answer sent: the board is e-mailed it and sees it on this page. County Durham's "
        "results are now published; the board and the national team have been e-mailed."
    ]
    target.refresh_from_db()
    assert target.level == new_level
    assert target.assessment.stage == Stage.PUBLISHED
    (answered,) = [m for m in mailoutbox if "has been answered" in m.subject]
    assert answered.to == [demo_user("board.5nd").email]
    assert (
        f"The rating changed with this answer: from level {old_level} to level {new_level}."
        in answered.body
    )
    national = [m for m in mailoutbox if m.to == [demo_user("national").email]]
    assert [m.subject for m in national] == [
        "World Class Commissioning assurance 2009/10: County Durham joins the published results"
    ]


def test_an_answer_confirmed_after_the_rating_changed_elsewhere_is_refused_as_typed(
    client, confirmed_north_east
):
    target = rating("5ND", "2009-10", 5)
    comment = FactualAccuracyComment.objects.create(
        assessment=target.assessment,
        rating=target,
        comment="Wrong.",
        raised_by=demo_user("board.5nd"),
    )
    login(client, "moderator.q30")
    address = PAGE.format("5nd", "2009-10") + f"comments/{comment.pk}/answer/"
    new_level = 3 if target.level != 3 else 2
    check = client.post(
        address, {f"c{comment.pk}-response": "It stands.", f"c{comment.pk}-value": new_level}
    )
    AgreedRating.objects.filter(pk=target.pk).update(version=target.version + 1)

    refused = client.post(address, dict(check.context["carry"]) | {"confirm": "1"})

    assert refused.status_code == 200
    assert next(str(m) for m in refused.context["messages"]).startswith("Answer not saved.")
    (form,) = [f for c, f in refused.context["comments"] if c.pk == comment.pk]
    assert form["response"].value() == "It stands."
    comment.refresh_from_db()
    assert comment.response == ""


def test_the_summary_says_why_a_held_back_pct_is_not_counted(client, confirmed_north_east):
    """The national walk: "151 PCTs counted: those with an agreed rating for every
    competency", while County Durham had them all and was held back by a comment."""
    held_back_after_publication(1)
    login(client, "national")

    england = client.get("/reports/summary/2009-10/").content.decode()
    north_east = client.get("/reports/summary/2009-10/?sha=Q30").content.decode()

    said = (
        "1 PCT held back by a factual-accuracy comment still to answer is left out until it is "
        "answered."
    )
    assert said in england and said in north_east


# --- A PCT renamed after its round was published ---------------------------------------


def rename(ods: str, *names: str) -> None:
    """The national team renames the PCT ``ods`` to each of ``names`` in turn (now, after
    2008-09 was published)."""
    pct = PrimaryCareTrust.objects.select_related("sha").get(ods_code=ods)
    for name in names:
        pct_update(
            pct=pct, name=name, sha=pct.sha, org_type=pct.org_type, closed_on=pct.closed_on,
            by=demo_user("national"),
        )  # fmt: skip


def test_a_published_page_says_what_a_renamed_pct_was_called_then(client, demo):
    rename("5PG", "NHS Birmingham East and North")
    login(client, "board.5pg")

    response = client.get(PAGE.format("5pg", "2008-09"))

    page = response.content.decode()
    assert response.context["report"].name_then == "Birmingham East and North"
    assert "<h1>NHS Birmingham East and North</h1>" in page
    assert re.findall(r'data-test="name-then">([^<]+)<', page) == [
        "Called Birmingham East and North when these results were published."
    ]


def test_a_page_of_a_pct_not_renamed_since_publication_says_nothing_of_its_name(client, demo):
    login(client, "national")

    published = client.get(PAGE.format("5pg", "2008-09"))
    rename("5PG", "NHS Birmingham East and North")
    running = client.get(PAGE.format("5pg", "2009-10"))  # not published: no "then"

    assert published.context["report"].name_then == running.context["report"].name_then == ""
    assert 'data-test="name-then"' not in published.text + running.text


def test_after_two_renames_the_page_gives_the_name_at_publication(client, demo):
    rename("5PG", "NHS Birmingham East", "NHS Birmingham East and North")
    login(client, "board.5pg")

    response = client.get(PAGE.format("5pg", "2008-09"))

    assert response.context["report"].name_then == "Birmingham East and North"


def test_a_pct_renamed_and_renamed_back_says_nothing(client, demo):
    rename("5PG", "NHS Birmingham East and North", "Birmingham East and North")
    login(client, "board.5pg")

    response = client.get(PAGE.format("5pg", "2008-09"))

    assert response.context["report"].name_then == ""


@pytest.mark.parametrize("renames", [0, 1, 3])
def test_published_page_reads_the_name_then_in_one_query(
    client, demo, django_assert_num_queries, renames
):
    """One query more than before the name then was shown (18), whatever the number of
    renames; none for a round not published (``test_page_queries_do_not_grow_with_comments``
    keeps its count)."""
    rename("5PG", *[f"NHS Birmingham {n}" for n in range(renames)])
    login(client, "board.5pg")
    client.get(PAGE.format("5pg", "2008-09"))  # warm caches (framework items, figures)

    with django_assert_num_queries(PUBLISHED_QUERIES):
        client.get(PAGE.format("5pg", "2008-09"))


# --- A PCT moved to another SHA after its round was published --------------------------


def move(ods: str, *sha_codes: str) -> None:
    """The national team moves the PCT ``ods`` to each SHA of ``sha_codes`` in turn (now,
    after 2008-09 was published)."""
    pct = PrimaryCareTrust.objects.select_related("sha").get(ods_code=ods)
    for code in sha_codes:
        pct_update(
            pct=pct, name=pct.name, sha=StrategicHealthAuthority.objects.get(ods_code=code),
            org_type=pct.org_type, closed_on=pct.closed_on, by=demo_user("national"),
        )  # fmt: skip


def sha_means(response) -> list[float]:
    return [i.sha_mean for i in response.context["report"].competencies]


def test_a_published_page_of_a_moved_pct_compares_with_its_sha_then_as_published(client, demo):
    login(client, "national")
    before = client.get(PAGE.format("5pe", "2008-09"))
    east_before = client.get(PAGE.format("5pc", "2008-09"))  # Leicester City, East Midlands
    west_before = client.get(PAGE.format("5ph", "2008-09"))  # North Staffordshire
    move("5PE", "Q33")  # Dudley: West Midlands to East Midlands

    after = client.get(PAGE.format("5pe", "2008-09"))
    east_after = client.get(PAGE.format("5pc", "2008-09"))
    west_after = client.get(PAGE.format("5ph", "2008-09"))

    page = after.content.decode()
    report = after.context["report"]
    assert (report.sha_then, report.sha_name) == ("West Midlands", "West Midlands")
    # Said once in the lead, the SHA then and the SHA now (walk Z).
    assert re.findall(r'class="wcc-lead">([^<]+)<span data-test="sha-then">([^<]+)<', page) == [
        (
            "Primary care trust 5PE · ",
            "in West Midlands when these results were published (East Midlands since "
            f"{timezone.localdate():%-d %B %Y})",
        )
    ]
    assert "East Midlands · " not in page
    assert "In West Midlands when" not in page
    assert "West Midlands mean</th>" in page and "East Midlands mean" not in page
    assert "of the PCTs of West Midlands, the SHA 5PE was in when these results" in page
    # The means it was published with: West Midlands with Dudley in it, and East Midlands
    # without it, on Dudley's page and on the pages of the other PCTs of both alike.
    assert sha_means(after) == pytest.approx(sha_means(before))
    assert sha_means(west_after) == pytest.approx(sha_means(west_before))
    assert sha_means(east_after) == pytest.approx(sha_means(east_before))
    assert sha_means(after) != pytest.approx(sha_means(east_after))
    assert 'data-test="sha-then"' not in east_after.text


def test_a_running_round_of_a_moved_pct_compares_with_its_sha_now(client, demo):
    move("5PE", "Q33")
    login(client, "national")

    response = client.get(PAGE.format("5pe", "2009-10"))

    assert (response.context["report"].sha_then, response.context["report"].sha_name) == (
        "",
        "East Midlands",
    )
    assert 'data-test="sha-then"' not in response.text


def test_after_two_moves_the_page_gives_the_sha_at_publication(client, demo):
    login(client, "national")
    before = client.get(PAGE.format("5pe", "2008-09"))
    move("5PE", "Q33", "Q30")

    response = client.get(PAGE.format("5pe", "2008-09"))

    assert response.context["report"].sha_then == "West Midlands"
    assert sha_means(response) == pytest.approx(sha_means(before))
    # "(North East since ...)": the date of the last move, into the SHA it is in now.
    moves = PCTChange.objects.filter(pct__ods_code="5PE", field="sha").order_by("changed_at")
    assert response.context["report"].moved_on == moves.last().changed_at
    assert "(North East since " in response.text


def test_a_pct_moved_and_moved_back_says_nothing_and_keeps_its_means(client, demo):
    login(client, "national")
    before = client.get(PAGE.format("5pe", "2008-09"))
    move("5PE", "Q33", "Q34")

    response = client.get(PAGE.format("5pe", "2008-09"))

    assert response.context["report"].sha_then == ""
    assert sha_means(response) == pytest.approx(sha_means(before))


def test_the_league_table_lists_a_moved_pct_under_its_sha_now(client, demo):
    move("5PE", "Q33")
    league = "/reports/league-table/2008-09/?sha={}"

    east, west = client.get(league.format("Q33")), client.get(league.format("Q34"))

    assert ("Dudley" in east.text, "Dudley" in west.text) == (True, False)


@pytest.mark.parametrize("moves", [0, 1, 3])
def test_published_page_of_a_moved_pct_keeps_its_query_count(
    client, demo, django_assert_num_queries, moves
):
    """The SHA then is read by the same query as the name then: no query more, whatever
    the number of moves (of this PCT and of others) and with a rename besides."""
    move("5PG", *["Q33", "Q30", "Q33"][:moves])
    move("5PE", *["Q33"][: min(moves, 1)])
    rename("5PG", *["NHS Birmingham East and North"][: min(moves, 1)])
    login(client, "board.5pg")
    client.get(PAGE.format("5pg", "2008-09"))  # warm caches (framework items, figures)

    with django_assert_num_queries(PUBLISHED_QUERIES):
        response = client.get(PAGE.format("5pg", "2008-09"))

    assert response.context["report"].sha_then == ("West Midlands" if moves else "")


def test_the_panel_list_says_who_chaired_when_an_acting_chair_stood_in(client, demo):
    """Walk AC: the report named the chair's seat holder only, though an acting chair
    recorded and closed the consensus."""
    from django.utils.html import escape

    from panels.models import Panel, Seat

    panel = Panel.objects.get(assessment__round__slug="2008-09", assessment__pct__ods_code="5PG")
    acting = Seat.objects.get(panel=panel, seat_type__number=3)
    Panel.objects.filter(pk=panel.pk).update(acting_chair=acting)
    login(client, "national")

    page = client.get(PAGE.format("5pg", "2008-09")).content.decode()

    said = f"{acting.person.full_name}, {acting.person.job_title}: acting chair, who chaired"
    assert escape(said) in page
    assert "did not chair the panel; an acting chair did" in page
    Panel.objects.filter(pk=panel.pk).update(acting_chair=None)
    assert "acting chair" not in client.get(PAGE.format("5pg", "2008-09")).content.decode()
