"""Setting the publication time, and telling the boards once afterwards."""

import datetime
import io
import re

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from assessments.form_errors import summary_entries
from assessments.history import round_change_row
from assessments.models import AssessmentRound, Role, Stage, StageChange
from assessments.publication import publication_withdraw, round_set_publication
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    FactualAccuracyCommentFactory,
    PCTFactory,
    RegionReviewFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ready_round():
    round_ = AssessmentRoundFactory(slug="2009-10")
    pcts = [PCTFactory(name=f"PCT {n}") for n in range(2)]
    for pct in pcts:
        AssessmentFactory(round=round_, pct=pct, stage=Stage.FACTUAL_ACCURACY)
        RoleFactory(
            kind=Role.Kind.PCT_BOARD,
            pct=pct,
            user=UserFactory(email=f"board-{pct.ods_code}@example.org"),
        )
    return round_


def test_publication_time_must_be_in_the_future(ready_round):
    with pytest.raises(ValidationError, match="in the future"):
        round_set_publication(
            round_=ready_round,
            published_at=timezone.now() - datetime.timedelta(minutes=1),
            by=UserFactory(),
        )


def test_publication_refused_while_a_pct_is_before_its_factual_accuracy_check(ready_round):
    late = SHAFactory(name="Late SHA")
    for n in range(2):
        AssessmentFactory(
            round=ready_round,
            pct=PCTFactory(name=f"Late PCT {n}", sha=late),
            stage=Stage.MODERATION,
        )
    AssessmentFactory(
        round=ready_round,
        pct=PCTFactory(name="Later PCT", sha=SHAFactory(name="Later SHA")),
        stage=Stage.CROSS_CHECK,
    )

    with pytest.raises(ValidationError) as excinfo:
        round_set_publication(
            round_=ready_round,
            published_at=timezone.now() + datetime.timedelta(days=1),
            by=UserFactory(),
        )

    assert excinfo.value.messages == [
        "Every region must be confirmed at the national cross-check first; not yet confirmed: "
        "Late SHA (2 PCTs), Later SHA (1 PCT)."
    ]
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at is None


def test_the_publication_page_names_the_regions_it_waits_for(client, ready_round):
    """Walk AC: a region not yet confirmed, which blocks the publication time, was named
    only in the refusal once a time was tried."""
    late = SHAFactory(name="Late SHA")
    for _n in range(2):
        AssessmentFactory(round=ready_round, pct=PCTFactory(sha=late), stage=Stage.MODERATION)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    page = client.get("/reports/publication/2009-10/").content.decode()

    assert (
        "<strong>Not yet confirmed at the cross-check</strong> (PCTs still before the "
        "factual-accuracy check, by SHA): Late SHA (2). The time can be set once it is confirmed"
    ) in page
    assert page.count('data-test="behind"') == 1


def test_the_publication_page_names_no_region_once_all_are_confirmed(client, ready_round):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    assert 'data-test="behind"' not in client.get("/reports/publication/2009-10/").text


def test_boards_are_told_once_after_the_publication_time(
    ready_round, mailoutbox, django_capture_on_commit_callbacks
):
    when = timezone.now() + datetime.timedelta(hours=1)
    round_set_publication(round_=ready_round, published_at=when, by=UserFactory())

    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_publication_notices", stdout=io.StringIO())
    before = len(mailoutbox)
    with (
        time_machine.travel(when + datetime.timedelta(minutes=5)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_publication_notices", stdout=io.StringIO())
        call_command("send_publication_notices", stdout=io.StringIO())

    assert before == 0
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        r.user.email for r in Role.objects.filter(kind="pct_board")
    )
    assert "/reports/pct/" in mailoutbox[0].body
    assert set(ready_round.assessments.values_list("stage", flat=True)) == {Stage.PUBLISHED}


def test_publication_page_for_the_national_team_only(client, ready_round):
    for user in (RoleFactory(kind=Role.Kind.SHA_STAFF, sha=PCTFactory().sha).user, UserFactory()):
        client.force_login(user)
        assert client.get("/reports/publication/2009-10/").status_code == 404
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2)).strftime(
        "%Y-%m-%dT%H:%M"
    )

    client.post("/reports/publication/2009-10/", {"published_at": when, "confirm": "1"})

    assert (
        timezone.localtime(AssessmentRound.objects.get(pk=ready_round.pk).published_at).strftime(
            "%Y-%m-%dT%H:%M"
        )
        == when
    )
    assert list(ready_round.changes.values_list("field", "old_value", "new_value")) == [
        ("published_at", "", when.replace("T", " "))
    ]


