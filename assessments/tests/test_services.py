import itertools

import pytest
from django.core.exceptions import ValidationError

from assessments.models import (
    AgreedRating,
    Assessment,
    ModerationAdjustment,
    RatingChange,
    Stage,
    StageChange,
)
from assessments.services import (
    ConflictError,
    TransitionError,
    agreed_rating_adjust,
    agreed_rating_record,
    allowed_transitions,
    assessment_advance,
)
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    CompetencyFactory,
    GovernanceAreaFactory,
    SubIndicatorFactory,
    UserFactory,
)

pytestmark = [pytest.mark.django_db]

STAGES = list(Stage)


def _name(value) -> str:
    return value.name


def _rows() -> dict[str, int]:
    """How many rows each write of these services touches, to show nothing half-written."""
    return {
        "agreed": AgreedRating.objects.count(),
        "rating_changes": RatingChange.objects.count(),
        "adjustments": ModerationAdjustment.objects.count(),
        "stage_changes": StageChange.objects.count(),
    }


@pytest.fixture
def user():
    return UserFactory(username="chair")


@pytest.fixture
def consensus():
    return AssessmentFactory(stage=Stage.CONSENSUS)


@pytest.fixture
def competency(consensus):
    return CompetencyFactory(framework=consensus.round.framework, number=5)


@pytest.fixture
def area(consensus):
    return GovernanceAreaFactory(framework=consensus.round.framework, code="finance")


def _agreed(stage: int, **kwargs) -> AgreedRating:
    assessment = AssessmentFactory(stage=stage)
    competency = CompetencyFactory(framework=assessment.round.framework)
    return AgreedRatingFactory(assessment=assessment, competency=competency, level=2, **kwargs)


# --- assessment_advance -----------------------------------------------------------------


@pytest.mark.parametrize(("from_stage", "to_stage"), list(itertools.pairwise(STAGES)), ids=_name)
def test_assessment_advance_moves_to_the_next_stage_and_writes_history(user, from_stage, to_stage):
    assessment = AssessmentFactory(stage=from_stage)

    result = assessment_advance(assessment=assessment, to_stage=to_stage, by=user, note="Done.")

    stored = Assessment.objects.get(pk=assessment.pk)
    assert (result.stage, result.version) == (to_stage, 2)
    assert (stored.stage, stored.version) == (to_stage, 2)
    assert list(
        StageChange.objects.values_list(
            "assessment", "from_stage", "to_stage", "changed_by", "note"
        )
    ) == [(assessment.pk, from_stage, to_stage, user.pk, "Done.")]


def test_assessment_advance_sends_cross_check_back_to_moderation(user):
    assessment = AssessmentFactory(stage=Stage.CROSS_CHECK)

    assessment_advance(assessment=assessment, to_stage=Stage.MODERATION, by=user)

    assert Assessment.objects.get(pk=assessment.pk).stage == Stage.MODERATION
    assert list(StageChange.objects.values_list("from_stage", "to_stage")) == [
        (Stage.CROSS_CHECK, Stage.MODERATION)
    ]


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    [
        (Stage.FACTUAL_ACCURACY, Stage.MODERATION),
        (Stage.SELF_ASSESSMENT, Stage.SCORING),
        (Stage.SCORING, Stage.SCORING),
        (Stage.MODERATION, Stage.CONSENSUS),
        (Stage.PUBLISHED, Stage.MODERATION),
        (Stage.CROSS_CHECK, Stage.PUBLISHED),
    ],
    ids=_name,
)
def test_assessment_advance_refuses_other_transitions_naming_both_stages(
    user, from_stage, to_stage
):
    assessment = AssessmentFactory(stage=from_stage)
    before = _rows()

    with pytest.raises(TransitionError) as exc:
        assessment_advance(assessment=assessment, to_stage=to_stage, by=user)

    assert str(exc.value) == (
        f"An assessment cannot move from {from_stage.label} to {to_stage.label}."
    )
    assert _rows() == before
    stored = Assessment.objects.get(pk=assessment.pk)
    assert (stored.stage, stored.version) == (from_stage, 1)
    assert (assessment.stage, assessment.version) == (from_stage, 1)


def test_assessment_advance_refuses_an_unknown_stage(user):
    assessment = AssessmentFactory(stage=Stage.SCORING)

    with pytest.raises(TransitionError) as exc:
        assessment_advance(assessment=assessment, to_stage=45, by=user)

    assert str(exc.value) == "An assessment cannot move from Scoring to unknown stage 45."
    assert StageChange.objects.count() == 0


