"""Loading the framework versions from ``fixtures/frameworks.json`` (idempotent)."""

import json
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from competencies.models import (
    LEVELS,
    Competency,
    FrameworkVersion,
    GovernanceArea,
    LevelDescriptor,
    Light,
    SubIndicator,
)


@dataclass
class ReferenceDataError(Exception):
    """Bad reference data: says which file, which row or entry, which field, and what is wrong."""

    path: Path | str
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.where}: {self.message}"


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReferenceDataError(path, "file", "not found") from None
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(
            path, f"line {exc.lineno}", f"not valid JSON ({exc.msg})"
        ) from None


def _require(entry: dict, key: str, path: Path, where: str):
    value = entry.get(key)
    if value in (None, ""):
        raise ReferenceDataError(path, where, f"'{key}' is missing")
    return value


@transaction.atomic
def frameworks_load(*, path: Path) -> dict[str, int]:
    """Create or update every framework version in the file; returns counts by kind."""
    data = read_json(path)
    counts = {"frameworks": 0, "competencies": 0, "level descriptors": 0, "governance areas": 0}
    counts["sub-indicators"] = 0
    for f_index, entry in enumerate(data.get("frameworks", []), start=1):
        where = f"framework {f_index}"
        framework, _ = FrameworkVersion.objects.update_or_create(
            slug=_require(entry, "slug", path, where),
            defaults={
                "name": _require(entry, "name", path, where),
                "description": entry.get("description", ""),
            },
        )
        counts["frameworks"] += 1
        numbers = [c.get("number") for c in entry.get("competencies", [])]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ReferenceDataError(
                path,
                f"{where} ({framework.slug})",
                f"competencies must be numbered 1…N in order, got {numbers}",
            )
        for comp in entry["competencies"]:
            c_where = f"{where} ({framework.slug}), competency {comp['number']}"
            competency, _ = Competency.objects.update_or_create(
                framework=framework,
                number=comp["number"],
                defaults={
                    "short_name": _require(comp, "short_name", path, c_where),
                    "statement": _require(comp, "statement", path, c_where),
                },
            )
            counts["competencies"] += 1
            levels = comp.get("levels") or {}
            if sorted(levels) != [str(level) for level in LEVELS]:
                raise ReferenceDataError(
                    path, c_where, "'levels' must describe levels 1, 2, 3 and 4"
                )
            for level in LEVELS:
                LevelDescriptor.objects.update_or_create(
                    competency=competency,
                    level=level,
                    defaults={
                        "descriptor": _require(levels, str(level), path, f"{c_where}, level")
                    },
                )
                counts["level descriptors"] += 1
        for position, area_entry in enumerate(entry.get("governance_areas", []), start=1):
            a_where = f"{where} ({framework.slug}), governance area {position}"
            code = _require(area_entry, "code", path, a_where)
            if code not in GovernanceArea.Code.values:
                raise ReferenceDataError(
                    path,
                    a_where,
                    f"unknown code {code!r}: use {', '.join(GovernanceArea.Code.values)}",
                )
            area, _ = GovernanceArea.objects.update_or_create(
                framework=framework,
                code=code,
                defaults={
                    "position": position,
                    "name": _require(area_entry, "name", path, a_where),
                    "description": area_entry.get("description", ""),
                    **{
                        f"{light}_meaning": _require(area_entry, light, path, a_where)
                        for light in Light.values
                    },
                },
            )
            counts["governance areas"] += 1
            for sub in area_entry.get("sub_indicators", []):
                SubIndicator.objects.update_or_create(
                    area=area,
                    number=_require(sub, "number", path, f"{a_where}, sub-indicator"),
                    defaults={
                        "name": _require(sub, "name", path, f"{a_where}, sub-indicator"),
                        "description": sub.get("description", ""),
                    },
                )
                counts["sub-indicators"] += 1
    return counts
