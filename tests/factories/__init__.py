"""factory-boy factories for the whole domain; tests import them from here."""

from tests.factories.assessments import (  # noqa: F401
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    DevelopmentPlanChangeFactory,
    DevelopmentPlanFactory,
    DevelopmentPriorityFactory,
    EvidenceDocumentFactory,
    FactualAccuracyCommentFactory,
    LocalOutcomePriorityFactory,
    ModerationAdjustmentFactory,
    OutcomeIndicatorFactory,
    PCTFactory,
    RatingChangeFactory,
    RegionReviewChangeFactory,
    RegionReviewFactory,
    RoleFactory,
    RoundChangeFactory,
    SelfAssessmentFactory,
    SelfAssessmentRatingFactory,
    SHAFactory,
    StageChangeFactory,
    SupplierFactory,
    UserFactory,
)
from tests.factories.competencies import (  # noqa: F401
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
    LevelDescriptorFactory,
    SubIndicatorFactory,
)
from tests.factories.panels import (  # noqa: F401
    ConflictRuleFactory,
    ExternalOrganisationFactory,
    MemberScoreFactory,
    PanelFactory,
    PersonFactory,
    SeatChangeFactory,
    SeatFactory,
    SeatTypeFactory,
)
