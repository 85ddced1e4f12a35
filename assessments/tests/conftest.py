"""Fixtures shared by the self-assessment and evidence tests: one assessment at the
self-assessment stage and its board.

Models and factories are imported inside the fixtures: pytest loads this file before
pytest-django has set Django up.
"""

import pytest


@pytest.fixture
def framework():
    """A small framework: two competencies and the three governance areas. A test module
    that needs the real frameworks overrides this fixture (test_self_assessment_views.py)."""
    from tests.factories import CompetencyFactory, FrameworkFactory, GovernanceAreaFactory

    framework = FrameworkFactory(slug="fw-small")
    CompetencyFactory(framework=framework, number=1, short_name="Locally leading the NHS")
    CompetencyFactory(
        framework=framework, number=2, short_name="Managing knowledge and assessing need"
    )
    for position, code in enumerate(["strategy", "finance", "board"], start=1):
        GovernanceAreaFactory(framework=framework, code=code, position=position)
    return framework


@pytest.fixture
def assessment(framework):
    """The assessment of PCT 5PG in the 2009-10 round, at the self-assessment stage."""
    from assessments.models import Stage
    from tests.factories import AssessmentFactory, AssessmentRoundFactory, PCTFactory

    return AssessmentFactory(
        round=AssessmentRoundFactory(slug="2009-10", framework=framework),
        pct=PCTFactory(ods_code="5PG"),
        stage=Stage.SELF_ASSESSMENT,
    )


@pytest.fixture
def board(assessment):
    from assessments.models import Role
    from tests.factories import RoleFactory

    return RoleFactory(kind=Role.Kind.PCT_BOARD, pct=assessment.pct).user
