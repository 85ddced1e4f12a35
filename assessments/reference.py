"""Loading SHAs, PCTs, outcome indicators and suppliers from ``fixtures/`` (idempotent)."""

import csv
from pathlib import Path

from django.db import transaction

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


def _read_csv(path: Path, required: list[str]) -> list[tuple[int, dict[str, str]]]:
    """Rows numbered as a spreadsheet shows them (the header is row 1)."""
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise ReferenceDataError(path, "header", f"missing column(s): {', '.join(missing)}")
            return [(number, row) for number, row in enumerate(reader, start=2)]
    except FileNotFoundError:
        raise ReferenceDataError(path, "file", "not found") from None


def _ods(path: Path, number: int, column: str, raw: str) -> str:
    code = (raw or "").strip().upper()
    if len(code) != 3 or not code.isalnum():
        raise ReferenceDataError(
            path, f"row {number}, column {column}", f"{raw!r} is not a three-character ODS code"
        )
    return code


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


@transaction.atomic
def pcts_load(*, path: Path) -> int:
    rows = _read_csv(path, ["ods_code", "name", "org_type", "sha_ods_code"])
    shas = {sha.ods_code: sha for sha in StrategicHealthAuthority.objects.all()}
    seen: dict[str, int] = {}
    for number, row in rows:
        code = _ods(path, number, "ods_code", row["ods_code"])
        if code in seen:
            raise ReferenceDataError(
                path,
                f"row {number}, column ods_code",
                f"{code} already appears in row {seen[code]}",
            )
        seen[code] = number
        sha_code = _ods(path, number, "sha_ods_code", row["sha_ods_code"])
        if sha_code not in shas:
            raise ReferenceDataError(
                path,
                f"row {number}, column sha_ods_code",
                f"unknown SHA {sha_code} (load SHAs first)",
            )
        org_type = ORG_TYPES.get((row["org_type"] or "").strip())
        if org_type is None:
            raise ReferenceDataError(
                path,
                f"row {number}, column org_type",
                f"{row['org_type']!r} is not one of {', '.join(ORG_TYPES)}",
            )
        PrimaryCareTrust.objects.update_or_create(
            ods_code=code,
            defaults={
                "name": (row["name"] or "").strip(),
                "org_type": org_type,
                "sha": shas[sha_code],
                "ons_code": (row.get("ons_code_2012") or "").strip(),
                "code_confidence": (row.get("code_confidence") or "confirmed").strip(),
            },
        )
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
