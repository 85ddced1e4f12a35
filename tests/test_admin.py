"""The admin of every app (competencies, assessments, panels, reports): every page opens and
lists its rows.

Kept in one place (here, with the cross-app tests) because it walks ``admin.site._registry``
for all four apps.
"""

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    FiguresChange,
    FiguresVersion,
    RoundChange,
    Stage,
    StageChange,
)
from reports.models import ReportBatch, ReportBatchItem, StoredReport
from tests.factories import (
    AccountChangeFactory,
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    ConflictRuleFactory,
    DevelopmentPlanChangeFactory,
    DevelopmentPlanFactory,
    DevelopmentPriorityFactory,
    EvidenceChangeFactory,
    EvidenceDocumentFactory,
    ExternalOrganisationFactory,
    FactualAccuracyCommentFactory,
    FactualAccuracyConfirmationFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    LevelDescriptorFactory,
    LocalOutcomePriorityFactory,
    MemberScoreFactory,
    ModerationAdjustmentFactory,
    OutcomeIndicatorFactory,
    OutcomePriorityChangeFactory,
    PanelFactory,
    PCTChangeFactory,
    PCTFactory,
    PersonChangeFactory,
    PersonFactory,
    RatingChangeFactory,
    RegionReviewChangeFactory,
    RegionReviewFactory,
    ReminderSentFactory,
    RoleChangeFactory,
    RoleFactory,
    RoundChangeFactory,
    SeatChangeFactory,
    SeatFactory,
    SeatTypeFactory,
    SelfAssessmentFactory,
    SelfAssessmentRatingFactory,
    SHAFactory,
    StageChangeFactory,
    SubIndicatorFactory,
    SupplierFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.django_db,
]

APPS = ("competencies", "assessments", "panels", "reports")


def _agreed_rating():
    assessment = AssessmentFactory()
    competency = CompetencyFactory(framework=assessment.round.framework)
    return AgreedRatingFactory(assessment=assessment, competency=competency)


def _member_score():
    seat = SeatFactory()
    competency = CompetencyFactory(framework=seat.panel.assessment.round.framework)
    return MemberScoreFactory(seat=seat, competency=competency)


# One object of each model, made so that it is the only row of its own model.
BUILDERS = {
    "competencies.FrameworkVersion": FrameworkFactory,
    "competencies.Competency": CompetencyFactory,
    "competencies.LevelDescriptor": LevelDescriptorFactory,
    "competencies.GovernanceArea": GovernanceAreaFactory,
    "competencies.SubIndicator": SubIndicatorFactory,
    "assessments.StrategicHealthAuthority": SHAFactory,
    "assessments.PrimaryCareTrust": PCTFactory,
    "assessments.Role": RoleFactory,
    "assessments.RoleChange": RoleChangeFactory,
    "assessments.AccountChange": AccountChangeFactory,
    "assessments.AssessmentRound": AssessmentRoundFactory,
    "assessments.Assessment": AssessmentFactory,
    "assessments.StageChange": StageChangeFactory,
    "assessments.SelfAssessment": SelfAssessmentFactory,
    "assessments.SelfAssessmentRating": SelfAssessmentRatingFactory,
    "assessments.EvidenceDocument": EvidenceDocumentFactory,
    "assessments.EvidenceChange": EvidenceChangeFactory,
    "assessments.AgreedRating": _agreed_rating,
    "assessments.Standing": lambda: _agreed_rating().assessment.standing,
    "assessments.FiguresVersion": lambda: FiguresVersion.objects.get(
        round=_agreed_rating().assessment.round
    ),
    "assessments.FiguresChange": lambda: FiguresChange.objects.filter(
        round=_agreed_rating().assessment.round
    ).latest("pk"),
    "assessments.RatingChange": RatingChangeFactory,
    "assessments.ModerationAdjustment": ModerationAdjustmentFactory,
    "assessments.RegionReview": RegionReviewFactory,
    "assessments.RegionReviewChange": RegionReviewChangeFactory,
    "assessments.FactualAccuracyComment": FactualAccuracyCommentFactory,
    "assessments.OutcomeIndicator": OutcomeIndicatorFactory,
    "assessments.LocalOutcomePriority": LocalOutcomePriorityFactory,
    "assessments.OutcomePriorityChange": OutcomePriorityChangeFactory,
    "assessments.FactualAccuracyConfirmation": FactualAccuracyConfirmationFactory,
    "assessments.Supplier": SupplierFactory,
    "assessments.DevelopmentPlan": DevelopmentPlanFactory,
    "assessments.DevelopmentPriority": DevelopmentPriorityFactory,
    "assessments.DevelopmentPlanChange": DevelopmentPlanChangeFactory,
    "assessments.RoundChange": RoundChangeFactory,
    "assessments.PCTChange": PCTChangeFactory,
    "panels.ExternalOrganisation": ExternalOrganisationFactory,
    "panels.Person": PersonFactory,
    "panels.PersonChange": PersonChangeFactory,
    "panels.SeatType": SeatTypeFactory,
    "panels.ConflictRule": ConflictRuleFactory,
    "panels.Panel": PanelFactory,
    "panels.Seat": SeatFactory,
    "panels.MemberScore": _member_score,
    "panels.SeatChange": SeatChangeFactory,
    "panels.ReminderSent": ReminderSentFactory,
    "reports.StoredReport": lambda: StoredReport.objects.create(
        assessment=AssessmentFactory(), draft=True, path="reports/x.pdf", fingerprint="0" * 64
    ),
    "reports.ReportBatch": lambda: ReportBatch.objects.create(
        round=AssessmentRoundFactory(), requested_by=UserFactory()
    ),
    "reports.ReportBatchItem": lambda: ReportBatchItem.objects.create(
        batch=ReportBatch.objects.create(round=AssessmentRoundFactory(), total=1),
        assessment=AssessmentFactory(),
    ),
}

