"""Governance sub-indicators in the reports (on the demo data: 2009-10 has them agreed for
every PCT outside the West Midlands; 2008-09's panels rated none): the PCT page, the PDF,
the league-table file with ``--sub-indicators`` and the import that ignores them."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from pypdf import PdfReader

from assessments.models import AgreedRating, AssessmentRound, SelfAssessmentRating
from reports.imports import ImportRefused, plan_import, read_table

pytestmark = pytest.mark.django_db

PAGE = "/reports/pct/{}/{}/"
YEAR_TWO_SUBS = [
    *[f"strategy_{n}" for n in range(1, 7)],
    *[f"finance_{n}" for n in range(1, 6)],
    *[f"board_{n}" for n in range(1, 6)],
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def login(client, username):
    client.force_login(get_user_model().objects.get(username=username))


def sub_ratings(ods: str, slug: str = "2009-10"):
    return AgreedRating.objects.filter(
        assessment__pct__ods_code=ods,
        assessment__round__slug=slug,
        sub_indicator__isnull=False,
    ).select_related("sub_indicator__area")


def test_pct_page_shows_each_agreed_sub_indicator_under_its_area(client, demo):
    login(client, "moderator.q30")

    response = client.get(PAGE.format("5nd", "2009-10"))

    report = response.context["report"]
    shown = {area.item.code: [s.item.code for s in area.subs] for area in report.lights}
    assert shown == {
        "strategy": YEAR_TWO_SUBS[:6],
        "finance": YEAR_TWO_SUBS[6:11],
        "board": YEAR_TWO_SUBS[11:],
    }
    page = response.content.decode()
    for rating in sub_ratings("5ND"):
        row = page.split(f'data-test="item-{rating.sub_indicator.code}"')[1].split("</tr>")[0]
        assert f'<span class="light-{rating.light}">{rating.light.capitalize()}</span>' in row
        assert rating.rationale in row
        # The year-two walk: the "Last year" cell was blank, where competency 11's says why.
        assert '<td data-label="Last year"><span class="wcc-muted">not compared' in row
    self_rated = SelfAssessmentRating.objects.get(
        self_assessment__assessment__pct__ods_code="5ND",
        self_assessment__assessment__round__slug="2009-10",
        sub_indicator__area__code="board",
        sub_indicator__number=2,
    )
    board_2 = next(s for a in report.lights for s in a.subs if s.item.code == "board_2")
    assert board_2.self_value == self_rated.light


def test_pct_page_of_year_one_shows_no_sub_indicator_rows(client, demo):
    login(client, "board.5pg")

    response = client.get(PAGE.format("5pg", "2008-09"))

    assert [s for area in response.context["report"].lights for s in area.subs] == []
    assert 'data-test="item-finance_1"' not in response.content.decode()


@pytest.mark.parametrize("kept", [1, 3])
def test_pct_page_queries_do_not_grow_with_sub_indicators(
    client, demo, django_assert_num_queries, kept
):
    keep = list(sub_ratings("5ND").order_by("pk").values_list("pk", flat=True)[:kept])
    sub_ratings("5ND").exclude(pk__in=keep).delete()
    SelfAssessmentRating.objects.filter(
        self_assessment__assessment__pct__ods_code="5ND",
        self_assessment__assessment__round__slug="2009-10",
        sub_indicator__isnull=False,
    ).delete()
    login(client, "moderator.q30")
    client.get(PAGE.format("5nd", "2009-10"))  # warm caches

    with django_assert_num_queries(18):
        response = client.get(PAGE.format("5nd", "2009-10"))

    assert sum(len(area.subs) for area in response.context["report"].lights) == kept


def test_pdf_shows_the_sub_indicators(client, demo):
    login(client, "moderator.q30")

    response = client.get("/reports/pct/5ND/2009-10.pdf")

    reader = PdfReader(io.BytesIO(response.getvalue()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Financial management sub-indicators" in text
    for rating in sub_ratings("5ND"):
        label = f"{rating.sub_indicator.number}. {rating.sub_indicator.name}"
        assert f"{label} — {rating.light.capitalize()}" in text


def _export(tmp_path, *args) -> tuple[list[str], list[dict]]:
    output = tmp_path / "table.csv"
    call_command(
        "export_league_table",
        "--round",
        "2009-10",
        "--sha",
        "Q30",
        "--format",
        "csv",
        "-o",
        str(output),
        *args,
        stdout=io.StringIO(),
    )
    rows = list(csv.DictReader(io.StringIO(output.read_text())))
    return list(rows[0]), rows


def test_export_with_sub_indicators_adds_their_columns_after_total(demo, tmp_path):
    header, rows = _export(tmp_path, "--sub-indicators")

    assert header[header.index("total") + 1 :] == YEAR_TWO_SUBS
    row = next(r for r in rows if r["ods_code"] == "5ND")
    assert {code: row[code] for code in YEAR_TWO_SUBS} == {
        r.sub_indicator.code: r.light for r in sub_ratings("5ND")
    }


def test_export_without_the_option_has_no_sub_indicator_columns(demo, tmp_path):
    header, _rows = _export(tmp_path)

    assert header[-1] == "total"


def test_exported_sub_indicator_file_imports_back_with_no_change(demo, tmp_path):
    _export(tmp_path, "--sub-indicators")
    content = (tmp_path / "table.csv").read_bytes()
    header, rows = read_table(content, "table.csv")

    changes = plan_import(
        round_=AssessmentRound.objects.get(slug="2009-10"),
        header=header,
        rows=rows,
        filename="table.csv",
    )

    assert changes == []


def test_league_table_csv_adds_sub_indicators_when_asked(client, demo):
    login(client, "national")

    response = client.get("/reports/league-table/2009-10/?format=csv&sha=Q30&sub_indicators=1")

    header = next(csv.reader(io.StringIO(response.getvalue().decode())))
    assert header[header.index("total") + 1 :] == YEAR_TWO_SUBS


@pytest.fixture
def confirmed_north_east(demo):
    from assessments.models import StrategicHealthAuthority
    from assessments.regions import region_confirm, region_sign_off

    users = get_user_model().objects
    round_ = AssessmentRound.objects.get(slug="2009-10")
    sha = StrategicHealthAuthority.objects.get(ods_code="Q30")
    region_sign_off(round_=round_, sha=sha, by=users.get(username="moderator.q30"))
    return region_confirm(round_=round_, sha=sha, by=users.get(username="national"))


def test_board_comments_on_a_sub_indicator_and_staff_change_it(
    client, confirmed_north_east, send_answer
):
    target = sub_ratings("5ND").get(sub_indicator__area__code="finance", sub_indicator__number=3)
    new_light = "green" if target.light != "green" else "amber"
    login(client, "board.5nd")
    choices = dict(
        client.get(PAGE.format("5nd", "2009-10")).context["comment_form"].fields["rating"].choices
    )
    assert choices[target.pk] == "Financial management: A sustainable base-case position"

    client.post(
        PAGE.format("5nd", "2009-10") + "comments/",
        {
            "rating": target.pk,
            "comment": "Our base case was balanced in the March plan.",
            "confirm": "1",
        },
    )
    comment = target.assessment.factual_accuracy_comments.get()
    login(client, "moderator.q30")
    send_answer(client, comment, {"response": "Agreed: see the March plan.", "value": new_light})

    target.refresh_from_db()
    assert (target.light, target.panel_light != new_light) == (new_light, True)
    assert list(target.adjustments.values_list("new_value", "reason")) == [
        (new_light, "Agreed: see the March plan.")
    ]


def test_import_refuses_a_sub_indicator_the_framework_does_not_have(demo, tmp_path):
    _export(tmp_path, "--sub-indicators")
    header, rows = read_table((tmp_path / "table.csv").read_bytes(), "table.csv")

    with pytest.raises(ImportRefused) as refused:
        plan_import(
            round_=AssessmentRound.objects.get(slug="2009-10"),
            header=[*header, "finance_9"],
            rows=rows,
            filename="table.csv",
        )

    assert refused.value.errors == [
        "table.csv: column finance_9: 'finance_9' — not a column of the league-table file"
    ]
