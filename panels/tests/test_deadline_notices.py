"""A deadline of an opened round changed: everyone still working to it is e-mailed, once
each, with what it is for (walk N: changing a deadline told nobody)."""

import datetime

import pytest
from django.core import mail

from assessments.models import Role, SelfAssessment, Stage
from assessments.rounds import round_set_timetable, timetable_version
from panels.models import Seat
from panels.tests.scoring_builders import build_scoring_panel
from tests.factories import (
    AssessmentFactory,
    PCTFactory,
    RoleFactory,
    SelfAssessmentFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date


def _set(round_, by, **dates):
    current = {
        field: getattr(round_, field)
        for field in (
            "self_assessment_due",
            "panel_formation_due",
            "scoring_due",
            "consensus_due",
            "moderation_due",
            "cross_check_due",
            "publication_due",
        )
    }
    return round_set_timetable(
        round_=round_,
        dates=current | dates,
        working_days=round_.factual_accuracy_working_days,
        by=by,
        expected_version=timetable_version(round_),
    )


@pytest.fixture
def year(django_capture_on_commit_callbacks):
    """One PCT scoring (its five members, one submitted, one excused), one PCT whose board has
    not submitted its self-assessment, one whose board has; their SHA's staff; the national
    team."""
    scoring = build_scoring_panel()
    round_ = scoring.assessment.round
    sha = scoring.assessment.pct.sha
    Seat.objects.filter(pk=scoring.seats[1].pk).update(
        submitted_at=datetime.datetime(2010, 3, 1, tzinfo=datetime.UTC)
    )
    Seat.objects.filter(pk=scoring.seats[2].pk).update(absence_reason="On leave.")
    late = AssessmentFactory(round=round_, pct=PCTFactory(sha=sha, name="Late PCT"))
    SelfAssessmentFactory(assessment=late)
    done = AssessmentFactory(round=round_, pct=PCTFactory(sha=sha, name="Done PCT"))
    SelfAssessmentFactory(
        assessment=done,
        status=SelfAssessment.Status.SUBMITTED,
        submitted_at=datetime.datetime(2010, 1, 2, tzinfo=datetime.UTC),
    )
    return {
        "round": round_,
        "scoring": scoring,
        "late_board": RoleFactory(kind=Role.Kind.PCT_BOARD, pct=late.pct).user,
        "done_board": RoleFactory(kind=Role.Kind.PCT_BOARD, pct=done.pct).user,
        "staff": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user,
        "national": RoleFactory(kind=Role.Kind.NATIONAL).user,
    }


def _to(address):
    return [m for m in mail.outbox if m.to == [address]]


def test_each_deadline_reaches_those_still_working_to_it(year, django_capture_on_commit_callbacks):
    members = [seat.person.user for seat in year["scoring"].seats]
    with django_capture_on_commit_callbacks(execute=True):
        told = _set(
            year["round"],
            year["national"],
            self_assessment_due=D(2010, 1, 15),
            scoring_due=D(2010, 3, 19),
            consensus_due=D(2010, 3, 26),
            moderation_due=D(2010, 4, 9),
            publication_due=D(2010, 6, 1),
        )

    # The late board; the members not submitted nor excused (the chair among them); the
    # region's staff. Not: the board that submitted, the member who submitted, the excused
    # one, the national team (no cross-check date changed), anyone for the publication date.
    expected = {
        year["late_board"].email,
        members[0].email,
        members[3].email,
        members[4].email,
        year["staff"].email,
    }
    assert {address for m in mail.outbox for address in m.to} == expected
    assert told == len(mail.outbox) == 5
    chair = _to(members[0].email)[0]
    assert chair.subject.startswith("Deadlines have changed: ")
    assert "The scoring deadline is now Friday 19 March 2010 (it was not set)" in chair.body
    assert "The consensus deadline is now Friday 26 March 2010" in chair.body
    assert "which you chair" in chair.body
    assert "/consensus/" in chair.body and "/score/" in chair.body
    board = _to(year["late_board"].email)[0]
    assert board.subject.startswith("The self-assessment deadline has changed: ")
    assert "for the self-assessment of Late PCT:" in board.body
    assert "publication" not in board.body
    assert "the moderation of" in _to(year["staff"].email)[0].body


def test_a_round_not_opened_tells_nobody_and_an_unchanged_save_nothing(
    django_capture_on_commit_callbacks,
):
    from tests.factories import AssessmentRoundFactory

    round_ = AssessmentRoundFactory(slug="2010-11")
    RoleFactory(kind=Role.Kind.NATIONAL)
    by = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        assert _set(round_, by, scoring_due=D(2011, 3, 1), cross_check_due=D(2011, 5, 1)) == 0
    assert mail.outbox == []


def test_the_cross_check_date_reaches_the_national_team_until_every_region_passed_it(
    year, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _set(year["round"], UserFactory(), cross_check_due=D(2010, 5, 7))
    assert [m.to for m in mail.outbox] == [[year["national"].email]]
    assert "for the national cross-check:" in mail.outbox[0].body

    mail.outbox.clear()
    year["round"].assessments.update(stage=Stage.FACTUAL_ACCURACY)
    with django_capture_on_commit_callbacks(execute=True):
        assert _set(year["round"], UserFactory(), cross_check_due=D(2010, 5, 14)) == 0


def test_the_timetable_page_says_who_is_told_and_how_many_were(
    client, year, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    round_ = year["round"]
    round_.opened_at = timezone.now()
    round_.save()
    client.force_login(year["national"])

    page = client.get(f"/rounds/{round_.slug}/timetable/").content.decode()
    posted = {
        "scoring_due": "2010-03-19",
        "factual_accuracy_working_days": str(round_.factual_accuracy_working_days),
        "version": "0",
        "typed_on": str(round_.pk),
    }
    # Walk R: 37 people were e-mailed at one press of Save: a check page says it first.
    check = client.post(f"/rounds/{round_.slug}/timetable/", posted)
    assert check.status_code == 200 and mail.outbox == []
    assert "The scoring deadline becomes 19 March 2010 (it was not set)." in check.text
    assert "3 people who still work to a changed deadline" in check.text
    round_.refresh_from_db()
    assert round_.scoring_due is None
    back = client.get(check.context["back"]).content.decode()
    assert 'value="2010-03-19"' in back  # "Go back" shows what was typed
    with django_capture_on_commit_callbacks(execute=True):
        saved = client.post(
            f"/rounds/{round_.slug}/timetable/", posted | {"confirm": "1"}, follow=True
        )

    assert "saving a changed date e-mails those who still work to it" in page
    assert next(str(m) for m in saved.context["messages"]) == (
        f"Saved the timetable of {round_.slug}. E-mailed 3 people who still work to a changed "
        "deadline."
    )
    assert len(mail.outbox) == 3


def test_the_timetable_check_page_asks_why_and_tells_it_to_those_emailed(
    client, year, django_capture_on_commit_callbacks
):
    """The trail walk: an opened round's deadlines changed, and those e-mailed, and the
    round's history, were never told why."""
    from django.utils import timezone

    from assessments.models import RoundChange

    round_ = year["round"]
    round_.opened_at = timezone.now()
    round_.save()
    client.force_login(year["national"])
    posted = {
        "scoring_due": "2010-03-19",
        "factual_accuracy_working_days": str(round_.factual_accuracy_working_days),
        "version": "0",
        "typed_on": str(round_.pk),
    }
    address = f"/rounds/{round_.slug}/timetable/"
    reason = "The panel days moved after the snow."

    check = client.post(address, posted)
    kept_for_go_back = f"typed:timetable:{round_.pk}" in client.session
    refused = client.post(address, posted | {"confirm": "1", "reason": "x" * 1001})
    round_.refresh_from_db()
    unsaved = (round_.scoring_due, len(mail.outbox))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(address, posted | {"confirm": "1", "reason": f" {reason} "})

    assert 'name="reason"' in check.text
    assert "Reason for the change (told to those e-mailed)" in check.text
    assert refused.status_code == 200
    assert refused.context["reason_form"].errors == {
        "reason": ["Keep the reason to 1,000 characters or fewer (it has 1001)."]
    }
    assert 'href="#id_reason"' in refused.text and "x" * 1001 in refused.text
    assert "<title>Error: " in refused.text
    assert unsaved == (None, 0)
    change = RoundChange.objects.get(round=round_, field="scoring_due")
    assert (change.new_value, change.reason) == ("2010-03-19", reason)
    assert len(mail.outbox) == 3
    assert all(f"The reason given:\n\n{reason}\n" in m.body for m in mail.outbox)
    # What the check page kept for its "Go back" is forgotten once saved (review X).
    assert kept_for_go_back and f"typed:timetable:{round_.pk}" not in client.session


def test_a_timetable_change_without_a_reason_says_none(year, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _set(year["round"], year["national"], scoring_due=D(2010, 3, 19))

    assert mail.outbox and all("reason" not in m.body for m in mail.outbox)


def test_members_of_a_panel_still_forming_are_not_told_of_the_scoring_deadline(
    django_capture_on_commit_callbacks,
):
    """Walk R: a chair's e-mail listed Coventry's panel, at panel formation, whose scoring
    page says scoring is not open; it is told when scoring opens."""
    forming = build_scoring_panel(stage=Stage.PANEL_FORMATION)

    with django_capture_on_commit_callbacks(execute=True):
        told = _set(forming.assessment.round, UserFactory(), scoring_due=D(2010, 3, 19))

    assert (told, mail.outbox) == (0, [])