REGISTERED = [
    pytest.param(model, model_admin, id=model._meta.label)
    for model, model_admin in admin.site._registry.items()
    if model._meta.app_label in APPS
]

# History must not be rewritten; rows a service owns change only through the service.
READ_ONLY = {
    "assessments.Role",
    "assessments.RoleChange",
    "assessments.AccountChange",
    "panels.PersonChange",
    "assessments.StageChange",
    "assessments.RatingChange",
    "assessments.ModerationAdjustment",
    "assessments.RegionReviewChange",
    "assessments.DevelopmentPlanChange",
    "assessments.RoundChange",
    "assessments.PCTChange",
    "assessments.AgreedRating",
    "assessments.Standing",
    "assessments.FiguresVersion",
    "assessments.FiguresChange",
    "assessments.RegionReview",
    "assessments.FactualAccuracyComment",
    "assessments.SelfAssessment",
    "assessments.SelfAssessmentRating",
    "assessments.EvidenceDocument",
    "assessments.EvidenceChange",
    "assessments.DevelopmentPlan",
    "assessments.DevelopmentPriority",
    "assessments.LocalOutcomePriority",
    "assessments.OutcomePriorityChange",
    "assessments.FactualAccuracyConfirmation",
    "panels.Panel",
    "panels.Seat",
    "panels.SeatChange",
    "panels.ReminderSent",
    "panels.MemberScore",
    "reports.StoredReport",
    "reports.ReportBatch",
    "reports.ReportBatchItem",
}


def _url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def test_admin_registers_every_model_of_the_three_apps():
    models = {m._meta.label for app in APPS for m in apps.get_app_config(app).get_models()}

    assert {m._meta.label for m in admin.site._registry if m._meta.app_label in APPS} == models
    assert set(BUILDERS) == models


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED)
def test_admin_changelist_lists_the_object(admin_client, model, model_admin):
    obj = BUILDERS[model._meta.label]()

    response = admin_client.get(_url(model, "changelist"))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [obj]
    assert _url(model, "change", obj.pk) in response.content.decode()


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED)
def test_admin_change_page_shows_the_object(admin_client, model, model_admin):
    obj = BUILDERS[model._meta.label]()

    response = admin_client.get(_url(model, "change", obj.pk))

    assert response.status_code == 200
    assert response.context["original"] == obj
    assert response.context["has_change_permission"] is (model._meta.label not in READ_ONLY)


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED)
def test_admin_add_page_opens_where_adding_is_allowed(admin_client, model, model_admin):
    response = admin_client.get(_url(model, "add"))

    if model._meta.label in READ_ONLY:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        assert response.context["add"] is True
        assert response.context["adminform"].form.instance.pk is None


@pytest.mark.parametrize("label", sorted(READ_ONLY))
def test_admin_history_cannot_be_added_changed_or_deleted(admin_client, rf, admin_user, label):
    model = apps.get_model(label)
    request = rf.get("/")
    request.user = admin_user
    model_admin = admin.site._registry[model]
    obj = BUILDERS[label]()

    response = admin_client.post(_url(model, "delete", obj.pk), {"post": "yes"})

    assert response.status_code == 403
    assert list(model.objects.all()) == [obj]
    assert (
        model_admin.has_add_permission(request),
        model_admin.has_change_permission(request, obj),
        model_admin.has_delete_permission(request, obj),
    ) == (False, False, False)


