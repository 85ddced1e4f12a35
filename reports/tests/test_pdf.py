"""The PDF feedback report: its text, the draft mark, who may download it, the stored file,
the fetcher."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from pypdf import PdfReader
from weasyprint.urls import URLFetchingError

from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    RegionReview,
    Stage,
    StrategicHealthAuthority,
)
from reports.models import StoredReport
from reports.pdf import StaticOnlyFetcher

URL = "/reports/pct/{}/{}.pdf"

# Stored reports go to a fresh folder for each test, never the project's media.
pytestmark = pytest.mark.usefixtures("media")


def login(client, username):
    client.force_login(get_user_model().objects.get(username=username))


def pdf_reader(response) -> PdfReader:
    assert response["Content-Type"] == "application/pdf"
    return PdfReader(io.BytesIO(response.getvalue()))


def pdf_text(response) -> str:
    return "\n".join(page.extract_text() for page in pdf_reader(response).pages)


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.django_db
def test_board_downloads_its_published_report_with_every_rating(client, demo):
    login(client, "board.5pg")

    response = client.get(URL.format("5pg", "2008-09"))

    reader = pdf_reader(response)
    text = squash("\n".join(page.extract_text() for page in reader.pages))
    ratings = AgreedRating.objects.filter(
        assessment__round__slug="2008-09", assessment__pct__ods_code="5PG"
    )
    assert response["Content-Disposition"] == 'attachment; filename="wcc-5PG-2008-09.pdf"'
    assert "Birmingham East and North" in text
    assert "DRAFT" not in text
    assert text.count("Green") >= 3
    assert "Rank 1 of 152" in text
    for rating in ratings.filter(competency__isnull=False):
        assert (
            f"{rating.competency.number}. {rating.competency.short_name} — level {rating.level}"
            in text
        )
    for rating in ratings:
        assert squash(rating.rationale)[:60] in text
    # Tagged for screen readers (the accessibility walk: "Tagged: no"), in English.
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en-GB"


@pytest.mark.django_db
def test_staff_get_a_draft_of_an_unpublished_round_marked_on_every_page(client, demo):
    login(client, "moderator.q30")

    response = client.get(URL.format("5ND", "2009-10"))

    reader = PdfReader(io.BytesIO(response.getvalue()))
    assert all("DRAFT — EMBARGOED" in squash(page.extract_text()) for page in reader.pages)
    assert response["Content-Disposition"] == 'attachment; filename="wcc-5ND-2009-10-draft.pdf"'


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "ods", "slug"),
    [
        ("board.5pg", "5PG", "2009-10"),  # its own, but not published and not in its check
        ("board.5c4", "5PG", "2008-09"),  # another PCT's board
        ("moderator.q31", "5ND", "2009-10"),  # staff of another SHA
        ("chair.q30", "5ND", "2009-10"),  # an outsider to reports
        ("national", "5ND", "1999-00"),  # no such round
    ],
)
def test_report_is_404_outside_its_readers(client, demo, media, username, ods, slug):
    login(client, username)

    assert client.get(URL.format(ods, slug)).status_code == 404
    assert not (media / "reports").exists()  # nothing rendered or stored for them


@pytest.mark.django_db
def test_report_is_served_from_its_stored_file_and_not_rendered_again(client, demo, media):
    login(client, "board.5pg")
    first = client.get(URL.format("5PG", "2008-09"))
    first_content = first.getvalue()
    stored = StoredReport.objects.get(
        assessment__round__slug="2008-09", assessment__pct__ods_code="5PG"
    )
    path = media / "reports" / "2008-09" / "5PG.pdf"
    mtime = path.stat().st_mtime_ns

    second = client.get(URL.format("5PG", "2008-09"))

    assert (stored.path, stored.draft) == ("reports/2008-09/5PG.pdf", False)
    assert second.getvalue() == first_content == path.read_bytes()
    assert path.stat().st_mtime_ns == mtime
    assert StoredReport.objects.get(pk=stored.pk).generated_at == stored.generated_at
    assert second["Content-Disposition"] == 'attachment; filename="wcc-5PG-2008-09.pdf"'
    assert second["Cache-Control"] == "private, no-store"


@pytest.mark.django_db
def test_stored_reports_are_not_served_as_media(client, demo, media):
    login(client, "national")
    client.get(URL.format("5PG", "2008-09")).getvalue()

    assert (media / "reports" / "2008-09" / "5PG.pdf").is_file()
    assert client.get("/media/reports/2008-09/5PG.pdf").status_code == 404


@pytest.mark.django_db
def test_board_sees_its_draft_during_its_factual_accuracy_check(client, demo):
    Assessment.objects.filter(round__slug="2009-10", pct__ods_code="5ND").update(
        stage=Stage.FACTUAL_ACCURACY
    )
    RegionReview.objects.update_or_create(
        round=AssessmentRound.objects.get(slug="2009-10"),
        sha=StrategicHealthAuthority.objects.get(ods_code="Q30"),
        defaults={
            "status": "confirmed",
            "factual_accuracy_closes": timezone.now() + timedelta(days=3),
        },
    )
    login(client, "board.5nd")

    response = client.get(URL.format("5nd", "2009-10"))

    assert response.status_code == 200
    assert "DRAFT — EMBARGOED" in pdf_text(response)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.org/tracker.png",
        "https://example.org/style.css",
        "https://static.invalid/static/../../settings.py",
        "https://static.invalid/static/not-there.css",
    ],
)
def test_fetcher_refuses_anything_but_our_static_files_and_data(url):
    with pytest.raises(URLFetchingError):
        StaticOnlyFetcher().fetch(url)


def test_fetcher_serves_our_static_files_and_data_urls():
    css = StaticOnlyFetcher().fetch("https://static.invalid/static/reports/pdf.css")
    data = StaticOnlyFetcher().fetch("data:text/plain;base64,V0ND")

    assert b"@page" in css.read()
    assert data.read() == b"WCC"


@pytest.mark.django_db
def test_staff_draft_has_year_on_year_flags_and_no_comparison(client, demo):
    login(client, "moderator.q30")

    text = squash(pdf_text(client.get(URL.format("5nd", "2009-10"))))

    assert "DRAFT — EMBARGOED" in text
    assert "Rank: at publication" in text
    assert "England mean" not in text
    assert "Year on year: items to watch" in text
    assert "7. Stimulating the market: No improvement: still level 1" in text
    assert "Same as last year" in text
    assert "Same than" not in text


@pytest.mark.django_db
def test_only_the_first_change_after_consensus_is_from_the_panels_value(client, demo):
    """A rating changed twice reads "From 3 (the panel's) to 1", then "From 1 to 2": the
    second change starts from the first's value, not the panel's."""
    from assessments.services import agreed_rating_adjust

    staff = get_user_model().objects.get(username="moderator.q30")
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5ND", competency__number=4
    )
    panel = rating.level
    # neither back at the panel's value (a change put back before the draft is not shown)
    first, second = [v for v in (1, 2, 3, 4) if v != panel][:2]
    rating = agreed_rating_adjust(
        rating=rating,
        value=first,
        reason="First look.",
        by=staff,
        expected_version=rating.version,
    )
    agreed_rating_adjust(
        rating=rating,
        value=second,
        reason="Second look.",
        by=staff,
        expected_version=rating.version,
    )
    login(client, "moderator.q30")

    text = squash(pdf_text(client.get(URL.format("5ND", "2009-10"))))

    assert f"From {panel} (the panel's) to {first}: First look." in text
    assert f"From {first} to {second}: Second look." in text


@pytest.mark.django_db
def test_a_long_unbroken_word_wraps_and_typed_lines_are_kept(client, demo):
    """The reports walk: a 300-character "word" in a rationale ran off the page's edge and
    was cut off; typed paragraphs ran together."""
    word = "x" * 300
    AgreedRating.objects.filter(
        assessment__round__slug="2008-09", assessment__pct__ods_code="5PG", competency__number=1
    ).update(rationale=f"First paragraph.\n\nSee {word} for the detail.")
    login(client, "board.5pg")

    text = pdf_text(client.get(URL.format("5pg", "2008-09")))

    assert word not in text  # broken over lines within the margins, not one clipped line
    assert word in text.replace("\n", "")
    assert "First paragraph.\n" in text  # the typed break is kept


@pytest.mark.django_db
def test_a_report_of_a_pct_renamed_since_publication_says_what_it_was_called(client, demo):
    from assessments.models import PrimaryCareTrust
    from assessments.organisations import pct_update

    pct = PrimaryCareTrust.objects.select_related("sha").get(ods_code="5PG")
    pct_update(
        pct=pct, name="NHS Birmingham East and North", sha=pct.sha, org_type=pct.org_type,
        closed_on=None, by=get_user_model().objects.get(username="national"),
    )  # fmt: skip
    login(client, "board.5pg")

    text = squash(pdf_text(client.get(URL.format("5pg", "2008-09"))))

    assert (
        "WCC Assurance World Class Commissioning assurance NHS Birmingham East and North "
        "Called Birmingham East and North when these results were published." in text
    )


@pytest.mark.django_db
def test_a_report_of_a_pct_moved_since_publication_says_its_sha_then_and_compares_with_it(
    client, demo
):
    from assessments.models import PrimaryCareTrust, StrategicHealthAuthority
    from assessments.organisations import pct_update

    pct = PrimaryCareTrust.objects.select_related("sha").get(ods_code="5PE")
    pct_update(
        pct=pct, name=pct.name, sha=StrategicHealthAuthority.objects.get(ods_code="Q33"),
        org_type=pct.org_type, closed_on=None,
        by=get_user_model().objects.get(username="national"),
    )  # fmt: skip
    login(client, "board.5pe")

    text = squash(pdf_text(client.get(URL.format("5pe", "2008-09"))))

    # Said once (walk Z), no longer a line of its own above "East Midlands".
    assert (
        "Dudley Primary care trust · 5PE In West Midlands strategic health authority when "
        "these results were published (East Midlands since "
        f"{timezone.localdate():%-d %B %Y})" in text
    )
    assert "East Midlands strategic health authority" not in text
    assert "West Midlands mean" in text
    assert "East Midlands mean" not in text
