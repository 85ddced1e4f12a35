import datetime

import factory
from django.contrib.auth import get_user_model

from assessments.models import (
    AccountChange,
    AgreedRating,
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    DevelopmentPlanChange,
    DevelopmentPriority,
    EvidenceChange,
    EvidenceDocument,
    FactualAccuracyComment,
    FactualAccuracyConfirmation,
    LocalOutcomePriority,
    ModerationAdjustment,
    OutcomeIndicator,
    OutcomePriorityChange,
    PCTChange,
    PrimaryCareTrust,
    RatingChange,
    RegionReview,
    RegionReviewChange,
    Role,
    RoleChange,
    RoundChange,
    SelfAssessment,
    SelfAssessmentRating,
    StageChange,
    StrategicHealthAuthority,
    Supplier,
)
from assessments.standings import rating_changed
from tests.factories.competencies import CompetencyFactory, FrameworkFactory


def _code(prefix: str, n: int) -> str:
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return prefix + alphabet[(n // len(alphabet)) % len(alphabet)] + alphabet[n % len(alphabet)]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("pass-for-tests")


class SHAFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategicHealthAuthority
        django_get_or_create = ("ods_code",)

    ods_code = factory.Sequence(lambda n: _code("X", n))
    name = factory.LazyAttribute(lambda o: f"SHA {o.ods_code}")


class PCTFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PrimaryCareTrust
        django_get_or_create = ("ods_code",)

    ods_code = factory.Sequence(lambda n: _code("Y", n))
    name = factory.LazyAttribute(lambda o: f"PCT {o.ods_code}")
    org_type = PrimaryCareTrust.OrgType.PCT
    sha = factory.SubFactory(SHAFactory)


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role

    user = factory.SubFactory(UserFactory)
    kind = Role.Kind.NATIONAL


class RoleChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleChange

    user = factory.SubFactory(UserFactory)
    action = RoleChange.Action.GRANTED
    kind = Role.Kind.NATIONAL


class AccountChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccountChange

    user = factory.SubFactory(UserFactory)
    action = AccountChange.Action.INVITED


class AssessmentRoundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentRound
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"20{n % 90 + 10}-{n % 90 + 11}")
    name = factory.LazyAttribute(lambda o: f"Round {o.slug}")
    framework = factory.SubFactory(FrameworkFactory)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assessment

    round = factory.SubFactory(AssessmentRoundFactory)
    pct = factory.SubFactory(PCTFactory)


class AgreedRatingFactory(factory.django.DjangoModelFactory):
    """An agreed level for a competency; pass ``area=`` and ``light=`` for a light."""

    class Meta:
        model = AgreedRating

    assessment = factory.SubFactory(AssessmentFactory)
    competency = None
    level = factory.LazyAttribute(lambda o: 2 if o.competency else None)
    panel_level = factory.SelfAttribute("level")
    light = ""
    panel_light = factory.SelfAttribute("light")
    rationale = "The panel's rationale."

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # As the services do: the assessment's standing (the reports' read model) follows.
        rating = super()._create(model_class, *args, **kwargs)
        if rating.sub_indicator_id is None:
            rating_changed(assessment_id=rating.assessment_id)
        return rating


class StageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StageChange

    assessment = factory.SubFactory(AssessmentFactory)
    from_stage = Assessment.Stage.SELF_ASSESSMENT
    to_stage = Assessment.Stage.PANEL_FORMATION
    changed_by = factory.SubFactory(UserFactory)


class SelfAssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SelfAssessment

    assessment = factory.SubFactory(AssessmentFactory)


class SelfAssessmentRatingFactory(factory.django.DjangoModelFactory):
    """The board's level for a competency of the round's framework; pass ``area=`` and
    ``light=`` (with ``competency=None``) for a light."""

    class Meta:
        model = SelfAssessmentRating

    self_assessment = factory.SubFactory(SelfAssessmentFactory)
    competency = factory.SubFactory(
        CompetencyFactory,
        framework=factory.SelfAttribute("..self_assessment.assessment.round.framework"),
    )
    level = factory.LazyAttribute(lambda o: 2 if o.competency else None)
    light = ""


class EvidenceDocumentFactory(factory.django.DjangoModelFactory):
    """A document row; the file name is stored, no file is written."""

    class Meta:
        model = EvidenceDocument

    assessment = factory.SubFactory(AssessmentFactory)
    doc_type = EvidenceDocument.DocType.STRATEGIC_PLAN
    title = factory.Sequence(lambda n: f"Strategic plan {n}")
    file = factory.LazyAttribute(lambda o: f"evidence/2009/{o.title.replace(' ', '-')}.pdf")


class EvidenceChangeFactory(factory.django.DjangoModelFactory):
    """A history row of an evidence document uploaded (no document or file behind it)."""

    class Meta:
        model = EvidenceChange

    assessment = factory.SubFactory(AssessmentFactory)
    action = EvidenceChange.Action.ADDED
    doc_type = EvidenceDocument.DocType.STRATEGIC_PLAN
    title = factory.Sequence(lambda n: f"Strategic plan {n}")
    stored_name = factory.LazyAttribute(lambda o: f"evidence/2009/{o.title.replace(' ', '-')}.pdf")
    size = 1024
    sha256 = "0" * 64


def _agreed_competency_rating():
    return factory.SubFactory(
        AgreedRatingFactory,
        competency=factory.SubFactory(
            CompetencyFactory, framework=factory.SelfAttribute("..assessment.round.framework")
        ),
    )


class RatingChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RatingChange

    assessment = factory.SubFactory(AssessmentFactory)
    source = RatingChange.Source.CONSENSUS
    competency = factory.SubFactory(
        CompetencyFactory, framework=factory.SelfAttribute("..assessment.round.framework")
    )
    old_value = ""
    new_value = "2"
    changed_by = factory.SubFactory(UserFactory)


class ModerationAdjustmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ModerationAdjustment

    rating = _agreed_competency_rating()
    stage = Assessment.Stage.MODERATION
    old_value = "2"
    new_value = "3"
    reason = "Out of line with the region's evidence."
    adjusted_by = factory.SubFactory(UserFactory)


class RegionReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionReview

    round = factory.SubFactory(AssessmentRoundFactory)
    sha = factory.SubFactory(SHAFactory)


class RegionReviewChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegionReviewChange

    review = factory.SubFactory(RegionReviewFactory)
    decision = RegionReviewChange.Decision.SIGNED_OFF
    decided_by = factory.SubFactory(UserFactory)


class FactualAccuracyCommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FactualAccuracyComment

    assessment = factory.SubFactory(AssessmentFactory)
    comment = "The draft misstates our 2007-08 outturn."
    raised_by = factory.SubFactory(UserFactory)


class OutcomeIndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomeIndicator
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"indicator-{n}")
    name = factory.LazyAttribute(lambda o: f"Indicator {o.code}")
    unit = "per 100,000"
    higher_is_better = False


class LocalOutcomePriorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LocalOutcomePriority

    assessment = factory.SubFactory(AssessmentFactory)
    indicator = factory.SubFactory(OutcomeIndicatorFactory)
    baseline_year = "2007-08"
    baseline = 100
    year1 = 98
    year2 = 96
    year3 = 94
    year4 = 92
    year5 = 90


class OutcomePriorityChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OutcomePriorityChange

    assessment = factory.SubFactory(AssessmentFactory)
    summary = "Indicator: 100 (2007-08) to 90 (2012-13)"
    changed_by = factory.SubFactory(UserFactory)


class FactualAccuracyConfirmationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FactualAccuracyConfirmation

    assessment = factory.SubFactory(AssessmentFactory)
    confirmed_by = factory.SubFactory(UserFactory)


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Supplier {n}")
    services = factory.LazyFunction(lambda: ["procurement"])


class DevelopmentPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DevelopmentPlan

    assessment = factory.SubFactory(AssessmentFactory)
    reason = DevelopmentPlan.Reason.SHA_FLAGGED
    owner = "Director of commissioning"
    review_date = datetime.date(2009, 9, 30)


class DevelopmentPriorityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DevelopmentPriority

    plan = factory.SubFactory(DevelopmentPlanFactory)
    competency = factory.SubFactory(
        CompetencyFactory, framework=factory.SelfAttribute("..plan.assessment.round.framework")
    )
    support = DevelopmentPriority.Support.LEARN
    action = "Join the regional procurement programme."


class DevelopmentPlanChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DevelopmentPlanChange

    assessment = factory.SubFactory(AssessmentFactory)
    action = DevelopmentPlanChange.Action.SAVED
    summary = "Owner: Director of Commissioning; review by 30 June 2009."
    changed_by = factory.SubFactory(UserFactory)


class RoundChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoundChange

    round = factory.SubFactory(AssessmentRoundFactory)
    field = "factual_accuracy_working_days"
    old_value = "10"
    new_value = "15"
    changed_by = factory.SubFactory(UserFactory)


class PCTChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PCTChange

    pct = factory.SubFactory(PCTFactory)
    field = "name"
    old_value = "Old name"
    new_value = factory.SelfAttribute("pct.name")
    changed_by = factory.SubFactory(UserFactory)
