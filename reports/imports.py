"""Importing agreed ratings from a league-table file (CSV or XLSX), all or nothing.

The file has the league table's columns (CONTRACTS.md); ``rank``, ``pct``, ``sha``,
``governance`` and ``total`` are not read as data, though totals that disagree with the
levels refuse the file. ``plan_import`` reads and checks everything first and returns
either the exact changes or every error (each naming the row as a spreadsheet shows it,
the column, the value and the rule); ``apply_import`` then writes the changes through
assessments' services in one transaction. Exporting a round and importing the file back
changes nothing.
"""

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.evidence_files import check_office_content
from assessments.models import AgreedRating, Assessment, AssessmentRound, RatingChange, Stage
from assessments.reference import SEMICOLONS, csv_problem, not_utf8_csv, semicolon_separated
from assessments.services import agreed_rating_adjust, agreed_rating_record
from assessments.standings import standings_deferred
from competencies.models import item_field, item_value, value_field
from competencies.selectors import framework_items
from competencies.vocabulary import LIGHT_POINTS, competency_code, is_competency_code
from reports.exports import csv_unescape, spreadsheet_text
from reports.tables import sub_indicator_columns

NOT_DATA = {"rank", "pct", "sha", "governance", "total"}
CHANGEABLE = {Stage.CONSENSUS, Stage.MODERATION, Stage.CROSS_CHECK, Stage.FACTUAL_ACCURACY}
BEFORE_CONSENSUS = {Stage.SELF_ASSESSMENT, Stage.PANEL_FORMATION, Stage.SCORING}


class ImportRefused(Exception):
    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Change:
    assessment: Assessment
    item: object
    old: str
    new: str
    rationale: str | None  # None: keep the current rationale

    def __str__(self) -> str:
        what = f"{self.old or '(none)'} → {self.new}" if self.old != self.new else "rationale"
        return (
            f"{self.assessment.pct.ods_code} {self.assessment.pct.name}, {self.item.code}: {what}"
        )


