"""The read model of a round: one ``Standing`` per assessment, and the round's version.

The reports show, for each PCT, its agreed values, which of them moderation changed, its
governance points, its competency total and whether every item is agreed. Pivoting every
agreed rating of the round on each request made a page's cost grow with the number of
PCTs; instead, every service that changes an agreed rating calls ``rating_changed`` in
its own transaction, which rewrites that assessment's one row, and gives the round's
``FiguresVersion`` a new random value. Anything else that changes what the reports show
(a comment holding a PCT back, a PCT renamed or moved, the publication time) calls
``figures_changed``.

Figures computed from a round (``reports.kept``) are kept under the round's version,
so the next request after a change computes them again and every other request reuses
them. Each change also records its step (``FiguresChange``: from which version, and which
assessments' rows it rewrote), so that a process can bring a kept round up to date by
recomputing only those rows (``changed_between``). ``standings_rebuild`` writes a whole
round's rows at once (the demo seed, and ``manage.py refresh_standings`` after a bulk
load).
"""

import secrets
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import IntegrityError, transaction

from assessments.models import (
    AgreedRating,
    Assessment,
    AssessmentRound,
    FiguresChange,
    FiguresVersion,
    Standing,
)
from competencies.models import Competency
from competencies.vocabulary import AREA_CODES, LIGHT_POINTS, competency_code

# Read with ``values_list``: one tuple per agreed rating, sub-indicators left out.
_RATING_FIELDS = (
    "assessment_id",
    "assessment__round_id",
    "competency__number",
    "area__code",
    "level",
    "light",
    "panel_level",
    "panel_light",
)


def _framework_codes(framework_ids: Iterable[int]) -> dict[int, list[str]]:
    """``{framework id: [c1 … cN]}`` (one query)."""
    codes: dict[int, list[str]] = {}
    rows = (
        Competency.objects.filter(framework_id__in=set(framework_ids))
        .order_by("number")
        .values_list("framework_id", "number")
    )
    for framework_id, number in rows:
        codes.setdefault(framework_id, []).append(competency_code(number))
    return codes


def standing_of(ratings: list[tuple], competencies: list[str]) -> dict:
    """The fields of a ``Standing`` from an assessment's rows of ``_RATING_FIELDS``.

    The rules the league table states (CONTRACTS.md): governance points are the sum of the
    three lights' points; the total is the sum of the competency levels; a PCT is complete,
    and so ranked, when every area and every competency of the framework is agreed.
    """
    values: dict[str, int | str] = {}
    moderated: dict[str, str] = {}
    for *_ids, number, area, level, light, panel_level, panel_light in ratings:
        if number is not None:
            item, value, panel = competency_code(number), level, panel_level
        else:
            item, value, panel = area, light, panel_light
        if value is None or value == "":
            continue
        values[item] = value
        if panel not in (None, "") and str(panel) != str(value):
            moderated[item] = str(panel)
    lights = [values.get(area) for area in AREA_CODES]
    levels = [values[c] for c in competencies if c in values]
    return {
        "values": values,
        "moderated": moderated,
        "governance": sum(LIGHT_POINTS[light] for light in lights) if all(lights) else None,
        "total": sum(levels) if levels else None,
        "complete": all(lights) and len(levels) == len(competencies),
    }


def _write(assessment_ids: list[int], round_of: dict[int, int], framework_of: dict[int, int]):
    ratings: dict[int, list[tuple]] = {a: [] for a in assessment_ids}
    rows = AgreedRating.objects.filter(
        assessment_id__in=assessment_ids, sub_indicator__isnull=True
    ).values_list(*_RATING_FIELDS)
    for row in rows:
        ratings[row[0]].append(row)
    codes = _framework_codes(framework_of.values())
    standings = [
        Standing(
            assessment_id=a,
            round_id=round_of[a],
            **standing_of(rows, codes.get(framework_of[a], [])),
        )
        for a, rows in ratings.items()
        if rows
    ]
    Standing.objects.filter(assessment_id__in=assessment_ids).delete()
    Standing.objects.bulk_create(standings, batch_size=1000)


# Assessments whose standings wait for the end of a ``standings_deferred`` block.
_pending: ContextVar[set[int] | None] = ContextVar("standings_pending", default=None)


@contextmanager
def standings_deferred() -> Iterator[None]:
    """Within the block, a changed rating notes its assessment, and the standings are
    rewritten once when the block ends (a chair's form or an import changes many ratings
    of one assessment). Use it inside the service's transaction."""
    if _pending.get() is not None:  # already deferred by an outer block
        yield
        return
    token = _pending.set(set())
    try:
        yield
        pending = _pending.get()
    finally:
        _pending.reset(token)
    if pending:
        standings_refresh(assessment_ids=pending)


def rating_changed(*, assessment_id: int) -> None:
    """Called by every service that changes an agreed rating, in its transaction."""
    pending = _pending.get()
    if pending is None:
        standings_refresh(assessment_ids=[assessment_id])
    else:
        pending.add(assessment_id)


