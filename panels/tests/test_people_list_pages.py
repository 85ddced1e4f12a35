"""The people list in pages, with its search (``/people/?q=…&page=N``): people grow with
the organisations, so the list is paged (``panels.views.people.PAGE_SIZE``, two here) and
searched by name, e-mail address, organisation or a PCT's ODS code.

Personas: the national team (everyone), staff of SHA Alpha (their region and the shared
reviewers)."""

import re

import pytest

from assessments.models import Role
from panels.models import JobRole
from panels.views import people as people_views
from tests.factories import (
    ExternalOrganisationFactory,
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SHAFactory,
)

pytestmark = pytest.mark.django_db
LIST = "/people/"


@pytest.fixture
def world(monkeypatch):
    monkeypatch.setattr(people_views, "PAGE_SIZE", 2)
    alpha = SHAFactory(ods_code="Q34", name="SHA Alpha")
    beta = SHAFactory(ods_code="Q35", name="SHA Beta")
    walsall = PCTFactory(sha=alpha, name="Walsall Teaching PCT", ods_code="5M1")
    dudley = PCTFactory(sha=alpha, name="Dudley PCT", ods_code="5PE")
    kaiser = ExternalOrganisationFactory(name="Kaiser Permanente", country="United States")
    PersonFactory(full_name="Ann Archer", pct=walsall, email="ann.archer@walsall.nhs.uk")
    PersonFactory(full_name="Ben Baker", pct=dudley, email="ben@dudley.nhs.uk")
    PersonFactory(full_name="Cat Cole", sha=alpha, pct=None, email="cat@alpha.nhs.uk")
    PersonFactory(
        full_name="Dan Dyer",
        pct=None,
        external_organisation=kaiser,
        job_role=JobRole.EXTERNAL_EXECUTIVE,
        email="dan@kp.example.org",
    )
    PersonFactory(full_name="Eve Evans", pct=PCTFactory(sha=beta, name="Beta PCT"))
    return {
        "national": RoleFactory(kind=Role.Kind.NATIONAL).user,
        "staff_a": RoleFactory(kind=Role.Kind.SHA_STAFF, sha=alpha).user,
    }


def _names(response) -> list[str]:
    return [row.person.full_name for row in response.context["rows"]]


@pytest.mark.parametrize(
    ("page", "names"),
    [("1", ["Ann Archer", "Ben Baker"]), ("2", ["Cat Cole", "Dan Dyer"]), ("3", ["Eve Evans"])],
)
def test_the_list_shows_one_page_of_people_by_name(client, world, page, names):
    client.force_login(world["national"])

    response = client.get(LIST, {"page": page})

    assert _names(response) == names
    html = response.content.decode()
    first = 2 * int(page) - 1
    last = first + len(names) - 1
    assert f"<strong>5 people</strong>: {first} to {last} below (page {page} of 3)." in html
    assert 'aria-label="Pages of the people"' in html
    assert f'aria-current="page" aria-label="Page {page}"' in html


@pytest.mark.parametrize("page", ["4", "0", "two"])
def test_a_page_that_does_not_exist_is_not_found(client, world, page):
    client.force_login(world["national"])

    assert client.get(LIST, {"page": page}).status_code == 404


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("archer", ["Ann Archer"]),  # part of a name, either case
        ("@dudley.nhs", ["Ben Baker"]),  # part of an e-mail address
        ("walsall teaching", ["Ann Archer"]),  # a PCT's name
        ("5pe", ["Ben Baker"]),  # a PCT's ODS code
        ("SHA Alpha", ["Cat Cole"]),  # an SHA's name
        ("kaiser", ["Dan Dyer"]),  # an organisation outside the NHS
        ("  eve  ", ["Eve Evans"]),  # spaces around are not searched for
    ],
)
def test_the_search_finds_people_by_name_email_or_organisation(client, world, text, names):
    client.force_login(world["national"])

    response = client.get(LIST, {"q": text})

    assert _names(response) == names
    html = response.content.decode()
    assert f"matching “{text.strip()}”" in html
    assert 'data-test="clear-filters"' in html
    assert 'data-test="pagination"' not in html


def test_staff_search_only_the_people_they_see(client, world):
    client.force_login(world["staff_a"])

    found = [_names(client.get(LIST, {"q": "e", "page": page})) for page in ("1", "2")]

    assert found == [["Ann Archer", "Ben Baker"], ["Cat Cole", "Dan Dyer"]]  # Dan: shared
    assert _names(client.get(LIST, {"q": "Eve"})) == []  # another region's


def test_the_pages_keep_the_search(client, world):
    client.force_login(world["national"])

    response = client.get(LIST, {"q": "a", "page": "2"})  # Ann, Ben, Cat, Dan and Eve Evans

    html = response.content.decode()
    assert _names(response) == ["Cat Cole", "Dan Dyer"]
    assert re.findall(r'href="\?q=a&amp;page=(\d)#people-h"', html) == ["1", "1", "2", "3", "3"]


def test_a_search_finding_nobody_says_what_to_try(client, world):
    client.force_login(world["national"])

    response = client.get(LIST, {"q": "zebra"})

    html = response.content.decode()
    assert "<strong>Nobody</strong> matches “zebra”." in html
    assert 'data-test="none"' in html and 'data-test="people"' not in html


def test_too_long_a_search_is_an_error_linked_to_its_field_and_lists_everyone(client, world):
    client.force_login(world["national"])

    response = client.get(LIST, {"q": "x" * 101})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: People" in html
    assert re.findall(r'<li><a href="#(id_q)">([^<]+)</a></li>', html) == [
        ("id_q", "Name, e-mail or organisation: Enter at most 100 characters.")
    ]
    assert 'aria-invalid="true"' in html and "is-invalid" in html
    assert len(_names(response)) == 2  # the first page of everyone
