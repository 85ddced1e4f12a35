"""E-mail to panel members: scoring opened, reminders, all submitted."""

import datetime

import pytest
from django.utils import timezone

from panels.models import Seat
from panels.notifications import (
    notify_all_submitted,
    notify_scoring_opened,
)
from panels.services.formation import panel_open_scoring
from panels.tests.formation_builders import build_region

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = build_region()
    region.round.scoring_due = datetime.date(2009, 11, 27)
    region.round.save(update_fields=["scoring_due"])
    region.seated()
    return region


def test_notify_scoring_opened_writes_to_every_seat_holder(
    region, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://wcc.example.nhs.uk"

    with django_capture_on_commit_callbacks(execute=True):
        sent = notify_scoring_opened(assessment=region.assessment)

    ods = region.pct.ods_code
    assert sent == 5
    assert [m.to for m in mailoutbox] == [[p.email] for p in region.people.values()]
    first = mailoutbox[0]
    assert first.subject == (f"Scoring is open: Assessed PCT ({ods}), {region.round.name}")
    assert "Dear Ann Chair," in first.body
    # The demo's dates are past: the e-mail says so (the year-two walk: members were asked
    # to score "by" a date already gone).
    assert (
        "as soon as you can: the round's scoring deadline, Friday 27 November 2009, has passed."
        in " ".join(first.body.split())
    )
    assert f"https://wcc.example.nhs.uk/panels/{region.round.slug}/{ods}/score/" in first.body
    assert "seat 1: Local SHA director (chair) (you chair the panel)" in first.body
    assert "(you chair the panel)" not in mailoutbox[1].body


def test_notify_scoring_opened_skips_a_member_without_an_address(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    person = region.people[4]
    person.email = ""
    person.save(update_fields=["email"])
    person.user.email = ""
    person.user.save(update_fields=["email"])

    with django_capture_on_commit_callbacks(execute=True):
        sent = notify_scoring_opened(assessment=region.assessment)

    assert sent == 4
    assert [m.to for m in mailoutbox] == [[region.people[n].email] for n in (1, 2, 3, 5)]


def test_notify_scoring_opened_falls_back_to_the_users_address(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    person = region.people[2]
    person.email = ""
    person.save(update_fields=["email"])

    with django_capture_on_commit_callbacks(execute=True):
        notify_scoring_opened(assessment=region.assessment)

    assert mailoutbox[1].to == [person.user.email]


def test_panel_open_scoring_sends_the_mail_after_commit(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        panel_open_scoring(assessment=region.assessment, by=None)

    assert len(mailoutbox) == 5
    assert {m.subject for m in mailoutbox} == {
        f"Scoring is open: Assessed PCT ({region.pct.ods_code}), {region.round.name}"
    }


def test_notify_all_submitted_writes_to_the_chair_only(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    Seat.objects.filter(panel__assessment=region.assessment).update(submitted_at=timezone.now())

    with django_capture_on_commit_callbacks(execute=True):
        sent = notify_all_submitted(assessment=region.assessment)

    assert sent == 1
    assert [m.to for m in mailoutbox] == [[region.people[1].email]]
    assert mailoutbox[0].subject == (
        f"All members have submitted: Assessed PCT ({region.pct.ods_code}), {region.round.name}"
    )
    assert f"/panels/{region.round.slug}/{region.pct.ods_code}/consensus/" in mailoutbox[0].body


def test_scoring_opened_before_the_deadline_gives_it(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    due = timezone.localdate() + datetime.timedelta(days=10)
    region.round.scoring_due = due
    region.round.save(update_fields=["scoring_due"])

    with django_capture_on_commit_callbacks(execute=True):
        notify_scoring_opened(assessment=region.assessment)

    body = " ".join(mailoutbox[0].body.split())
    assert f", by {due:%A %-d %B %Y}." in body
    # The builder's board submitted nothing: members are not sent looking for it.
    assert (
        "with the PCT's evidence at hand (its board did not submit a self-assessment: the SHA "
        "proceeded without it)"
    ) in body
    assert "World Class Commissioning assurance panel" not in mailoutbox[0].body


def test_the_chair_is_given_the_consensus_deadline(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    due = timezone.localdate() + datetime.timedelta(days=7)
    region.round.consensus_due = due
    region.round.save(update_fields=["consensus_due"])

    with django_capture_on_commit_callbacks(execute=True):
        notify_all_submitted(assessment=region.assessment)

    assert f"and close consensus (by {due:%A %-d %B %Y}):" in " ".join(mailoutbox[0].body.split())
