"""Writes of the framework: copying a version for a new round, and editing the copy.

A framework version is edited only until a round using it opens; then
``framework_lock`` fixes it (``FrameworkVersion.locked_at``) and every edit here is
refused with ``FrameworkLockedError``, so that ratings stay readable under the words they
were scored with. ``framework_unlock`` frees it again when the caller knows nothing was rated under it
(an opening taken back in full). This app knows nothing of rounds: ``assessments.rounds`` decides when to
lock, and writes the history of each edit.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from competencies.models import (
    LEVELS,
    Competency,
    FrameworkVersion,
    GovernanceArea,
    LevelDescriptor,
    SubIndicator,
)


class FrameworkLockedError(ValueError):
    """The framework has been used by an opened round and is never changed afterwards."""


def framework_check_editable(framework: FrameworkVersion) -> None:
    """Raise ``FrameworkLockedError`` if ``framework`` may no longer change. Re-read from
    the database, so that a stale copy cannot slip an edit past a lock; in the caller's
    transaction the row is locked on PostgreSQL, so an edit and the round's opening
    (``framework_lock`` updates the same row) cannot interleave (SQLite's IMMEDIATE
    transactions serialise them anyway)."""
    locked_at = (
        FrameworkVersion.objects.select_for_update()
        .filter(pk=framework.pk)
        .values_list("locked_at", flat=True)
        .get()
    )
    if locked_at is not None:
        raise FrameworkLockedError(
            f"The framework {framework.name} has been used by a round since "
            f"{timezone.localtime(locked_at):%-d %B %Y}: it can no longer be changed. "
            "Copy it into a new round to change its wording."
        )


@transaction.atomic
def framework_copy(*, source: FrameworkVersion, slug: str, name: str) -> FrameworkVersion:
    """A deep, independent copy of ``source`` as a new, editable version: its competencies,
    level descriptors, governance areas and their sub-indicators (six queries)."""
    framework = FrameworkVersion(
        slug=slug, name=name, description=f"Copied from {source.name}. {source.description}"[:2000]
    )
    framework.full_clean()
    framework.save()

    competencies = list(Competency.objects.filter(framework=source).order_by("number"))
    copies = Competency.objects.bulk_create(
        [
            Competency(
                framework=framework, number=c.number, short_name=c.short_name, statement=c.statement
            )
            for c in competencies
        ]
    )
    new_competency = {old.pk: new for old, new in zip(competencies, copies, strict=True)}
    LevelDescriptor.objects.bulk_create(
        [
            LevelDescriptor(
                competency=new_competency[d.competency_id], level=d.level, descriptor=d.descriptor
            )
            for d in LevelDescriptor.objects.filter(competency__framework=source)
        ]
    )

    areas = list(GovernanceArea.objects.filter(framework=source).order_by("position"))
    area_copies = GovernanceArea.objects.bulk_create(
        [
            GovernanceArea(
                framework=framework,
                code=a.code,
                position=a.position,
                name=a.name,
                description=a.description,
                green_meaning=a.green_meaning,
                amber_meaning=a.amber_meaning,
                red_meaning=a.red_meaning,
            )
            for a in areas
        ]
    )
    new_area = {old.pk: new for old, new in zip(areas, area_copies, strict=True)}
    SubIndicator.objects.bulk_create(
        [
            SubIndicator(
                area=new_area[s.area_id], number=s.number, name=s.name, description=s.description
            )
            for s in SubIndicator.objects.filter(area__framework=source)
        ]
    )
    return framework


@transaction.atomic
def framework_lock(*, framework: FrameworkVersion) -> FrameworkVersion:
    """Fix ``framework`` (a round using it has opened); a no-op if already fixed. The
    update is made whatever the copy in hand says: a copy read as fixed may have been freed
    since (``framework_unlock``) by a take-back that had not seen this opening."""
    now = timezone.now()
    if FrameworkVersion.objects.filter(pk=framework.pk, locked_at__isnull=True).update(
        locked_at=now
    ):
        framework.locked_at = now
    elif framework.locked_at is None:
        framework.refresh_from_db(fields=["locked_at"])
    return framework


@transaction.atomic
def framework_unlock(*, framework: FrameworkVersion) -> bool:
    """Make ``framework`` editable again; returns whether it was fixed. Only for a framework
    nothing was rated under: the caller (``assessments.rounds``, which knows the rounds)
    calls it when the opening of every round using it was taken back in full."""
    unlocked = FrameworkVersion.objects.filter(pk=framework.pk, locked_at__isnull=False).update(
        locked_at=None
    )
    framework.locked_at = None
    return bool(unlocked)


def _required(value: str, field: str, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: f"Write the {what}: it cannot be empty."})
    return value


@transaction.atomic
def competency_update(
    *, competency: Competency, short_name: str, statement: str, levels: dict[int, str]
) -> list[tuple[str, str, str]]:
    """Change a competency's wording and its level descriptors; returns the changes made
    as ``(what, old, new)`` for the caller's history. Refused once the framework is fixed."""
    framework_check_editable(competency.framework)
    changes: list[tuple[str, str, str]] = []
    short_name = _required(short_name, "short_name", "short name")
    other = (
        Competency.objects.filter(
            framework_id=competency.framework_id, short_name__iexact=short_name
        )
        .exclude(pk=competency.pk)
        .first()
    )
    if other is not None:  # the bad-input walk: two competencies had one short name
        raise ValidationError(
            {
                "short_name": f"Competency {other.number} is already called {other.short_name}: "
                "give another short name."
            }
        )
    statement = _required(statement, "statement", "competency statement")
    for field, new in (("short_name", short_name), ("statement", statement)):
        old = getattr(competency, field)
        if old != new:
            setattr(competency, field, new)
            changes.append((f"{competency.code} {field}", old, new))
    competency.full_clean()
    competency.save(update_fields=["short_name", "statement"])
    descriptors = {d.level: d for d in competency.levels.all()}
    for level in LEVELS:
        new = _required(levels.get(level, ""), f"level_{level}", f"descriptor of level {level}")
        descriptor = descriptors.get(level) or LevelDescriptor(competency=competency, level=level)
        if descriptor.descriptor != new:
            changes.append((f"{competency.code} level {level}", descriptor.descriptor, new))
            descriptor.descriptor = new
            descriptor.full_clean()
            descriptor.save()
    return changes


