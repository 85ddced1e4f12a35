"""Replacing a panel member while scoring (``panels.services.formation.seat_replace``):
the history row, the drafts deleted, each refusal, the conflict and the e-mails."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import Stage
from panels.models import JobRole, MemberScore, Seat, SeatChange
from panels.services.formation import SeatRefused, draft_scores_count, seat_replace
from panels.tests.formation_builders import build_region, person
from tests.factories import CompetencyFactory, MemberScoreFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def region():
    region = build_region(stage=Stage.SCORING)
    region.round.scoring_due = datetime.date(2030, 11, 27)
    region.round.save(update_fields=["scoring_due"])
    region.panel = region.seated()
    return region


@pytest.fixture
def staff():
    return UserFactory(first_name="Sam", last_name="Staff")


def seat(region, number: int) -> Seat:
    return Seat.objects.select_related("panel", "seat_type", "person").get(
        panel=region.panel, seat_type__number=number
    )


def new_medic(region, **kwargs):
    return person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="Nia Newcomer", **kwargs)


def replace(region, number, who, *, by, reason="Left the NHS", **versions):
    held = seat(region, number)
    return seat_replace(
        seat=held,
        person=who,
        reason=reason,
        by=by,
        expected_seat_version=versions.get("seat_version", held.version),
        expected_panel_version=versions.get("panel_version", held.panel.version),
    )


def test_seat_replace_seats_the_new_member_and_writes_the_history_row(region, staff):
    newcomer = new_medic(region)
    before = seat(region, 2)

    replaced = replace(region, 2, newcomer, by=staff, reason="Bob Medic left the NHS")

    stored = seat(region, 2)
    assert (stored.person, stored.version, stored.submitted_at) == (
        newcomer,
        before.version + 1,
        None,
    )
    assert replaced.person == newcomer
    assert stored.panel.version == before.panel.version + 1
    assert list(
        SeatChange.objects.values_list(
            "seat", "how", "old_person", "new_person", "changed_by", "note"
        )
    ) == [
        (
            stored.pk,
            SeatChange.How.REPLACED,
            region.people[2].pk,
            newcomer.pk,
            staff.pk,
            "Bob Medic left the NHS",
        )
    ]
    assert SeatChange.objects.get().get_how_display() == "Replaced while scoring"


def test_seat_replace_deletes_only_the_replaced_seats_drafts(region, staff):
    competencies = [CompetencyFactory(), CompetencyFactory()]
    for competency in competencies:
        MemberScoreFactory(seat=seat(region, 2), competency=competency)
    kept = MemberScoreFactory(seat=seat(region, 3), competency=competencies[0])
    assert draft_scores_count(seat(region, 2)) == 2

    replace(region, 2, new_medic(region), by=staff)

    assert list(MemberScore.objects.all()) == [kept]
    assert draft_scores_count(seat(region, 2)) == 0


def test_seat_replace_takes_the_chairs_seat_too(region, staff):
    new_chair = person(JobRole.SHA_DIRECTOR, sha=region.sha_a, name="Nora Director")

    replace(region, 1, new_chair, by=staff)

    assert seat(region, 1).person == new_chair


def test_seat_replace_refused_before_scoring_and_at_consensus(region, staff):
    newcomer = new_medic(region)
    for stage in (Stage.PANEL_FORMATION, Stage.CONSENSUS):
        region.assessment.stage = stage
        region.assessment.save(update_fields=["stage"])

        with pytest.raises(TransitionError, match="only while the panel is scoring"):
            replace(region, 2, newcomer, by=staff)

    assert (seat(region, 2).person, SeatChange.objects.count()) == (region.people[2], 0)


def test_seat_replace_refused_for_a_seat_that_submitted_meanwhile(region, staff):
    stale = seat(region, 2)
    Seat.objects.filter(pk=stale.pk).update(submitted_at=timezone.now(), version=stale.version + 1)

    with pytest.raises(ValidationError, match="Bob Medic submitted their scores on"):
        seat_replace(
            seat=stale,
            person=new_medic(region),
            reason="Left",
            by=staff,
            expected_seat_version=stale.version,
            expected_panel_version=stale.panel.version,
        )

    assert (seat(region, 2).person, SeatChange.objects.count()) == (region.people[2], 0)


def test_seat_replace_refused_for_an_excused_seat(region, staff):
    Seat.objects.filter(panel=region.panel, seat_type__number=3).update(absence_reason="Ill")

    with pytest.raises(ValidationError, match="The chair excused Cat Services"):
        replace(
            region, 3, person(JobRole.DIRECTOR_ADULT_SERVICES, pct=region.other_pct_a), by=staff
        )

    assert SeatChange.objects.count() == 0


def test_seat_replace_refused_for_an_ineligible_person(region, staff):
    chief = person(JobRole.CHIEF_EXECUTIVE, pct=region.other_pct_a, name="Cy Chief")

    with pytest.raises(SeatRefused) as refused:
        replace(region, 2, chief, by=staff)

    assert [r.rule for r in refused.value.refusals[2]] == ["seat-eligibility"]
    assert (seat(region, 2).person, SeatChange.objects.count()) == (region.people[2], 0)


def test_seat_replace_refused_for_someone_of_the_assessed_pct(region, staff):
    own = person(JobRole.MEDICAL_DIRECTOR, pct=region.pct, name="Own Medic")

    with pytest.raises(SeatRefused) as refused:
        replace(region, 2, own, by=staff)

    assert [r.rule for r in refused.value.refusals[2]] == ["own-organisation"]


def test_seat_replace_refused_for_the_holder_again(region, staff):
    with pytest.raises(ValidationError) as refused:
        replace(region, 2, region.people[2], by=staff)

    assert refused.value.message_dict == {
        "person": ["Bob Medic holds this seat already: choose someone else."]
    }


def test_seat_replace_refused_for_one_person_two_seats(region, staff):
    both = person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="Di Double")
    Seat.objects.filter(panel=region.panel, seat_type__number=2).update(person=both)

    with pytest.raises(SeatRefused) as refused:
        replace(region, 3, both, by=staff)

    assert [r.rule for r in refused.value.refusals[3]] == [
        "seat-eligibility",
        "one-person-one-seat",
    ]


def test_seat_replace_refused_for_a_deactivated_person_or_one_without_an_account(region, staff):
    gone = new_medic(region)
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    no_account = person(JobRole.MEDICAL_DIRECTOR, pct=region.other_pct_a, name="No Login")
    no_account.user = None
    no_account.save(update_fields=["user"])

    with pytest.raises(SeatRefused) as inactive:
        replace(region, 2, gone, by=staff)
    with pytest.raises(SeatRefused) as unable:
        replace(region, 2, no_account, by=staff)

    assert [r.rule for r in inactive.value.refusals[2]] == ["inactive-person"]
    assert [r.rule for r in unable.value.refusals[2]] == ["no-account"]
    assert SeatChange.objects.count() == 0


@pytest.mark.parametrize("reason", ["", "   ", "\u200b", "x" * 1001])
def test_seat_replace_refused_without_a_reason_or_with_a_long_one(region, staff, reason):
    with pytest.raises(ValidationError) as refused:
        replace(region, 2, new_medic(region), by=staff, reason=reason)

    assert list(refused.value.message_dict) == ["reason"]
    assert SeatChange.objects.count() == 0


@pytest.mark.parametrize("stale", ["seat_version", "panel_version"])
def test_seat_replace_refused_on_a_stale_version(region, staff, stale):
    MemberScoreFactory(seat=seat(region, 2), competency=CompetencyFactory())
    held = seat(region, 2)
    versions = {"seat_version": held.version, "panel_version": held.panel.version}
    versions[stale] -= 1

    with pytest.raises(ConflictError, match="changed by someone else"):
        replace(region, 2, new_medic(region), by=staff, **versions)

    stored = seat(region, 2)
    assert (stored.person, stored.version, stored.panel.version) == (
        region.people[2],
        held.version,
        held.panel.version,
    )
    assert (MemberScore.objects.count(), SeatChange.objects.count()) == (1, 0)


def test_seat_replace_emails_the_new_holder_the_old_one_and_the_chair(
    region, staff, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://wcc.example.nhs.uk"
    newcomer = new_medic(region)

    with django_capture_on_commit_callbacks(execute=True):
        replace(region, 2, newcomer, by=staff, reason="Bob Medic left the NHS")

    ods = region.pct.ods_code
    assert [m.to for m in mailoutbox] == [
        [newcomer.email],
        [region.people[2].email],
        [region.people[1].email],
    ]
    new, old, chair = (" ".join(m.body.split()) for m in mailoutbox)
    assert mailoutbox[0].subject == (
        f"You have joined the panel of Assessed PCT ({ods}), {region.round.name}: scoring is open"
    )
    assert "Sam Staff has given you seat 2" in new
    assert "You replace Bob Medic." in new
    assert "by Wednesday 27 November 2030" in new
    assert f"https://wcc.example.nhs.uk/panels/{region.round.slug}/{ods}/score/" in new
    assert mailoutbox[1].subject == (
        f"You are no longer on the panel of Assessed PCT ({ods}), {region.round.name}"
    )
    assert "Sam Staff has replaced you in seat 2" in old
    assert "Why: Bob Medic left the NHS" in old
    assert "/score/" not in old
    assert mailoutbox[2].subject == (
        f"Panel of Assessed PCT ({ods}): Nia Newcomer replaces Bob Medic in seat 2"
    )
    assert "Dear Ann Chair," in chair
    assert "Why: Bob Medic left the NHS" in chair


def test_seat_replace_of_the_chair_does_not_email_a_chair_besides_the_two(
    region, staff, mailoutbox, django_capture_on_commit_callbacks
):
    new_chair = person(JobRole.SHA_DIRECTOR, sha=region.sha_a, name="Nora Director")

    with django_capture_on_commit_callbacks(execute=True):
        replace(region, 1, new_chair, by=staff)

    assert [m.to for m in mailoutbox] == [[new_chair.email], [region.people[1].email]]
    assert "you chair the panel" in " ".join(mailoutbox[0].body.split())


def test_seat_replace_refused_sends_no_email(
    region, staff, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ConflictError):
        replace(region, 2, new_medic(region), by=staff, seat_version=0)

    assert mailoutbox == []
