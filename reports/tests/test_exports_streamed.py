"""League-table files with sub-indicators or rationales are read and written a chunk of
rows at a time (``reports.tables.with_extras``): the CSV is streamed, the XLSX written row
by row into a temporary file and sent from it. The chunks must add up to the whole table,
in its order, with a header even when there are no rows.
"""

import csv
import io
import tempfile

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from openpyxl import load_workbook

from assessments.models import AgreedRating, AssessmentRound
from reports.exports import column_widths, csv_pieces, table_csv, table_xlsx, xlsx_file
from reports.tables import (
    competency_columns,
    ratings_frame,
    sub_indicator_columns,
    with_extras,
)

pytestmark = pytest.mark.django_db
URL = "/reports/league-table/{}/"


def _table(round_: AssessmentRound) -> pd.DataFrame:
    frame = ratings_frame(round_=round_)
    return frame[["rank", "ods_code", "pct", "sha", *competency_columns(round_), "total"]]


def _whole(chunks) -> pd.DataFrame:
    return pd.concat(list(chunks), ignore_index=True)


def test_extras_in_chunks_are_the_extras_of_the_whole_table_in_its_order(demo):
    round_ = AssessmentRound.objects.get(slug="2009-10")
    table = _table(round_)

    in_chunks = list(
        with_extras(table, round_=round_, sub_indicators=True, rationales=True, size=40)
    )
    at_once = list(
        with_extras(table, round_=round_, sub_indicators=True, rationales=True, size=10_000)
    )

    assert [len(c) for c in in_chunks] == [40, 40, 40, len(table) - 120]
    assert len(at_once) == 1
    pd.testing.assert_frame_equal(_whole(in_chunks), at_once[0].reset_index(drop=True))
    assert list(at_once[0]["ods_code"]) == list(table["ods_code"])
    extra = [*sub_indicator_columns(round_), "strategy_rationale", "c11_rationale"]
    assert set(extra) <= set(at_once[0].columns)


