"""Flagging a PCT for directed development when the region has more PCTs ready for a plan
than a list holds (``panels.selectors.PCT_CHOICES``: a region at 10,000 organisations):
the list's select becomes "Find a PCT" by ODS code or name, with the GOV.UK error summary.

Personas: staff of SHA Alpha (may), the national team (may look, does not flag)."""

import pytest
from django.utils import timezone

from assessments.models import Assessment, PrimaryCareTrust, Role, Stage
from panels.selectors import PCT_CHOICES
from tests.factories import AssessmentRoundFactory, RoleFactory, SHAFactory

pytestmark = pytest.mark.django_db
LIST = "/reports/development/{}/"
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.fixture
def world():
    alpha = SHAFactory(ods_code="Q34", name="SHA Alpha")
    round_ = AssessmentRoundFactory(
        slug="2009-10", published_at=timezone.now() + timezone.timedelta(days=30)
    )
    trusts = PrimaryCareTrust.objects.bulk_create(
        PrimaryCareTrust(
            ods_code=f"X{ALPHABET[n // 26]}{ALPHABET[n % 26]}",
            name=f"Trust {n:03d}",
            org_type="pct",
            sha=alpha,
        )
        for n in range(PCT_CHOICES + 1)  # one more than a list holds
    )
    Assessment.objects.bulk_create(
        Assessment(round=round_, pct=pct, stage=Stage.MODERATION) for pct in trusts
    )
    return {
        "round": round_,
        "staff": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=alpha).user,
        "national": RoleFactory(kind=Role.Kind.NATIONAL).user,
    }


def test_staff_are_asked_for_a_pct_not_offered_every_one(client, world):
    client.force_login(world["staff"])

    response = client.get(LIST.format("2009-10"))

    page = response.content.decode()
    assert response.context["flaggable"] == [] and response.context["flag_by_lookup"]
    assert 'name="pct"' in page and "<option" not in page and "Trust 000" not in page
    assert "Flag another PCT of your region for directed development" in page


@pytest.mark.parametrize(("text", "ods"), [("xab", "XAB"), ("Trust 027", "XBB")])
def test_a_pct_found_by_code_or_name_goes_to_its_plan(client, world, text, ods):
    client.force_login(world["staff"])

    response = client.get(LIST.format("2009-10"), {"pct": text})

    assert response.status_code == 302
    assert response["Location"] == f"/reports/development/2009-10/{ods}/"


def test_a_pct_already_listed_is_found_too(client, world):
    from assessments.models import DevelopmentPlan

    listed = Assessment.objects.get(round=world["round"], pct__ods_code="XAC")
    DevelopmentPlan.objects.create(
        assessment=listed, reason="sha_flagged", owner="X", review_date="2010-06-30"
    )
    client.force_login(world["staff"])

    response = client.get(LIST.format("2009-10"), {"pct": "xac"})

    assert response["Location"] == "/reports/development/2009-10/XAC/"


def test_a_pct_not_found_is_an_error_summary_linked_to_the_field(client, world):
    client.force_login(world["staff"])

    response = client.get(LIST.format("2009-10"), {"pct": "ZZZ"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Directed development 2009-10" in page
    assert (
        '<a href="#id_pct">Flag another PCT of your region for directed development: No PCT of '
        "your region ready for a plan matches “ZZZ”: enter its ODS code (such as XAA) or part "
        "of its name.</a>"
    ) in page
    assert 'value="ZZZ"' in page  # what was typed is kept


def test_the_national_team_is_not_asked_and_its_pct_is_ignored(client, world):
    client.force_login(world["national"])

    response = client.get(LIST.format("2009-10"), {"pct": "XAB"})

    assert response.status_code == 200
    assert not response.context["flag_by_lookup"] and 'data-test="flag-form"' not in (
        response.content.decode()
    )
