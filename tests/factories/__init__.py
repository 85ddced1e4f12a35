"""factory-boy factories for the whole domain; tests import them from here."""

from tests.factories.assessments import (  # noqa: F401
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)
from tests.factories.competencies import (  # noqa: F401
    CompetencyFactory,
    FrameworkFactory,
    GovernanceAreaFactory,
)
from tests.factories.panels import (  # noqa: F401
    ExternalOrganisationFactory,
    MemberScoreFactory,
    PanelFactory,
    PersonFactory,
    SeatFactory,
    SeatTypeFactory,
)
