"""``assessments.paging``: a page of a list, or 404, and what the pagination shows."""

import pytest
from django.http import Http404

from assessments.paging import page_of, paging_context


@pytest.mark.parametrize("number", ["0", "4", "two", "-1", "1.5"])
def test_a_page_that_is_not_there_is_not_found_and_says_of_what(number):
    with pytest.raises(Http404, match=r"^No such page of the people\.$"):
        page_of(range(5), 2, number, what="the people")


def test_no_number_is_the_first_page():
    assert list(page_of(range(5), 2, None, what="x").object_list) == [0, 1]


def test_the_context_writes_numbers_as_gov_uk_does():
    page = page_of(range(2_345), 1_000, "2", what="x")

    context = paging_context(page)

    assert (context["count_text"], context["first_text"], context["last_text"]) == (
        "2,345",
        "1,001",
        "2,000",
    )
    assert context["page"] is page and context["page_numbers"] == [1, 2, 3]
