"""E-mail about a region's review (``assessments.notices``): boards told when their
factual-accuracy window opens and closes, SHA staff told when their region is sent back."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from assessments.models import RegionReview, Role, Stage
from assessments.regions import region_confirm, region_send_back, region_sign_off
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    FactualAccuracyCommentFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    sha = SHAFactory(name="North East")
    other = SHAFactory(name="London")
    round_ = AssessmentRoundFactory(slug="2009-10")
    pcts = [PCTFactory(sha=sha, name=f"PCT {n}") for n in range(2)]
    assessments = [AssessmentFactory(round=round_, pct=pct, stage=Stage.MODERATION) for pct in pcts]
    boards = [
        RoleFactory(user=UserFactory(username=f"board.{n}"), kind=Role.Kind.PCT_BOARD, pct=pct)
        for n, pct in enumerate(pcts)
    ]
    # A board elsewhere, and staff of both regions.
    RoleFactory(kind=Role.Kind.PCT_BOARD, pct=PCTFactory(sha=other))
    staff = RoleFactory(user=UserFactory(username="staff.ne"), kind=Role.Kind.SHA_STAFF, sha=sha)
    RoleFactory(user=UserFactory(username="staff.lo"), kind=Role.Kind.SHA_STAFF, sha=other)
    return round_, sha, assessments, [b.user for b in boards], staff.user


def signed_off(region):
    round_, sha, *_ = region
    region_sign_off(round_=round_, sha=sha, by=UserFactory())


def test_confirming_a_region_tells_its_boards_their_window_is_open(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    round_, sha, assessments, boards, _staff = region
    signed_off(region)

    with django_capture_on_commit_callbacks(execute=True):
        review = region_confirm(round_=round_, sha=sha, by=UserFactory())

    assert sorted(m.to for m in mailoutbox) == [[b.email] for b in boards]
    message = next(m for m in mailoutbox if m.to == [boards[0].email])
    assert message.subject == f"{round_.name}: your draft results are ready for checking (PCT 0)"
    closes = timezone.localtime(review.factual_accuracy_closes)
    assert f"until {closes:%A} {closes.day} {closes:%B %Y at %H:%M}" in message.body
    ods = assessments[0].pct.ods_code
    assert f"http://127.0.0.1:8000/reports/pct/{ods}/2009-10/" in message.body


def test_sending_a_region_back_tells_its_staff_with_the_comment(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    round_, sha, _assessments, _boards, staff = region
    signed_off(region)

    with django_capture_on_commit_callbacks(execute=True):
        region_send_back(
            round_=round_, sha=sha, by=UserFactory(), comment="Competency 7 looks generous."
        )

    assert [m.to for m in mailoutbox] == [[staff.email]]
    assert (
        mailoutbox[0].subject == f"{round_.name}: North East was sent back to regional moderation"
    )
    assert "Competency 7 looks generous." in mailoutbox[0].body
    assert f"/reports/moderation/2009-10/{sha.ods_code}/" in mailoutbox[0].body


def test_nothing_is_sent_when_the_confirmation_is_refused(region, mailoutbox):
    round_, sha, *_ = region

    with pytest.raises(Exception, match="Only a signed-off region"):
        region_confirm(round_=round_, sha=sha, by=UserFactory())

    assert mailoutbox == []


def run(django_capture_on_commit_callbacks) -> str:
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=out)
    return out.getvalue()


def test_the_daily_run_tells_boards_once_when_their_window_has_closed(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    round_, sha, assessments, boards, _staff = region
    signed_off(region)
    with django_capture_on_commit_callbacks(execute=True):
        review = region_confirm(round_=round_, sha=sha, by=UserFactory())
    FactualAccuracyCommentFactory(assessment=assessments[1], raised_by=boards[1], response="")
    mailoutbox.clear()

    before = run(django_capture_on_commit_callbacks)
    with time_machine.travel(review.factual_accuracy_closes + timedelta(hours=1), tick=False):
        output = run(django_capture_on_commit_callbacks)
        again = run(django_capture_on_commit_callbacks)

    assert "window closed" not in before
    assert "2 notice(s) sent to the boards of North East 2009-10" in output
    assert "window closed" not in again
    assert sorted(m.to for m in mailoutbox) == [[b.email] for b in boards]
    by_board = {m.to[0]: m.body for m in mailoutbox}
    # The walk of year two: all 152 boards read "Every comment you made has been answered",
    # and a link to the draft that is hidden from them until publication.
    assert "Every comment" not in by_board[boards[0].email]
    assert (
        "Your results will be published with everyone else's at the publication time. Until "
        "then your draft is no longer shown; from then on your results and your report are at:"
    ) in " ".join(by_board[boards[0].email].split())
    assert "1 of your comments is still waiting" in by_board[boards[1].email]
    assert "(you can read them until your results are published)" in by_board[boards[1].email]
    assert RegionReview.objects.get(pk=review.pk).closed_notice_sent_at is not None


def test_windows_of_a_round_already_announced_are_left_alone(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    round_, sha, *_ = region
    signed_off(region)
    region_confirm(round_=round_, sha=sha, by=UserFactory())
    round_.publication_notified_at = timezone.now()
    round_.save(update_fields=["publication_notified_at"])
    mailoutbox.clear()

    with time_machine.travel(timezone.now() + timedelta(days=30), tick=False):
        output = run(django_capture_on_commit_callbacks)

    assert mailoutbox == []
    assert "window closed" not in output


def test_a_board_whose_comments_were_all_answered_is_told_so_when_its_window_closes(
    region, mailoutbox, django_capture_on_commit_callbacks
):
    round_, sha, assessments, boards, _staff = region
    signed_off(region)
    with django_capture_on_commit_callbacks(execute=True):
        review = region_confirm(round_=round_, sha=sha, by=UserFactory())
    FactualAccuracyCommentFactory(
        assessment=assessments[0], raised_by=boards[0], response="Corrected."
    )
    mailoutbox.clear()

    with time_machine.travel(review.factual_accuracy_closes + timedelta(hours=1), tick=False):
        run(django_capture_on_commit_callbacks)

    body = " ".join({m.to[0]: m.body for m in mailoutbox}[boards[0].email].split())
    assert "Every comment you made has been answered. Your results will be published" in body
    assert "from then on your results, the answers and your report are at:" in body
