"""One page of a long list, as the GOV.UK pagination pattern shows it
(``templates/includes/pagination.html``): the page asked for by ``?page=N`` (404 for one
that is not a whole number or does not exist) and what the template needs around it."""

from collections.abc import Sequence

from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404


def page_of(items: Sequence, per_page: int, number: str | None, *, what: str) -> Page:
    """Page ``number`` (``"1"`` when None) of ``items``, ``per_page`` to a page; ``what``
    the list is names it in the 404 ("the PCTs")."""
    try:  # Paginator refuses what is not a whole number (PageNotAnInteger: InvalidPage)
        return Paginator(items, per_page).page(number or "1")
    except InvalidPage as exc:
        raise Http404(f"No such page of {what}.") from exc


def paging_context(page: Page) -> dict:
    """The page, its numbers elided around the current one, and the count and the page's
    first and last positions written as GOV.UK writes numbers ("1,031")."""
    return {
        "page": page,
        "page_numbers": list(page.paginator.get_elided_page_range(page.number)),
        "count_text": f"{page.paginator.count:,}",
        "first_text": f"{page.start_index():,}",
        "last_text": f"{page.end_index():,}",
    }
