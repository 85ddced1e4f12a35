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


@pytest.fixture
def send_answer():
    """SHA staff's answer to a board's comment through its check page: the answer's POST
    (the check page, returned first), then the confirming one (returned second)."""

    def send(client, comment, fields: dict, **post):
        address = (
            f"/reports/pct/{comment.assessment.pct.ods_code}/{comment.assessment.round.slug}/"
            f"comments/{comment.pk}/answer/"
        )
        data = {f"c{comment.pk}-{name}": value for name, value in fields.items()}
        check = client.post(address, data, **post)
        assert check.status_code == 200, check.status_code
        assert check.context["button"] == "Confirm and send the answer"
        return check, client.post(address, dict(check.context["carry"]) | {"confirm": "1"}, **post)

    return send
