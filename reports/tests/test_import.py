"""import_ratings: the round trip changes nothing; every error names row, column, value, rule."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from assessments.models import AgreedRating, ModerationAdjustment, RatingChange


def export(tmp_path, slug, name="table.csv"):
    target = tmp_path / name
    call_command(
        "export_league_table",
        "--round",
        slug,
        "--format",
        target.suffix[1:],
        "-o",
        str(target),
        stdout=io.StringIO(),
    )
    return target


def run(path, slug, *extra):
    out = io.StringIO()
    call_command("import_ratings", str(path), "--round", slug, *extra, stdout=out)
    return out.getvalue()


def edit(path, row: int, replace: tuple[str, str]):
    lines = path.read_text().splitlines()
    lines[row - 1] = lines[row - 1].replace(*replace, 1)
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "name"), [("2008-09", "t.csv"), ("2009-10", "t.csv"), ("2009-10", "t.xlsx")]
)
def test_export_then_import_changes_nothing(demo, tmp_path, slug, name):
    before = list(
        AgreedRating.objects.order_by("pk").values_list("level", "light", "rationale", "version")
    )

    output = run(export(tmp_path, slug, name), slug)

    assert "Imported 0 change(s)" in output
    assert (
        list(
            AgreedRating.objects.order_by("pk").values_list(
                "level", "light", "rationale", "version"
            )
        )
        == before
    )


@pytest.mark.django_db
def test_a_change_at_moderation_goes_through_the_adjust_path(demo, tmp_path):
    path = export(tmp_path, "2009-10")
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5NX", competency__number=4
    )
    edit(path, 2, (",6,33", ",6,32"))
    edit(path, 2, ("green,green,green,3,3,3,3", "green,green,green,3,3,3,2"))

    dry = run(path, "2009-10", "--dry-run")
    assert AgreedRating.objects.get(pk=rating.pk).level == 3
    run(path, "2009-10", "--reason", "Moderated against the region's evidence.")

    rating.refresh_from_db()
    assert "5NX Hull Teaching, c4: 3 → 2" in dry
    assert (rating.level, rating.panel_level) == (2, 3)
    assert (
        ModerationAdjustment.objects.get(rating=rating).reason
        == "Moderated against the region's evidence."
    )
    assert RatingChange.objects.filter(source="import", assessment=rating.assessment).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "row", "replace", "message"),
    [
        (
            "2009-10",
            2,
            ("5NX", "ZZZ"),
            "row 2, column ods_code: 'ZZZ' — no PCT with this ODS code is assessed in 2009-10",
        ),
        (
            "2009-10",
            2,
            ("green,green,green,3,3,3", "green,green,green,3,3,7"),
            "row 2, column c3: '7' — a level is a whole number from 1 to 4",
        ),
        (
            "2009-10",
            2,
            ("green,green,green,3,3,3", "green,green,green,3,3,\u00b3"),
            "row 2, column c3: '\u00b3' — a level is a whole number from 1 to 4",
        ),
        (
            "2009-10",
            2,
            ("green,green,green,3,3,3", "green,green,green,3,3,3.0"),
            "row 2, column c3: '3.0' — a level is a whole number from 1 to 4",
        ),
        (
            "2009-10",
            2,
            ("green,green,green", "purple,green,green"),
            "row 2, column strategy: 'purple' — a light is green, amber or red",
        ),
        (
            "2009-10",
            3,
            ("5F5", "5NX"),
            "row 3, column ods_code: '5NX' — the PCT already appears in row 2",
        ),
        (
            "2009-10",
            2,
            (",6,33", ",6,31"),
            "row 2, column total: '31' — disagrees with the ratings in the row (33)",
        ),
        ("2009-10", 1, (",c11,", ",c1,"), "column c1: 'c1' — the column appears twice"),
        ("2009-10", 1, (",board,", ",boards,"), "column board: '' — the column is missing"),
        (
            "2008-09",
            1,
            (",c10,", ",c11,"),
            "column c11: 'c11' — the 2008-09 framework does not score competency 11",
        ),
        (
            "2008-09",
            2,
            ("green,green,green,3", "green,green,green,2"),
            "row 2, column ods_code: '5PG' — the assessment is at Published: its ratings can no longer change",
        ),
    ],
)
def test_bad_files_are_refused_whole_with_the_rule(demo, tmp_path, slug, row, replace, message):
    path = export(tmp_path, slug)
    edit(path, row, replace)
    if replace == ("green,green,green,3", "green,green,green,2"):
        edit(path, 2, (",6,30", ",6,29"))
    before = list(AgreedRating.objects.order_by("pk").values_list("level", "light", "version"))

    with pytest.raises(CommandError) as excinfo:
        run(path, slug)

    assert f"table.csv: {message}" in str(excinfo.value).splitlines()
    assert (
        list(AgreedRating.objects.order_by("pk").values_list("level", "light", "version")) == before
    )


@pytest.mark.django_db
def test_rows_are_named_as_a_spreadsheet_shows_them_after_blank_rows(demo, tmp_path):
    """Walk M: with blank rows above it, an error named a valid row above the one at fault
    (in CSV and XLSX, on the page and the command alike)."""
    import openpyxl

    path = export(tmp_path, "2009-10")
    lines = path.read_text().splitlines()
    ods = lines[3].split(",")[1]
    lines[3] = lines[3].replace(ods, "ZZZ", 1)  # the third PCT's row is wrong
    lines[2:2] = ["", ",,,,"]  # two blank rows above it: it is now row 6
    path.write_text("\n".join(lines) + "\n")
    book_path = export(tmp_path, "2009-10", "table.xlsx")
    book = openpyxl.load_workbook(book_path)
    sheet = book.active
    sheet.cell(row=4, column=2).value = "ZZZ"
    sheet.insert_rows(2, amount=2)  # row 4 becomes row 6
    book.save(book_path)

    for target in (path, book_path):
        with pytest.raises(CommandError) as excinfo:
            run(target, "2009-10")
        assert (
            f"{target.name}: row 6, column ods_code: 'ZZZ' — no PCT with this ODS code is "
            "assessed in 2009-10"
        ) in str(excinfo.value).splitlines()


@pytest.mark.django_db
def test_headers_in_capitals_are_read_and_a_notes_sheet_first_is_named(demo, tmp_path):
    """Walk M: RANK,ODS_CODE,... gave some 33 errors; a workbook whose first sheet held notes
    said "no rows under the header" without saying that only the first sheet is read."""
    import openpyxl

    path = export(tmp_path, "2009-10")
    lines = path.read_text().splitlines()
    lines[0] = lines[0].upper()
    path.write_text("\n".join(lines) + "\n")
    assert "Imported 0 change(s)" in run(path, "2009-10")

    book_path = export(tmp_path, "2009-10", "table.xlsx")
    book = openpyxl.load_workbook(book_path)
    notes = book.create_sheet("Notes", 0)
    notes["A1"] = "Ratings after the regional calibration meeting."
    book.save(book_path)
    with pytest.raises(CommandError) as excinfo:
        run(book_path, "2009-10")
    assert str(excinfo.value).splitlines()[-1] == (
        "table.xlsx: no column ods_code in the first row. Only the first sheet, "
        "\u201cNotes\u201d, is read: move the table to the first sheet."
    )


@pytest.mark.django_db
def test_a_formula_whose_value_was_never_saved_is_named_as_such(demo, tmp_path):
    """Walk M: a workbook written by a program (formulas, no saved values) read its
    formulas as empty: "column c1: '' — a level is a whole number from 1 to 4"."""
    import openpyxl

    book_path = export(tmp_path, "2009-10", "table.xlsx")
    book = openpyxl.load_workbook(book_path)
    sheet = book.active
    column = [cell.value for cell in sheet[1]].index("c1") + 1
    sheet.cell(row=3, column=column).value = "=1+2"
    book.save(book_path)

    with pytest.raises(CommandError) as excinfo:
        run(book_path, "2009-10")

    assert str(excinfo.value).splitlines()[1:] == [
        "table.xlsx: row 3, column c1: '=1+2' — a formula whose value was never saved: open "
        "the file in a spreadsheet and save it, or paste the values in place of the formulas."
    ]


@pytest.mark.django_db
def test_a_pct_still_scoring_is_refused_for_its_stage_alone(demo, tmp_path):
    """The real-year walk: rows of PCTs at self-assessment were first refused for 224
    missing rationales, and only then for their stage, said as "no longer"."""
    from assessments.models import Assessment, Stage

    scoring = (
        Assessment.objects.filter(round__slug="2009-10", stage=Stage.SCORING)
        .select_related("pct")
        .first()
    )
    path = export(tmp_path, "2009-10")
    header, first = list(csv.reader(io.StringIO(path.read_text())))[:2]
    first[header.index("ods_code")] = scoring.pct.ods_code  # a complete row's ratings
    out = io.StringIO()
    csv.writer(out).writerows([header, first])
    path.write_text(out.getvalue())

    with pytest.raises(CommandError) as excinfo:
        run(path, "2009-10")

    assert str(excinfo.value).splitlines()[1:] == [
        f"table.csv: row 2, column ods_code: '{scoring.pct.ods_code}' — the assessment is at "
        "Scoring: its ratings are agreed at panel consensus, not yet"
    ]


@pytest.mark.django_db
def test_a_file_of_many_bad_rows_lists_the_first_hundred(demo, tmp_path):
    """The bad-input walk: 30,200 duplicated rows printed 30,249 lines."""
    path = export(tmp_path, "2009-10")
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], *([lines[1]] * 150)]) + "\n")

    with pytest.raises(CommandError) as excinfo:
        run(path, "2009-10")

    shown = str(excinfo.value).splitlines()
    assert shown[0] == "Nothing was imported: 149 error(s)."
    assert len(shown) == 1 + 100 + 1
    assert shown[-1] == "… and 49 more, not shown."


@pytest.mark.django_db
def test_unknown_round_and_unreadable_file(demo, tmp_path):
    with pytest.raises(
        CommandError, match=r"Unknown round '1999-00' \(known rounds: 2008-09, 2009-10\)"
    ):
        run(tmp_path / "x.csv", "1999-00")
    with pytest.raises(CommandError, match="Cannot read"):
        run(tmp_path / "missing.csv", "2009-10")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(CommandError, match=r"notes.txt: use a .csv or .xlsx file."):
        run(tmp_path / "notes.txt", "2009-10")
    # the bad-input walk: a semicolon-separated file read as 16 missing columns
    (tmp_path / "semi.csv").write_text("ods_code;pct;c1\n5PG;Birmingham;3\n")
    with pytest.raises(CommandError, match=r"semi.csv: the values are separated by semicolons"):
        run(tmp_path / "semi.csv", "2009-10")


@pytest.mark.django_db
def test_a_rationale_is_not_rewritten_after_consensus(demo, tmp_path):
    path = tmp_path / "table.csv"
    call_command(
        "export_league_table",
        "--round",
        "2009-10",
        "--format",
        "csv",
        "-o",
        str(path),
        stdout=io.StringIO(),
    )
    lines = path.read_text().splitlines()
    lines[0] += ",c1_rationale"
    lines[1] += ",Rewritten by hand."
    lines[2:] = [line + "," for line in lines[2:]]
    path.write_text("\n".join(lines) + "\n")

    with pytest.raises(CommandError) as excinfo:
        run(path, "2009-10")

    assert (
        "table.csv: row 2, column c1_rationale: 'Rewritten by hand.' — a rationale can be "
        "changed only at panel consensus"
    ) in str(excinfo.value).splitlines()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["t.csv", "t.xlsx"])
def test_rationales_that_look_like_formulas_round_trip(client, demo, tmp_path, name):
    # Issue 12: the CSV escapes them with an apostrophe and the XLSX stores them as strings;
    # the importer strips exactly that escape, so nothing changes.
    hostile = ['=HYPERLINK("http://x.example","Click")', "-1+2", "@SUM(1)", "a\r\nb", "'q"]
    ratings = list(
        AgreedRating.objects.filter(
            assessment__round__slug="2009-10", sub_indicator__isnull=True
        ).order_by("pk")[: len(hostile)]
    )
    for rating, text in zip(ratings, hostile, strict=True):
        rating.rationale = text
        rating.save(update_fields=["rationale"])
    before = list(
        AgreedRating.objects.order_by("pk").values_list("level", "light", "rationale", "version")
    )

    client.force_login(get_user_model().objects.get(username="national"))
    path = tmp_path / name
    path.write_bytes(
        client.get(f"/reports/league-table/2009-10/?format={name[2:]}&rationales=1").getvalue()
    )

    output = run(path, "2009-10")

    assert "Imported 0 change(s)" in output
    assert (
        list(
            AgreedRating.objects.order_by("pk").values_list(
                "level", "light", "rationale", "version"
            )
        )
        == before
    )


@pytest.mark.django_db
def test_a_change_after_consensus_without_a_reason_still_imports_as_the_contract_says(
    demo, tmp_path
):
    """The trail walk: at regional moderation the import recorded "Imported from
    walkU-import.csv" as the reason the board read. The web import now requires a reason;
    the command's form is a contract (``import_ratings FILE --round SLUG [--dry-run]``), so
    without --reason it still imports, and says what the board will read."""
    path = export(tmp_path, "2009-10")
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5NX", competency__number=4
    )
    edit(path, 2, (",6,33", ",6,32"))
    edit(path, 2, ("green,green,green,3,3,3,3", "green,green,green,3,3,3,2"))

    dry = run(path, "2009-10", "--dry-run")
    err = io.StringIO()
    call_command(
        "import_ratings", str(path), "--round", "2009-10", stdout=io.StringIO(), stderr=err
    )

    assert (
        f'without --reason, each board would read "Imported from {path.name}" as the reason.' in dry
    )
    assert f'each board reads "Imported from {path.name}" beside its rating' in err.getvalue()
    rating.refresh_from_db()
    [adjustment] = ModerationAdjustment.objects.filter(rating=rating)
    assert (rating.level, adjustment.reason) == (2, f"Imported from {path.name}")


@pytest.mark.django_db
def test_a_change_at_consensus_is_imported_without_a_reason_as_before(demo, tmp_path):
    from assessments.models import Assessment, Stage

    path = export(tmp_path, "2009-10")
    rating = AgreedRating.objects.get(
        assessment__round__slug="2009-10", assessment__pct__ods_code="5NX", competency__number=4
    )
    Assessment.objects.filter(pk=rating.assessment_id).update(stage=Stage.CONSENSUS)
    edit(path, 2, (",6,33", ",6,32"))
    edit(path, 2, ("green,green,green,3,3,3,3", "green,green,green,3,3,3,2"))

    output = run(path, "2009-10")

    rating.refresh_from_db()
    assert "Imported 1 change(s) from table.csv." in output
    assert (rating.level, rating.panel_level) == (2, 2)
    assert ModerationAdjustment.objects.filter(rating=rating).count() == 0
