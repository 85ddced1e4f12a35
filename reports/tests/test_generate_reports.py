"""generate_reports: files for the PCTs asked for, and clear refusals."""

import io

import pytest
from django.core.management import CommandError, call_command
from pypdf import PdfReader

from assessments.models import AgreedRating, Stage
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    GovernanceAreaFactory,
    PCTFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_with_two_pcts(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    round_ = AssessmentRoundFactory(slug="2009-10")
    competency = CompetencyFactory(framework=round_.framework, number=1)
    areas = [
        GovernanceAreaFactory(framework=round_.framework, code=c, position=i)
        for i, c in enumerate(["strategy", "finance", "board"], 1)
    ]
    for name in ("Alpha", "Beta"):
        assessment = AssessmentFactory(
            round=round_, pct=PCTFactory(name=name), stage=Stage.MODERATION
        )
        AgreedRatingFactory(assessment=assessment, competency=competency, level=2)
        for area in areas:
            AgreedRatingFactory(assessment=assessment, area=area, light="amber")
    AssessmentFactory(
        round=round_, pct=PCTFactory(name="Gamma"), stage=Stage.SCORING
    )  # nothing agreed
    return round_, tmp_path


def test_generate_reports_writes_a_draft_per_pct_with_agreed_ratings(round_with_two_pcts):
    round_, media = round_with_two_pcts
    err = io.StringIO()

    call_command(
        "generate_reports",
        "--round",
        round_.slug,
        "--workers",
        "1",
        stdout=io.StringIO(),
        stderr=err,
    )

    files = sorted(p.name for p in (media / "reports" / round_.slug).iterdir())
    assert len(files) == 2 and all(name.endswith("-draft.pdf") for name in files)
    text = PdfReader(media / "reports" / round_.slug / files[0]).pages[0].extract_text()
    assert "DRAFT" in text
    assert err.getvalue().endswith("[##############################] 2/2\n")


def test_generate_reports_refuses_an_unknown_round_or_pct(round_with_two_pcts):
    round_, media = round_with_two_pcts

    with pytest.raises(
        CommandError, match=rf"Unknown round '1999-00' \(known rounds: {round_.slug}\)"
    ):
        call_command("generate_reports", "--round", "1999-00", "--workers", "1")
    with pytest.raises(CommandError, match="--pct: give ODS codes"):  # the bad-input walk
        call_command("generate_reports", "--round", round_.slug, "--pct", " ", "--workers", "1")
    gamma = round_.assessments.get(pct__name="Gamma").pct.ods_code
    with pytest.raises(CommandError, match=f"for: {gamma}, ZZZ"):
        call_command(
            "generate_reports", "--round", round_.slug, "--pct", gamma, "zzz", "--workers", "1"
        )
    assert not (media / "reports").exists()


@pytest.mark.parametrize("workers", ["0", "65", "99999999999999999999"])
def test_generate_reports_refuses_workers_out_of_range(round_with_two_pcts, workers):
    """The bad-input walk: a huge number gave an OverflowError, 100,000 hung."""
    round_, media = round_with_two_pcts

    with pytest.raises(CommandError, match=r"^--workers must be from 1 to 64\.$"):
        call_command("generate_reports", "--round", round_.slug, "--workers", workers)
    assert not (media / "reports").exists()


def test_generate_reports_skips_reports_whose_data_did_not_change(round_with_two_pcts):
    round_, media = round_with_two_pcts
    folder = media / "reports" / round_.slug
    call_command(
        "generate_reports",
        "--round",
        round_.slug,
        "--workers",
        "1",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    mtimes = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    beta = round_.assessments.get(pct__name="Beta")
    # Beta's own text only: a level would move England's mean, which Alpha's report shows.
    AgreedRating.objects.filter(assessment=beta, competency__isnull=False).update(
        rationale="A rationale corrected at moderation."
    )
    out = io.StringIO()

    call_command(
        "generate_reports",
        "--round",
        round_.slug,
        "--workers",
        "1",
        stdout=out,
        stderr=io.StringIO(),
    )

    alpha_file = f"{round_.assessments.get(pct__name='Alpha').pct.ods_code}-draft.pdf"
    beta_file = f"{beta.pct.ods_code}-draft.pdf"
    assert out.getvalue() == f"2 report(s) in {folder}: 1 rendered, 1 already up to date.\n"
    assert (folder / alpha_file).stat().st_mtime_ns == mtimes[alpha_file]
    assert (folder / beta_file).stat().st_mtime_ns != mtimes[beta_file]


def test_generate_reports_takes_pcts_after_one_flag_or_repeated(round_with_two_pcts):
    round_, _media = round_with_two_pcts
    alpha, beta = (round_.assessments.get(pct__name=n).pct.ods_code for n in ("Alpha", "Beta"))

    for args in (["--pct", alpha, beta], ["--pct", alpha, "--pct", beta]):
        out = io.StringIO()
        call_command(
            "generate_reports",
            "--round",
            round_.slug,
            *args,
            "--workers",
            "1",
            stdout=out,
            stderr=io.StringIO(),
        )
        assert out.getvalue().startswith("2 report(s) in "), args


def test_generate_reports_fails_for_a_round_with_nothing_agreed_and_says_why(settings, tmp_path):
    """Walk M: a round-wide run with no agreed ratings said "0 report(s) ... 0 rendered" and
    exited 0, where naming a PCT of that round failed clearly."""
    settings.MEDIA_ROOT = tmp_path
    round_ = AssessmentRoundFactory(slug="2010-11")
    for stage in (Stage.SELF_ASSESSMENT, Stage.SELF_ASSESSMENT, Stage.SCORING):
        AssessmentFactory(round=round_, stage=stage)

    with pytest.raises(CommandError) as exc:
        call_command("generate_reports", "--round", "2010-11", "--workers", "1")

    assert str(exc.value) == (
        "No reports to make for 2010-11: no PCT of the round has agreed ratings yet (its "
        "PCTs' assessments are at Self-assessment (2), Scoring (1)). A report is made once a "
        "PCT's panel has agreed ratings."
    )
    assert not (tmp_path / "reports").exists()


def test_generate_reports_fails_for_a_round_without_pcts(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    AssessmentRoundFactory(slug="2010-11")

    with pytest.raises(CommandError, match=r"no PCT of the round has agreed ratings yet \(the "):
        call_command("generate_reports", "--round", "2010-11", "--workers", "1")