def test_publication_page_lists_windows_and_pcts_held_back(client, ready_round):
    held = ready_round.assessments.order_by("pct__name").first()
    RegionReviewFactory(
        round=ready_round,
        sha=held.pct.sha,
        status="confirmed",
        factual_accuracy_closes=timezone.now() + datetime.timedelta(days=3),
    )
    FactualAccuracyCommentFactory(assessment=held)
    FactualAccuracyCommentFactory(assessment=held, response="Answered.")
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.get("/reports/publication/2009-10/")

    assert [(a.pct, a.unanswered) for a in response.context["held_back"]] == [(held.pct, 1)]
    assert "1 unanswered comment</li>" in response.content.decode()
    assert [r.sha for r in response.context["reviews"]] == [held.pct.sha]


def test_notices_are_queued_and_the_round_published_when_the_mail_server_fails(
    ready_round, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.mail.BrokenBackend"
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    when = timezone.now() + datetime.timedelta(hours=1)
    round_set_publication(round_=ready_round, published_at=when, by=UserFactory())
    out = io.StringIO()

    with (
        time_machine.travel(when + datetime.timedelta(minutes=5)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("send_publication_notices", stdout=out)

    assert out.getvalue() == "2009-10: 2 notice(s) to boards queued for the worker.\n"
    ready_round.refresh_from_db()
    assert ready_round.publication_notified_at is not None
    assert set(ready_round.assessments.values_list("stage", flat=True)) == {Stage.PUBLISHED}
    assert sorted(
        r.args_kwargs["kwargs"]["to"][0]
        for r in DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    ) == sorted(r.user.email for r in Role.objects.filter(kind="pct_board"))
    assert mailoutbox == []


# --- Publication is final; withdrawal is its own action -------------------------------------


def _publish(round_, *, hours_ago=1):
    when = timezone.now() - datetime.timedelta(hours=hours_ago)
    AssessmentRound.objects.filter(pk=round_.pk).update(published_at=when)
    round_.refresh_from_db()
    return when


def _seen(client) -> str:
    """The publication the withdrawal form of the page shows (its hidden ``published``)."""
    page = client.get("/reports/publication/2009-10/").content.decode()
    return re.search(r'name="published" value="([0-9.]+)"', page).group(1)


@pytest.mark.parametrize("days", [-3, 1, 30])
def test_publication_time_cannot_move_once_published(ready_round, days):
    published = _publish(ready_round)

    with pytest.raises(ValidationError) as excinfo:
        round_set_publication(
            round_=ready_round,
            published_at=timezone.now() + datetime.timedelta(days=days),
            by=UserFactory(),
        )

    assert excinfo.value.messages == [
        f"2009-10 was published on {timezone.localtime(published):%-d %B %Y at %H:%M}: "
        "publication is final. To withdraw it, use Withdraw publication."
    ]
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at == published
    assert list(ready_round.changes.all()) == []


def test_publication_time_cannot_move_from_a_stale_copy(ready_round):
    stale = AssessmentRound.objects.get(pk=ready_round.pk)  # opened before publication
    published = _publish(ready_round)

    with pytest.raises(ValidationError, match="publication is final"):
        round_set_publication(
            round_=stale, published_at=timezone.now() + datetime.timedelta(days=1), by=UserFactory()
        )

    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at == published


NATIONAL_POSTS = [
    {"published_at": "2031-01-01T09:00"},
    {"published_at": "2031-01-01T09:00", "confirm": "1"},
    {"published_at": "2001-01-01T09:00", "confirm": "1"},
    {"published_at": "not a date", "confirm": "1"},
    {"published_at": "", "confirm": "1"},
    {},
]


@pytest.mark.parametrize("data", NATIONAL_POSTS)
def test_league_table_stays_public_after_any_publication_post(client, ready_round, data):
    published = _publish(ready_round)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    client.post("/reports/publication/2009-10/", data)
    client.post("/reports/publication/2009-10/withdraw/", {"reason": "Typo."})  # unconfirmed
    client.post("/reports/publication/2009-10/withdraw/", {"confirm": "1"})  # no reason
    client.logout()

    assert client.get("/reports/league-table/2009-10/").status_code == 200
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at == published
    assert list(ready_round.changes.all()) == []


def test_setting_the_time_asks_for_confirmation_first(client, ready_round):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2))

    response = client.post(
        "/reports/publication/2009-10/", {"published_at": when.strftime("%Y-%m-%dT%H:%M")}
    )

    assert response.templates[0].name == "confirm.html"
    assert response.context["button"] == "Confirm and set the publication time"
    assert response.context["carry"] == [
        ("published_at", when.strftime("%Y-%m-%dT%H:%M")),
        ("was", ""),  # no time set yet: confirming replaces nothing unseen
    ]
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at is None


def test_a_refused_time_shows_the_refusal_not_a_confirmation(client, ready_round):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.post("/reports/publication/2009-10/", {"published_at": "2001-01-01T09:00"})

    # The GOV.UK error pattern: the summary links to the field, the time typed stays.
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in page and "The publication time was not set" in page
    assert summary_entries(response.context["form"]) == [
        ("#id_published_at", "Publication time (UK time): Choose a publication time in the future.")
    ]
    assert 'value="2001-01-01T09:00"' in page
    assert "is-invalid" in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Publication time (UK time): Enter a date and a time, such as"),
        ("next tuesday", "Publication time (UK time): Enter a date and a time, such as"),
    ],
)
def test_a_time_that_is_not_one_is_refused_on_the_field(client, ready_round, typed, message):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.post("/reports/publication/2009-10/", {"published_at": typed})

    [(href, text)] = summary_entries(response.context["form"])
    assert (href, text.startswith(message)) == ("#id_published_at", True)
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at is None


