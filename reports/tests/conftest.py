"""Fixtures shared by the reports app's tests."""

from types import SimpleNamespace

import pytest


@pytest.fixture
def world(db):
    """A round whose framework scores three competencies and the three areas."""
    # Imported here: a conftest is read before Django's apps are ready.
    from reports.tables import AREAS
    from tests.factories import AssessmentRoundFactory, CompetencyFactory, GovernanceAreaFactory

    round_ = AssessmentRoundFactory(slug="2009-10")
    framework = round_.framework
    return SimpleNamespace(
        round=round_,
        competencies=[
            CompetencyFactory(framework=framework, number=n, with_levels=False) for n in (1, 2, 3)
        ],
        areas=[
            GovernanceAreaFactory(framework=framework, code=code, position=n)
            for n, code in enumerate(AREAS, start=1)
        ],
    )
