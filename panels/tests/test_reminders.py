"""The daily reminders (``send_reminders``, alias ``send_scoring_reminders``): scoring
digests that chase, once per person per day."""

import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from assessments.models import Stage
from panels.models import Panel, ReminderSent, Seat
from panels.tests.formation_builders import build_region
from tests.factories import AssessmentRoundFactory
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

    def run(*args, command="send_reminders") -> str:
        out = io.StringIO()
        with django_capture_on_commit_callbacks(execute=True):
            call_command(command, *args, stdout=out)
        return out.getvalue()

    return run


def later(days: int):
    """Travel ``days`` days ahead (to 9:00 London time that day)."""
    day = timezone.localdate() + timedelta(days=days)
    return time_machine.travel(
        datetime(day.year, day.month, day.day, 9, tzinfo=ZoneInfo("Europe/London")), tick=False
    )


def test_reminders_go_to_members_who_have_not_submitted(run, mailoutbox):
    region = region_due_in(2)
    Seat.objects.filter(panel__assessment=region.assessment, seat_type__number=2).update(
        submitted_at=timezone.now()
    )
    Seat.objects.filter(panel__assessment=region.assessment, seat_type__number=4).update(
        absence_reason="On leave."
    )

    output = run()

    assert sorted(m.to for m in mailoutbox) == sorted([region.people[n].email] for n in (1, 3, 5))
    lines = output.splitlines()
    assert [line.split(" <")[0] for line in lines[:-1]] == [
        "Reminder sent for Ann Chair",
        "Reminder sent for Cat Services",
        "Reminder sent for Eve Chief",
    ]
    assert lines[0].endswith(f": due: {region.pct.ods_code}")
    assert lines[-1] == "3 reminder(s) sent at once; any that failed are in the log."
    assert mailoutbox[0].subject.startswith("Reminder: your scores for 1 panel are due ")


def test_reminders_skip_a_deadline_too_far(run, mailoutbox):
    region_due_in(4)

    output = run()

    assert mailoutbox == []
    assert output == "0 reminder(s) sent at once; any that failed are in the log.\n"


def test_reminders_days_option_widens_the_window(run, mailoutbox):
    region_due_in(6)

    run("--days", "7")

    assert len(mailoutbox) == 5


def test_reminders_only_at_scoring(run, mailoutbox):
    region_due_in(-5, stage=Stage.CONSENSUS)

    run()

    assert mailoutbox == []


def test_reminders_continue_after_the_deadline_as_overdue(run, mailoutbox):
    region = region_due_in(-1)

    run()

    assert len(mailoutbox) == 5
    message = next(m for m in mailoutbox if m.to == [region.people[3].email])
    assert message.subject == "Overdue: your scores for 1 panel"
    assert f"Assessed PCT ({region.pct.ods_code})" in message.body
    assert "1 day ago" in message.body
    assert "these members have not submitted" not in "".join(m.body for m in mailoutbox)


def test_reminders_tell_the_chair_who_is_late_after_chase_after_days(run, mailoutbox):
    region = region_due_in(-3)
    Seat.objects.filter(panel__assessment=region.assessment, seat_type__number=2).update(
        submitted_at=timezone.now()
    )
    Seat.objects.filter(panel__assessment=region.assessment, seat_type__number=1).update(
        submitted_at=timezone.now()
    )

    output = run()

    to_chair = [m for m in mailoutbox if m.to == [region.people[1].email]]
    assert len(to_chair) == 1
    assert to_chair[0].subject == "Members late on 1 panel you chair"
    assert "Cat Services (seat 3), Dan Outside (seat 4), Eve Chief (seat 5)" in to_chair[0].body
    assert "Bob Medic" not in to_chair[0].body
    assert len(mailoutbox) == 4  # the chair, and the three late members
    assert "late members: " in output


def test_reminders_chase_after_option_delays_the_chair(run, mailoutbox):
    region = region_due_in(-3)
    Seat.objects.filter(panel__assessment=region.assessment, seat_type__number=1).update(
        submitted_at=timezone.now()
    )

    run("--chase-after", "5")

    assert region.people[1].email not in [m.to[0] for m in mailoutbox]
    assert len(mailoutbox) == 4


def test_reminders_one_digest_per_person_listing_every_panel(run, mailoutbox):
    region = region_due_in(2)
    second = region.assessment_in(region.round, stage=Stage.SCORING)
    panel = Panel.objects.create(assessment=second)
    Seat.objects.create(panel=panel, seat_type=region.seat_types[4], person=region.people[4])
    overdue_round = AssessmentRoundFactory(
        slug="2007-08", scoring_due=timezone.localdate() - timedelta(days=1)
    )
    third = region.assessment_in(overdue_round, stage=Stage.SCORING)
    panel = Panel.objects.create(assessment=third)
    Seat.objects.create(panel=panel, seat_type=region.seat_types[4], person=region.people[4])

    run()

    to_dan = [m for m in mailoutbox if m.to == [region.people[4].email]]
    assert len(to_dan) == 1
    assert to_dan[0].subject == "Overdue: your scores for 1 panel, and 2 due soon"
    for assessment in (region.assessment, second, third):
        assert f"/panels/{assessment.round.slug}/{assessment.pct.ods_code}/score/" in to_dan[0].body
    assert len(mailoutbox) == 5


def test_reminders_never_twice_the_same_day(run, mailoutbox):
    region_due_in(1)

    run()
    second = run()

    assert len(mailoutbox) == 5
    assert second == "0 reminder(s) sent at once; any that failed are in the log.\n"
    assert ReminderSent.objects.count() == 5


def test_reminders_go_again_the_next_day_until_submitted(run, mailoutbox):
    region = region_due_in(1)
    run()
    Seat.objects.filter(panel__assessment=region.assessment, seat_type__number=2).update(
        submitted_at=timezone.now()
    )

    with later(1):
        run()
    with later(2):
        run()

    assert len(mailoutbox) == 5 + 4 + 4
    assert mailoutbox[-1].subject == "Overdue: your scores for 1 panel"
    assert sorted(set(ReminderSent.objects.values_list("day", flat=True))) == [
        timezone.localdate() + timedelta(days=n) for n in range(3)
    ]


def test_reminders_old_name_is_the_same_command(run, mailoutbox):
    region_due_in(1)

    output = run(command="send_scoring_reminders")
    again = run()

    assert len(mailoutbox) == 5
    assert output.splitlines()[-1] == "5 reminder(s) sent at once; any that failed are in the log."
    assert again.splitlines()[-1] == "0 reminder(s) sent at once; any that failed are in the log."


def test_reminders_dry_run_sends_nothing(run, mailoutbox):
    region = region_due_in(0)

    output = run("--dry-run")

    assert mailoutbox == []
    assert ReminderSent.objects.count() == 0
    assert output.splitlines()[0] == (
        f"Would remind Ann Chair <{region.people[1].email}>: due: {region.pct.ods_code}"
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
