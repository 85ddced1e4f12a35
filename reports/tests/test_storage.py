"""Stored reports: rendered once, reused while nothing changes, regenerated when it does."""

import datetime

import pytest
from django.utils import timezone
from pypdf import PdfReader

from assessments.models import AgreedRating, Role, Stage
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
    RoleFactory,
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
    path = media / "reports" / "2009-10" / "5PG-draft.pdf"
    assert stored.name == "reports/2009-10/5PG-draft.pdf"
    assert (stored.rendered, stored.draft) == (True, True)
    assert (row.assessment, row.draft, row.path) == (
        moderated,
        True,
        "reports/2009-10/5PG-draft.pdf",
    )
    assert len(row.fingerprint) == 64
    assert "DRAFT" in PdfReader(path).pages[0].extract_text()
    assert sorted(p.name for p in path.parent.iterdir()) == ["5PG-draft.pdf"]  # no temp file


def test_stored_report_and_chart_are_reused_when_nothing_changed(moderated, media):
    first = stored_report_pdf(assessment=moderated)
    row = StoredReport.objects.get()
    mtime = (media / first.name).stat().st_mtime_ns
    charts_drawn = competency_profile_svg.cache_info().misses

    second = stored_report_pdf(assessment=moderated)

    assert second.rendered is False
    assert second.name == first.name
    assert (media / second.name).stat().st_mtime_ns == mtime
    assert StoredReport.objects.get() == row
    assert StoredReport.objects.get().generated_at == row.generated_at
    assert competency_profile_svg.cache_info().misses == charts_drawn


def test_stored_report_is_regenerated_after_an_agreed_rating_changes(moderated, media):
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
    assert second.name == first.name
    assert after.fingerprint != before.fingerprint
    assert after.generated_at > before.generated_at
    assert "level 4" in " ".join(p.extract_text() for p in PdfReader(media / second.name).pages)


def test_stored_report_is_rendered_again_when_its_file_is_missing(moderated, media):
    first = stored_report_pdf(assessment=moderated)
    (media / first.name).unlink()

    second = stored_report_pdf(assessment=moderated)

    assert second.rendered is True
    assert (media / second.name).is_file()


def test_draft_and_final_reports_are_stored_separately(moderated, media):
    draft = stored_report_pdf(assessment=moderated)
    type(moderated.round).objects.filter(pk=moderated.round_id).update(
        published_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    moderated.round.refresh_from_db()

    final = stored_report_pdf(assessment=moderated)

    folder = media / "reports" / "2009-10"
    assert (media / draft.name, media / final.name) == (
        folder / "5PG-draft.pdf",
        folder / "5PG.pdf",
    )
    assert (draft.rendered, final.rendered, final.draft) == (True, True, False)
    assert sorted(StoredReport.objects.values_list("draft", "path")) == [
        (False, "reports/2009-10/5PG.pdf"),
        (True, "reports/2009-10/5PG-draft.pdf"),
    ]
    assert "DRAFT" not in PdfReader(folder / "5PG.pdf").pages[0].extract_text()
    assert (folder / "5PG-draft.pdf").is_file()


@pytest.fixture
def s3_bucket(settings):
    """Both storages in a moto-mocked S3 bucket, as ``STORAGE_BACKEND=s3`` configures them."""
    from moto import mock_aws

    with mock_aws():
        import boto3

        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="wcc-test")
        options = {"bucket_name": "wcc-test", "region_name": "us-east-1", "default_acl": None}
        backend = "storages.backends.s3.S3Storage"
        settings.STORAGES = {
            **settings.STORAGES,
            "default": {"BACKEND": backend, "OPTIONS": {**options, "file_overwrite": False}},
            "reports": {"BACKEND": backend, "OPTIONS": {**options, "file_overwrite": True}},
        }
        yield boto3.client("s3", region_name="us-east-1")


def test_stored_report_goes_to_s3_and_is_served_from_it(moderated, s3_bucket, client):
    national = RoleFactory(kind=Role.Kind.NATIONAL).user
    client.force_login(national)

    first = stored_report_pdf(assessment=moderated)
    second = stored_report_pdf(assessment=moderated)
    response = client.get("/reports/pct/5PG/2009-10.pdf")

    listed = s3_bucket.list_objects_v2(Bucket="wcc-test")["Contents"]
    stored = s3_bucket.get_object(Bucket="wcc-test", Key="reports/2009-10/5PG-draft.pdf")
    content = stored["Body"].read()
    assert [o["Key"] for o in listed] == ["reports/2009-10/5PG-draft.pdf"]
    assert (first.rendered, second.rendered, second.name) == (
        True,
        False,
        "reports/2009-10/5PG-draft.pdf",
    )
    assert content.startswith(b"%PDF-")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert b"".join(response.streaming_content) == content
