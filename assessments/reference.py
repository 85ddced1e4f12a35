"""Loading SHAs, PCTs, outcome indicators and suppliers from ``fixtures/`` (idempotent)."""

import csv
import io
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from assessments.models import (
    OutcomeIndicator,
    PrimaryCareTrust,
    StrategicHealthAuthority,
    Supplier,
)
from competencies.reference import ReferenceDataError, read_json

ORG_TYPES = {
    "PCT": PrimaryCareTrust.OrgType.PCT,
    "Care Trust": PrimaryCareTrust.OrgType.CARE_TRUST,
    "Care Trust Plus": PrimaryCareTrust.OrgType.CARE_TRUST_PLUS,
}


# The columns of a PCT file (``fixtures/pcts_2009.csv``); the others are optional.
PCT_COLUMNS = ["ods_code", "name", "org_type", "sha_ods_code"]


SEMICOLONS = (
    "the values are separated by semicolons (;), not commas: save the file as CSV with "
    'commas (in Excel, "CSV UTF-8 (Comma delimited)")'
)


def not_utf8_csv(content: bytes) -> str:
    """Why ``content``, which is not UTF-8 text, cannot be read as a CSV, and what to do,
    in words a spreadsheet user acts on (walk M: "not a UTF-8 CSV file" for a PDF, a
    workbook and a file Excel saved as plain "CSV" alike)."""
    save = 'save it from the spreadsheet as "CSV UTF-8 (Comma delimited)" and try again'
    if content.startswith(b"%PDF"):
        return f"the file is a PDF, not a table: open the table itself and {save}"
    if content.startswith(b"PK\x03\x04"):
        return f"the file is an Excel workbook (or another zipped file), not a CSV: {save}"
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f'the file is UTF-16 text (Excel\'s "Unicode Text"): {save}'
    try:
        content.decode("cp1252")
    except UnicodeDecodeError:
        return f"the file is not text: {save}"
    return (
        'the file is not UTF-8 text; it looks saved as plain "CSV", which writes letters '
        f"such as \u00eb or \u00a3 in another character set: {save}"
    )


def semicolon_separated(header: list[str]) -> bool:
    """Whether a CSV header read with commas is one column of names joined by semicolons,
    as a spreadsheet set to a European locale saves it (the bad-input walk: every column
    was then reported missing, without saying why)."""
    return len(header) == 1 and header[0].count(";") >= 1


