"""Stored reports: rendered once, reused while nothing changes, regenerated when it does."""

import datetime

import pytest
from django.utils import timezone
from pypdf import PdfReader

from assessments.models import AgreedRating, Stage
from assessments.services import agreed_rating_adjust
from reports.charts import competency_profile_svg
from reports.models import StoredReport
from reports.storage import stored_report_pdf
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    GovernanceAreaFactory,
    PCTFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def assessment(settings, tmp_path):
    """An assessment at regional moderation with agreed ratings, files under tmp_path."""
    settings.MEDIA_ROOT = tmp_path
    round_ = AssessmentRoundFactory(slug="2009-10")
    competency = CompetencyFactory(framework=round_.framework, number=1)
    assessment = AssessmentFactory(
        round=round_, pct=PCTFactory(ods_code="5PG", name="Alpha"), stage=Stage.MODERATION
    )
    AgreedRatingFactory(assessment=assessment, competency=competency, level=2)
    for position, code in enumerate(["strategy", "finance", "board"], 1):
        area = GovernanceAreaFactory(framework=round_.framework, code=code, position=position)
        AgreedRatingFactory(assessment=assessment, area=area, light="amber")
    return assessment


def test_stored_report_is_written_under_media_root_and_recorded(assessment, tmp_path):
    stored = stored_report_pdf(assessment=assessment)

    row = StoredReport.objects.get()
    assert stored.path == tmp_path / "reports" / "2009-10" / "5PG-draft.pdf"
    assert (stored.rendered, stored.draft) == (True, True)
    assert (row.assessment, row.draft, row.path) == (
        assessment,
        True,
        "reports/2009-10/5PG-draft.pdf",
    )
    assert len(row.fingerprint) == 64
    assert "DRAFT" in PdfReader(stored.path).pages[0].extract_text()
    assert sorted(p.name for p in stored.path.parent.iterdir()) == ["5PG-draft.pdf"]  # no temp file


def test_stored_report_and_chart_are_reused_when_nothing_changed(assessment):
    first = stored_report_pdf(assessment=assessment)
    row = StoredReport.objects.get()
    mtime = first.path.stat().st_mtime_ns
    charts_drawn = competency_profile_svg.cache_info().misses

    second = stored_report_pdf(assessment=assessment)

    assert second.rendered is False
    assert second.path == first.path
    assert second.path.stat().st_mtime_ns == mtime
    assert StoredReport.objects.get() == row
    assert StoredReport.objects.get().generated_at == row.generated_at
    assert competency_profile_svg.cache_info().misses == charts_drawn


def test_stored_report_is_regenerated_after_an_agreed_rating_changes(assessment):
    first = stored_report_pdf(assessment=assessment)
    before = StoredReport.objects.get()
    rating = AgreedRating.objects.get(assessment=assessment, competency__isnull=False)

    agreed_rating_adjust(
        rating=rating,
        value=4,
        reason="Evidence of outcomes.",
        by=UserFactory(),
        expected_version=rating.version,
    )
    second = stored_report_pdf(assessment=assessment)

    after = StoredReport.objects.get()
    assert second.rendered is True
    assert second.path == first.path
    assert after.fingerprint != before.fingerprint
    assert after.generated_at > before.generated_at
    assert "level 4" in " ".join(p.extract_text() for p in PdfReader(second.path).pages)


def test_stored_report_is_rendered_again_when_its_file_is_missing(assessment):
    first = stored_report_pdf(assessment=assessment)
    first.path.unlink()

    second = stored_report_pdf(assessment=assessment)

    assert second.rendered is True
    assert second.path.is_file()


def test_draft_and_final_reports_are_stored_separately(assessment, tmp_path):
    draft = stored_report_pdf(assessment=assessment)
    type(assessment.round).objects.filter(pk=assessment.round_id).update(
        published_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assessment.round.refresh_from_db()

    final = stored_report_pdf(assessment=assessment)

    folder = tmp_path / "reports" / "2009-10"
    assert (draft.path, final.path) == (folder / "5PG-draft.pdf", folder / "5PG.pdf")
    assert (draft.rendered, final.rendered, final.draft) == (True, True, False)
    assert sorted(StoredReport.objects.values_list("draft", "path")) == [
        (False, "reports/2009-10/5PG.pdf"),
        (True, "reports/2009-10/5PG-draft.pdf"),
    ]
    assert "DRAFT" not in PdfReader(final.path).pages[0].extract_text()
    assert draft.path.is_file()
