"""The assessment models: the constraints the database enforces, and small model logic.

Rows are written with ``objects.create``/``bulk_create`` (no model validation) so that each
test shows the database itself refusing a bad row.
"""

import datetime

import pytest
from django.apps import apps

from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    DevelopmentPriority,
    EvidenceChange,
    LocalOutcomePriority,
    ModerationAdjustment,
    PrimaryCareTrust,
    RegionReview,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    Stage,
    StrategicHealthAuthority,
)
from competencies.tests.test_models import ITEM_RATING_CASES, refused
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    DevelopmentPlanFactory,
    EvidenceChangeFactory,
    GovernanceAreaFactory,
    OutcomeIndicatorFactory,
    PCTFactory,
    SelfAssessmentFactory,
    SHAFactory,
    SubIndicatorFactory,
    SupplierFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.django_db,
]

ITEM_RATING_SUFFIXES = ("exactly_one_item", "level_1_to_4", "light_known", "value_fits_item")
ITEMS = ("competency", "area", "sub_indicator")

# Every constraint of this app's models has a test below; a new one fails this list.
TESTED_CONSTRAINTS = {
    "sha_ods_code_upper_3",
    "pct_ods_code_upper_3",
    "role_scope_fits_kind",
    "role_unique_national",
    "role_unique_sha_staff",
    "role_unique_pct_board",
    "assessment_one_per_pct_round",
    "assessment_stage_known",
    "self_assessment_submitted_has_time",
    *(f"assessments_selfassessmentrating_{suffix}" for suffix in ITEM_RATING_SUFFIXES),
    *(f"self_rating_unique_{item}" for item in ITEMS),
    *(f"assessments_agreedrating_{suffix}" for suffix in ITEM_RATING_SUFFIXES),
    *(f"agreed_unique_{item}" for item in ITEMS),
    "agreed_value_required",
    "agreed_panel_value_fits_item",
    "adjustment_reason_required",
    "adjustment_changes_value",
    "region_review_one_per_sha_round",
    "outcome_priority_unique_indicator",
    "priority_buy_names_supplier",
    "evidence_change_action_known",
}


def test_constraints_of_assessments_all_have_tests():
    names = {
        constraint.name
        for model in apps.get_app_config("assessments").get_models()
        for constraint in model._meta.constraints
    }

    assert names == TESTED_CONSTRAINTS


# --- Organisations ------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["q30", "Q3", "Q3!", "q-1", ""])
def test_sha_ods_code_not_three_upper_case_characters_is_refused(code):
    refused(
        lambda: StrategicHealthAuthority.objects.create(ods_code=code, name="North West"),
        "sha_ods_code_upper_3",
    )


def test_sha_ods_code_upper_case_is_accepted_once():
    StrategicHealthAuthority.objects.create(ods_code="Q34", name="West Midlands")

    refused(lambda: StrategicHealthAuthority.objects.create(ods_code="Q34", name="Again"))
    assert list(StrategicHealthAuthority.objects.values_list("ods_code", flat=True)) == ["Q34"]


@pytest.mark.parametrize("code", ["5pg", "5P", "5 G"])
def test_pct_ods_code_not_three_upper_case_characters_is_refused(code):
    sha = SHAFactory()

    refused(
        lambda: PrimaryCareTrust.objects.create(
            ods_code=code, name="Birmingham East and North", org_type="pct", sha=sha
        ),
        "pct_ods_code_upper_3",
    )


def test_pct_ods_code_of_digits_and_letters_is_accepted():
    pct = PrimaryCareTrust.objects.create(
        ods_code="5PG", name="Birmingham East and North", org_type="pct", sha=SHAFactory()
    )

    assert PrimaryCareTrust.objects.get(ods_code="5PG") == pct


# --- Role -------------------------------------------------------------------------------


@pytest.fixture
def scope():
    pct = PCTFactory()
    return {"user": UserFactory(), "sha": pct.sha, "pct": pct}


@pytest.mark.parametrize(
    ("kind", "fields"),
    [("national", ()), ("sha_staff", ("sha",)), ("pct_board", ("pct",))],
)
def test_role_with_the_scope_of_its_kind_is_accepted(scope, kind, fields):
    role = Role.objects.create(
        user=scope["user"], kind=kind, **{field: scope[field] for field in fields}
    )

    assert list(Role.objects.all()) == [role]