def test_go_back_from_the_check_page_keeps_the_time_typed(client, ready_round):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2)).strftime(
        "%Y-%m-%dT%H:%M"
    )

    check = client.post("/reports/publication/2009-10/", {"published_at": when})
    back = client.get(check.context["back"])

    assert f'value="{when}"' in back.content.decode()


def test_withdrawal_without_a_reason_is_refused_on_its_field_and_go_back_keeps_it(
    client, ready_round
):
    _publish(ready_round)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    empty = client.post("/reports/publication/2009-10/withdraw/", {"reason": "  "})
    check = client.post(
        "/reports/publication/2009-10/withdraw/",
        {"reason": "Wrong file.", "published": _seen(client)},
    )

    assert summary_entries(empty.context["form"]) == [
        (
            "#id_reason",
            "Why the publication is withdrawn (the boards read this): Enter the reason: the "
            "boards are told it.",
        )
    ]
    assert "The publication was not withdrawn" in empty.content.decode()
    assert "Wrong file.</textarea>" in client.get(check.context["back"]).content.decode()


def test_withdrawal_takes_the_round_offline_and_tells_the_boards(
    client, ready_round, mailoutbox, django_capture_on_commit_callbacks
):
    published = _publish(ready_round)
    ready_round.assessments.update(stage=Stage.PUBLISHED)
    national = RoleFactory(kind=Role.Kind.NATIONAL).user
    client.force_login(national)

    seen = _seen(client)
    first = client.post(
        "/reports/publication/2009-10/withdraw/", {"reason": "Wrong file.", "published": seen}
    )

    assert first.context["told"] == "The boards of 2 PCTs will be e-mailed, with the reason."
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at == published
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/reports/publication/2009-10/withdraw/",
            {"reason": "Wrong file.", "published": seen, "confirm": "1"},
        )

    ready_round.refresh_from_db()
    assert (ready_round.published_at, ready_round.publication_notified_at) == (None, None)
    assert list(ready_round.changes.values_list("field", "new_value", "reason", "changed_by")) == [
        ("published_at", "withdrawn", "Wrong file.", national.pk)
    ]
    assert set(ready_round.assessments.values_list("stage", flat=True)) == {Stage.FACTUAL_ACCURACY}
    history = client.get("/reports/publication/2009-10/").content.decode()
    was = timezone.localtime(published)
    assert f"Published {was:%-d %B %Y, %H:%M}, withdrawn" in history  # as pages write times
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        Role.objects.filter(kind=Role.Kind.PCT_BOARD).values_list("user__email", flat=True)
    )
    assert "Reason: Wrong file." in mailoutbox[0].body
    # Walk R: the only e-mail without a greeting or a signature.
    assert mailoutbox[0].body.startswith("Dear board of ")
    assert mailoutbox[0].body.rstrip().endswith("WCC Assurance")
    client.logout()
    assert client.get("/reports/league-table/2009-10/").status_code == 404


