"""The send_scoring_reminders command."""

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.models import Stage
from panels.models import Seat
from panels.tests.formation_builders import build_region
from tests.mail import given_up

pytestmark = pytest.mark.django_db


def region_due_in(days: int, *, stage=Stage.SCORING, slug="2009-10"):
    region = build_region(stage=stage, slug=slug)
    region.round.scoring_due = timezone.localdate() + timedelta(days=days)
    region.round.save(update_fields=["scoring_due"])
    region.seated()
    return region


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run the command as a scheduler would: its mail is queued on commit (and, with the
    tests' immediate task backend, sent then)."""

    def run(*args) -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_scoring_reminders", *args, stdout=out)
        return out.getvalue()

    return run


def test_reminders_go_to_members_who_have_not_submitted(run, mailoutbox):
    region = region_due_in(2)
    Seat.objects.filter(panel__assessment=region.assessment, seat_type__number=2).update(
        submitted_at=timezone.now()
    )
    Seat.objects.filter(panel__assessment=region.assessment, seat_type__number=4).update(
        absence_reason="On leave."
    )

    output = run()

    assert [m.to for m in mailoutbox] == [[region.people[n].email] for n in (1, 3, 5)]
    lines = output.splitlines()
    assert [line.split(" <")[0] for line in lines[:-1]] == [
        "Reminder sent for Ann Chair",
        "Reminder sent for Cat Services",
        "Reminder sent for Eve Chief",
    ]
    assert lines[-1] == "3 reminder(s) sent at once; any that failed are in the log."


@pytest.mark.parametrize("days", [-1, 4])
def test_reminders_skip_a_deadline_past_or_too_far(run, mailoutbox, days):
    region_due_in(days)

    output = run()

    assert mailoutbox == []
    assert output == "0 reminder(s) sent at once; any that failed are in the log.\n"


def test_reminders_days_option_widens_the_window(run, mailoutbox):
    region_due_in(6)

    run("--days", "7")

    assert len(mailoutbox) == 5


def test_reminders_only_at_scoring(run, mailoutbox):
    region_due_in(1, stage=Stage.CONSENSUS)

    run()

    assert mailoutbox == []


def test_reminders_dry_run_sends_nothing(run, mailoutbox):
    region = region_due_in(0)

    output = run("--dry-run")

    assert mailoutbox == []
    assert output.splitlines()[0].startswith(
        f"Would remind Ann Chair <{region.people[1].email}>, seat 1, Assessed PCT "
        f"({region.pct.ods_code}) 2009-10, due"
    )
    assert output.splitlines()[-1] == "5 member(s) would be reminded."


def test_reminders_round_option_filters(run, mailoutbox):
    this_year = region_due_in(1)
    region_due_in(1, slug="2008-09")

    run("--round", "2009-10")

    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in this_year.people.values())


def test_reminders_unknown_round_is_an_error(run):
    with pytest.raises(CommandError, match="No round '1999-00'"):
        run("--round", "1999-00")


def test_reminders_run_to_the_end_when_the_mail_server_fails(run, settings, mailoutbox, caplog):
    settings.EMAIL_BACKEND = "tests.mail.BrokenBackend"
    region = region_due_in(1)

    output = run()

    assert output.splitlines()[-1] == "5 reminder(s) sent at once; any that failed are in the log."
    assert mailoutbox == []
    assert given_up(caplog) == sorted(p.email for p in region.people.values())


def test_reminders_say_queued_with_the_database_queue(run, settings, mailoutbox):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    region = region_due_in(1)

    output = run()

    lines = output.splitlines()
    assert lines[0].startswith(f"Reminder queued for Ann Chair <{region.people[1].email}>")
    assert lines[-1] == "5 reminder(s) queued for the worker."
    assert DBTaskResult.objects.count() == 5
    assert mailoutbox == []
