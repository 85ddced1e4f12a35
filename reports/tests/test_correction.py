"""A correction after publication: the national team withdraws a published round, imports
corrected ratings with a reason, and publishes it again. The first publication date is
kept, every page says "Published <first>; republished <new>", the changed ratings carry the
reason typed, and each board whose ratings changed is told what changed and why.

Built on the seeded demo: 2008-09 was published on 17 February 2009; 5PG is Birmingham
East and North (West Midlands), 5NX Hull Teaching (Yorkshire and the Humber).
"""

import datetime
import importlib
import io
import json
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from assessments.models import Assessment, AssessmentRound, RatingChange, Stage
from assessments.publication import publication_withdraw, round_set_publication
from reports.pct_report import pct_report
from reports.pdf import render_pct_html
from reports.tests.test_import_page import current, other_value, table
from reports.views.imports import STASH_KEY
from tests.factories import AssessmentRoundFactory, UserFactory
from tests.users import demo_user

URL = "/reports/import/2008-09/"
CONFIRM = "/reports/import/2008-09/confirm/"
FIRST = datetime.datetime(2009, 2, 17, 9, 30, tzinfo=datetime.UTC)
REASON = "The finance rating of 5PG was typed from another PCT's row."


def _round() -> AssessmentRound:
    return AssessmentRound.objects.get(slug="2008-09")


def _withdraw():
    publication_withdraw(round_=_round(), reason="A rating was wrong.", by=demo_user("national"))


def _upload(client, content: bytes, reason: str | None):
    data = {"file": SimpleUploadedFile("fix-5pg.csv", content)}
    if reason is not None:
        data["reason"] = reason
    return client.post(URL, data, follow=True)


def _correct_c1(client) -> tuple[str, str]:
    """Withdraw 2008-09, import a changed c1 for 5PG with ``REASON``; (old, new) of c1."""
    _withdraw()
    c1 = current("5PG", "c1", slug="2008-09")
    new = other_value(c1.level)
    client.force_login(demo_user("national"))
    token = _upload(client, table(["5PG"], {("5PG", "c1"): new}, slug="2008-09"), REASON).context[
        "token"
    ]
    client.post(CONFIRM, {"token": token})
    return str(c1.level), str(new)


def _republish(when: datetime.datetime, mailoutbox=None, capture=None) -> None:
    round_set_publication(round_=_round(), published_at=when, by=demo_user("national"))
    with time_machine.travel(when + datetime.timedelta(minutes=5), tick=False):
        if capture is None:
            call_command("send_publication_notices", "--round", "2008-09", stdout=io.StringIO())
        else:
            with capture(execute=True):
                call_command("send_publication_notices", "--round", "2008-09", stdout=io.StringIO())


# --- The first publication date ---------------------------------------------------------


@pytest.mark.django_db
def test_first_publication_follows_the_time_until_it_passes():
    round_ = AssessmentRoundFactory(slug="2010-11")
    national = UserFactory()
    soon = timezone.now() + datetime.timedelta(days=1)
    later = soon + datetime.timedelta(days=1)

    round_set_publication(round_=round_, published_at=soon, by=national)
    round_set_publication(round_=round_, published_at=later, by=national)

    round_.refresh_from_db()
    assert (round_.published_at, round_.first_published_at) == (later, later)
    assert round_.corrected is False


@pytest.mark.django_db
def test_first_publication_date_is_kept_through_withdrawal_and_republication(demo):
    new = timezone.now() + datetime.timedelta(hours=1)

    _withdraw()
    withdrawn = _round()
    round_set_publication(round_=withdrawn, published_at=new, by=demo_user("national"))
    republished = _round()

    assert (withdrawn.published_at, withdrawn.first_published_at) == (None, FIRST)
    assert withdrawn.is_withdrawn() is True
    assert (republished.published_at, republished.first_published_at) == (new, FIRST)
    with time_machine.travel(new + datetime.timedelta(minutes=1), tick=False):
        assert republished.corrected is True
        assert republished.is_withdrawn() is False
    # The demo's own publication time (set by the national team in February 2009), then
    # the withdrawal, then the new time.
    assert list(
        republished.changes.filter(field="published_at").values_list("new_value", flat=True)
    ) == ["2009-02-17 09:30", "withdrawn", f"{timezone.localtime(new):%Y-%m-%d %H:%M}"]


