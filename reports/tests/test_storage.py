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
def moderated(media):
    """An assessment at regional moderation with agreed ratings; files go to ``media``."""
    round_ = AssessmentRoundFactory(slug="2009-10")
    competency = CompetencyFactory(framework=round_.framework, number=1)
    moderated = AssessmentFactory(
        round=round_, pct=PCTFactory(ods_code="5PG", name="Alpha"), stage=Stage.MODERATION
    )
    AgreedRatingFactory(assessment=moderated, competency=competency, level=2)
    for position, code in enumerate(["strategy", "finance", "board"], 1):
        area = GovernanceAreaFactory(framework=round_.framework, code=code, position=position)
        AgreedRatingFactory(assessment=moderated, area=area, light="amber")
    return moderated


def test_stored_report_is_written_under_media_root_and_recorded(moderated, media):
    stored = stored_report_pdf(assessment=moderated)

    row = StoredReport.objects.get()
    assert stored.path == media / "reports" / "2009-10" / "5PG-draft.pdf"
    assert (stored.rendered, stored.draft) == (True, True)
    assert (row.assessment, row.draft, row.path) == (
        moderated,
        True,
        "reports/2009-10/5PG-draft.pdf",
    )
    assert len(row.fingerprint) == 64
    assert "DRAFT" in PdfReader(stored.path).pages[0].extract_text()
    assert sorted(p.name for p in stored.path.parent.iterdir()) == ["5PG-draft.pdf"]  # no temp file


def test_stored_report_and_chart_are_reused_when_nothing_changed(moderated):
    first = stored_report_pdf(assessment=moderated)
    row = StoredReport.objects.get()
    mtime = first.path.stat().st_mtime_ns
    charts_drawn = competency_profile_svg.cache_info().misses

    second = stored_report_pdf(assessment=moderated)

    assert second.rendered is False
    assert second.path == first.path
    assert second.path.stat().st_mtime_ns == mtime
    assert StoredReport.objects.get() == row
    assert StoredReport.objects.get().generated_at == row.generated_at
    assert competency_profile_svg.cache_info().misses == charts_drawn


def test_stored_report_is_regenerated_after_an_agreed_rating_changes(moderated):
    first = stored_report_pdf(assessment=moderated)
    before = StoredReport.objects.get()
    rating = AgreedRating.objects.get(assessment=moderated, competency__isnull=False)

    agreed_rating_adjust(
        rating=rating,
        value=4,
        reason="Evidence of outcomes.",
        by=UserFactory(),
        expected_version=rating.version,
    )
    second = stored_report_pdf(assessment=moderated)

    after = StoredReport.objects.get()
    assert second.rendered is True
    assert second.path == first.path
    assert after.fingerprint != before.fingerprint
    assert after.generated_at > before.generated_at
    assert "level 4" in " ".join(p.extract_text() for p in PdfReader(second.path).pages)


def test_stored_report_is_rendered_again_when_its_file_is_missing(moderated):
    first = stored_report_pdf(assessment=moderated)
    first.path.unlink()

    second = stored_report_pdf(assessment=moderated)

    assert second.rendered is True
    assert second.path.is_file()


def test_draft_and_final_reports_are_stored_separately(moderated, media):
    draft = stored_report_pdf(assessment=moderated)
    type(moderated.round).objects.filter(pk=moderated.round_id).update(
        published_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    moderated.round.refresh_from_db()

    final = stored_report_pdf(assessment=moderated)

    folder = media / "reports" / "2009-10"
    assert (draft.path, final.path) == (folder / "5PG-draft.pdf", folder / "5PG.pdf")
    assert (draft.rendered, final.rendered, final.draft) == (True, True, False)
    assert sorted(StoredReport.objects.values_list("draft", "path")) == [
        (False, "reports/2009-10/5PG.pdf"),
        (True, "reports/2009-10/5PG-draft.pdf"),
    ]
    assert "DRAFT" not in PdfReader(final.path).pages[0].extract_text()
    assert draft.path.is_file()