def test_assessment_advance_refuses_a_stale_copy_with_conflict(user):
    first = AssessmentFactory(stage=Stage.CROSS_CHECK)
    second = Assessment.objects.get(pk=first.pk)
    assessment_advance(assessment=first, to_stage=Stage.FACTUAL_ACCURACY, by=user)

    with pytest.raises(ConflictError) as exc:
        assessment_advance(assessment=second, to_stage=Stage.MODERATION, by=user)

    assert exc.value.current == first
    assert (exc.value.current.stage, exc.value.current.version) == (Stage.FACTUAL_ACCURACY, 2)
    assert list(StageChange.objects.values_list("to_stage", flat=True)) == [Stage.FACTUAL_ACCURACY]
    assert Assessment.objects.get(pk=first.pk).stage == Stage.FACTUAL_ACCURACY


def test_allowed_transitions_lists_next_stage_and_the_way_back():
    assert allowed_transitions(Stage.CROSS_CHECK) == [Stage.MODERATION, Stage.FACTUAL_ACCURACY]
    assert allowed_transitions(Stage.FACTUAL_ACCURACY) == [Stage.PUBLISHED]
    # Withdrawing a round's publication takes its assessments back to the check.
    assert allowed_transitions(Stage.PUBLISHED) == [Stage.FACTUAL_ACCURACY]


# --- agreed_rating_record ----------------------------------------------------------------


def test_agreed_rating_record_creates_a_level_with_panel_value_and_history(
    user, consensus, competency
):
    rating = agreed_rating_record(
        assessment=consensus, item=competency, value=3, rationale=" Strong. ", by=user
    )

    stored = AgreedRating.objects.get()
    assert stored == rating
    assert (stored.competency, stored.level, stored.light) == (competency, 3, "")
    assert (stored.panel_level, stored.panel_light, stored.rationale) == (3, "", "Strong.")
    assert stored.version == 1
    assert list(
        RatingChange.objects.values_list(
            "assessment", "source", "competency", "old_value", "new_value", "changed_by"
        )
    ) == [(consensus.pk, "consensus", competency.pk, "", "3", user.pk)]


def test_agreed_rating_record_takes_a_light_case_insensitively(user, consensus, area):
    rating = agreed_rating_record(
        assessment=consensus, item=area, value=" AMBER", rationale="Some concerns.", by=user
    )

    stored = AgreedRating.objects.get(pk=rating.pk)
    assert (stored.area, stored.level, stored.light, stored.panel_light) == (
        area,
        None,
        "amber",
        "amber",
    )
    assert list(RatingChange.objects.values_list("area", "old_value", "new_value")) == [
        (area.pk, "", "amber")
    ]


def test_agreed_rating_record_takes_a_sub_indicator_light(user, consensus, area):
    sub_indicator = SubIndicatorFactory(area=area, number=1)

    rating = agreed_rating_record(
        assessment=consensus, item=sub_indicator, value="red", rationale="Deficit.", by=user
    )

    assert AgreedRating.objects.filter(sub_indicator=sub_indicator).get() == rating
    assert rating.value == "red"


def test_agreed_rating_record_updates_the_rating_and_the_panel_value(user, consensus, competency):
    agreed_rating_record(assessment=consensus, item=competency, value=2, rationale="A.", by=user)

    rating = agreed_rating_record(
        assessment=consensus, item=competency, value="4", rationale="B.", by=user
    )

    stored = AgreedRating.objects.get()
    assert stored == rating
    assert (stored.level, stored.panel_level, stored.rationale, stored.version) == (4, 4, "B.", 2)
    assert list(
        RatingChange.objects.order_by("pk").values_list("old_value", "new_value", "note")
    ) == [("", "2", ""), ("2", "4", "")]


def test_agreed_rating_record_notes_a_rationale_only_change(user, consensus, competency):
    agreed_rating_record(assessment=consensus, item=competency, value=2, rationale="A.", by=user)

    agreed_rating_record(assessment=consensus, item=competency, value=2, rationale="B.", by=user)

    assert AgreedRating.objects.get().rationale == "B."
    assert list(
        RatingChange.objects.order_by("pk").values_list("old_value", "new_value", "note")
    ) == [("", "2", ""), ("2", "2", "Rationale changed.")]


def test_agreed_rating_record_writes_nothing_when_nothing_changed(user, consensus, competency):
    agreed_rating_record(assessment=consensus, item=competency, value=2, rationale="A.", by=user)
    before = _rows()

    rating = agreed_rating_record(
        assessment=consensus, item=competency, value=2, rationale="A.", by=user
    )

    assert _rows() == before
    assert rating.version == 1