@pytest.mark.django_db
def test_migration_fills_the_first_publication_of_rounds_already_published():
    from django.apps import apps

    fill = importlib.import_module(
        "assessments.migrations.0018_round_first_published_at"
    ).fill_first_published_at
    published = AssessmentRoundFactory(slug="2010-11", published_at=FIRST)
    withdrawn = AssessmentRoundFactory(slug="2011-12")
    withdrawn.changes.create(
        field="published_at", old_value="2012-02-14 09:30", new_value="withdrawn", reason="x"
    )
    never = AssessmentRoundFactory(slug="2012-13")

    fill(apps, None)

    assert [
        AssessmentRound.objects.get(pk=r.pk).first_published_at
        for r in (published, withdrawn, never)
    ] == [FIRST, datetime.datetime(2012, 2, 14, 9, 30, tzinfo=datetime.UTC), None]


# --- The import's reason ------------------------------------------------------------------


@pytest.mark.django_db
def test_import_on_a_withdrawn_round_requires_a_reason_and_keeps_what_was_typed(demo, client):
    _withdraw()
    c1 = current("5PG", "c1", slug="2008-09")
    client.force_login(demo_user("national"))
    content = table(["5PG"], {("5PG", "c1"): other_value(c1.level)}, slug="2008-09")
    before = RatingChange.objects.count()

    refused = _upload(client, content, "   ")

    assert refused.context["form"].errors == {
        "reason": [
            "Reason for the correction: say why the published ratings are corrected (the "
            "boards are told it)."
        ]
    }
    assert b'href="#id_reason"' in refused.content  # the error summary links to the field
    assert STASH_KEY not in client.session
    assert RatingChange.objects.count() == before


@pytest.mark.django_db
def test_import_reason_is_shown_on_the_check_page_and_stored_as_each_change_reason(demo, client):
    _withdraw()
    c1 = current("5PG", "c1", slug="2008-09")
    new = other_value(c1.level)
    client.force_login(demo_user("national"))

    preview = _upload(client, table(["5PG"], {("5PG", "c1"): new}, slug="2008-09"), REASON)
    client.post(CONFIRM, {"token": preview.context["token"]})

    assert preview.context["reason"] == REASON
    assert preview.context["form"]["reason"].value() == REASON  # offered again for another file
    assert b'data-test="reason"' in preview.content
    assert REASON.replace("'", "&#x27;").encode() in preview.content
    change = RatingChange.objects.filter(assessment__pct__ods_code="5PG").order_by("-pk").first()
    assert (change.source, change.old_value, change.new_value, change.note) == (
        RatingChange.Source.IMPORT,
        str(c1.level),
        str(new),
        REASON,
    )


@pytest.mark.django_db
def test_import_on_a_round_never_published_asks_no_reason(demo, client):
    client.force_login(demo_user("national"))

    page = client.get("/reports/import/2009-10/")

    assert "reason" not in page.context["form"].fields
    assert b'data-test="reason"' not in page.content


# --- The pages say "corrected" ------------------------------------------------------------


@pytest.mark.django_db
def test_every_page_says_published_first_and_republished(demo, client):
    _correct_c1(client)
    client.logout()
    new = timezone.now() + datetime.timedelta(hours=1)
    _republish(new)
    corrected = f"17 February 2009; republished {timezone.localtime(new):%-d %B %Y}"
    wording = re.compile(f"Published (on )?{corrected}")
    assessment = Assessment.objects.select_related("round", "pct__sha").get(
        round__slug="2008-09", pct__ods_code="5PG"
    )

    with time_machine.travel(new + datetime.timedelta(minutes=10), tick=False):
        pages = {
            url: client.get(url).content.decode()
            for url in (
                "/",
                "/reports/league-table/2008-09/",
                "/reports/summary/2008-09/",
                "/reports/pct/5PG/2008-09/",
            )
        }
        pdf = render_pct_html(pct_report(assessment=assessment))
        data = json.loads(client.get("/api/results/2008-09.json").content)

    assert {url: bool(wording.search(page)) for url, page in pages.items()} == dict.fromkeys(
        pages, True
    )
    assert "Published on " + corrected in pages["/"]
    assert wording.search(pdf)
    assert REASON.replace("'", "&#x27;") in pages["/reports/pct/5PG/2008-09/"]
    assert REASON.replace("'", "&#x27;") in pdf
    # Walk R: the change read "Changed at factual-accuracy check", the stage the withdrawal
    # had put the assessment back to.
    today = f"{timezone.localdate():%-d %B %Y}"
    for page in (pages["/reports/pct/5PG/2008-09/"], pdf):
        assert f"Corrected after publication on {today}" in page
        assert "Changed at factual-accuracy check" not in page
    assert (data["published_at"], data["first_published_at"]) == (
        new.isoformat(),
        FIRST.isoformat(),
    )


