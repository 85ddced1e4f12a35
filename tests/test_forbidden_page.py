"""The 403 page (``templates/403.html``): worded for what was asked (a read of a page that
is only a form, or a change), and never naming the reader's own role as the one needed."""

import re

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PLAN = "/reports/development/2009-10/5PF/"


def _text(response) -> str:
    """The page's main part as words (the footer names the national team on every page)."""
    page = response.content.decode()
    main = page[page.index('<main id="main-content"') : page.index("</main>")]
    return " ".join(re.sub(r"<[^>]+>", " ", main).split())


def _login(client, username):
    client.force_login(get_user_model().objects.get(username=username))


def test_a_read_of_a_form_page_is_not_called_a_change(client, demo):
    """Walk L: the national team, opening an SHA's development plan, was told "You cannot
    change this ... it is for another role (the national assurance team, say ...)"."""
    _login(client, "national")

    response = client.get(PLAN)

    assert response.status_code == 403
    text = _text(response)
    assert "You cannot use this page" in text
    assert "This page is a form for a change that your account does not make." in text
    assert "You cannot change this" not in text
    assert "national assurance team" not in text
    assert "It is for another role (an SHA's staff, say, or the PCT's own board)." in text


def test_a_refused_change_says_so_and_that_nothing_was_saved(client, demo):
    _login(client, "national")

    response = client.post(PLAN, {"plan": "x"})

    assert response.status_code == 403
    text = _text(response)
    assert "You cannot change this" in text
    assert "nothing was saved" in text
    assert "national assurance team" not in text


def test_sha_staff_are_not_told_the_change_is_for_sha_staff(client, demo):
    _login(client, "moderator.q34")

    response = client.get("/rounds/new/")

    assert response.status_code == 403
    text = _text(response)
    assert "You cannot use this page" in text
    assert "It is for another role (the national assurance team, say, or the PCT's own board)." in (
        text
    )
    assert "SHA's staff" not in text
