"""PDF feedback reports (WeasyPrint).

Measured on these machines (PITFALLS.md): one ``FontConfiguration`` per process keeps
memory flat and small documents fast, and a small stylesheet of our own (not Bootstrap)
keeps the cascade cheap. Text typed by users reaches the PDF, so WeasyPrint gets a
fetcher that serves only our own static files and ``data:`` URLs and refuses everything
else (``file:``, ``http:``, ``https:``); the templates escape that text as well.
"""

import base64
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

from reports.pct_report import PctReport, profile_chart_svg

STATIC_BASE = "https://static.invalid/static/"  # never fetched: mapped to our static files
STYLESHEET = "reports/pdf.css"


class StaticOnlyFetcher(URLFetcher):
    """Serves our static files (through the staticfiles finders) and ``data:`` URLs."""

    def fetch(self, url, headers=None):
        if url.startswith("data:"):
            return super().fetch(url, headers)
        if url.startswith(STATIC_BASE):
            relative = urlsplit(url).path.removeprefix("/static/")
            found = finders.find(relative) if ".." not in relative.split("/") else None
            if found:
                return URLFetcherResponse(url, body=Path(found).read_bytes())
        raise URLFetchingError(f"refused to fetch {url!r}: only our static files and data: URLs")


@cache
def _font_config() -> FontConfiguration:
    return FontConfiguration()


@cache
def stylesheet_text() -> str:
    """The PDF's own stylesheet, as text (part of a stored report's fingerprint)."""
    return Path(finders.find(STYLESHEET)).read_text(encoding="utf-8")


@cache
def _stylesheet() -> CSS:
    return CSS(string=stylesheet_text(), font_config=_font_config())


def render_pct_html(report: PctReport) -> str:
    """The board's feedback report as the HTML WeasyPrint lays out (chart included)."""
    # As an image: WeasyPrint draws it with its SVG renderer (text stays text), instead of
    # reading the SVG's presentation attributes as HTML CSS.
    # A draft has no comparison to chart (it would reveal other PCTs' results).
    chart = (
        None
        if report.is_draft
        else "data:image/svg+xml;base64,"
        + base64.b64encode(profile_chart_svg(report).encode()).decode()
    )
    return render_to_string("reports/pdf/feedback.html", {"report": report, "chart": chart})


def html_to_pdf(html: str) -> bytes:
    """PDF bytes of a report's HTML, with our stylesheet and the restrictive fetcher."""
    document = HTML(string=html, base_url=STATIC_BASE, url_fetcher=StaticOnlyFetcher())
    return document.write_pdf(
        stylesheets=[_stylesheet()], font_config=_font_config(), pdf_tags=True
    )


def render_pct_pdf(report: PctReport) -> bytes:
    """The board's feedback report as PDF bytes."""
    return html_to_pdf(render_pct_html(report))
