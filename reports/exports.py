"""League-table files: CSV and XLSX in the CONTRACTS.md columns (pandas, openpyxl).

Both files are safe to open in a spreadsheet (OWASP "CSV injection"): no text a user typed
(a rationale, a PCT name) is ever read as a formula.

- CSV has no cell types, so a text cell that a spreadsheet would read as a formula (it
  starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or a line feed) is prefixed with an
  apostrophe ``'``, as OWASP suggests; a text cell that itself starts with ``'`` is
  prefixed too, so the importer can strip exactly one apostrophe and get the text back.
  Numbers (a level, a total) are written as numbers, never prefixed.
- XLSX cells have types: every text cell is written as a string (openpyxl's data type
  ``"s"``), so ``=HYPERLINK(…)`` is stored as text, never as a formula, and needs no
  apostrophe: the text is written exactly.
- In both, line breaks become ``\\n`` (a bare carriage return would split a CSV row in some
  readers) and the other control characters (U+0000 to U+0008, U+000B, U+000C, U+000E to U+001F,
  U+007F) and the non-characters U+FFFE and U+FFFF are removed: XLSX (XML) cannot hold
  them and no one types them on purpose. Exporting and importing back gives
  ``spreadsheet_text(text).strip()``.
"""

import io
import re

import pandas as pd

# What a spreadsheet reads as the start of a formula (OWASP), and the escape itself.
# A line feed is not on OWASP's list; it is escaped too, since a carriage return becomes one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
ESCAPE = "'"
_LINE_BREAKS = re.compile(r"\r\n?")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def spreadsheet_text(text: str) -> str:
    """The text as both files carry it: line breaks as ``\\n``, control characters removed."""
    return _CONTROL.sub("", _LINE_BREAKS.sub("\n", text))


def csv_escape(text: str) -> str:
    """A text cell for CSV: prefixed with ``'`` when a spreadsheet would read a formula."""
    text = spreadsheet_text(text)
    return ESCAPE + text if text.startswith((*FORMULA_STARTS, ESCAPE)) else text


def csv_unescape(cell: str) -> str:
    """The inverse of ``csv_escape`` for a cell read from a CSV file."""
    return cell.removeprefix(ESCAPE)


def _texts(frame: pd.DataFrame, convert) -> pd.DataFrame:
    """The frame with ``convert`` applied to every text cell (numbers and blanks kept)."""
    frame = frame.copy()
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):  # text: str or object dtype
            frame[column] = frame[column].map(lambda v: convert(v) if isinstance(v, str) else v)
    return frame


def table_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a header row; blank cells for missing values; text cells escaped."""
    return _texts(frame, csv_escape).to_csv(index=False).encode("utf-8")


def table_xlsx(frame: pd.DataFrame, *, sheet: str = "League table") -> bytes:
    """An XLSX workbook: a bold header row, frozen panes below it and beside the PCT
    name, and columns wide enough for their contents; every text cell a string."""
    frame = _texts(frame, spreadsheet_text)
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet)
        worksheet = writer.sheets[sheet]
        for row in worksheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # openpyxl makes "=…" a formula ("f"): never
        worksheet.freeze_panes = "D2"  # keep rank, ODS code and PCT name in view
        for index, column in enumerate(frame.columns, start=1):
            values = [str(column), *(str(v) for v in frame[column].tolist() if not pd.isna(v))]
            width = min(max(len(v) for v in values) + 2, 60)
            worksheet.column_dimensions[
                worksheet.cell(row=1, column=index).column_letter
            ].width = width
    return buffer.getvalue()
