"""Handing a panel's chair to another member (``panels.services.formation
.panel_acting_chair_set``): the history row, each refusal, the stage limits, handing it on
again and back, the conflict, the rule that follows (``panels.rules.is_panel_chair``),
the excuse it allows, and the e-mails."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import Stage
from panels.models import JobRole, Panel, Seat, SeatChange
from panels.notifications import notify_all_submitted
from panels.reminders import scoring_digests
from panels.selectors import deadline_work
from panels.services.formation import (
    panel_acting_chair_check,
    panel_acting_chair_set,
    seat_replace,
)
from panels.services.people import person_deactivate
from panels.services.scoring import seat_mark_absent
from panels.tests.formation_builders import build_region, person
from tests.factories import AssessmentFactory, PCTFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = build_region(stage=Stage.CONSENSUS)
    region.panel = region.seated()
    Seat.objects.filter(panel=region.panel).update(submitted_at=timezone.now())
    return region


@pytest.fixture
def staff():
    return UserFactory(first_name="Sam", last_name="Staff")


def seat(region, number: int) -> Seat:
    return Seat.objects.select_related("panel", "seat_type", "person").get(
        panel=region.panel, seat_type__number=number
    )


def panel(region) -> Panel:
    return Panel.objects.get(pk=region.panel.pk)


def hand(region, number, *, by, reason="Ann Chair is ill", version=None):
    """Hand the chair to the holder of seat ``number`` (None: back to the chair)."""
    stored = panel(region)
    return panel_acting_chair_set(
        panel=stored,
        seat=None if number is None else seat(region, number),
        reason=reason,
        by=by,
        expected_version=stored.version if version is None else version,
    )


def history(region) -> list[tuple]:
    return list(
        SeatChange.objects.filter(how=SeatChange.How.ACTING)
        .order_by("pk")
        .values_list("seat", "old_person", "new_person", "changed_by", "note")
    )


def test_handing_the_chair_names_the_acting_chair_and_writes_the_history_row(region, staff):
    before = panel(region)

    handed = hand(region, 3, by=staff, reason="  Ann Chair is ill until March  ")

    stored = panel(region)
    assert (stored.acting_chair, stored.version) == (seat(region, 3), before.version + 1)
    assert handed.version == stored.version
    assert history(region) == [
        (
            seat(region, 1).pk,
            region.people[1].pk,
            region.people[3].pk,
            staff.pk,
            "Ann Chair is ill until March",
        )
    ]


def test_handing_the_chair_changes_no_seat(region, staff):
    seats_before = list(
        Seat.objects.filter(panel=region.panel).values_list(
            "pk", "person", "submitted_at", "version"
        )
    )

    hand(region, 3, by=staff)

    assert (
        list(
            Seat.objects.filter(panel=region.panel).values_list(
                "pk", "person", "submitted_at", "version"
            )
        )
        == seats_before
    )


def test_handing_the_chair_on_again_and_back_writes_a_row_each(region, staff):
    hand(region, 3, by=staff)
    hand(region, 5, by=staff, reason="Cat Services is away")
    hand(region, None, by=staff, reason="Ann Chair is back")

    assert panel(region).acting_chair is None
    chair_seat = seat(region, 1).pk
    people = region.people
    assert history(region) == [
        (chair_seat, people[1].pk, people[3].pk, staff.pk, "Ann Chair is ill"),
        (chair_seat, people[3].pk, people[5].pk, staff.pk, "Cat Services is away"),
        (chair_seat, people[5].pk, people[1].pk, staff.pk, "Ann Chair is back"),
    ]


def test_handing_the_chair_is_allowed_while_scoring(region, staff):
    region.assessment.stage = Stage.SCORING
    region.assessment.save(update_fields=["stage"])

    hand(region, 2, by=staff)

    assert panel(region).acting_chair == seat(region, 2)


@pytest.mark.parametrize("stage", [Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION, Stage.MODERATION])
def test_handing_the_chair_refused_outside_scoring_and_consensus(region, staff, stage):
    region.assessment.stage = stage
    region.assessment.save(update_fields=["stage"])

    with pytest.raises(TransitionError, match="only while the panel is scoring or at consensus"):
        hand(region, 3, by=staff)

    assert (panel(region).acting_chair, history(region)) == (None, [])


def test_handing_the_chair_refused_for_a_seat_of_another_panel(region, staff):
    other = AssessmentFactory(
        round=region.round, pct=PCTFactory(sha=region.sha_a), stage=Stage.CONSENSUS
    )
    other_panel = Panel.objects.create(assessment=other)
    elsewhere = Seat.objects.create(
        panel=other_panel,
        seat_type=region.seat_types[2],
        person=person(JobRole.MEDICAL_DIRECTOR, pct=region.pct_b, name="Far Medic"),
    )

    with pytest.raises(ValidationError) as refused:
        panel_acting_chair_set(
            panel=panel(region),
            seat=elsewhere,
            reason="Ill",
            by=staff,
            expected_version=panel(region).version,
        )

    assert refused.value.message_dict == {
        "seat": ["That seat is not on this panel: choose one of its members."]
    }
    assert (panel(region).acting_chair, history(region)) == (None, [])


def test_handing_the_chair_refused_for_an_empty_seat(region, staff):
    Seat.objects.filter(pk=seat(region, 4).pk).update(person=None, submitted_at=None)

    with pytest.raises(ValidationError) as refused:
        hand(region, 4, by=staff)

    assert refused.value.message_dict["seat"][0].startswith("Seat 4 (")
    assert "is empty" in refused.value.message_dict["seat"][0]
    assert history(region) == []


def test_handing_the_chair_refused_for_the_chairs_own_seat(region, staff):
    with pytest.raises(ValidationError) as refused:
        hand(region, 1, by=staff)

    assert refused.value.message_dict == {
        "seat": [
            "Ann Chair holds the chair's seat: to give them the chair again, choose to hand "
            "it back to the chair."
        ]
    }


def test_handing_the_chair_back_refused_when_nobody_acts(region, staff):
    with pytest.raises(ValidationError) as refused:
        hand(region, None, by=staff)

    assert refused.value.message_dict == {
        "seat": ["Ann Chair, the chair, chairs the panel already."]
    }


def test_handing_the_chair_refused_to_the_acting_chair_again(region, staff):
    hand(region, 3, by=staff)

    with pytest.raises(ValidationError) as refused:
        hand(region, 3, by=staff)

    assert refused.value.message_dict == {
        "seat": ["Cat Services is the acting chair already: choose someone else."]
    }
    assert len(history(region)) == 1


def test_handing_the_chair_refused_for_a_deactivated_holder(region, staff):
    person_deactivate(person=region.people[3], reason="Left the NHS.", by=staff)

    with pytest.raises(ValidationError) as refused:
        hand(region, 3, by=staff)

    assert refused.value.message_dict == {
        "seat": ["Cat Services has been deactivated and cannot chair the panel."]
    }


def test_handing_the_chair_refused_for_a_holder_without_an_account(region, staff):
    holder = region.people[3]
    holder.user = None
    holder.save(update_fields=["user"])

    with pytest.raises(ValidationError) as refused:
        hand(region, 3, by=staff)

    assert refused.value.message_dict["seat"][0].startswith(
        "Cat Services has no account and could not log in to chair the panel"
    )


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001, "ill\x00"])
def test_handing_the_chair_refused_without_a_reason_or_a_bad_one(region, staff, reason):
    with pytest.raises(ValidationError) as refused:
        hand(region, 3, by=staff, reason=reason)

    assert list(refused.value.message_dict) == ["reason"]
    assert (panel(region).acting_chair, history(region)) == (None, [])


def test_handing_the_chair_refused_on_a_stale_version(region, staff):
    stale = panel(region).version
    hand(region, 3, by=staff)

    with pytest.raises(ConflictError) as refused:
        hand(region, 5, by=staff, version=stale)

    assert refused.value.current.version == stale + 1
    assert panel(region).acting_chair == seat(region, 3)
    assert len(history(region)) == 1


def test_check_writes_nothing_and_names_the_seat_that_would_chair(region, staff):
    checked = panel_acting_chair_check(panel=panel(region), seat=seat(region, 3), reason="Ill")

    assert checked == seat(region, 3)
    assert (panel(region).acting_chair, history(region)) == (None, [])


# --- The rule that follows ----------------------------------------------------------------


def test_acting_chair_gains_consensus_and_the_chair_loses_it(region, staff):
    chair_user, acting_user = region.people[1].user, region.people[3].user
    assessment = region.assessment
    assert chair_user.has_perm("panels.record_consensus", assessment)
    assert not acting_user.has_perm("panels.record_consensus", assessment)

    hand(region, 3, by=staff)

    assert acting_user.has_perm("panels.record_consensus", assessment)
    assert not chair_user.has_perm("panels.record_consensus", assessment)
    # The chair still sees the consensus page (read-only) and stays a member.
    assert chair_user.has_perm("panels.view_consensus", assessment)
    assert chair_user.has_perm("panels.view_panel", assessment)
    assert not region.people[2].user.has_perm("panels.record_consensus", assessment)


def test_handing_the_chair_back_gives_consensus_back(region, staff):
    hand(region, 3, by=staff)
    hand(region, None, by=staff, reason="Back")

    assert region.people[1].user.has_perm("panels.record_consensus", region.assessment)
    assert not region.people[3].user.has_perm("panels.record_consensus", region.assessment)


def test_the_chairs_other_panels_are_unchanged(region, staff):
    other = AssessmentFactory(
        round=region.round, pct=PCTFactory(sha=region.sha_a), stage=Stage.CONSENSUS
    )
    other_panel = Panel.objects.create(assessment=other)
    Seat.objects.create(panel=other_panel, seat_type=region.seat_types[1], person=region.people[1])

    hand(region, 3, by=staff)

    assert region.people[1].user.has_perm("panels.record_consensus", other)
    assert not region.people[3].user.has_perm("panels.record_consensus", other)


# --- What the acting chair does while scoring ---------------------------------------------


def test_acting_chair_may_excuse_the_chair_but_not_be_excused(region, staff):
    region.assessment.stage = Stage.SCORING
    region.assessment.save(update_fields=["stage"])
    Seat.objects.filter(panel=region.panel).update(submitted_at=None)
    hand(region, 3, by=staff)

    seat_mark_absent(seat=seat(region, 1), reason="Ill until March", by=region.people[3].user)
    with pytest.raises(ValidationError, match="Cat Services is the acting chair and cannot"):
        seat_mark_absent(seat=seat(region, 3), reason="Away", by=region.people[3].user)

    assert seat(region, 1).absence_reason == "Ill until March"
    assert seat(region, 3).absence_reason == ""


def test_an_excuse_from_a_page_loaded_before_a_hand_over_to_that_seat_is_refused(region, staff):
    """The races review: the excuse checked who chairs on the panel its page had loaded,
    so an excuse confirmed after the chair was handed to that very seat excused the new
    acting chair, leaving the panel with nobody able to record consensus."""
    region.assessment.stage = Stage.SCORING
    region.assessment.save(update_fields=["stage"])
    Seat.objects.filter(panel=region.panel).update(submitted_at=None)
    loaded = seat(region, 3)  # the chair's excuse page, opened before the hand-over
    hand(region, 3, by=staff)

    # The former chair no longer excuses anyone (review AB); the acting chair stays.
    with pytest.raises(ValidationError, match="You no longer chair the panel"):
        seat_mark_absent(
            seat=loaded, reason="Away", by=region.people[1].user, expected_version=loaded.version
        )

    assert seat(region, 3).absence_reason == ""
    assert not SeatChange.objects.filter(how=SeatChange.How.EXCUSED).exists()


def test_the_acting_chair_cannot_be_replaced_while_acting(region, staff):
    region.assessment.stage = Stage.SCORING
    region.assessment.save(update_fields=["stage"])
    Seat.objects.filter(panel=region.panel).update(submitted_at=None)
    hand(region, 3, by=staff)
    held = seat(region, 3)

    with pytest.raises(ValidationError, match="is the panel's acting chair"):
        seat_replace(
            seat=held,
            person=person(JobRole.DIRECTOR_ADULT_SERVICES, pct=region.other_pct_a, name="New"),
            reason="Left",
            by=staff,
            expected_seat_version=held.version,
            expected_panel_version=panel(region).version,
        )


# --- The e-mails --------------------------------------------------------------------------


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_handing_the_chair_emails_the_acting_chair_and_the_chair(
    region, staff, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://wcc.example"

    with django_capture_on_commit_callbacks(execute=True):
        hand(region, 3, by=staff, reason="Ann Chair is ill until March")

    assert [m.to for m in mailoutbox] == [[region.people[3].email], [region.people[1].email]]
    acting, chair = mailoutbox
    assert acting.subject == (
        f"You now chair the panel of Assessed PCT ({region.pct.ods_code}), {region.round.name}"
    )
    body = _flat(acting.body)
    assert "Sam Staff has made you the acting chair of the assurance panel of Assessed PCT" in body
    assert "in place of Ann Chair." in body
    assert "Why: Ann Chair is ill until March" in body
    assert "The panel is at consensus: see every member's scores side by side" in body
    assert (
        f"https://wcc.example/panels/{region.round.slug}/{region.pct.ods_code}/consensus/" in body
    )
    assert chair.subject == (
        f"You no longer chair the panel of Assessed PCT ({region.pct.ods_code}), "
        f"{region.round.name}"
    )
    body = _flat(chair.body)
    assert "Sam Staff has handed the chair of the assurance panel of Assessed PCT" in body
    assert "to Cat Services. You no longer chair it: Cat Services records the panel's" in body
    assert "Why: Ann Chair is ill until March" in body
    assert "your seat, and any scores you submitted, are unchanged" in body


def test_handing_the_chair_back_emails_the_chair_that_they_chair_again(
    region, staff, mailoutbox, django_capture_on_commit_callbacks
):
    hand(region, 3, by=staff)

    with django_capture_on_commit_callbacks(execute=True):
        hand(region, None, by=staff, reason="Ann Chair is back")

    assert [m.to for m in mailoutbox] == [[region.people[1].email], [region.people[3].email]]
    assert mailoutbox[0].subject.startswith("You chair the panel of Assessed PCT")
    assert mailoutbox[0].subject.endswith(", again")
    assert "back to you: Cat Services no longer chairs it in your place" in _flat(
        mailoutbox[0].body
    )
    assert "to Ann Chair, its chair, again. You no longer chair it" in _flat(mailoutbox[1].body)


def test_handing_the_chair_refused_sends_no_email(
    region, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        hand(region, 1, by=staff)

    assert mailoutbox == []


# --- Who the chair's notices and lists go to while someone acts ----------------------------


def test_every_member_done_is_told_to_the_acting_chair(
    region, staff, mailoutbox, django_capture_on_commit_callbacks
):
    hand(region, 3, by=staff)

    with django_capture_on_commit_callbacks(execute=True):
        notify_all_submitted(assessment=region.assessment)

    assert [m.to for m in mailoutbox] == [[region.people[3].email]]


def test_a_replacement_while_scoring_is_told_to_the_acting_chair_not_the_chair(
    region, staff, mailoutbox, django_capture_on_commit_callbacks
):
    region.assessment.stage = Stage.SCORING
    region.assessment.save(update_fields=["stage"])
    Seat.objects.filter(panel=region.panel).update(submitted_at=None)
    hand(region, 3, by=staff)
    held = seat(region, 2)
    newcomer = person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="Nia Newcomer")

    with django_capture_on_commit_callbacks(execute=True):
        seat_replace(
            seat=held,
            person=newcomer,
            reason="Left",
            by=staff,
            expected_seat_version=held.version,
            expected_panel_version=panel(region).version,
        )

    assert [m.to for m in mailoutbox] == [
        [newcomer.email],
        [region.people[2].email],
        [region.people[3].email],
    ]


def test_late_members_are_chased_to_the_acting_chair_the_chair_among_them(region, staff):
    region.assessment.stage = Stage.SCORING
    region.assessment.save(update_fields=["stage"])
    region.round.scoring_due = timezone.localdate() - datetime.timedelta(days=3)
    region.round.save(update_fields=["scoring_due"])
    Seat.objects.filter(panel=region.panel).update(submitted_at=None)
    Seat.objects.filter(pk__in=[seat(region, 2).pk, seat(region, 4).pk]).update(
        submitted_at=timezone.now()
    )
    hand(region, 3, by=staff)

    digests = {d.person.full_name: d for d in scoring_digests(today=timezone.localdate())}

    late = {
        name: [(a.pk, [s.person.full_name for s in seats]) for a, seats in d.late]
        for name, d in digests.items()
    }
    assert late == {
        "Ann Chair": [],
        "Cat Services": [(region.assessment.pk, ["Ann Chair", "Eve Chief"])],
        "Eve Chief": [],
    }


def test_the_consensus_deadline_notice_goes_to_the_acting_chair(region, staff):
    hand(region, 3, by=staff)

    work = deadline_work(region.round, {"consensus_due"})

    assert [(w[0], w[1]) for w in work] == [(region.people[3].user, "consensus_due")]


def test_a_new_holder_of_the_chairs_seat_is_not_told_they_chair_while_someone_acts(
    region, staff, mailoutbox, django_capture_on_commit_callbacks
):
    region.assessment.stage = Stage.SCORING
    region.assessment.save(update_fields=["stage"])
    Seat.objects.filter(panel=region.panel).update(submitted_at=None)
    hand(region, 3, by=staff)
    held = seat(region, 1)
    director = person(JobRole.SHA_DIRECTOR, sha=region.sha_a, name="New Director")

    with django_capture_on_commit_callbacks(execute=True):
        seat_replace(
            seat=held,
            person=director,
            reason="Ann Chair left",
            by=staff,
            expected_seat_version=held.version,
            expected_panel_version=panel(region).version,
        )

    assert [m.to for m in mailoutbox] == [
        [director.email],
        [region.people[1].email],
        [region.people[3].email],
    ]
    assert "you chair the panel" not in _flat(mailoutbox[0].body)