@transaction.atomic
def standings_refresh(*, assessment_ids: Iterable[int]) -> None:
    """Rewrite the standings of these assessments from their agreed ratings, and give
    their rounds' figures a new version."""
    ids = sorted(set(assessment_ids))
    rows = Assessment.objects.filter(pk__in=ids).values_list(
        "pk", "round_id", "round__framework_id"
    )
    round_of = {pk: round_id for pk, round_id, _f in rows}
    framework_of = {pk: framework_id for pk, _r, framework_id in rows}
    _write(list(round_of), round_of, framework_of)
    changed: dict[int, list[int]] = {}
    for assessment_id, round_id in round_of.items():
        changed.setdefault(round_id, []).append(assessment_id)
    figures_changed(round_ids=changed, assessments=changed)


@transaction.atomic
def standings_rebuild(*, rounds: Iterable[AssessmentRound]) -> int:
    """Rewrite every standing of these rounds (after a bulk load); returns how many."""
    count = 0
    for round_ in rounds:
        ids = list(Assessment.objects.filter(round=round_).values_list("pk", flat=True))
        for start in range(0, len(ids), 2000):  # under SQLite's limit of query parameters
            chunk = ids[start : start + 2000]
            _write(
                chunk,
                dict.fromkeys(chunk, round_.pk),
                dict.fromkeys(chunk, round_.framework_id),
            )
        count += Standing.objects.filter(round=round_).count()
    figures_changed(round_ids=[r.pk for r in rounds])
    return count


def _new_version() -> int:
    # Random, not a counter: a transaction that rolls back restores the old value, and a
    # counter would then give the next change the number of the undone one, whose figures
    # a process may still keep. A random value never comes back.
    return secrets.randbits(62) + 1


# The steps kept in all (``FiguresChange``); older ones are pruned as new ones are written.
# A process whose figures are further behind than this recomputes the round.
STEPS_KEPT = 1000
# The steps a reader follows back from the current version before it gives up.
STEPS_FOLLOWED = 100


@transaction.atomic
def figures_changed(
    *, round_ids: Iterable[int], assessments: dict[int, Iterable[int]] | None = None
) -> None:
    """Give these rounds' figures a new version (in the caller's transaction), and record
    the step. ``assessments``: ``{round id: [assessment id, …]}`` when only those
    assessments' rows changed (a rating, a comment holding one PCT back), so that a process
    keeping the round's figures recomputes only them; otherwise anything may have changed.
    """
    ids = sorted(set(round_ids))
    if not ids:
        return
    # Locked first: two changes of one round then step one after the other, and each
    # records the version it stepped from (on SQLite, writers are serial anyway).
    current = dict(
        FiguresVersion.objects.select_for_update()
        .filter(round_id__in=ids)
        .values_list("round_id", "value")
    )
    steps = []
    for round_id in ids:
        new = _new_version()
        previous = current.get(round_id)
        if previous is not None:
            FiguresVersion.objects.filter(round_id=round_id).update(value=new)
        else:
            try:
                with transaction.atomic():
                    FiguresVersion.objects.create(round_id=round_id, value=new)
                previous = 0
            except IntegrityError:  # created by a concurrent change: step from its value
                locked = FiguresVersion.objects.select_for_update().get(round_id=round_id)
                previous = locked.value
                FiguresVersion.objects.filter(round_id=round_id).update(value=new)
        changed = None if assessments is None else sorted(set(assessments.get(round_id, ())))
        steps.append(
            FiguresChange(round_id=round_id, value=new, previous=previous, assessments=changed)
        )
    written = FiguresChange.objects.bulk_create(steps)
    newest = max((step.pk for step in written if step.pk is not None), default=None)
    if newest is not None and newest > STEPS_KEPT:
        FiguresChange.objects.filter(pk__lte=newest - STEPS_KEPT).delete()


def changed_between(*, round_id: int, since: int, until: int) -> set[int] | None:
    """The assessments whose rows changed from version ``since`` to version ``until`` of
    the round, following the recorded steps back from ``until`` (one query); None when the
    steps do not lead back to ``since`` (pruned, too far behind, or a change of anything).
    """
    if since == until:
        return set()
    recent = (
        FiguresChange.objects.filter(round_id=round_id)
        .order_by("-id")
        .values_list("value", "previous", "assessments")[:STEPS_FOLLOWED]
    )
    step_to = {value: (previous, assessments) for value, previous, assessments in recent}
    changed: set[int] = set()
    at = until
    for _ in range(STEPS_FOLLOWED):
        if at == since:
            return changed
        step = step_to.get(at)
        if step is None or step[1] is None:
            return None
        changed.update(step[1])
        at = step[0]
    return changed if at == since else None


def figures_versions(round_ids: Iterable[int]) -> dict[int, int]:
    """``{round id: version}`` (one query; 0 for a round nothing has changed yet)."""
    ids = set(round_ids)
    found = dict(FiguresVersion.objects.filter(round_id__in=ids).values_list("round_id", "value"))
    return {round_id: found.get(round_id, 0) for round_id in ids}
