"""Invented data is marked (DOMAIN.md): every page and report that shows the ratings of a
round ``seed_demo`` made says "Illustrative data: invented for the demo"; a real round
does not."""

import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from pypdf import PdfReader

from tests.factories import AssessmentRoundFactory

MARK = "Illustrative data: invented for the demo."

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def as_user(client, username):
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.parametrize(
    ("username", "url"),
    [
        (None, "/reports/league-table/2008-09/"),
        (None, "/reports/pct/5PG/2008-09/"),
        (None, "/reports/summary/2008-09/"),
        (None, "/reports/summary/2008-09/Q34/"),
        ("national", "/reports/league-table/2009-10/"),
        ("moderator.q34", "/reports/moderation/2009-10/Q34/"),
        ("moderator.q30", "/reports/pct/5ND/2009-10/"),
    ],
)
def test_demo_pages_say_the_data_are_invented(client, demo, username, url):
    response = as_user(client, username).get(url)

    assert response.status_code == 200
    assert response.content.decode().count('data-test="illustrative"') == 1
    assert MARK in response.content.decode()


def test_demo_pdf_says_so_on_the_cover_and_every_page(client, demo):
    response = as_user(client, "board.5pg").get("/reports/pct/5pg/2008-09.pdf")

    reader = PdfReader(io.BytesIO(response.getvalue()))
    pages = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert len(pages) > 1
    assert all("Illustrative data: invented for the demo" in page for page in pages)
    assert "they are not the real results of Birmingham East and North" in pages[0]


def test_demo_open_data_says_so(client, demo):
    body = json.loads(client.get("/api/results/2008-09.json").content)

    assert body["illustrative"] == MARK
    assert len(body["results"]) == 152


def test_a_real_round_is_not_marked(client):
    AssessmentRoundFactory(slug="2010-11", published_at=timezone.now())

    page = client.get("/reports/league-table/2010-11/")
    data = json.loads(client.get("/api/results/2010-11.json").content)

    assert page.status_code == 200
    assert 'data-test="illustrative"' not in page.content.decode()
    assert "illustrative" not in data


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("chair.q34", "/panels/2009-10/5PG/score/"),
        ("board.5pe", "/assessments/2009-10/5PE/self-assessment/"),
    ],
)
def test_demo_forms_with_the_level_descriptors_say_so_too(client, demo, username, url):
    response = as_user(client, username).get(url)

    assert response.status_code == 200
    assert MARK in response.content.decode()