@pytest.mark.parametrize("stage", [s for s in STAGES if s != Stage.CONSENSUS], ids=_name)
def test_agreed_rating_record_refuses_outside_consensus(user, stage):
    assessment = AssessmentFactory(stage=stage)
    competency = CompetencyFactory(framework=assessment.round.framework)
    before = _rows()

    with pytest.raises(TransitionError) as exc:
        agreed_rating_record(
            assessment=assessment, item=competency, value=2, rationale="A.", by=user
        )

    assert str(exc.value) == (
        f"Agreed ratings are recorded at Panel consensus only; this assessment is at {stage.label}."
    )
    assert _rows() == before


def test_agreed_rating_record_refuses_an_item_of_another_framework(user, consensus):
    other = CompetencyFactory(number=1)
    before = _rows()

    with pytest.raises(ValidationError) as exc:
        agreed_rating_record(assessment=consensus, item=other, value=2, rationale="A.", by=user)

    assert exc.value.message_dict == {
        "item": [f"{other} is not part of the framework of {consensus.round}."]
    }
    assert _rows() == before


def test_agreed_rating_record_refuses_a_sub_indicator_of_another_framework(user, consensus):
    other = SubIndicatorFactory()

    with pytest.raises(ValidationError) as exc:
        agreed_rating_record(assessment=consensus, item=other, value="red", rationale="A.", by=user)

    assert list(exc.value.message_dict) == ["item"]
    assert AgreedRating.objects.count() == 0


def test_agreed_rating_record_refuses_something_that_is_not_an_item(user, consensus):
    with pytest.raises(ValidationError) as exc:
        agreed_rating_record(
            assessment=consensus, item=consensus.pct, value=2, rationale="A.", by=user
        )

    assert list(exc.value.message_dict) == ["item"]
    assert AgreedRating.objects.count() == 0


@pytest.mark.parametrize("value", [0, 5, -1, "x", "", None, 2.5, True, "green"], ids=repr)
def test_agreed_rating_record_refuses_a_level_outside_1_to_4(user, consensus, competency, value):
    before = _rows()

    with pytest.raises(ValidationError) as exc:
        agreed_rating_record(
            assessment=consensus, item=competency, value=value, rationale="A.", by=user
        )

    assert exc.value.message_dict == {
        "value": [f"{value!r} is not a level: a competency takes a level from 1 to 4."]
    }
    assert _rows() == before


@pytest.mark.parametrize("value", ["purple", "", 2, "gren"], ids=repr)
def test_agreed_rating_record_refuses_a_light_not_green_amber_or_red(user, consensus, area, value):
    before = _rows()

    with pytest.raises(ValidationError) as exc:
        agreed_rating_record(assessment=consensus, item=area, value=value, rationale="A.", by=user)

    assert exc.value.message_dict == {
        "value": [f"{value!r} is not a light: use green, amber or red"]
    }
    assert _rows() == before


@pytest.mark.parametrize("rationale", ["", "   \n"], ids=repr)
def test_agreed_rating_record_refuses_a_blank_rationale(user, consensus, competency, rationale):
    before = _rows()

    with pytest.raises(ValidationError) as exc:
        agreed_rating_record(
            assessment=consensus, item=competency, value=2, rationale=rationale, by=user
        )

    assert exc.value.message_dict == {"rationale": ["Write the rationale the PCT board will read."]}
    assert _rows() == before


# --- agreed_rating_adjust ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "source"),
    [
        (Stage.MODERATION, RatingChange.Source.MODERATION),
        (Stage.CROSS_CHECK, RatingChange.Source.CROSS_CHECK),
        (Stage.FACTUAL_ACCURACY, RatingChange.Source.FACTUAL_ACCURACY),
    ],
    ids=_name,
)
def test_agreed_rating_adjust_changes_the_value_and_keeps_the_panel_value(user, stage, source):
    rating = _agreed(stage)

    result = agreed_rating_adjust(
        rating=rating,
        value=3,
        reason=" Out of line. ",
        by=user,
        expected_version=1,
        source=source,
    )

    stored = AgreedRating.objects.get()
    assert result == stored
    assert (stored.level, stored.panel_level, stored.version) == (3, 2, 2)
    assert (result.level, result.version, result.is_moderated) == (3, 2, True)
    assert list(
        ModerationAdjustment.objects.values_list(
            "rating", "stage", "old_value", "new_value", "reason", "adjusted_by"
        )
    ) == [(rating.pk, stage, "2", "3", "Out of line.", user.pk)]
    assert list(
        RatingChange.objects.values_list(
            "assessment", "source", "competency", "old_value", "new_value", "changed_by", "note"
        )
    ) == [(rating.assessment_id, source, rating.competency_id, "2", "3", user.pk, "Out of line.")]


