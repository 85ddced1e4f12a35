"""The in-app help: one page saying how each role does its part."""

import re

import pytest

from tests.factories import UserFactory


@pytest.mark.django_db
def test_help_page_covers_every_role(client):
    client.force_login(UserFactory())

    response = client.get("/help/")

    headings = re.findall(r'<h2 class="mt-0">([^<]+)</h2>', response.content.decode())
    assert headings == [
        "The yearly cycle",
        "PCT boards: the self-assessment",
        "SHA staff: forming panels",
        "Panel members: scoring",
        "The chair: consensus",
        "SHA staff and the national team: moderation and cross-check",
        "PCT boards: checking your draft results",
        "Everyone: the published results",
        "Check before you confirm",
        "Nothing lost, nothing overwritten",
        "Your account",
    ]


@pytest.mark.django_db
def test_help_page_is_public_and_says_publication_is_final(client):
    response = client.get("/help/")

    assert response.status_code == 200
    assert "publication is final" in response.content.decode()
    assert b'data-test="login-link"' in response.content
