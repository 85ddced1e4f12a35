"""The ``open_round`` command: create a round with a copied framework, and open it."""

import io

import pytest
from django.core.management import CommandError, call_command

from assessments.models import Assessment, AssessmentRound, Role, RoundChange
from competencies.models import FrameworkVersion
from tests.factories import (
    AssessmentRoundFactory,
    CompetencyFactory,
    FrameworkFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    framework = FrameworkFactory(slug="2009-10")
    CompetencyFactory(framework=framework, number=1)
    AssessmentRoundFactory(slug="2009-10", framework=framework)
    north, west = SHAFactory(ods_code="Q30"), SHAFactory(ods_code="Q34")
    for sha in (north, west):
        pct = PCTFactory(sha=sha, ods_code=f"{sha.ods_code[-1]}AA")
        RoleFactory(
            kind=Role.Kind.PCT_BOARD, pct=pct, user=UserFactory(email=f"{pct.ods_code}@x.org")
        )
    return north, west


def _run(*args):
    out = io.StringIO()
    call_command("open_round", *args, stdout=out)
    return out.getvalue()


def test_open_round_for_one_sha(world, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        out = _run(
            "--round", "2010-11", "--name", "WCC 2010/11", "--copy-framework-from", "2009-10",
            "--sha", "q34",
        )  # fmt: skip

    assert list(
        Assessment.objects.filter(round__slug="2010-11").values_list("pct__ods_code", flat=True)
    ) == ["4AA"]
    assert [m.to for m in mailoutbox] == [["4AA@x.org"]]
    assert "Opened self-assessment for 1 PCT(s) in 1 SHA(s)" in out
    assert RoundChange.objects.filter(round__slug="2010-11", changed_by=None).count() == 2


def test_open_round_for_every_sha_by_default(world):
    _run("--round", "2010-11", "--name", "WCC 2010/11", "--copy-framework-from", "2009-10")

    assert Assessment.objects.filter(round__slug="2010-11").count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--round", "2009-10", "--copy-framework-from", "2009-10"],
            "--round: A round 2009-10 already exists: choose another year. Nothing was written.",
        ),
        (
            ["--round", "2010-11", "--copy-framework-from", "1999-00"],
            "Unknown round or framework '1999-00' to copy the framework from. Nothing was written.",
        ),
        (
            ["--round", "2010-11", "--copy-framework-from", "2009-10", "--sha", "Q34", "Q99"],
            "Unknown SHA code(s): Q99 (SHAs are Q30 to Q39). Nothing was written.",
        ),
        (
            ["--round", "2010-12", "--copy-framework-from", "2009-10"],
            "--round: '2010-12' is not a round: write two consecutive years as YYYY-YY, for "
            "example 2010-11. Nothing was written.",
        ),
        (  # the bad-input walk: the message did not name --name
            ["--round", "2010-11", "--copy-framework-from", "2009-10", "--name", "W" * 201],
            "--name: Ensure this value has at most 100 characters (it has 201). Nothing was "
            "written.",
        ),
    ],
)
def test_open_round_refuses_bad_input_and_writes_nothing(world, args, message):
    frameworks = FrameworkVersion.objects.count()

    with pytest.raises(CommandError) as excinfo:
        _run("--name", "WCC", *args)

    assert str(excinfo.value) == message
    assert list(AssessmentRound.objects.values_list("slug", flat=True)) == ["2009-10"]
    assert FrameworkVersion.objects.count() == frameworks
    assert Assessment.objects.count() == 0