def _column_letter(index: int) -> str:
    """A spreadsheet's letters for the column at ``index`` (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


class Records(list):
    """``read_table``'s rows, one dict each, and ``numbers``: the row each came from, as a
    spreadsheet numbers it (the header is row 1; blank rows count)."""

    def __init__(self, records: list[dict[str, str]], *, numbers: list[int]):
        super().__init__(records)
        self.numbers = numbers


def read_table(content: bytes, filename: str) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV or XLSX file, every cell as text, without the
    apostrophe ``reports.exports`` puts before a CSV cell that looks like a formula."""
    suffix = Path(filename).suffix.lower()
    unescape = csv_unescape if suffix == ".csv" else str
    if suffix == ".csv":
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportRefused([f"{filename}: {not_utf8_csv(content)}."]) from None
        # strict: a quote left open is an error, not the rest of the file read as one cell
        reader = csv.reader(io.StringIO(text), strict=True)
        rows: list[list[str]] = []
        try:
            rows.extend(reader)  # row by row: the rows read before a broken one stay counted
        except csv.Error as exc:  # an unclosed quote, a cell of more than 131,072 characters
            raise ImportRefused([f"{filename}: row {len(rows) + 1}: {csv_problem(exc)}."]) from None
        if not rows:
            raise ImportRefused([f"{filename}: the file is empty."])
        header, body = [h.strip().lower() for h in rows[0]], rows[1:]
        if semicolon_separated(header):
            raise ImportRefused([f"{filename}: {SEMICOLONS}."])
        longer = [
            f"{filename}: row {number}: {len(row)} values under a header of {len(header)} "
            "columns; the values past the header would be lost."
            for number, row in enumerate(body, start=2)
            if len(row) > len(header) and any(cell.strip() for cell in row[len(header) :])
        ]
        if longer:
            raise ImportRefused(longer)
    elif suffix == ".xlsx":
        try:  # a zip bomb is refused before openpyxl unpacks it into memory
            check_office_content(filename, suffix, content)
        except ValidationError as exc:
            raise ImportRefused(exc.messages) from None
        try:
            book = pd.ExcelFile(io.BytesIO(content))
            sheet = pd.read_excel(book, sheet_name=0, header=None, dtype=str, keep_default_na=False)
        except Exception:  # openpyxl raises many kinds for a damaged file
            raise ImportRefused(
                [
                    f"{filename}: not a readable XLSX file. Open it in a spreadsheet and save "
                    "it again as an Excel workbook (.xlsx), or use the CSV."
                ]
            ) from None
        first = book.sheet_names[0]
        # Only the first sheet is read (walk M: a notes sheet before the table read as "no
        # rows under the header"): a workbook of several says so when that sheet is no table.
        elsewhere = (
            f" Only the first sheet, \u201c{first}\u201d, is read: move the table to the first "
            "sheet."
            if len(book.sheet_names) > 1
            else ""
        )
        if sheet.empty:
            raise ImportRefused([f"{filename}: the file is empty.{elsewhere}"])
        header = [str(h).strip().lower() for h in sheet.iloc[0].tolist()]
        if elsewhere and "ods_code" not in header:
            raise ImportRefused([f"{filename}: no column ods_code in the first row.{elsewhere}"])
        body = sheet.iloc[1:].values.tolist()
        # A sheet is as wide as its widest row: values under no header are refused, as
        # in a CSV, rather than read as a column named "".
        unnamed = [i for i, name in enumerate(header) if not name]
        longer = [
            f"{filename}: row {number}: a value in column "
            f"{_column_letter(next(i for i in unnamed if str(row[i]).strip()))}, which has no "
            "header; it would be lost."
            for number, row in enumerate(body, start=2)
            if unnamed and any(str(row[i]).strip() for i in unnamed)
        ]
        if longer:
            raise ImportRefused(longer)
        unsaved = _formulas_without_values(content, filename, header, body)
        if unsaved:
            raise ImportRefused(unsaved)
        header = [name for name in header if name]
        body = [[cell for i, cell in enumerate(row) if i not in unnamed] for row in body]
    else:
        raise ImportRefused([f"{filename}: use a .csv or .xlsx file."])
    # Blank rows are skipped, but each record keeps the row a spreadsheet shows it on (walk
    # M: after a blank row, errors named the row above the one at fault).
    kept = [
        (number, row)
        for number, row in enumerate(body, start=2)
        if any(str(cell).strip() for cell in row)
    ]
    records = Records(
        [
            {column: unescape(str(cell)).strip() for column, cell in zip(header, row, strict=False)}
            for _number, row in kept
        ],
        numbers=[number for number, _row in kept],
    )
    if not records:
        raise ImportRefused([f"{filename}: no rows under the header: nothing to import."])
    return header, records


