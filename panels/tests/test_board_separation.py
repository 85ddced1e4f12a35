"""Nobody acts for the board of a PCT whose panel they sit on: the seats refuse a board's
account (``panels.eligibility.seat_refusals``), and the board accounts pages refuse a
seated member (``panels.eligibility.seated_on_panels``, which ``PanelsConfig.ready`` adds
to ``assessments.role_accounts.board_refusals``), one by one and in a file."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from assessments.models import Role
from assessments.role_accounts import RoleScope, role_invite
from tests.factories import (
    AssessmentFactory,
    PanelFactory,
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SeatFactory,
    SeatTypeFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
BOARD = Role.Kind.PCT_BOARD


@pytest.fixture
def seated():
    """janet sits (seat 2) on the panel of Alpha PCT in round 2043-44, not yet published."""
    sha = SHAFactory(ods_code="Q34")
    pct = PCTFactory(sha=sha, ods_code="5AA", name="Alpha PCT")
    janet = UserFactory(username="janet", email="janet@example.org")
    assessment = AssessmentFactory(pct=pct, round__slug="2043-44", round__name="2043-44")
    SeatFactory(
        panel=PanelFactory(assessment=assessment),
        seat_type=SeatTypeFactory(number=2, name="Clinician"),
        person=PersonFactory(user=janet, pct=PCTFactory(sha=sha)),
    )
    staff = RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user
    return {"pct": pct, "janet": janet, "assessment": assessment, "staff": staff}


def _invite(pct, by):
    return role_invite(
        scope=RoleScope.board(pct), full_name="Janet Richards", email="janet@example.org", by=by
    )


def test_a_member_seated_on_the_pcts_panel_is_refused_its_board(seated):
    with pytest.raises(ValidationError) as refused:
        _invite(seated["pct"], seated["staff"])

    assert refused.value.message_dict["email"] == [
        "janet@example.org sits on the panel of Alpha PCT for 2043-44 (seat 2, "
        "Clinician): nobody may act for the board of a PCT whose panel they sit on."
    ]
    assert not Role.objects.filter(user=seated["janet"], kind=BOARD).exists()


def test_another_pcts_board_or_a_published_rounds_panel_is_no_conflict(seated):
    other = PCTFactory(sha=seated["pct"].sha, ods_code="5AB")
    assert _invite(other, seated["staff"]).user == seated["janet"]

    seated["assessment"].round.published_at = timezone.now() - datetime.timedelta(days=1)
    seated["assessment"].round.save()
    assert _invite(seated["pct"], seated["staff"]).user == seated["janet"]


def test_a_file_names_the_row_of_a_seated_member_and_does_nothing(client, seated):
    client.force_login(seated["staff"])
    text = "ods_code,full_name,email\n5AA,Dana Director,dana@example.org\n5AA,Janet,janet@example.org\n"

    preview = client.post(
        "/boards/file/",
        {"file": SimpleUploadedFile("b.csv", text.encode(), "text/csv")},
        follow=True,
    )

    plan = preview.context["plan"]
    assert plan.invites == []
    assert plan.errors == [
        "b.csv: row 3, column email: janet@example.org sits on the panel of Alpha PCT "
        "for 2043-44 (seat 2, Clinician): nobody may act for the board of a PCT whose panel "
        "they sit on."
    ]