def test_extras_are_read_one_query_per_chunk(demo, django_assert_num_queries):
    round_ = AssessmentRound.objects.get(slug="2009-10")
    table = _table(round_)

    chunks = -(-len(table) // 50)
    assert chunks == 3  # 135 PCTs of the demo have agreed ratings in 2009-10

    # The sub-indicators' and competencies' columns once, then per chunk of 50 rows one
    # query for the lights and one for the rationales.
    with django_assert_num_queries(2 + chunks * 2):
        list(with_extras(table, round_=round_, sub_indicators=True, rationales=True, size=50))


def test_extras_of_an_empty_table_are_one_empty_chunk_with_every_column(demo):
    round_ = AssessmentRound.objects.get(slug="2009-10")
    table = _table(round_).iloc[0:0]

    chunks = list(with_extras(table, round_=round_, sub_indicators=False, rationales=True))

    assert len(chunks) == 1 and chunks[0].empty
    assert list(chunks[0].columns) == [*table.columns] + [
        f"{c}_rationale" for c in ["strategy", "finance", "board", *competency_columns(round_)]
    ]
    assert csv_pieces(chunks).__next__().decode().startswith("rank,ods_code,pct,sha,c1,")


def test_files_of_chunks_are_the_files_of_the_whole():
    frame = pd.DataFrame(
        {
            "rank": pd.array([1, 2, None, 4, 5], dtype="Int64"),
            "ods_code": ["5AA", "5AB", "5AC", "5AD", "5AE"],
            "pct": ["A", "=B()", "#N/A", None, "A much longer name"],
        }
    )
    chunks = [frame.iloc[0:2], frame.iloc[2:4], frame.iloc[4:5]]

    assert b"".join(csv_pieces(chunks)) == table_csv(frame)
    with xlsx_file(chunks, widths=column_widths(frame)) as file:
        pieces = load_workbook(file).active
        whole = load_workbook(io.BytesIO(table_xlsx(frame))).active
        assert [[(c.value, c.data_type) for c in r] for r in pieces.iter_rows()] == [
            [(c.value, c.data_type) for c in r] for r in whole.iter_rows()
        ]
        assert pieces.column_dimensions["C"].width == whole.column_dimensions["C"].width == 20


def test_a_column_the_widths_lack_takes_the_first_chunks():
    frame = pd.DataFrame({"ods_code": ["5AA"], "rationale": ["twelve chars"]})

    with xlsx_file([frame], widths={"ods_code": 30}) as file:
        sheet = load_workbook(file).active

    assert (sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width) == (30, 14)
    assert sheet["A1"].font.b and sheet.freeze_panes == "D2"


def test_a_failure_half_way_leaves_no_temporary_file(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    frame = pd.DataFrame({"ods_code": ["5AA", "5AB"], "pct": ["A", "B"]})

    def chunks():
        yield frame
        raise RuntimeError("the next chunk's query failed")

    with pytest.raises(RuntimeError):
        xlsx_file(chunks(), widths=column_widths(frame))

    assert list(tmp_path.iterdir()) == []
    with xlsx_file([frame], widths=column_widths(frame)) as file:
        assert load_workbook(file).active["A2"].value == "5AA"
    assert list(tmp_path.iterdir()) == []  # the returned file has no name on disk


def test_the_rationales_csv_is_streamed_row_for_row(client, demo):
    client.force_login(get_user_model().objects.get(username="national"))

    response = client.get(URL.format("2008-09") + "?format=csv&rationales=1")

    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    rating = AgreedRating.objects.get(
        assessment__round__slug="2008-09", assessment__pct__ods_code="5PG", competency__number=3
    )
    assert (response.streaming, response["Content-Type"]) == (True, "text/csv; charset=utf-8")
    assert response["Content-Disposition"] == (
        'attachment; filename="league-table-2008-09-rationales.csv"'
    )
    assert len(rows) == 152
    assert [r["rank"] for r in rows[:3]] == ["1", "2", "3"]
    assert next(r for r in rows if r["ods_code"] == "5PG")["c3_rationale"] == rating.rationale


def test_the_sub_indicators_xlsx_is_sent_from_a_file(client, demo):
    client.force_login(get_user_model().objects.get(username="national"))
    round_ = AssessmentRound.objects.get(slug="2009-10")

    response = client.get(URL.format("2009-10") + "?format=xlsx&sub_indicators=1")

    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    header = [c.value for c in next(sheet.iter_rows())]
    assert response.streaming is True
    assert response["Content-Disposition"] == (
        'attachment; filename="league-table-2009-10-sub-indicators.xlsx"'
    )
    assert header[header.index("total") + 1 :] == sub_indicator_columns(round_)
    assert sheet.max_row == 1 + len(ratings_frame(round_=round_))


@pytest.mark.parametrize(
    ("username", "query", "name"),
    [
        ("national", "?format=csv&sha=q34", "league-table-2008-09-Q34.csv"),
        ("national", "?format=csv&pattern=no-red", "league-table-2008-09-no-red.csv"),
        (
            "national",
            "?format=xlsx&sha=Q34&sub_indicators=1&rationales=1",
            "league-table-2008-09-Q34-sub-indicators-rationales.xlsx",
        ),
        # the data walk: sorted files were named as the table in rank order
        ("national", "?format=csv&sort=c3", "league-table-2008-09-by-c3.csv"),
        ("national", "?format=csv&sort=-pct", "league-table-2008-09-by-pct-reversed.csv"),
    ],
)
def test_a_files_name_says_what_it_holds(client, demo, username, query, name):
    """The reports walk: `q34` in lower case, and filtered files named as the whole table."""
    client.force_login(get_user_model().objects.get(username=username))

    response = client.get(URL.format("2008-09") + query)
    response.getvalue()  # read to its end, which closes a streamed file

    assert response["Content-Disposition"] == f'attachment; filename="{name}"'


def test_staff_files_before_publication_say_they_are_ranked_in_the_region(client, demo):
    client.force_login(get_user_model().objects.get(username="moderator.q34"))

    response = client.get(URL.format("2009-10") + "?format=csv")

    assert response["Content-Disposition"] == (
        'attachment; filename="league-table-2009-10-Q34-ranked-in-region.csv"'
    )
