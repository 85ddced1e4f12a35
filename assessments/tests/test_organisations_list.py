"""The organisations list: 50 PCTs a page, filtered by SHA and by ODS code or name."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from assessments.models import PrimaryCareTrust, Role
from tests.factories import PCTFactory, RoleFactory, SHAFactory

pytestmark = pytest.mark.django_db

URL = "/organisations/"
DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.fixture
def shas():
    return SHAFactory(ods_code="Q30", name="North East"), SHAFactory(ods_code="Q34", name="WM")


@pytest.fixture
def national_client(client):
    client.force_login(RoleFactory(kind=Role.Kind.NATIONAL).user)
    return client


def _many(sha, count: int, *, prefix: str = "Z") -> None:
    """``count`` PCTs of ``sha`` (at most 1,296), named "Town 0001" on, in one query."""
    PrimaryCareTrust.objects.bulk_create(
        PrimaryCareTrust(
            ods_code=f"{prefix}{DIGITS[n // 36]}{DIGITS[n % 36]}",
            name=f"Town {n + 1:04d}",
            org_type=PrimaryCareTrust.OrgType.PCT,
            sha=sha,
        )
        for n in range(count)
    )


def _codes(response) -> list[str]:
    return [pct.ods_code for pct in response.context["pcts"]]


@pytest.mark.parametrize("query", ["", "?sha=Q30", "?q=town", "?sha=Q30&q=z00&page=1"])
@pytest.mark.parametrize("pcts", [1, 3, 120])
def test_organisation_list_queries_do_not_grow(
    national_client, shas, django_assert_num_queries, pcts, query
):
    _many(shas[0], pcts)

    # session, user, role; the SHAs of the select; the count; the page.
    with django_assert_num_queries(6):
        response = national_client.get(URL + query)

    assert len(response.context["pcts"]) == (1 if "q=z00" in query else min(pcts, 50))


def test_organisation_list_shows_50_a_page_by_sha_then_name(national_client, shas):
    _many(shas[1], 2, prefix="W")
    _many(shas[0], 50)

    first = national_client.get(URL)
    second = national_client.get(URL + "?page=2")

    assert _codes(first) == [f"Z{DIGITS[n // 36]}{DIGITS[n % 36]}" for n in range(50)]
    assert _codes(second) == ["W00", "W01"]  # WM after North East
    assert second.context["page"].number == 2
    assert (
        "<strong>52 organisations</strong> in England: 51 to 52 below (page 2 of 2)." in second.text
    )
    assert 'href="/organisations/?page=1#pcts-h" rel="prev"' in second.text


def test_organisation_list_filters_by_sha_and_keeps_filters_in_page_links(national_client, shas):
    _many(shas[0], 60)
    _many(shas[1], 3, prefix="W")

    response = national_client.get(URL + "?sha=Q30&q=Town")

    assert len(response.context["pcts"]) == 50
    assert {pct.sha.ods_code for pct in response.context["pcts"]} == {"Q30"}
    assert "<strong>60 organisations</strong> in North East matching “Town”" in response.text
    assert 'href="/organisations/?sha=Q30&amp;q=Town&amp;page=2#pcts-h" rel="next"' in response.text
    assert '<option value="Q30" selected>North East</option>' in response.text
    assert 'href="/organisations/" data-test="clear-filters"' in response.text


def test_organisation_list_takes_a_lower_case_sha_code(national_client, shas):
    PCTFactory(ods_code="5ND", sha=shas[0])
    PCTFactory(ods_code="5PG", sha=shas[1])

    response = national_client.get(URL + "?sha=q34")

    assert _codes(response) == ["5PG"]
    assert response.context["filter_form"].errors == {}
    assert response.context["query"] == "sha=Q34"


@pytest.mark.parametrize(
    ("search", "codes"),
    [
        ("5nd", ["5ND"]),  # an ODS code, either case
        ("DURHAM", ["5ND", "5J9"]),  # part of a name, either case
        ("  Darlington ", ["5J9"]),
        ("5N", []),  # part of a code is not a code
    ],
)
def test_organisation_list_searches_ods_code_or_part_of_the_name(
    national_client, shas, search, codes
):
    PCTFactory(ods_code="5ND", name="County Durham", sha=shas[0])
    PCTFactory(ods_code="5J9", name="Darlington and Durham Dales", sha=shas[0])
    PCTFactory(ods_code="5PG", name="Birmingham East and North", sha=shas[1])

    response = national_client.get(URL, {"q": search})

    assert sorted(_codes(response)) == sorted(codes)


def test_organisation_list_counts_with_a_thousands_separator(national_client, shas):
    _many(shas[1], 1001)

    response = national_client.get(URL + "?sha=Q34")

    assert response.context["count_text"] == "1,001"
    assert "<strong>1,001 organisations</strong> in WM: 1 to 50 below (page 1 of 21)." in (
        response.text
    )


def test_organisation_list_says_when_nothing_matches(national_client, shas):
    PCTFactory(ods_code="5ND", name="County Durham", sha=shas[0])

    response = national_client.get(URL + "?sha=Q34&q=Durham")

    assert _codes(response) == []
    assert "<strong>No organisations</strong> in WM match “Durham”." in response.text
    assert 'data-test="none"' in response.text
    assert "Choose “All regions” to search every SHA." in response.text
    assert 'data-test="pcts"' not in response.text
    assert 'data-test="pagination"' not in response.text


def test_organisation_list_answers_an_unknown_sha_with_the_error_summary(national_client, shas):
    PCTFactory(ods_code="5ND", name="County Durham", sha=shas[0])
    PCTFactory(ods_code="5PG", name="Birmingham East and North", sha=shas[1])

    response = national_client.get(URL + "?sha=Q99&q=durham")

    assert response.status_code == 200
    assert response.context["filter_form"].errors == {
        "sha": ["There is no SHA with the code “Q99”. Choose a region from the list."]
    }
    assert response.text.count('data-test="error-summary"') == 1
    assert (
        '<a href="#id_sha">Region (SHA): There is no SHA with the code “Q99”. Choose a region '
        "from the list.</a>"
    ) in response.text
    assert "<title>Error: Organisations" in response.text
    assert _codes(response) == ["5ND"]  # the valid search still applies
    assert response.context["query"] == "q=durham"


@pytest.mark.parametrize("page", ["x", "0", "3", "1.5"])
def test_organisation_list_answers_404_for_a_page_that_does_not_exist(national_client, shas, page):
    _many(shas[0], 60)

    assert national_client.get(URL, {"page": page}).status_code == 404


def test_organisation_list_keeps_add_upload_and_edit_links(national_client, shas):
    PCTFactory(ods_code="5ND", name="County Durham", sha=shas[0])

    response = national_client.get(URL)

    assert 'href="/organisations/new/" data-test="add-pct"' in response.text
    assert 'action="/organisations/file/"' in response.text
    assert '<a href="/organisations/5ND/">County Durham</a>' in response.text
    assert 'data-test="pagination"' not in response.text  # one page: no page links
    assert 'data-test="clear-filters"' not in response.text


def test_file_preview_without_a_file_shows_the_list_with_the_file_error(national_client, shas):
    _many(shas[0], 60)

    response = national_client.post("/organisations/file/", {"file": ""})

    assert response.context["file_form"].errors == {"file": ["Choose a CSV file to upload."]}
    assert "The file was not read." in response.text
    assert len(response.context["pcts"]) == 50


def test_file_preview_refuses_a_file_that_is_not_utf8_showing_the_list(national_client, shas):
    upload = SimpleUploadedFile("pcts.csv", "5ND,Café".encode("latin-1"))

    response = national_client.post("/organisations/file/", {"file": upload})

    assert response.context["file_form"].errors == {
        "file": [
            'The file is not UTF-8 text; it looks saved as plain "CSV", which writes letters '
            "such as \u00eb or \u00a3 in another character set: save it from the spreadsheet "
            'as "CSV UTF-8 (Comma delimited)" and try again.'
        ]
    }
    assert "<strong>No organisations</strong> in England." in response.text
    assert "There are no PCTs yet" in response.text


def test_organisation_list_refuses_a_search_over_100_characters(national_client, shas):
    PCTFactory(ods_code="5ND", sha=shas[0])
    PCTFactory(ods_code="5PG", sha=shas[1])

    response = national_client.get(URL, {"sha": "Q30", "q": "x" * 101})

    assert response.context["filter_form"].errors == {"q": ["Enter at most 100 characters."]}
    assert '<a href="#id_q">ODS code or name: Enter at most 100 characters.</a>' in (response.text)
    assert _codes(response) == ["5ND"]  # the region still applies