@pytest.mark.parametrize(
    ("kind", "fields"),
    [
        ("national", ("sha",)),
        ("national", ("pct",)),
        ("sha_staff", ()),
        ("sha_staff", ("pct",)),
        ("sha_staff", ("sha", "pct")),
        ("pct_board", ()),
        ("pct_board", ("sha",)),
        ("pct_board", ("sha", "pct")),
        ("panel_member", ()),
    ],
)
def test_role_whose_scope_does_not_fit_its_kind_is_refused(scope, kind, fields):
    refused(
        lambda: Role.objects.create(
            user=scope["user"], kind=kind, **{field: scope[field] for field in fields}
        ),
        "role_scope_fits_kind",
    )


def test_role_twice_for_the_same_scope_is_refused(scope):
    Role.objects.create(user=scope["user"], kind="sha_staff", sha=scope["sha"])

    refused(lambda: Role.objects.create(user=scope["user"], kind="sha_staff", sha=scope["sha"]))
    Role.objects.create(user=scope["user"], kind="sha_staff", sha=SHAFactory())

    assert Role.objects.count() == 2


def test_role_national_twice_for_a_user_is_refused(scope):
    Role.objects.create(user=scope["user"], kind="national")

    refused(lambda: Role.objects.create(user=scope["user"], kind="national"))


def test_role_board_twice_for_the_same_pct_is_refused(scope):
    Role.objects.create(user=scope["user"], kind="pct_board", pct=scope["pct"])

    refused(lambda: Role.objects.create(user=scope["user"], kind="pct_board", pct=scope["pct"]))


# --- AssessmentRound ---------------------------------------------------------------------

PUBLISHED_AT = datetime.datetime(2009, 2, 3, 10, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("now", "published"),
    [
        (PUBLISHED_AT - datetime.timedelta(microseconds=1), False),
        (PUBLISHED_AT, True),
        (PUBLISHED_AT + datetime.timedelta(days=400), True),
    ],
    ids=["before", "at", "after"],
)
def test_round_is_published_from_its_publication_time(time_machine, now, published):
    assessment_round = AssessmentRoundFactory(published_at=PUBLISHED_AT)
    time_machine.move_to(now, tick=False)

    assert assessment_round.is_published() is published


def test_round_without_publication_time_is_not_published(time_machine):
    assessment_round = AssessmentRoundFactory(published_at=None)
    time_machine.move_to(PUBLISHED_AT, tick=False)

    assert assessment_round.is_published() is False


def test_round_is_published_takes_the_time_given():
    assessment_round = AssessmentRoundFactory(published_at=PUBLISHED_AT)

    assert [
        assessment_round.is_published(now=PUBLISHED_AT - datetime.timedelta(seconds=1)),
        assessment_round.is_published(now=PUBLISHED_AT),
    ] == [False, True]


# --- Assessment -------------------------------------------------------------------------


def test_assessment_one_per_pct_per_round():
    existing = AssessmentFactory()

    refused(lambda: Assessment.objects.create(round=existing.round, pct=existing.pct))
    Assessment.objects.create(round=AssessmentRoundFactory(), pct=existing.pct)
    Assessment.objects.create(round=existing.round, pct=PCTFactory())

    assert Assessment.objects.count() == 3


@pytest.mark.parametrize("stage", [0, 45, 90])
def test_assessment_unknown_stage_is_refused(stage):
    assessment_round, pct = AssessmentRoundFactory(), PCTFactory()

    refused(
        lambda: Assessment.objects.create(round=assessment_round, pct=pct, stage=stage),
        "assessment_stage_known",
    )


@pytest.mark.parametrize("action", ["", "replaced", "Added"])
def test_evidence_change_unknown_action_is_refused(action):
    assessment = AssessmentFactory()

    refused(
        lambda: EvidenceChangeFactory(assessment=assessment, action=action),
        "evidence_change_action_known",
    )


@pytest.mark.parametrize("action", ["added", "removed"])
def test_evidence_change_known_action_is_accepted(action):
    change = EvidenceChangeFactory(action=action)

    assert EvidenceChange.objects.get(pk=change.pk).action == action


@pytest.mark.parametrize("stage", list(Stage), ids=lambda s: s.name)
def test_assessment_known_stage_is_accepted(stage):
    assessment = Assessment.objects.create(
        round=AssessmentRoundFactory(), pct=PCTFactory(), stage=stage
    )

    assert Assessment.objects.get(pk=assessment.pk).stage == stage


# --- SelfAssessment -------------------------------------------------------------------------