@pytest.mark.parametrize("label", sorted(READ_ONLY))
def test_admin_change_post_to_a_read_only_model_is_403_and_changes_nothing(admin_client, label):
    model = apps.get_model(label)
    obj = BUILDERS[label]()
    before = model.objects.filter(pk=obj.pk).values().get()
    # Every concrete field posted blank: a form that accepted it would change the row.
    data = {f.attname: "" for f in model._meta.concrete_fields if not f.primary_key}

    response = admin_client.post(_url(model, "change", obj.pk), data)

    assert response.status_code == 403
    assert model.objects.filter(pk=obj.pk).values().get() == before


def test_admin_round_publication_and_window_are_read_only(admin_client):
    published = timezone.now() + timedelta(days=30)
    round_ = AssessmentRoundFactory(published_at=published, factual_accuracy_working_days=10)
    form = admin_client.get(_url(AssessmentRound, "change", round_.pk)).context["adminform"]

    response = admin_client.post(
        _url(AssessmentRound, "change", round_.pk),
        {
            "slug": round_.slug,
            "name": "Renamed round",
            "framework": round_.framework_id,
            "published_at_0": "2001-01-01",
            "published_at_1": "00:00:00",
            "publication_notified_at_0": "2001-01-01",
            "publication_notified_at_1": "00:00:00",
            "factual_accuracy_working_days": "25",
        },
    )

    assert response.status_code == 302
    stored = AssessmentRound.objects.get(pk=round_.pk)
    assert (
        stored.name,
        stored.published_at,
        stored.publication_notified_at,
        stored.factual_accuracy_working_days,
    ) == ("Renamed round", published, None, 10)
    assert sorted(form.readonly_fields) == [
        "factual_accuracy_working_days",
        "publication_notified_at",
        "published_at",
    ]
    assert RoundChange.objects.count() == 0


def test_admin_assessment_stage_is_read_only(admin_client):
    assessment = AssessmentFactory(stage=Stage.SCORING)

    response = admin_client.post(
        _url(Assessment, "change", assessment.pk),
        {
            "round": assessment.round_id,
            "pct": assessment.pct_id,
            "stage": Stage.PUBLISHED,
            "panel_day": "",
            "stage_changes-TOTAL_FORMS": "0",
            "stage_changes-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 302
    assert Assessment.objects.get(pk=assessment.pk).stage == Stage.SCORING
    page = admin_client.get(_url(Assessment, "change", assessment.pk))
    assert "stage" not in page.context["adminform"].form.fields
    assert "stage" in page.context["adminform"].readonly_fields


def test_admin_advance_action_moves_the_stage_through_the_service(admin_client, admin_user):
    assessment = AssessmentFactory(stage=Stage.CONSENSUS)

    response = admin_client.post(
        _url(Assessment, "changelist"),
        {"action": "advance", "_selected_action": [assessment.pk]},
    )

    assert response.status_code == 302
    stored = Assessment.objects.get(pk=assessment.pk)
    assert (stored.stage, stored.version) == (Stage.MODERATION, 2)
    assert list(StageChange.objects.values_list("from_stage", "to_stage", "changed_by")) == [
        (Stage.CONSENSUS, Stage.MODERATION, admin_user.pk)
    ]


@pytest.mark.parametrize("rows", [1, 3])
def test_admin_assessment_changelist_query_count_does_not_grow(
    admin_client, django_assert_num_queries, rows
):
    AssessmentFactory.create_batch(rows)
    url = _url(Assessment, "changelist")

    with django_assert_num_queries(7):
        response = admin_client.get(url)

    assert len(response.context["cl"].result_list) == rows


@pytest.mark.parametrize("rows", [1, 3])
def test_admin_agreed_rating_changelist_query_count_does_not_grow(
    admin_client, django_assert_num_queries, rows
):
    ratings = [_agreed_rating() for _ in range(rows)]
    url = _url(AgreedRating, "changelist")

    with django_assert_num_queries(7):
        response = admin_client.get(url)

    assert sorted(response.context["cl"].result_list, key=lambda r: r.pk) == ratings


@pytest.mark.parametrize("rows", [1, 3])
def test_admin_seat_changelist_query_count_does_not_grow(
    admin_client, django_assert_num_queries, rows
):
    seats = SeatFactory.create_batch(rows)
    url = _url(seats[0], "changelist")

    with django_assert_num_queries(8):
        response = admin_client.get(url)

    assert sorted(response.context["cl"].result_list, key=lambda s: s.pk) == seats