AREA_FIELDS = ("description", "green_meaning", "amber_meaning", "red_meaning")


def _sub_indicator_names_check(sub_indicators: list[tuple[SubIndicator | None, str, str]]):
    """Each of an area's sub-indicators has a name of its own (the bad-input walk: three
    were called "Evidence base"); ``ValidationError`` on the field of each repeat."""
    first: dict[str, int | None] = {}
    errors = {}
    for sub, name, _description in sub_indicators:
        key = " ".join((name or "").split()).casefold()
        if not key:
            continue
        if key in first:
            which = f"sub-indicator {first[key]}" if first[key] else "the new sub-indicator"
            field = f"sub_{sub.number}_name" if sub is not None else "new_name"
            errors[field] = f"{name.strip()} is already the name of {which}: give another name."
        else:
            first[key] = sub.number if sub is not None else None
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def governance_area_update(
    *,
    area: GovernanceArea,
    values: dict[str, str],
    sub_indicators: list[tuple[SubIndicator | None, str, str]],
) -> list[tuple[str, str, str]]:
    """Change what an area's lights mean and its sub-indicators' names and descriptions
    (``sub_indicators``: ``(existing or None for a new one, name, description)``; a new
    one with no name is skipped). Returns ``(what, old, new)`` for each change."""
    framework_check_editable(area.framework)
    _sub_indicator_names_check(sub_indicators)
    changes: list[tuple[str, str, str]] = []
    for field in AREA_FIELDS:
        new = (values.get(field) or "").strip()
        if field != "description":
            new = _required(new, field, f"meaning of {field.split('_')[0]}")
        old = getattr(area, field)
        if old != new:
            setattr(area, field, new)
            changes.append((f"{area.code} {field}", old, new))
    area.full_clean()
    area.save(update_fields=list(AREA_FIELDS))
    next_number = max([s.number for s, _n, _d in sub_indicators if s is not None] or [0]) + 1
    for sub, name, description in sub_indicators:
        name, description = (name or "").strip(), (description or "").strip()
        if sub is None:
            if not name:
                continue
            sub = SubIndicator(area=area, number=next_number, name=name, description=description)
            next_number += 1
            sub.full_clean()
            sub.save()
            changes.append((f"{area.code} sub-indicator {sub.number}", "", name))
            continue
        name = _required(name, f"sub_{sub.number}_name", f"name of sub-indicator {sub.number}")
        if (sub.name, sub.description) != (name, description):
            changes.append((f"{area.code} sub-indicator {sub.number}", sub.name, name))
            sub.name, sub.description = name, description
            sub.full_clean()
            sub.save(update_fields=["name", "description"])
    return changes