def test_agreed_rating_adjust_changes_a_light(user):
    assessment = AssessmentFactory(stage=Stage.MODERATION)
    area = GovernanceAreaFactory(framework=assessment.round.framework)
    rating = AgreedRatingFactory(assessment=assessment, competency=None, area=area, light="green")

    agreed_rating_adjust(rating=rating, value="Amber", reason="Risk.", by=user, expected_version=1)

    stored = AgreedRating.objects.get()
    assert (stored.light, stored.panel_light) == ("amber", "green")
    assert list(ModerationAdjustment.objects.values_list("old_value", "new_value")) == [
        ("green", "amber")
    ]


@pytest.mark.parametrize("stage", [Stage.SCORING, Stage.CONSENSUS, Stage.PUBLISHED], ids=_name)
def test_agreed_rating_adjust_refuses_outside_moderation_to_factual_accuracy(user, stage):
    rating = _agreed(stage)
    before = _rows()

    with pytest.raises(TransitionError) as exc:
        agreed_rating_adjust(rating=rating, value=3, reason="R.", by=user, expected_version=1)

    assert str(exc.value) == (
        "Agreed ratings are adjusted at regional moderation, national cross-check or the "
        f"factual-accuracy check only; this assessment is at {stage.label}."
    )
    assert _rows() == before
    assert AgreedRating.objects.get().level == 2


# "\u200b\u00a0": a zero-width and a non-breaking space, accepted before the moderation walk
@pytest.mark.parametrize("reason", ["", "  ", "\u200b\u00a0", "\u2060\ufeff\t"], ids=repr)
def test_agreed_rating_adjust_refuses_without_a_reason(user, reason):
    rating = _agreed(Stage.MODERATION)
    before = _rows()

    with pytest.raises(ValidationError) as exc:
        agreed_rating_adjust(rating=rating, value=3, reason=reason, by=user, expected_version=1)

    assert exc.value.message_dict == {"reason": ["Give the reason for the change."]}
    assert _rows() == before
    assert (rating.level, rating.version) == (2, 1)


def test_agreed_rating_adjust_refuses_the_same_value(user):
    rating = _agreed(Stage.MODERATION)
    before = _rows()

    with pytest.raises(ValidationError) as exc:
        agreed_rating_adjust(rating=rating, value="2", reason="R.", by=user, expected_version=1)

    assert exc.value.message_dict == {"value": ["The rating is already 2: choose another value."]}
    assert _rows() == before


def test_agreed_rating_adjust_refuses_a_level_outside_1_to_4(user):
    rating = _agreed(Stage.MODERATION)
    before = _rows()

    with pytest.raises(ValidationError) as exc:
        agreed_rating_adjust(rating=rating, value=5, reason="R.", by=user, expected_version=1)

    assert list(exc.value.message_dict) == ["value"]
    assert _rows() == before


def test_agreed_rating_adjust_refuses_a_consensus_source(user):
    rating = _agreed(Stage.MODERATION)

    with pytest.raises(ValueError, match="'consensus' is not a source of a change"):
        agreed_rating_adjust(
            rating=rating,
            value=3,
            reason="R.",
            by=user,
            expected_version=1,
            source=RatingChange.Source.CONSENSUS,
        )

    assert ModerationAdjustment.objects.count() == 0


def test_agreed_rating_adjust_refuses_an_expected_version_that_is_not_current(user):
    rating = _agreed(Stage.MODERATION, version=3)
    before = _rows()

    with pytest.raises(ConflictError) as exc:
        agreed_rating_adjust(rating=rating, value=3, reason="R.", by=user, expected_version=2)

    assert exc.value.current == rating
    assert exc.value.current.version == 3
    assert _rows() == before


def test_agreed_rating_adjust_race_second_stale_copy_conflicts_and_first_value_stays(user):
    rating = _agreed(Stage.MODERATION)
    first = AgreedRating.objects.get(pk=rating.pk)
    second = AgreedRating.objects.get(pk=rating.pk)
    other = UserFactory(username="moderator")
    agreed_rating_adjust(rating=first, value=3, reason="First.", by=user, expected_version=1)

    with pytest.raises(ConflictError) as exc:
        agreed_rating_adjust(rating=second, value=1, reason="Second.", by=other, expected_version=1)

    assert (exc.value.current.level, exc.value.current.version) == (3, 2)
    stored = AgreedRating.objects.get()
    assert (stored.level, stored.panel_level, stored.version) == (3, 2, 2)
    assert (second.level, second.version) == (2, 1)
    assert list(ModerationAdjustment.objects.values_list("reason", flat=True)) == ["First."]
    assert list(RatingChange.objects.values_list("note", flat=True)) == ["First."]