def test_a_withdrawal_checked_on_an_earlier_publication_is_refused(
    client, ready_round, mailoutbox, django_capture_on_commit_callbacks
):
    """The concurrency walk: a withdraw check page left open while another tab withdrew and
    published again took the new publication offline, and e-mailed every board again."""
    first = _publish(ready_round)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    page = client.get("/reports/publication/2009-10/").content.decode()
    seen = re.search(r'name="published" value="([0-9.]+)"', page).group(1)
    check = client.post(
        "/reports/publication/2009-10/withdraw/", {"reason": "Stale tab.", "published": seen}
    )
    assert dict(check.context["carry"])["published"] == seen
    # B's doing: withdrawn (its history row keeps the time) and published again.
    publication_withdraw(round_=ready_round, reason="B's withdrawal.", by=UserFactory())
    again = first + datetime.timedelta(minutes=5)
    AssessmentRound.objects.filter(pk=ready_round.pk).update(published_at=again)

    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(
            "/reports/publication/2009-10/withdraw/",
            dict(check.context["carry"]) | {"confirm": "1"},
        )

    ready_round.refresh_from_db()
    assert ready_round.published_at == again
    assert (
        refused.context["form"]
        .errors["reason"][0]
        .startswith("Nothing was withdrawn: the publication you looked at was withdrawn and")
    )
    assert mailoutbox == []


@pytest.mark.parametrize("seen", [None, "", "yesterday", "99999999999999999999.0"])
@pytest.mark.parametrize("confirm", [False, True])
def test_a_withdrawal_from_a_page_that_does_not_say_its_publication_is_refused_as_stale(
    client, ready_round, mailoutbox, django_capture_on_commit_callbacks, seen, confirm
):
    """Review: without its hidden ``published`` (an old page, a forged post) the stale guard
    was skipped, and the withdrawal went ahead on a publication nobody looked at."""
    published = _publish(ready_round)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    data = {"reason": "Wrong file, typed once."}
    if seen is not None:
        data["published"] = seen
    if confirm:
        data["confirm"] = "1"

    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post("/reports/publication/2009-10/withdraw/", data)

    ready_round.refresh_from_db()
    assert (ready_round.published_at, list(ready_round.changes.all()), mailoutbox) == (
        published,
        [],
        [],
    )
    assert refused.templates[0].name == "reports/publication.html"  # not the check page
    assert summary_entries(refused.context["form"]) == [
        (
            "#id_reason",
            "Why the publication is withdrawn (the boards read this): Nothing was withdrawn: "
            "the page you withdrew from did not say which publication of "
            f"{ready_round.name} you looked at, so it may be out of date. It is published on "
            f"{timezone.localtime(published):%-d %B %Y, %H:%M}. Check it, then withdraw again "
            "if you still mean to.",
        )
    ]
    assert "Wrong file, typed once.</textarea>" in refused.content.decode()


def _withdraw_posting(client, round_, seen: str, *, confirm: bool):
    data = {"reason": "Wrong file, typed once.", "published": seen}
    if confirm:
        data["confirm"] = "1"
    return client.post(f"/reports/publication/{round_.slug}/withdraw/", data)


