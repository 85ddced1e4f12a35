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

import math
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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
    return b"".join(csv_pieces([frame]))


def csv_pieces(chunks: Iterable[pd.DataFrame]) -> Iterator[bytes]:
    """``table_csv`` of the chunks one after the other, a piece of bytes per chunk (the
    header with the first), for a file sent as it is made. Give at least one chunk (an
    empty one for an empty table), or there is no header."""
    header = True
    for chunk in chunks:
        yield _texts(chunk, csv_escape).to_csv(index=False, header=header).encode("utf-8")
        header = False


def column_widths(frame: pd.DataFrame) -> dict[str, int]:
    """Each column's width in characters: its longest value or header, plus 2, at most 60."""
    widths = {}
    for column in frame.columns:
        texts = [str(column), *(str(v) for v in frame[column].tolist() if not _blank(v))]
        widths[str(column)] = min(max(map(len, texts)) + 2, 60)
    return widths


def table_xlsx(frame: pd.DataFrame, *, sheet: str = "League table") -> bytes:
    """An XLSX workbook: a bold header row, frozen panes below it and beside the PCT
    name, and columns wide enough for their contents; every text cell a string."""
    with xlsx_file([frame], widths=column_widths(frame), sheet=sheet) as file:
        return file.read()


def xlsx_file(
    chunks: Iterable[pd.DataFrame], *, widths: dict[str, int], sheet: str = "League table"
) -> IO[bytes]:
    """``table_xlsx`` of the chunks one after the other (the columns of the first), written
    row by row in openpyxl's write-only mode into a temporary file, returned at its start:
    a workbook of 10,000 rows is never held whole in memory as cells. ``widths``: the
    columns' widths (``column_widths``); a column it lacks takes the first chunk's.
    Give at least one chunk (an empty one for an empty table), or there is no header."""
    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet)
    worksheet.freeze_panes = "D2"  # keep rank, ODS code and PCT name in view
    bold = Font(bold=True)
    first = True
    file = tempfile.TemporaryFile()  # noqa: SIM115 (returned open: the caller closes it)
    try:
        for chunk in chunks:
            if first:
                first = False
                missing = [c for c in chunk.columns if str(c) not in widths]
                widths = {**column_widths(chunk[missing]), **widths}
                for index, column in enumerate(chunk.columns, start=1):
                    letter = get_column_letter(index)
                    worksheet.column_dimensions[letter].width = widths[str(column)]
                worksheet.append([_text_cell(worksheet, str(c), font=bold) for c in chunk.columns])
            chunk = _texts(chunk, spreadsheet_text)
            for row in zip(*(chunk[c].tolist() for c in chunk.columns), strict=True):
                worksheet.append([_xlsx_value(worksheet, v) for v in row])
        book.save(file)
    except BaseException:
        file.close()
        _discard_rows_written(worksheet)
        raise
    file.seek(0)
    return file


def _discard_rows_written(worksheet) -> None:
    """Remove the file openpyxl's write-only sheet streams its rows to. ``book.save``
    removes it when the workbook is written, but a failure half-way (a chunk's query
    failing) would leave it in the temporary folder until the worker process exits: a
    long-lived web worker would gather one per failed download. openpyxl offers no public
    way to abandon a write-only workbook, hence its ``_writer``."""
    writer = getattr(worksheet, "_writer", None)
    if writer is not None and isinstance(writer.out, str) and os.path.exists(writer.out):
        worksheet.close()  # ends the XML it streams, closing the file
        writer.cleanup()


def _blank(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _text_cell(worksheet, text: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(worksheet, value=text)
    cell.data_type = "s"  # openpyxl makes "=…" a formula ("f"): never
    if font is not None:
        cell.font = font
    return cell


def _xlsx_value(worksheet, value):
    if _blank(value):
        return None
    if isinstance(value, str) and (value.startswith("=") or value in ERROR_CODES):
        # What openpyxl would store as a formula or an error: made a string cell here.
        # Other text is passed as it is, a string either way, and a cell is not made twice.
        return _text_cell(worksheet, value)
    return value
