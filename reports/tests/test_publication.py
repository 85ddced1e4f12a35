"""Setting the publication time, and telling the boards once afterwards."""

import datetime
import io

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from assessments.models import AssessmentRound, Role, Stage
from assessments.publication import round_set_publication
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    FactualAccuracyCommentFactory,
    PCTFactory,
    RegionReviewFactory,
    RoleFactory,
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
    AssessmentFactory(round=ready_round, pct=PCTFactory(name="Late PCT"), stage=Stage.MODERATION)

    with pytest.raises(ValidationError) as excinfo:
        round_set_publication(
            round_=ready_round,
            published_at=timezone.now() + datetime.timedelta(days=1),
            by=UserFactory(),
        )

    assert excinfo.value.messages == [
        "Every region must be confirmed at the national cross-check first; not yet: Late PCT."
    ]
    assert AssessmentRound.objects.get(pk=ready_round.pk).published_at is None


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

    client.post("/reports/publication/2009-10/", {"published_at": when})

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