def read_csv_text(text: str, *, source, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows numbered as a spreadsheet shows them (the header is row 1, blank lines count),
    each a dict by the header's names; the one CSV reader of reference files and of the
    organisations and board members uploads."""
    # strict: a quote left open is an error, not the rest of the file read as one cell.
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    read = 0  # the lines read whole: a broken row starts on the next
    try:
        header = next(reader, [])
        read = reader.line_num
        missing = [c for c in required if c not in header]
        if missing and semicolon_separated(header):
            raise ReferenceDataError(source, "header", SEMICOLONS)
        if missing:
            raise ReferenceDataError(source, "header", f"missing column(s): {', '.join(missing)}")
        # A blank line is a blank row of the spreadsheet: counted, not read. A short row's
        # missing cells are None, as csv.DictReader gives them; a long row's values past the
        # header are refused rather than dropped.
        rows = []
        for number, values in enumerate(reader, start=2):
            if any(value.strip() for value in values[len(header) :]):
                raise ReferenceDataError(
                    source,
                    f"row {number}",
                    f"{len(values)} values under a header of {len(header)} columns; the "
                    "values past the header would be lost",
                )
            if values:
                rows.append(
                    (number, {**dict.fromkeys(header), **dict(zip(header, values, strict=False))})
                )
            read = reader.line_num
        return rows
    except csv.Error as exc:
        raise ReferenceDataError(source, f"row {read + 1}", csv_problem(exc)) from None


def csv_problem(exc: csv.Error) -> str:
    """What a ``csv.Error`` means, in words a spreadsheet user reads."""
    text = str(exc)
    if "unexpected end of data" in text:
        return 'not valid CSV: a quote (") opened in this row is never closed'
    if "field larger than field limit" in text:
        return f"not valid CSV: a value is longer than {csv.field_size_limit():,} characters"
    if "expected after" in text:
        return (
            'not valid CSV: a quote (") ends in the middle of a value; put the whole value '
            'in quotes and write a quote inside it as two ("")'
        )
    return f"not valid CSV ({text})"


def _read_csv(path: Path, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ReferenceDataError(path, "file", "not found") from None
    return read_csv_text(text, source=path, required=required)


def ods_code_parse(raw: str) -> str:
    """An ODS code from input: three letters or digits, upper-cased; ``ValueError`` naming
    the value and the rule otherwise."""
    code = (raw or "").strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalnum():
        raise ValueError(f"{raw!r} is not an ODS code: three letters or digits, such as 5PG")
    return code


def _ods(path, number: int, column: str, raw: str) -> str:
    try:
        return ods_code_parse(raw)
    except ValueError as exc:
        raise ReferenceDataError(path, f"row {number}, column {column}", str(exc)) from None


@transaction.atomic
def shas_load(*, path: Path) -> int:
    rows = _read_csv(path, ["sha_ods_code", "sha_name"])
    for number, row in rows:
        name = (row["sha_name"] or "").strip()
        if not name:
            raise ReferenceDataError(path, f"row {number}, column sha_name", "the name is empty")
        StrategicHealthAuthority.objects.update_or_create(
            ods_code=_ods(path, number, "sha_ods_code", row["sha_ods_code"]),
            defaults={"name": name, "ons_code": (row.get("sha_ons_code_2012") or "").strip()},
        )
    return len(rows)


def pct_row_parse(
    source, number: int, row: dict[str, str], shas: dict[str, StrategicHealthAuthority]
) -> dict:
    """One row of a PCT file as model values (plus ``closed_on`` when the optional column
    has a date); ``ReferenceDataError`` naming the row, the column, the value and the rule
    (the row's first problem: ``pct_row_check`` gives them all)."""
    values, problems = pct_row_check(source, number, row, shas)
    if problems:
        raise problems[0]
    return values


NAME_MAX = PrimaryCareTrust._meta.get_field("name").max_length
CLOSED_FROM = date(1990, 1, 1)  # as a round's first year (assessments.rounds.FIRST_YEAR)
CLOSED_YEARS_AHEAD = 10


def closed_on_problem(closed_on: date) -> str | None:
    """Why ``closed_on`` cannot be a PCT's closing date (0001-01-01 and 9999-12-31 were
    saved: the bad-input walk), or None."""
    last = date(timezone.localdate().year + CLOSED_YEARS_AHEAD, 12, 31)
    if CLOSED_FROM <= closed_on <= last:
        return None
    return (
        f"{closed_on.isoformat()} is not a date a PCT could close: give one from "
        f"{CLOSED_FROM:%Y} to {last:%Y}"
    )


def pct_row_check(
    source, number: int, row: dict[str, str], shas: dict[str, StrategicHealthAuthority]
) -> tuple[dict, list[ReferenceDataError]]:
    """One row of a PCT file as model values, and every problem in it, column by column
    (the values are only of use when there is none)."""
    problems: list[ReferenceDataError] = []

    def problem(column: str, message: str) -> None:
        problems.append(ReferenceDataError(source, f"row {number}, column {column}", message))

    values: dict = {}
    # A short row's missing cells are None: said as such, not as "None is not an ODS code".
    for column in PCT_COLUMNS:
        if row.get(column) is None:
            problem(column, "missing: the row has fewer values than the header has columns")
    given = [c for c in PCT_COLUMNS if row.get(c) is not None]
    if "ods_code" in given:
        try:
            values["ods_code"] = ods_code_parse(row["ods_code"])
        except ValueError as exc:
            problem("ods_code", str(exc))
    if "name" in given:
        values["name"] = row["name"].strip()
        if not values["name"]:
            problem("name", "the name is empty")
        elif len(values["name"]) > NAME_MAX:
            problem("name", f"{len(values['name'])} characters: a name has at most {NAME_MAX}")
    if "org_type" in given:  # the columns in the header's order
        raw_type = row["org_type"].strip()
        org_type = {name.lower(): value for name, value in ORG_TYPES.items()}.get(raw_type.lower())
        if org_type is None:
            problem("org_type", f"{raw_type!r} is not one of {', '.join(ORG_TYPES)}")
        values["org_type"] = org_type
    if "sha_ods_code" in given:
        try:
            sha_code = ods_code_parse(row["sha_ods_code"])
        except ValueError as exc:
            problem("sha_ods_code", str(exc))
        else:
            if sha_code in shas:
                values["sha"] = shas[sha_code]
            else:
                problem("sha_ods_code", f"no SHA has the ODS code {sha_code}")
    values |= {
        "ons_code": (row.get("ons_code_2012") or "").strip(),
        "code_confidence": (row.get("code_confidence") or "confirmed").strip(),
    }
    raw_closed = (row.get("closed_on") or "").strip()
    if raw_closed:
        try:
            values["closed_on"] = date.fromisoformat(raw_closed)
        except ValueError:
            problem(
                "closed_on",
                f"{raw_closed!r} is not a date: write it as YYYY-MM-DD, e.g. 2011-03-31",
            )
        else:
            if message := closed_on_problem(values["closed_on"]):
                problem("closed_on", message)
    return values, problems


@transaction.atomic
def pcts_load(*, path: Path) -> int:
    rows = _read_csv(path, PCT_COLUMNS)
    shas = {sha.ods_code: sha for sha in StrategicHealthAuthority.objects.all()}
    seen: dict[str, int] = {}
    for number, row in rows:
        values = pct_row_parse(path, number, row, shas)
        code = values.pop("ods_code")
        if code in seen:
            raise ReferenceDataError(
                path,
                f"row {number}, column ods_code",
                f"{code} already appears in row {seen[code]}",
            )
        seen[code] = number
        values.pop("closed_on", None)  # closing a PCT is the organisations page's work
        PrimaryCareTrust.objects.update_or_create(ods_code=code, defaults=values)
    return len(rows)


@transaction.atomic
def outcome_indicators_load(*, path: Path) -> int:
    entries = read_json(path).get("indicators", [])
    for index, entry in enumerate(entries, start=1):
        try:
            OutcomeIndicator.objects.update_or_create(
                code=entry["code"],
                defaults={
                    "name": entry["name"],
                    "unit": entry["unit"],
                    "higher_is_better": bool(entry["higher_is_better"]),
                    "description": entry.get("description", ""),
                },
            )
        except KeyError as exc:
            raise ReferenceDataError(
                path, f"indicator {index}", f"'{exc.args[0]}' is missing"
            ) from None
    return len(entries)


@transaction.atomic
def suppliers_load(*, path: Path) -> int:
    entries = read_json(path).get("suppliers", [])
    for index, entry in enumerate(entries, start=1):
        if not entry.get("name"):
            raise ReferenceDataError(path, f"supplier {index}", "'name' is missing")
        Supplier.objects.update_or_create(
            name=entry["name"],
            defaults={
                "services": list(entry.get("services", [])),
                "description": entry.get("description", ""),
                "illustrative": True,
            },
        )
    return len(entries)