def test_self_assessment_submitted_without_a_time_is_refused():
    assessment = AssessmentFactory()

    refused(
        lambda: SelfAssessment.objects.create(assessment=assessment, status="submitted"),
        "self_assessment_submitted_has_time",
    )


@pytest.mark.parametrize(("status", "submitted_at"), [("draft", None), ("submitted", PUBLISHED_AT)])
def test_self_assessment_draft_or_submitted_with_a_time_is_accepted(status, submitted_at):
    self_assessment = SelfAssessment.objects.create(
        assessment=AssessmentFactory(), status=status, submitted_at=submitted_at
    )

    assert list(SelfAssessment.objects.all()) == [self_assessment]


# --- Item ratings: SelfAssessmentRating and AgreedRating ------------------------------------


@pytest.fixture
def items():
    """An assessment with a competency, a governance area and a sub-indicator of its round."""
    assessment = AssessmentFactory()
    framework = assessment.round.framework
    competency = CompetencyFactory(framework=framework, with_levels=False)
    area = GovernanceAreaFactory(framework=framework)
    return {
        "assessment": assessment,
        "self_assessment": SelfAssessmentFactory(assessment=assessment),
        "competency": competency,
        "area": area,
        "sub_indicator": SubIndicatorFactory(area=area),
    }


def _rating_fields(model, items, overrides) -> dict:
    """A valid level-2 competency rating of ``model``, with ``overrides`` it has fields for."""
    fields = {"competency": items["competency"], "level": 2, "light": ""}
    if model is SelfAssessmentRating:
        fields["self_assessment"] = items["self_assessment"]
    else:
        fields.update(
            assessment=items["assessment"], panel_level=2, panel_light="", rationale="Because."
        )
    names = {field.name for field in model._meta.fields}
    return {**fields, **{k: v for k, v in overrides.items() if k in names}}


ITEM_RATING_MODELS = [SelfAssessmentRating, AgreedRating]


@pytest.mark.parametrize("model", ITEM_RATING_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize(("suffix", "overrides"), ITEM_RATING_CASES)
def test_item_rating_breaking_a_rule_is_refused(items, model, suffix, overrides):
    fields = _rating_fields(model, items, overrides(items["competency"], items["area"]))

    refused(
        lambda: model.objects.create(**fields),
        f"assessments_{model._meta.model_name}_{suffix}",
    )


@pytest.mark.parametrize("model", ITEM_RATING_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize(
    ("item", "value"),
    [
        ("competency", {"level": 1}),
        ("area", {"light": "red"}),
        ("sub_indicator", {"light": "amber"}),
    ],
)
def test_item_rating_of_one_item_with_its_kind_of_value_is_accepted(items, model, item, value):
    overrides = {"competency": None, item: items[item], "level": None, **value}
    if item != "competency":
        overrides.update(panel_level=None, panel_light="green")
    else:
        overrides.update(panel_level=1)

    rating = model.objects.create(**_rating_fields(model, items, overrides))

    assert list(model.objects.all()) == [rating]
    assert rating.item == items[item]
    assert rating.value == next(iter(value.values()))


@pytest.mark.parametrize("model", ITEM_RATING_MODELS, ids=lambda m: m.__name__)
@pytest.mark.parametrize("item", ITEMS)
def test_item_rating_twice_for_an_item_is_refused(items, model, item):
    value = {"level": 3} if item == "competency" else {"light": "green", "level": None}
    panel = (
        {"panel_level": 3}
        if item == "competency"
        else {"panel_light": "green", "panel_level": None}
    )
    overrides = {"competency": None, item: items[item], **value, **panel}
    model.objects.create(**_rating_fields(model, items, overrides))

    refused(lambda: model.objects.bulk_create([model(**_rating_fields(model, items, overrides))]))
    assert model.objects.count() == 1


def test_self_assessment_rating_draft_without_a_value_is_accepted(items):
    rating = SelfAssessmentRating.objects.create(
        self_assessment=items["self_assessment"], area=items["area"]
    )

    assert rating.value is None


def test_agreed_rating_without_a_value_is_refused(items):
    refused(
        lambda: AgreedRating.objects.create(**_rating_fields(AgreedRating, items, {"level": None})),
        "agreed_value_required",
    )


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"panel_level": None}, id="competency-no-panel-level"),
        pytest.param({"panel_level": 0}, id="panel-level-0"),
        pytest.param({"panel_level": 5}, id="panel-level-5"),
        pytest.param({"panel_light": "green"}, id="competency-with-panel-light"),
    ],
)
def test_agreed_rating_panel_value_not_fitting_its_item_is_refused(items, overrides):
    refused(
        lambda: AgreedRating.objects.create(**_rating_fields(AgreedRating, items, overrides)),
        "agreed_panel_value_fits_item",
    )