@pytest.mark.parametrize("confirm", [False, True])
def test_a_withdrawal_naming_a_time_the_round_was_never_published_at_says_so(
    client, ready_round, mailoutbox, django_capture_on_commit_callbacks, confirm
):
    """Walk AA: a forged ``published`` (a time the round was never published at) was refused
    as "withdrawn and published again since", which never happened."""
    published = _publish(ready_round)
    # Once withdrawn and published again: neither earlier time is the one forged.
    first = published - datetime.timedelta(days=2)
    AssessmentRound.objects.filter(pk=ready_round.pk).update(first_published_at=first)
    # the history row a withdrawal writes
    round_change_row(
        round_=ready_round, field="published_at", old=first, new="withdrawn", by=UserFactory()
    ).save()
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    with django_capture_on_commit_callbacks(execute=True):
        refused = _withdraw_posting(client, ready_round, "1234567890.000000", confirm=confirm)

    ready_round.refresh_from_db()
    assert (ready_round.published_at, ready_round.changes.count(), mailoutbox) == (
        published,
        1,
        [],
    )
    assert refused.templates[0].name == "reports/publication.html"
    assert summary_entries(refused.context["form"]) == [
        (
            "#id_reason",
            "Why the publication is withdrawn (the boards read this): Nothing was withdrawn: "
            f"the page did not say which publication of {ready_round.name} you looked at. "
            "Open the publication page again.",
        )
    ]
    assert "published again since" not in refused.content.decode()
    assert "Wrong file, typed once.</textarea>" in refused.content.decode()


@pytest.mark.parametrize("earlier", ["first", "withdrawn"])
def test_a_withdrawal_naming_an_earlier_publication_says_it_was_published_again(
    client, ready_round, mailoutbox, earlier
):
    """The round's first publication time, or one a withdrawal took offline (kept to the
    minute in its history row), is a real earlier publication: the page was stale."""
    published = _publish(ready_round)
    first = published - datetime.timedelta(days=2)
    between = published - datetime.timedelta(days=1)
    AssessmentRound.objects.filter(pk=ready_round.pk).update(first_published_at=first)
    for old in (first, between):
        round_change_row(
            round_=ready_round, field="published_at", old=old, new="withdrawn", by=UserFactory()
        ).save()
    seen = first if earlier == "first" else between
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    refused = _withdraw_posting(client, ready_round, f"{seen.timestamp():.6f}", confirm=True)

    assert refused.context["form"].errors["reason"] == [
        f"Nothing was withdrawn: the publication you looked at was withdrawn and "
        f"{ready_round.name} published again since, at "
        f"{timezone.localtime(published):%-d %B %Y, %H:%M}. Check it, then withdraw again if "
        "you still mean to."
    ]
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at == published
    assert mailoutbox == []


def test_withdrawal_of_an_unpublished_round_is_refused(ready_round):
    from assessments.publication import publication_withdraw

    with pytest.raises(ValidationError, match="not published"):
        publication_withdraw(round_=ready_round, reason="Why not.", by=UserFactory())


def test_confirming_after_a_colleague_set_another_time_replaces_nothing_unseen(client, ready_round):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    mine = timezone.localtime(timezone.now() + datetime.timedelta(days=2))
    check = client.post(
        "/reports/publication/2009-10/", {"published_at": mine.strftime("%Y-%m-%dT%H:%M")}
    )
    theirs = timezone.now() + datetime.timedelta(days=3)
    round_set_publication(round_=ready_round, published_at=theirs, by=UserFactory())

    response = client.post(
        "/reports/publication/2009-10/", dict(check.context["carry"]) | {"confirm": "1"}
    )

    [(_href, message)] = summary_entries(response.context["form"])
    assert "Someone else set the publication time since you checked it" in message
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at == theirs


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2030-03-31T01:30", "The clocks change that night"),
        ("9999-12-31T23:59", "Choose a publication time within 3 years"),
    ],
)
def test_a_time_the_clocks_skip_or_years_away_is_refused_in_words(
    client, ready_round, typed, message
):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.post("/reports/publication/2009-10/", {"published_at": typed})

    [(_href, said)] = summary_entries(response.context["form"])
    assert message in said
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at is None