def _has_formulas(content: bytes) -> bool:
    """Whether any sheet of the workbook holds a formula (an ``<f>`` element): read from
    the zip, so that a file of values (the league table's own export) is not parsed again."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return any(
            re.search(rb"<(?:\w+:)?f[ >]", book.read(name))
            for name in book.namelist()
            if name.startswith("xl/worksheets/") and name.endswith(".xml")
        )


def _formulas_without_values(
    content: bytes, filename: str, header: list[str], body: list[list]
) -> list[str]:
    """The cells of the first sheet that hold a formula whose value was never saved (a
    workbook written by a program, not saved by a spreadsheet), which read as empty (walk
    M: "column c1: '' — a level is a whole number"). Read again only when a cell is empty."""
    if not any(str(cell) == "" for row in body for cell in row) or not _has_formulas(content):
        return []
    import openpyxl

    def rows(data_only: bool):
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=data_only)
        return book.worksheets[0].iter_rows(min_row=2, values_only=True)

    found = []
    # A formula's saved value, or None where none was saved (a saved "" stays "").
    for number, (row, saved) in enumerate(zip(rows(False), rows(True), strict=False), start=2):
        for index, value in enumerate(row):
            if not (isinstance(value, str) and value.startswith("=")):
                continue
            if index >= len(saved) or saved[index] is None:
                column = (
                    header[index]
                    if index < len(header) and header[index]
                    else (_column_letter(index))
                )
                found.append(
                    f"{filename}: row {number}, column {column}: {value!r} — a formula whose "
                    "value was never saved: open the file in a spreadsheet and save it, or "
                    "paste the values in place of the formulas."
                )
    return found


def plan_import(
    *,
    round_: AssessmentRound,
    header: list[str],
    rows: list[dict[str, str]],
    filename: str,
    sha_ids: set[int] | None = None,
) -> list[Change]:
    """The changes the file asks for, or ``ImportRefused`` with every error found."""
    items = framework_items(round_.framework)
    by_code = {item.code: item for item in items}
    codes = [item.code for item in items]
    errors: list[str] = []

    def error(row: int | None, column: str, value: str, rule: str) -> None:
        where = f"row {row}, column {column}" if row else f"column {column}"
        errors.append(f"{filename}: {where}: {value!r} — {rule}")

    seen = set()
    for column in header:
        if column in seen:
            error(None, column, column, "the column appears twice")
        seen.add(column)
    for code in ["ods_code", *codes]:
        if code not in header:
            error(None, code, "", "the column is missing")
    # Sub-indicator columns (``export_league_table --sub-indicators``) are accepted and not
    # read: sub-indicator lights are agreed at consensus, not imported. (Looked up only
    # when the file has columns beyond the league table's.)
    ignored: set[str] | None = None
    for column in header:
        base = column.removesuffix("_rationale")
        if column in NOT_DATA or column == "ods_code" or base in by_code:
            continue
        if ignored is None:
            ignored = set(sub_indicator_columns(round_))
        if column in ignored:
            continue
        if is_competency_code(base):
            error(
                None,
                column,
                column,
                f"the {round_.slug} framework does not score competency {base[1:]}",
            )
        else:
            error(None, column, column, "not a column of the league-table file")
    if errors:
        raise ImportRefused(errors)

    assessments = {}
    for a in Assessment.objects.filter(round=round_).select_related("pct"):
        a.round = round_  # one round (and framework) for all, not one each
        assessments[a.pct.ods_code] = a
    # The round's agreed ratings as (value, rationale) by assessment and item code: read as
    # tuples, since a model instance each (150,000 at 10,000 PCTs) made the preview of a
    # whole round's file take 9-11 s (the scale walk).
    current = {
        (assessment_id, competency_code(number) if number is not None else area): (
            str(level) if number is not None else light,
            rationale,
        )
        for assessment_id, number, area, level, light, rationale in AgreedRating.objects.filter(
            assessment__round=round_, sub_indicator__isnull=True
        ).values_list(
            "assessment_id", "competency__number", "area__code", "level", "light", "rationale"
        )
    }
    changes: list[Change] = []
    rows_of: dict[str, int] = {}
    numbers = getattr(rows, "numbers", range(2, len(rows) + 2))
    for number, row in zip(numbers, rows, strict=True):
        ods = row.get("ods_code", "").upper()
        assessment = assessments.get(ods)
        if assessment is None:
            error(
                number,
                "ods_code",
                row.get("ods_code", ""),
                f"no PCT with this ODS code is assessed in {round_.slug}",
            )
            continue
        if ods in rows_of:
            error(number, "ods_code", ods, f"the PCT already appears in row {rows_of[ods]}")
            continue
        rows_of[ods] = number
        if sha_ids is not None and assessment.pct.sha_id not in sha_ids:
            error(number, "ods_code", ods, "the PCT is outside your region")
            continue
        values, levels, points = {}, 0, 0
        for code in codes:
            raw = row.get(code, "")
            try:
                fields = item_value(by_code[code], raw)
            except ValidationError:
                rule = (
                    "a level is a whole number from 1 to 4"
                    if value_field(by_code[code]) == "level"
                    else "a light is green, amber or red"
                )
                error(number, code, raw, rule)
                continue
            if fields["level"] is None:
                values[code] = fields["light"]
                points += LIGHT_POINTS[fields["light"]]
            else:
                values[code] = str(fields["level"])
                levels += fields["level"]
        if len(values) != len(codes):
            continue
        for column, expected in (("total", levels), ("governance", points)):
            given = row.get(column, "")
            if given and given != str(expected):
                error(number, column, given, f"disagrees with the ratings in the row ({expected})")
        row_changes, mark = [], len(errors)
        for code in codes:
            rating = current.get((assessment.pk, code))
            old = "" if rating is None else rating[0]
            rationale = row.get(f"{code}_rationale") or None
            # The files carry rationales as ``spreadsheet_text`` (line breaks as \n, no
            # control characters): compare like with like, so a round trip changes nothing.
            kept = rating is not None and rationale == spreadsheet_text(rating[1]).strip()
            if old == values[code] and (rationale is None or kept):
                continue
            if rating is None and not rationale:
                error(number, f"{code}_rationale", "", "a new agreed rating needs its rationale")
                continue
            rewording = rationale is not None and rating is not None and not kept
            if rewording and assessment.stage in CHANGEABLE - {Stage.CONSENSUS}:
                # After consensus a rating changes only with a reason (an adjustment); the
                # panel's rationale is not rewritten.
                error(
                    number,
                    f"{code}_rationale",
                    rationale[:40],
                    "a rationale can be changed only at panel consensus",
                )
                continue
            row_changes.append(Change(assessment, by_code[code], old, values[code], rationale))
        if (row_changes or len(errors) > mark) and assessment.stage not in CHANGEABLE:
            # The stage is the row's one problem: its cells' (a missing rationale, say)
            # would only be fixed in vain.
            del errors[mark:]
            when = (
                "its ratings are agreed at panel consensus, not yet"
                if assessment.stage in BEFORE_CONSENSUS
                else "its ratings can no longer change"
            )
            error(
                number,
                "ods_code",
                ods,
                f"the assessment is at {assessment.get_stage_display()}: {when}",
            )
            continue
        changes.extend(row_changes)
    if errors:
        raise ImportRefused(errors)
    return changes


def needing_reason(changes: list[Change]) -> list[Change]:
    """The changes that adjust an agreed rating after consensus (at regional moderation or
    any later stage, a withdrawn round's correction included): the import must say why, and
    each board reads it beside its rating (walk: the file's name, "Imported from
    walkU-import.csv", was all the board read). A panel's ratings at consensus need none."""
    return [c for c in changes if c.old != c.new and c.assessment.stage != Stage.CONSENSUS]


NO_REASON = (
    "Give the reason for the change: the file changes agreed ratings after panel consensus, "
    "and each board reads the reason beside its rating."
)


@transaction.atomic
def apply_import(*, changes: list[Change], by, filename: str, reason: str = "") -> int:
    """Write the planned changes through assessments' services; returns how many.
    ``reason``: why, each changed rating's reason; required (``ValidationError`` on
    ``reason``, nothing written) when any change is ``needing_reason``. ``filename`` names
    the file in the refusal."""
    reason = reason.strip()
    if not reason and needing_reason(changes):
        raise ValidationError({"reason": f"{filename}: {NO_REASON}"})
    with standings_deferred():  # each PCT's standing rewritten once, after its changes
        _apply(changes, by=by, reason=reason)
    return len(changes)


def _apply(changes: list[Change], *, by, reason: str) -> None:
    for change in changes:
        assessment = change.assessment
        if assessment.stage == Stage.CONSENSUS:
            rating = AgreedRating.objects.filter(
                assessment=assessment, **{item_field(change.item): change.item}
            ).first()
            agreed_rating_record(
                assessment=assessment,
                item=change.item,
                value=change.new,
                rationale=change.rationale or (rating.rationale if rating else ""),
                by=by,
            )
            continue
        rating = AgreedRating.objects.get(
            assessment=assessment, **{item_field(change.item): change.item}
        )
        if change.old != change.new:
            agreed_rating_adjust(
                rating=rating,
                value=change.new,
                reason=reason,
                by=by,
                expected_version=rating.version,
                source=RatingChange.Source.IMPORT,
            )