def test_agreed_rating_area_without_a_panel_light_is_refused(items):
    overrides = {"competency": None, "area": items["area"], "level": None, "light": "red"}
    overrides.update(panel_level=None, panel_light="")

    refused(
        lambda: AgreedRating.objects.create(**_rating_fields(AgreedRating, items, overrides)),
        "agreed_panel_value_fits_item",
    )


def test_agreed_rating_keeps_the_panel_value_beside_the_current_one(items):
    rating = AgreedRatingFactory(
        assessment=items["assessment"], competency=items["competency"], level=3, panel_level=2
    )

    assert (rating.value, rating.panel_value, rating.is_moderated) == (3, 2, True)


# --- ModerationAdjustment ---------------------------------------------------------------------


@pytest.fixture
def adjustment_fields(items):
    rating = AgreedRatingFactory(assessment=items["assessment"], competency=items["competency"])
    return {
        "rating": rating,
        "stage": Stage.MODERATION,
        "old_value": "2",
        "new_value": "3",
        "reason": "Out of line with the evidence.",
        "adjusted_by": UserFactory(),
    }


def test_moderation_adjustment_with_a_reason_and_a_change_is_accepted(adjustment_fields):
    adjustment = ModerationAdjustment.objects.create(**adjustment_fields)

    assert list(ModerationAdjustment.objects.all()) == [adjustment]


def test_moderation_adjustment_without_a_reason_is_refused(adjustment_fields):
    refused(
        lambda: ModerationAdjustment.objects.create(**{**adjustment_fields, "reason": ""}),
        "adjustment_reason_required",
    )


def test_moderation_adjustment_that_changes_nothing_is_refused(adjustment_fields):
    refused(
        lambda: ModerationAdjustment.objects.create(**{**adjustment_fields, "new_value": "2"}),
        "adjustment_changes_value",
    )


# --- RegionReview, LocalOutcomePriority, DevelopmentPriority ----------------------------------


def test_region_review_one_per_sha_per_round():
    assessment_round, sha = AssessmentRoundFactory(), SHAFactory()
    RegionReview.objects.create(round=assessment_round, sha=sha)

    refused(lambda: RegionReview.objects.create(round=assessment_round, sha=sha))
    RegionReview.objects.create(round=assessment_round, sha=SHAFactory())

    assert RegionReview.objects.count() == 2


def _priority(assessment, indicator) -> LocalOutcomePriority:
    return LocalOutcomePriority.objects.create(
        assessment=assessment,
        indicator=indicator,
        baseline_year="2007-08",
        baseline=20,
        year1=19,
        year2=18,
        year3=17,
        year4=16,
        year5=15,
    )


def test_local_outcome_priority_indicator_once_per_assessment():
    assessment, indicator = AssessmentFactory(), OutcomeIndicatorFactory()
    _priority(assessment, indicator)

    refused(lambda: _priority(assessment, indicator))
    _priority(assessment, OutcomeIndicatorFactory())

    assert assessment.outcome_priorities.count() == 2


def test_development_priority_buy_without_a_supplier_is_refused():
    plan, competency = DevelopmentPlanFactory(), CompetencyFactory(with_levels=False)

    refused(
        lambda: DevelopmentPriority.objects.create(
            plan=plan, competency=competency, support="buy", action="Buy help."
        ),
        "priority_buy_names_supplier",
    )


@pytest.mark.parametrize(("support", "with_supplier"), [("buy", True), ("share", False)])
def test_development_priority_buy_with_a_supplier_or_other_support_is_accepted(
    support, with_supplier
):
    plan, competency = DevelopmentPlanFactory(), CompetencyFactory(with_levels=False)

    priority = DevelopmentPriority.objects.create(
        plan=plan,
        competency=competency,
        support=support,
        supplier=SupplierFactory() if with_supplier else None,
        action="Get help.",
    )

    assert list(plan.priorities.all()) == [priority]


def test_assessment_round_slug_is_unique():
    existing = AssessmentRoundFactory(slug="2008-09")

    refused(
        lambda: AssessmentRound.objects.create(
            slug="2008-09", name="Again", framework=existing.framework
        )
    )
    assert list(AssessmentRound.objects.values_list("slug", flat=True)) == ["2008-09"]