def test_a_stale_tabs_time_after_publication_is_refused_with_a_message(client, ready_round):
    """The national walk: the form posted from a tab opened before the time got the normal
    page and no word at all."""
    published = _publish(ready_round)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    response = client.post(
        f"/reports/publication/{ready_round.slug}/",
        {"published_at": "2030-12-25T09:30", "confirm": "1", "was": ""},
        follow=True,
    )

    assert [str(m) for m in response.context["messages"]] == [
        f"The publication time was not changed: {ready_round.name} was published on "
        f"{timezone.localtime(published):%-d %B %Y at %H:%M}, and publication is final. To "
        "take the results offline, withdraw the publication below."
    ]
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at == published


@pytest.mark.django_db
def test_notices_say_so_when_no_round_has_a_publication_time():
    """The ops walk: the command printed nothing, so a scheduler's log could not tell it ran."""
    out = io.StringIO()

    call_command("send_publication_notices", stdout=out)

    assert out.getvalue() == "No round has a publication time: no notices to send.\n"


def test_a_round_opened_for_some_shas_says_who_is_left_out_before_the_time_is_set(
    client, ready_round
):
    """The real-year walk: 9 PCTs of one SHA were published as England, unwarned."""
    left = SHAFactory(name="North East")
    PCTFactory(sha=left)
    PCTFactory(sha=left)
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2))

    page = client.get("/reports/publication/2009-10/")
    check = client.post(
        "/reports/publication/2009-10/", {"published_at": when.strftime("%Y-%m-%dT%H:%M")}
    )

    assert "2 PCTs of England are not in this round" in page.text
    assert "Open PCTs with no assessment in 2009-10, by SHA: North East (2 PCTs)." in page.text
    assert 'href="/rounds/2009-10/open/"' in page.text
    assert (
        "The round can no longer be opened for more SHAs. Not in it, so not assessed this "
        "year: 2 open PCTs, by SHA North East (2 PCTs). The published figures for England "
        "will count only the PCTs assessed."
    ) in check.context["happens"]


def test_a_round_opened_everywhere_has_no_such_warning(client, ready_round):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    when = timezone.localtime(timezone.now() + datetime.timedelta(days=2))

    page = client.get("/reports/publication/2009-10/")
    check = client.post(
        "/reports/publication/2009-10/", {"published_at": when.strftime("%Y-%m-%dT%H:%M")}
    )

    assert 'data-test="not-opened"' not in page.text
    assert not any("no longer be opened" in line for line in check.context["happens"])


def test_once_the_time_is_set_the_warning_no_longer_offers_to_open_the_round(client, ready_round):
    """The accessibility walk: the page still said "open the round for them first", a link
    to a page that says it can no longer open."""
    PCTFactory(sha=SHAFactory(name="North East"))
    ready_round.published_at = timezone.now() + datetime.timedelta(days=2)
    ready_round.save()
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)

    page = client.get("/reports/publication/2009-10/").text

    assert "1 PCT of England is not in this round" in page
    assert "With a publication time set, the round can no longer be opened for it" in page
    assert 'href="/rounds/2009-10/open/"' not in page


@pytest.mark.parametrize("stage", [Stage.PUBLISHED, Stage.FACTUAL_ACCURACY])
def test_withdrawal_and_notices_read_a_fixed_number_of_queries_whatever_the_pcts(stage):
    """The review: both moved their assessments one at a time (withdrawing 25 PCTs took 172
    queries against 52 for 5: about 60,000 for a 10,000-PCT round, in one web request)."""
    from assessments.publication import publication_notices_send, publication_withdraw

    counts = []
    for slug, pcts in (("2007-08", 5), ("2006-07", 25)):
        when = timezone.now() - datetime.timedelta(hours=1)
        round_ = AssessmentRoundFactory(slug=slug, published_at=when, first_published_at=when)
        for _ in range(pcts):
            AssessmentFactory(round=round_, stage=stage)
        with CaptureQueriesContext(connection) as queries:
            if stage == Stage.PUBLISHED:
                publication_withdraw(round_=round_, reason="Wrong figures.", by=UserFactory())
            else:
                publication_notices_send(round_=round_)
        counts.append(len(queries))
        expected = Stage.FACTUAL_ACCURACY if stage == Stage.PUBLISHED else Stage.PUBLISHED
        assert set(round_.assessments.values_list("stage", flat=True)) == {expected}
        assert StageChange.objects.filter(assessment__round=round_).count() == pcts

    assert counts[0] == counts[1]
