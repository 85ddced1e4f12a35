"""CSV and XLSX exports are safe in a spreadsheet (OWASP CSV injection) and read back
unchanged: no text cell is ever a formula, each row stays one row, and export → import
gives the text back (without the control characters ``spreadsheet_text`` removes)."""

import csv
import io
import zipfile

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from assessments.models import AgreedRating
from reports.exports import FORMULA_STARTS, spreadsheet_text, table_csv, table_xlsx
from reports.imports import read_table

URL = "/reports/league-table/2008-09/"
HOSTILE = [
    '=HYPERLINK("http://evil.example/","Click for evidence")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "\r=1+1",
    "first line\rsecond line",
    "'quoted already",
    "#N/A",  # an error code: a spreadsheet must show it as text, not as an error
]


def frame_with(rationales: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rank": list(range(1, len(rationales) + 1)),
            "ods_code": [f"5P{i}" for i in range(len(rationales))],
            "c1": [-2] * len(rationales),  # a negative number stays a number
            "c1_rationale": rationales,
        }
    )


def csv_cells(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def looks_like_a_formula(cell: str) -> bool:
    """What a spreadsheet would evaluate: text starting with a formula character (a number
    such as ``-2`` is a number)."""
    if not cell.startswith(FORMULA_STARTS):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def xlsx_cells(content: bytes):
    return [cell for row in load_workbook(io.BytesIO(content)).active.iter_rows() for cell in row]


@pytest.mark.parametrize("text", HOSTILE)
def test_csv_text_cells_are_never_formulas_and_rows_stay_rows(text):
    rows = csv_cells(table_csv(frame_with([text, "plain"])))

    assert [len(rows), [looks_like_a_formula(c) for row in rows for c in row]] == [
        3,
        [False] * 12,
    ]
    prefix = "" if text in ("first line\rsecond line", "#N/A") else "'"
    assert rows[1][2:] == ["-2", prefix + spreadsheet_text(text)]


@pytest.mark.parametrize("text", HOSTILE)
def test_xlsx_text_cells_are_strings_never_formulas(text):
    content = table_xlsx(frame_with([text]))

    cells = xlsx_cells(content)
    sheet_xml = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml")
    assert [c.data_type for c in cells] == ["s"] * 4 + ["n", "s", "n", "s"]
    assert (cells[-1].value, b"<f>" in sheet_xml) == (spreadsheet_text(text), False)


@pytest.mark.parametrize("export", [table_csv, table_xlsx])
@pytest.mark.parametrize("text", HOSTILE)
def test_export_then_read_gives_the_text_back(export, text):
    name = "t.csv" if export is table_csv else "t.xlsx"

    _header, rows = read_table(export(frame_with([text])), name)

    assert [r["c1_rationale"] for r in rows] == [spreadsheet_text(text).strip()]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(st.text(max_size=60), min_size=1, max_size=3))
def test_any_rationale_is_safe_and_round_trips(texts):
    frame = frame_with(texts)

    csv_content, xlsx_content = table_csv(frame), table_xlsx(frame)

    rows = csv_cells(csv_content)
    assert len(rows) == len(texts) + 1  # each row stays one row
    assert not any(looks_like_a_formula(cell) for row in rows for cell in row)
    assert all(c.data_type != "f" for c in xlsx_cells(xlsx_content))
    expected = [spreadsheet_text(t).strip() for t in texts]
    for content, name in ((csv_content, "t.csv"), (xlsx_content, "t.xlsx")):
        _header, read = read_table(content, name)
        # read_table skips wholly blank rows; the ODS code keeps every row here.
        assert [r["c1_rationale"] for r in read] == expected


@pytest.mark.django_db
def test_league_table_files_with_hostile_rationales_through_the_page(client, demo):
    rating = AgreedRating.objects.get(
        assessment__round__slug="2008-09", assessment__pct__ods_code="5PG", competency__number=1
    )
    rating.rationale = HOSTILE[0]
    rating.save(update_fields=["rationale"])
    client.force_login(get_user_model().objects.get(username="national"))

    csv_rows = csv_cells(client.get(URL + "?format=csv&rationales=1").getvalue())
    workbook = load_workbook(io.BytesIO(client.get(URL + "?format=xlsx&rationales=1").getvalue()))

    column = csv_rows[0].index("c1_rationale")
    row = next(r for r in csv_rows if r[1] == "5PG")
    cell = next(r for r in workbook.active.iter_rows() if r[1].value == "5PG")[column]
    assert row[column] == "'" + HOSTILE[0]
    assert (cell.value, cell.data_type) == (HOSTILE[0], "s")
