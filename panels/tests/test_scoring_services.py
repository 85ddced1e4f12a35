"""Members' scores, excusing a member, and the chair's consensus: the rules of each write."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import AgreedRating, Assessment, RatingChange, Stage
from panels.models import MemberScore, Panel, Seat, SeatChange
from panels.selectors import assessment_history
from panels.services.formation import panel_acting_chair_set
from panels.services.scoring import (
    AgreedInput,
    MemberInput,
    consensus_close,
    consensus_record,
    member_scores_save,
    seat_mark_absent,
)
from panels.tests.scoring_builders import build_scoring_panel
from tests.factories import UserFactory
from tests.races import race

pytestmark = pytest.mark.django_db


def save(panel, seat, values, submit=False):
    seat = Seat.objects.select_related(
        "panel__assessment__round__framework", "person", "seat_type"
    ).get(pk=seat.pk)
    return member_scores_save(
        seat=seat, values=values, by=seat.person.user, expected_version=seat.version, submit=submit
    )


def submit_all(panel, level=2, light="amber"):
    for seat in panel.seats:
        save(panel, seat, panel.full_scores(level, light), submit=True)
    panel.panel.assessment.refresh_from_db()


def test_member_draft_keeps_blank_items_and_writes_history():
    panel = build_scoring_panel()
    first = panel.competencies[0]

    save(panel, panel.chair, {first: MemberInput(3, "Good.", "Ask about the JSNA.")})

    scores = list(
        MemberScore.objects.filter(seat=panel.chair).values_list(
            "competency_id", "area_id", "level", "light"
        )
    )
    history = list(
        RatingChange.objects.values_list("source", "competency_id", "old_value", "new_value")
    )
    assert sorted(scores, key=str) == sorted(
        [(first.pk, None, 3, "")]
        + [(panel.competencies[1].pk, None, None, "")]
        + [(None, a.pk, None, "") for a in panel.areas],
        key=str,
    )
    assert history == [("member_score", first.pk, "", "3")]


def test_member_changing_a_value_records_old_and_new():
    panel = build_scoring_panel()
    first = panel.competencies[0]
    save(panel, panel.chair, {first: MemberInput(2)})

    save(panel, panel.chair, {first: MemberInput(3)})

    history = list(RatingChange.objects.order_by("pk").values_list("old_value", "new_value"))
    assert history == [("", "2"), ("2", "3")]


def test_member_save_writes_history_only_for_the_values_that_changed():
    panel = build_scoring_panel(sub_indicators=1)
    first, second = panel.competencies
    save(panel, panel.chair, panel.full_scores(level=2, light="amber"))
    before = {s.pk: s.updated_at for s in MemberScore.objects.filter(seat=panel.chair)}
    values = panel.full_scores(level=2, light="amber")
    values[first] = MemberInput(3, values[first].notes_for_board)
    values[second] = MemberInput(2, "Notes rewritten, level kept.")

    save(panel, panel.chair, values)

    assert RatingChange.objects.count() == len(panel.items) + 1
    assert list(
        RatingChange.objects.order_by("-pk").values_list("competency_id", "old_value", "new_value")
    )[:1] == [(first.pk, "2", "3")]
    scores = {s.competency_id: s for s in MemberScore.objects.filter(seat=panel.chair)}
    assert (scores[first.pk].level, scores[second.pk].notes_for_board) == (
        3,
        "Notes rewritten, level kept.",
    )
    touched = {
        pk
        for pk, updated_at in MemberScore.objects.filter(seat=panel.chair).values_list(
            "pk", "updated_at"
        )
        if updated_at != before[pk]
    }
    assert touched == {scores[first.pk].pk, scores[second.pk].pk}


def test_member_save_with_one_bad_value_writes_nothing():
    panel = build_scoring_panel()
    values = panel.full_scores(level=2, light="amber")
    values[panel.areas[0]] = MemberInput("purple", "Typed.")

    with pytest.raises(ValidationError):
        save(panel, panel.chair, values)

    assert (MemberScore.objects.count(), RatingChange.objects.count()) == (0, 0)
    assert Seat.objects.get(pk=panel.chair.pk).version == panel.chair.version


def test_member_submit_refused_listing_every_missing_item_and_nothing_written():
    panel = build_scoring_panel()

    with pytest.raises(ValidationError) as excinfo:
        save(panel, panel.chair, {panel.competencies[0]: MemberInput(2)}, submit=True)

    assert excinfo.value.messages == [
        "2. Working with community partners: choose a level.",
        "Strategy: choose a light.",
        "Financial management: choose a light.",
        "Board governance: choose a light.",
    ]
    assert MemberScore.objects.count() == 0
    assert Seat.objects.get(pk=panel.chair.pk).submitted_at is None


@pytest.mark.parametrize(
    ("item_index", "value", "message"),
    [
        (
            0,
            5,
            "1. Locally leading the NHS: 5 is not a level: a competency takes a level from 1 to 4.",
        ),
        (2, "purple", "Strategy: 'purple' is not a light: use green, amber or red"),
    ],
)
def test_member_bad_value_refused(item_index, value, message):
    panel = build_scoring_panel()

    with pytest.raises(ValidationError) as excinfo:
        save(panel, panel.chair, {panel.items[item_index]: MemberInput(value)})

    assert excinfo.value.messages == [message]
    assert MemberScore.objects.count() == 0


def test_member_save_refuses_items_of_another_framework():
    panel = build_scoring_panel()
    other = build_scoring_panel(slug="2008-09")
    seat = Seat.objects.select_related(
        "panel__assessment__round__framework", "person", "seat_type"
    ).get(pk=panel.chair.pk)

    with pytest.raises(ValueError, match="not all of"):
        member_scores_save(
            seat=seat,
            values={},
            by=seat.person.user,
            expected_version=seat.version,
            items=other.items,
        )

    assert MemberScore.objects.count() == 0


def test_member_cannot_score_in_someone_elses_seat():
    panel = build_scoring_panel()
    seat = Seat.objects.select_related("panel__assessment__round__framework", "person").get(
        pk=panel.seats[1].pk
    )

    with pytest.raises(TransitionError):
        member_scores_save(
            seat=seat, values={}, by=panel.chair.person.user, expected_version=seat.version
        )


@pytest.mark.parametrize("stage", [Stage.PANEL_FORMATION, Stage.CONSENSUS, Stage.MODERATION])
def test_member_scores_refused_outside_scoring(stage):
    panel = build_scoring_panel(stage=stage)

    with pytest.raises(TransitionError, match="Scoring is closed"):
        save(panel, panel.chair, panel.full_scores())

    assert MemberScore.objects.count() == 0


def test_member_cannot_change_scores_after_submitting():
    panel = build_scoring_panel()
    save(panel, panel.chair, panel.full_scores(), submit=True)

    with pytest.raises(TransitionError, match="submitted"):
        save(panel, panel.chair, panel.full_scores(level=3))

    assert set(
        MemberScore.objects.filter(competency__isnull=False).values_list("level", flat=True)
    ) == {2}


def test_member_two_stale_copies_second_save_is_refused_and_first_kept():
    panel = build_scoring_panel()
    first = panel.competencies[0]
    tab_a = Seat.objects.select_related(
        "panel__assessment__round__framework", "person", "seat_type"
    ).get(pk=panel.chair.pk)
    tab_b = Seat.objects.select_related(
        "panel__assessment__round__framework", "person", "seat_type"
    ).get(pk=panel.chair.pk)
    user = panel.chair.person.user
    member_scores_save(seat=tab_a, values={first: MemberInput(3)}, by=user, expected_version=1)

    with pytest.raises(ConflictError) as excinfo:
        member_scores_save(seat=tab_b, values={first: MemberInput(1)}, by=user, expected_version=1)

    assert excinfo.value.current.version == 2
    assert MemberScore.objects.get(competency=first).level == 3


def test_last_submission_moves_to_consensus_and_tells_the_chair(
    mailoutbox, django_capture_on_commit_callbacks
):
    panel = build_scoring_panel()
    for seat in panel.seats[:4]:
        save(panel, seat, panel.full_scores(), submit=True)
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.SCORING

    with django_capture_on_commit_callbacks(execute=True):
        save(panel, panel.seats[4], panel.full_scores(), submit=True)

    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS
    assert [m.to for m in mailoutbox] == [
        [panel.chair.person.email or panel.chair.person.user.email]
    ]


def test_excusing_the_last_member_moves_to_consensus():
    panel = build_scoring_panel()
    for seat in panel.seats[:4]:
        save(panel, seat, panel.full_scores(), submit=True)

    seat_mark_absent(
        seat=panel.seats[4], reason="Unwell on the panel day.", by=panel.chair.person.user
    )

    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS
    assert Seat.objects.get(pk=panel.seats[4].pk).absence_reason == "Unwell on the panel day."


@pytest.mark.parametrize(
    ("seat_index", "reason", "message"),
    [
        (0, "Away.", "The chair cannot be excused"),
        (1, "   ", "Give the reason"),
    ],
)
def test_excusing_refused(seat_index, reason, message):
    panel = build_scoring_panel()

    with pytest.raises(ValidationError, match=message):
        seat_mark_absent(seat=panel.seats[seat_index], reason=reason, by=panel.chair.person.user)

    assert list(Seat.objects.exclude(absence_reason="")) == []
    assert list(SeatChange.objects.all()) == []


def test_excusing_a_seat_submitted_since_it_was_read_is_a_conflict():
    """The review: the check read ``submitted_at`` on the caller's copy, then wrote the
    excuse unconditionally: the seat ended both submitted and excused."""
    panel = build_scoring_panel()
    stale = Seat.objects.get(pk=panel.seats[2].pk)
    save(panel, panel.seats[2], panel.full_scores(), submit=True)

    with pytest.raises(ConflictError, match=r"has submitted their scores\. Nobody was excused"):
        seat_mark_absent(seat=stale, reason="Away.", by=panel.chair.person.user)

    assert Seat.objects.get(pk=stale.pk).absence_reason == ""
    assert not SeatChange.objects.filter(how=SeatChange.How.EXCUSED).exists()


def test_excusing_at_a_version_the_seat_has_left_is_a_conflict():
    panel = build_scoring_panel()
    seat = panel.seats[2]

    with pytest.raises(ConflictError, match="holds it now"):
        seat_mark_absent(
            seat=seat, reason="Away.", by=panel.chair.person.user, expected_version=seat.version - 1
        )

    assert Seat.objects.get(pk=seat.pk).absence_reason == ""


def test_excusing_a_member_writes_a_seat_change():
    panel = build_scoring_panel()
    seat = panel.seats[2]
    chair = panel.chair.person.user

    seat_mark_absent(seat=seat, reason="Conflict of interest found.", by=chair)

    assert list(
        SeatChange.objects.values_list(
            "seat", "how", "old_person", "new_person", "changed_by", "note"
        )
    ) == [
        (
            seat.pk,
            SeatChange.How.EXCUSED,
            seat.person_id,
            seat.person_id,
            chair.pk,
            "Conflict of interest found.",
        )
    ]
    # The panel's history says it in words, not "Name → Name".
    [entry] = [e for e in assessment_history(assessment=panel.assessment) if e.kind == "seat"]
    assert entry.change == f"{seat.person.full_name} excused"


def test_excused_member_can_no_longer_score():
    panel = build_scoring_panel()
    seat_mark_absent(
        seat=panel.seats[2], reason="Conflict of interest found.", by=panel.chair.person.user
    )

    with pytest.raises(TransitionError, match="could not take part"):
        save(panel, panel.seats[2], panel.full_scores())


def test_consensus_record_writes_agreed_ratings_through_assessments():
    panel = build_scoring_panel()
    submit_all(panel)

    consensus_record(
        panel=panel.panel,
        values=panel.agreed(level=3, light="green"),
        by=panel.chair.person.user,
        expected_version=1,
    )

    agreed = sorted(
        AgreedRating.objects.values_list(
            "level", "panel_level", "light", "panel_light", "rationale"
        ),
        key=str,
    )
    assert agreed == sorted(
        [(3, 3, "", "", "Because.")] * 2 + [(None, None, "green", "green", "Because.")] * 3, key=str
    )
    assert RatingChange.objects.filter(source="consensus").count() == 5


def test_consensus_record_saves_a_value_without_its_rationale_as_a_draft():
    panel = build_scoring_panel()
    submit_all(panel)
    first, second = panel.competencies

    consensus_record(
        panel=panel.panel,
        values={first: AgreedInput(2, "Fine."), second: AgreedInput(3, "")},
        by=panel.chair.person.user,
        expected_version=1,
    )

    assert [(r.level, r.rationale) for r in AgreedRating.objects.order_by("competency")] == [
        (2, "Fine."),
        (3, ""),
    ]
    assert RatingChange.objects.filter(source="consensus").count() == 2
    assert Panel.objects.get(pk=panel.panel.pk).version == 2


def test_consensus_record_refuses_a_rationale_without_a_value_keyed_by_item():
    panel = build_scoring_panel()
    submit_all(panel)
    first, second = panel.competencies

    with pytest.raises(ValidationError) as excinfo:
        consensus_record(
            panel=panel.panel,
            values={first: AgreedInput(2, "Fine."), second: AgreedInput(None, "Why.")},
            by=panel.chair.person.user,
            expected_version=1,
        )

    assert excinfo.value.message_dict == {
        f"c{second.number}": [
            "2. Working with community partners: choose the agreed value for this rationale."
        ]
    }
    assert AgreedRating.objects.count() == 0


def test_consensus_record_refused_during_scoring():
    panel = build_scoring_panel()

    with pytest.raises(TransitionError):
        consensus_record(
            panel=panel.panel, values=panel.agreed(), by=panel.chair.person.user, expected_version=1
        )


def test_consensus_two_stale_copies_second_refused():
    panel = build_scoring_panel()
    submit_all(panel)
    first = panel.competencies[0]
    consensus_record(
        panel=panel.panel,
        values={first: AgreedInput(3, "A.")},
        by=panel.chair.person.user,
        expected_version=1,
    )

    with pytest.raises(ConflictError):
        consensus_record(
            panel=panel.panel,
            values={first: AgreedInput(1, "B.")},
            by=panel.chair.person.user,
            expected_version=1,
        )

    assert AgreedRating.objects.get(competency=first).level == 3


def test_consensus_close_refused_while_items_lack_agreement():
    panel = build_scoring_panel()
    submit_all(panel)
    consensus_record(
        panel=panel.panel,
        values={panel.competencies[0]: AgreedInput(2, "A.")},
        by=panel.chair.person.user,
        expected_version=1,
    )

    with pytest.raises(ValidationError) as excinfo:
        consensus_close(
            assessment=Assessment.objects.get(pk=panel.assessment.pk), by=panel.chair.person.user
        )

    assert excinfo.value.messages == [
        "2. Working with community partners: no agreed value yet.",
        "Strategy: no agreed value yet.",
        "Financial management: no agreed value yet.",
        "Board governance: no agreed value yet.",
    ]
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.CONSENSUS


def test_consensus_close_refused_while_a_member_has_not_submitted():
    panel = build_scoring_panel(stage=Stage.CONSENSUS)
    for seat in panel.seats[:4]:
        Seat.objects.filter(pk=seat.pk).update(submitted_at=timezone.now())
    consensus_record(
        panel=panel.panel, values=panel.agreed(), by=panel.chair.person.user, expected_version=1
    )

    with pytest.raises(ValidationError) as excinfo:
        consensus_close(
            assessment=Assessment.objects.get(pk=panel.assessment.pk), by=panel.chair.person.user
        )

    assert excinfo.value.messages == [
        "Seat 5 (Member 5) has not submitted; record a reason if they could not take part."
    ]


def test_consensus_close_moves_to_moderation():
    panel = build_scoring_panel()
    submit_all(panel)
    consensus_record(
        panel=panel.panel, values=panel.agreed(), by=panel.chair.person.user, expected_version=1
    )

    consensus_close(
        assessment=Assessment.objects.get(pk=panel.assessment.pk), by=panel.chair.person.user
    )

    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.MODERATION


def test_consensus_close_moves_the_panel_version_on():
    """The races review: closing consensus left the panel's version as it was, so a page
    made before the close (a hand-over's check page) was not stale after it."""
    panel = build_scoring_panel()
    submit_all(panel)
    consensus_record(
        panel=panel.panel, values=panel.agreed(), by=panel.chair.person.user, expected_version=1
    )
    before = Panel.objects.get(pk=panel.panel.pk).version

    consensus_close(
        assessment=Assessment.objects.get(pk=panel.assessment.pk),
        by=panel.chair.person.user,
        expected_version=before,
    )

    assert Panel.objects.get(pk=panel.panel.pk).version == before + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_hand_over_racing_the_close_of_consensus_is_refused():
    """The races review: the hand-over read the stage without a lock, so it passed while
    consensus was closing and named an acting chair of a panel gone on to moderation."""
    panel = build_scoring_panel()
    submit_all(panel)
    consensus_record(
        panel=panel.panel, values=panel.agreed(), by=panel.chair.person.user, expected_version=1
    )
    stored = Panel.objects.get(pk=panel.panel.pk)
    assessment = Assessment.objects.get(pk=panel.assessment.pk)
    staff = UserFactory()

    closing, handing = race(
        lambda: consensus_close(
            assessment=assessment, by=panel.chair.person.user, expected_version=stored.version
        ),
        lambda: panel_acting_chair_set(
            panel=stored,
            seat=panel.seats[2],
            reason="The chair is ill",
            by=staff,
            expected_version=stored.version,
        ),
    )

    assert closing.error is None
    assert type(handing.error) is TransitionError
    assert Assessment.objects.get(pk=panel.assessment.pk).stage == Stage.MODERATION
    assert Panel.objects.get(pk=panel.panel.pk).acting_chair is None
    assert not SeatChange.objects.filter(how=SeatChange.How.ACTING).exists()


def test_only_whoever_chairs_the_panel_now_excuses_a_member():
    """Review AB: the excuse re-read the panel under a lock but not who chairs it, so the
    former chair's page, confirmed after a hand-over, still excused a member."""
    panel = build_scoring_panel()
    member = panel.seats[2]

    with pytest.raises(ValidationError, match="You no longer chair the panel"):
        seat_mark_absent(seat=member, reason="Away.", by=panel.seats[3].person.user)

    assert Seat.objects.get(pk=member.pk).absence_reason == ""
