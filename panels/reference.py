"""Loading all reference data; this module holds the panels' part (seats, conflict rules)."""

from pathlib import Path

from django.db import transaction

from assessments.reference import outcome_indicators_load, pcts_load, shas_load, suppliers_load
from competencies.reference import ReferenceDataError, frameworks_load, read_json
from panels.models import ConflictRule, JobRole, SeatType

FIXTURES_DIR = Path(__file__).resolve().parent.parent / "fixtures"


@transaction.atomic
def seat_types_load(*, path: Path) -> dict[str, int]:
    data = read_json(path)
    seat_types = data.get("seat_types", [])
    if sorted(s.get("number") for s in seat_types) != [1, 2, 3, 4, 5]:
        raise ReferenceDataError(
            path, "seat_types", "there must be exactly five seats, numbered 1 to 5"
        )
    for entry in seat_types:
        where = f"seat {entry['number']}"
        unknown = [r for r in entry.get("eligible_roles", []) if r not in JobRole.values]
        if unknown or not entry.get("eligible_roles"):
            raise ReferenceDataError(
                path, where, f"eligible_roles must be job roles from {', '.join(JobRole.values)}"
            )
        if entry.get("affiliation") not in SeatType.Affiliation.values:
            raise ReferenceDataError(
                path, where, f"affiliation must be one of {', '.join(SeatType.Affiliation.values)}"
            )
        SeatType.objects.update_or_create(
            number=entry["number"],
            defaults={
                "code": entry["code"],
                "name": entry["name"],
                "description": entry["description"],
                "eligible_roles": entry["eligible_roles"],
                "affiliation": entry["affiliation"],
                "is_chair": bool(entry.get("is_chair", False)),
            },
        )
    rules = data.get("conflict_rules", [])
    for index, entry in enumerate(rules, start=1):
        if entry.get("severity") not in ConflictRule.Severity.values:
            raise ReferenceDataError(
                path, f"conflict rule {index}", "severity must be error or warning"
            )
        ConflictRule.objects.update_or_create(
            code=entry["code"],
            defaults={"description": entry["description"], "severity": entry["severity"]},
        )
    return {"seat types": len(seat_types), "conflict rules": len(rules)}


def reference_data_load(*, directory: Path) -> dict[str, int]:
    """Load every reference file in ``directory``, all or nothing; returns counts by kind."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        counts["SHAs"] = shas_load(path=directory / "shas.csv")
        counts["PCTs"] = pcts_load(path=directory / "pcts_2009.csv")
        counts |= frameworks_load(path=directory / "frameworks.json")
        counts |= seat_types_load(path=directory / "seat_types.json")
        counts["outcome indicators"] = outcome_indicators_load(
            path=directory / "outcome_indicators.json"
        )
        counts["suppliers (illustrative)"] = suppliers_load(path=directory / "suppliers.json")
    return counts