@pytest.mark.django_db
def test_a_round_published_once_says_only_published(demo, client):
    pages = [
        client.get(url).content.decode()
        for url in ("/", "/reports/league-table/2008-09/", "/reports/pct/5PG/2008-09/")
    ]
    data = json.loads(client.get("/api/results/2008-09.json").content)

    published = re.compile("Published (on )?17 February 2009[.]")
    assert [(bool(published.search(p)), "republished" in p) for p in pages] == [(True, False)] * 3
    assert data["first_published_at"] == data["published_at"] == FIRST.isoformat()


@pytest.mark.django_db
def test_board_home_presents_a_republished_round_as_republished(demo, client):
    _correct_c1(client)
    new = timezone.now() + datetime.timedelta(hours=1)
    _republish(new)
    client.force_login(demo_user("board.5pg"))

    with time_machine.travel(new + datetime.timedelta(minutes=10), tick=False):
        home = client.get("/")

    [results] = [q for q in home.context["queues"] if q.key == "results"]
    assert [item.detail for item in results.items] == [
        f"results published on 17 February 2009, republished on "
        f"{timezone.localtime(new):%-d %B %Y}: your report"
    ]


# --- The e-mails at republication ---------------------------------------------------------


@pytest.mark.django_db
def test_republication_tells_changed_boards_what_changed_and_others_the_usual(
    demo, client, mailoutbox, django_capture_on_commit_callbacks
):
    old, new_value = _correct_c1(client)
    new = timezone.now() + datetime.timedelta(hours=1)

    _republish(new, capture=django_capture_on_commit_callbacks)

    by_board = {m.to[0]: m for m in mailoutbox}
    changed = by_board["board.5pg@example.nhs.uk"]
    unchanged = by_board["board.5nx@example.nhs.uk"]
    assert (
        changed.subject == "World Class Commissioning assurance 2008/09: your results are corrected"
    )
    assert "first published on 17 February 2009" in changed.body
    assert f"published them again on {timezone.localtime(new):%-d %B %Y at %H:%M}." in changed.body
    assert f"- 1. Locally leading the NHS: from level {old} to level {new_value}\n" in changed.body
    assert f"  Reason: {REASON}\n" in changed.body
    assert unchanged.subject == (
        "World Class Commissioning assurance 2008/09: your results are published"
    )
    assert "first published on 17 February 2009" in unchanged.body
    assert "were withdrawn and published again on " in unchanged.body  # not "corrected"
    assert "The ratings of Hull Teaching did not change." in unchanged.body
    assert [s for s in by_board if by_board[s].subject.endswith("corrected")] == [
        "board.5pg@example.nhs.uk"
    ]
    assert set(_round().assessments.values_list("stage", flat=True)) == {Stage.PUBLISHED}


@pytest.mark.django_db
def test_a_rating_changed_and_changed_back_is_no_correction(
    demo, client, mailoutbox, django_capture_on_commit_callbacks
):
    old, _new = _correct_c1(client)
    token = _upload(
        client, table(["5PG"], {("5PG", "c1"): int(old)}, slug="2008-09"), "Put back."
    ).context["token"]
    client.post(CONFIRM, {"token": token})

    _republish(
        timezone.now() + datetime.timedelta(hours=1), capture=django_capture_on_commit_callbacks
    )

    assert [m.subject for m in mailoutbox if m.to == ["board.5pg@example.nhs.uk"]] == [
        "World Class Commissioning assurance 2008/09: your results are published"
    ]


@pytest.mark.django_db
def test_a_withdrawn_round_is_not_compared_on_the_next_rounds_pct_page(demo, client):
    """The review: with 2008-09 withdrawn for a correction (its own pages 404) and 2009-10
    published, 2009-10's PCT page and PDF still showed 2008-09's rank and levels."""
    AssessmentRound.objects.filter(slug="2009-10").update(
        published_at=timezone.now() - datetime.timedelta(hours=1),
        publication_notified_at=timezone.now(),
    )
    shown = client.get("/reports/pct/5PG/2009-10/").context["report"]
    assert shown.previous_rank is not None
    assert any(i.has_previous for i in shown.items)
    _withdraw()
    assert client.get("/reports/pct/5PG/2008-09/").status_code == 404
    report = client.get("/reports/pct/5PG/2009-10/").context["report"]
    assert report.previous_rank is None
    assert not any(i.has_previous or i.compared for i in report.items)
