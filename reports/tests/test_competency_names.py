"""The C1 … CN headers name their competency (visually-hidden text and a key under the
table or chart), and the league table's caption names its filter in words (issue 11,
finding 9)."""

import io

import pytest
from django.contrib.auth import get_user_model
from pypdf import PdfReader

from competencies.models import Competency


def login(client, username):
    client.force_login(get_user_model().objects.get(username=username))


def names(slug):
    return list(
        Competency.objects.filter(framework__rounds__slug=slug)
        .order_by("number")
        .values_list("number", "short_name")
    )


@pytest.mark.django_db
def test_league_table_headers_and_key_name_each_competency(client, demo):
    html = client.get("/reports/league-table/2008-09/").content.decode()

    assert names("2008-09")
    for number, name in names("2008-09"):
        assert f'C{number}<span class="visually-hidden"> {name}</span></a></th>' in html
        assert f"<dt>C{number}</dt><dd>{name}</dd>" in html
    assert "Key to the competency columns" in html


@pytest.mark.django_db
def test_league_table_caption_names_the_filter_not_its_code(client, demo):
    html = client.get("/reports/league-table/2008-09/?pattern=no-red&sort=c3").content.decode()

    caption = html[html.index("<caption>") : html.index("</caption>")]
    assert ", no red; sorted by C3 " in caption
    assert "no-red" not in caption


@pytest.mark.django_db
def test_cross_check_headers_and_key_name_each_competency(client, demo):
    login(client, "national")

    html = client.get("/reports/cross-check/2009-10/").content.decode()

    for number, name in names("2009-10"):
        assert f'C{number}<span class="visually-hidden"> {name}</span></th>' in html
        assert f"<dt>C{number}</dt><dd>{name}</dd>" in html


@pytest.mark.django_db
def test_pdf_chart_has_a_key_naming_each_axis_label(client, demo, media):
    login(client, "board.5pg")

    response = client.get("/reports/pct/5pg/2008-09.pdf")

    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages).split()
    )
    assert "Key to the chart" in text
    for number, name in names("2008-09"):
        assert f"C{number} {name}" in text


@pytest.mark.django_db
def test_pct_page_chart_has_a_key_naming_each_axis_label(client, demo):
    html = client.get("/reports/pct/5PG/2008-09/").content.decode()

    key = html[html.index('data-test="chart-key"') :]
    key = key[: key.index("</table>")]
    for number, name in names("2008-09"):
        assert f'<th scope="row">C{number}</th><td>{name}</td>' in key
