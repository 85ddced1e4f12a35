"""Keeping the list of PCTs: add one, rename it, move it to another SHA, change its type,
close it; or load a file of them, previewed and then applied all or nothing.

PCTs merged between years are common. A closed PCT (``closed_on``) is never deleted: it
keeps its assessments, history and published results, and gets no assessment in rounds
opened after that day (``assessments.rounds.pcts_to_open``).

**A PCT file** has the columns of ``fixtures/pcts_2009.csv`` (``ods_code``, ``name``,
``org_type``, ``sha_ods_code``; the others optional), read by the same reader and row rules
as ``load_reference_data`` (``assessments.reference``). A row with a new code adds a PCT;
a known code with another name, SHA or type renames, moves or retypes it. A PCT missing
from the file is left alone: a file is not assumed to be complete, so nothing is closed by
absence. To close a PCT through a file, give it a date in an optional ``closed_on`` column
(YYYY-MM-DD); the preview lists every closure. Every bad row is named (row as a spreadsheet
numbers it, column, value, rule) and a file with any error changes nothing.

Every change writes a ``PCTChange`` row in its transaction.

**A move to another SHA while an assessment is at work** (a round not yet published) takes
that assessment to the new SHA's staff: they form, moderate and sign it off from then on,
and the old SHA's staff lose access (whoever of them follows an old link is told where it
went: ``pct_moved_away_for``). Its panel keeps its members and scores. A move is refused
while it would change figures a region has signed off: an assessment past regional
moderation (its old region signed off, or confirmed nationally), or a new region already
signed off or confirmed in that round (``pct_move_refusal``). Both SHAs' staff are e-mailed
once the move commits (``assessments.notices.pct_moved_notices``).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import (
    Case,
    CharField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from assessments.factual_accuracy import held_back
from assessments.models import (
    Assessment,
    AssessmentRound,
    PCTChange,
    PrimaryCareTrust,
    RegionReview,
    Role,
    Stage,
    Standing,
    StrategicHealthAuthority,
)
from assessments.notices import pct_moved_notices, sha_staff_to_tell
from assessments.reference import (
    PCT_COLUMNS,
    ReferenceDataError,
    closed_on_problem,
    ods_code_parse,
    pct_row_check,
    read_csv_text,
)
from assessments.standings import figures_changed

OrgType = PrimaryCareTrust.OrgType


def _record(pct, field, old, new, by, note="") -> None:
    change = PCTChange(
        pct=pct,
        field=field,
        old_value="" if old is None else str(old)[:100],
        new_value="" if new is None else str(new)[:100],
        changed_by=by,
        note=note[:200],
    )
    change.full_clean()
    change.save()


def _name(raw: str, *, not_of: str = "") -> str:
    """The PCT name typed, its spaces tidied; refused if empty or another PCT's (the
    bad-input walk: three PCTs were called "Birmingham East and North"). ``not_of``: the
    ODS code of the PCT being renamed."""
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationError({"name": "Give the PCT's name."})
    other = PrimaryCareTrust.objects.filter(name__iexact=name).exclude(ods_code=not_of).first()
    if other is not None:
        raise ValidationError(
            {"name": f"{other.ods_code} is already called {other.name}: give another name."}
        )
    return name


@transaction.atomic
def pct_create(
    *,
    ods_code: str,
    name: str,
    sha: StrategicHealthAuthority,
    org_type: str,
    by: AbstractBaseUser | None,
    note: str = "",
) -> PrimaryCareTrust:
    """A new PCT. ``ods_code``: three letters or digits, upper-cased, not already used."""
    try:
        code = ods_code_parse(ods_code)
    except ValueError as exc:
        raise ValidationError({"ods_code": str(exc)}) from None
    existing = PrimaryCareTrust.objects.filter(ods_code=code).first()
    if existing is not None:
        raise ValidationError({"ods_code": f"{code} is already {existing.name}'s ODS code."})
    pct = PrimaryCareTrust(ods_code=code, name=_name(name), sha=sha, org_type=org_type)
    pct.full_clean()
    pct.save()
    _record(pct, "added", "", f"{pct.name} ({sha.ods_code})", by, note)
    return pct


# --- A move to another SHA while an assessment is at work ------------------------------


@dataclass(frozen=True)
class MovingAssessment:
    """An assessment of the PCT in a round not yet published, which a move takes to the new
    SHA's staff: its stage, and who chairs its panel now (``chair``: the acting chair while
    there is one; "" with no panel or a vacant chair; ``chair_sha``: the chair's SHA, if
    they are SHA staff)."""

    assessment: Assessment
    has_panel: bool
    chair: str
    chair_sha: str

    @property
    def round(self) -> AssessmentRound:
        return self.assessment.round

    @property
    def stage(self) -> Stage:
        return Stage(self.assessment.stage)


def _at_work(pct: PrimaryCareTrust) -> list[MovingAssessment]:
    """The PCT's assessments in rounds not published now (never yet, or withdrawn to be
    corrected), or held back from a published round's results by an unanswered
    factual-accuracy comment (its region answers it and its figures count there: review
    AE), by round, with their panel's chair. Two queries. (The panel's tables are read
    through the assessment's relations: this app does not import ``panels``.)"""
    now = timezone.now()
    assessments = list(
        Assessment.objects.filter(pct=pct)
        .filter(
            Q(round__published_at__isnull=True)
            | Q(round__published_at__gt=now)
            | (Q(stage=Stage.FACTUAL_ACCURACY) & held_back())
        )
        .select_related("round", "pct__sha")
        .order_by("round__slug")
    )
    chairs = {
        pk: (acting or chair or "", acting_sha if acting else chair_sha)
        for pk, chair, chair_sha, acting, acting_sha in Assessment.objects.filter(
            pk__in=[a.pk for a in assessments], panel__seats__seat_type__is_chair=True
        ).values_list(
            "pk",
            "panel__seats__person__full_name",
            "panel__seats__person__sha__name",
            "panel__acting_chair__person__full_name",
            "panel__acting_chair__person__sha__name",
        )
    }
    return [
        MovingAssessment(
            assessment=a,
            has_panel=a.pk in chairs,
            chair=chairs.get(a.pk, ("", ""))[0],
            chair_sha=chairs.get(a.pk, ("", ""))[1] or "",
        )
        for a in assessments
    ]


def pct_move_refusal(
    *, pct: PrimaryCareTrust, sha: StrategicHealthAuthority, moving: list[MovingAssessment]
) -> str:
    """Why ``pct`` may not move to ``sha`` now, or "": a move that would silently change
    figures a region signed off is refused. An assessment past regional moderation was
    signed off by its region (and perhaps confirmed nationally): the national team sends
    that region back first, which returns it to moderation. A region already signed off or
    confirmed in a round would take in a PCT its sign-off never covered. Once the round is
    published the move is allowed again (its published pages keep the SHA of then). One
    query."""
    old = pct.sha
    for item in moving:
        if Stage.CROSS_CHECK <= item.stage < Stage.PUBLISHED:
            done = (
                f"{old.name} signed it off"
                if item.stage == Stage.CROSS_CHECK
                else f"{old.name} signed it off and the national team confirmed it"
            )
            return (
                f"{pct.name} cannot move to {sha.name} now: its assessment in "
                f"{item.round.slug} is at {item.stage.label} ({done}), and moving it would "
                f"change figures {old.name} signed off. "
                + (
                    f"Send {old.name} back at the cross-check first (its assessments return "
                    "to regional moderation), then move it."
                    if item.stage == Stage.CROSS_CHECK
                    else "Move it once its factual-accuracy comment is answered and its "
                    "results published."
                    if item.round.is_published()
                    else f"Move it once {item.round.slug} is published."
                )
            )
    reviews = RegionReview.objects.filter(
        sha=sha,
        round_id__in=[item.round.pk for item in moving],
        status__in=[RegionReview.Status.SIGNED_OFF, RegionReview.Status.CONFIRMED],
    ).select_related("round")
    for review in reviews.order_by("round__slug"):
        return (
            f"{pct.name} cannot move to {sha.name} now: {sha.name} is "
            f"{review.get_status_display().lower()} in {review.round.slug}, and taking "
            f"{pct.name} in would change the figures it signed off. "
            + (
                f"Send {sha.name} back at the cross-check first, then move it."
                if review.status == RegionReview.Status.SIGNED_OFF
                else f"Move it once {review.round.slug} is published."
            )
        )
    return ""


@dataclass(frozen=True)
class PctMove:
    """A move of a PCT with assessments at work: what the check page says and the e-mails
    tell. ``old_staff``, ``new_staff``: those e-mailed."""

    old: StrategicHealthAuthority
    new: StrategicHealthAuthority
    moving: list[MovingAssessment]
    old_staff: list
    new_staff: list


def _move(pct: PrimaryCareTrust, sha: StrategicHealthAuthority) -> PctMove | None:
    """The move of ``pct`` to ``sha``, or its ``ValidationError`` (``pct_move_refusal``);
    None when it is no move or nothing of it is at work."""
    if sha == pct.sha:
        return None
    moving = _at_work(pct)
    if not moving:
        return None
    if refusal := pct_move_refusal(pct=pct, sha=sha, moving=moving):
        raise ValidationError({"sha": refusal})
    return PctMove(
        old=pct.sha,
        new=sha,
        moving=moving,
        old_staff=sha_staff_to_tell(sha=pct.sha),
        new_staff=sha_staff_to_tell(sha=sha),
    )


def pct_moved_away_for(*, user, ods: str) -> PCTChange | None:
    """The move that took the PCT ``ods`` out of an SHA whose staff ``user`` is, and not
    into another of theirs, for the page that tells them where it went; None for anyone
    else (so that they get the bare 404). Two queries."""
    if not getattr(user, "is_authenticated", False):
        return None
    shas = set(
        Role.objects.filter(user=user, kind=Role.Kind.SHA_STAFF).values_list(
            "sha__ods_code", flat=True
        )
    )
    if not shas:
        return None
    change = (
        PCTChange.objects.filter(pct__ods_code=(ods or "").upper(), field="sha")
        .select_related("pct__sha", "changed_by")
        .order_by("-changed_at", "-pk")
        .first()
    )
    if change is None or change.old_value not in shas or change.pct.sha.ods_code in shas:
        return None
    return change


def _checked_edit(pct: PrimaryCareTrust, *, name: str, sha, org_type, closed_on) -> dict:
    """A PCT's fields as ``pct_update`` would write them, or its ``ValidationError`` (a
    name another PCT has, a closing date out of range, a move that would change a
    signed-off region's figures): the check page's plan asks the same."""
    if closed_on is not None and (problem := closed_on_problem(closed_on)):
        raise ValidationError({"closed_on": problem[0].upper() + problem[1:] + "."})
    return {
        "name": _name(name, not_of=pct.ods_code),
        "sha": sha,
        "org_type": org_type,
        "closed_on": closed_on,
    }


@transaction.atomic
def pct_update(
    *,
    pct: PrimaryCareTrust,
    name: str,
    sha: StrategicHealthAuthority,
    org_type: str,
    closed_on: date | None,
    by: AbstractBaseUser | None,
    note: str = "",
) -> int:
    """Rename, move, retype, close (``closed_on``: the first day it is closed) or reopen
    (``closed_on=None``) a PCT; returns how many fields changed, each with its history row.
    Its assessments in rounds already open are kept as they are; a move takes those at work
    to the new SHA's staff (refused, ``ValidationError`` on ``sha``, where it would change a
    signed-off region's figures: ``pct_move_refusal``), and both SHAs' staff are e-mailed
    once it commits."""
    new = _checked_edit(pct, name=name, sha=sha, org_type=org_type, closed_on=closed_on)
    move = _move(pct, new["sha"])
    changed = []
    for field, value in new.items():
        old = getattr(pct, field)
        if old != value:
            changed.append(field)
            label = {"sha": "sha", "closed_on": "closed_on"}.get(field, field)
            old_text = old.ods_code if field == "sha" else old
            new_text = value.ods_code if field == "sha" else value
            setattr(pct, field, value)
            _record(pct, label, old_text, new_text, by, note)
    if changed:
        pct.full_clean()
        pct.save(update_fields=changed)
        # The reports of every round the PCT is in name it and its SHA.
        figures_changed(
            round_ids=Standing.objects.filter(assessment__pct=pct).values_list(
                "round_id", flat=True
            )
        )
    if move is not None:
        pct_moved_notices(pct=pct, move=move, by=by)
    return len(changed)


@dataclass(frozen=True)
class PctEdit:
    """One field a change on the PCT's page would change: ``name``, ``sha`` (an SHA),
    ``org_type`` (its value) or ``closed_on`` (a date or ``None``)."""

    field: str
    old: object
    new: object


@dataclass(frozen=True)
class PctEditPlan:
    """What saving the PCT's page would change, and the rounds the PCT has an assessment
    in (by slug), which those changes reach; ``move``: a move to another SHA while an
    assessment is at work (who works on it from then on, who is e-mailed)."""

    edits: list[PctEdit]
    rounds: list[AssessmentRound]
    move: PctMove | None = None

    @property
    def signature(self) -> str:
        """A digest of the changes from what the PCT is now, so that confirming a check
        page saves only what it showed (another change meanwhile shows it again)."""
        data = [[e.field, *(getattr(v, "ods_code", v) for v in (e.old, e.new))] for e in self.edits]
        return hashlib.sha256(json.dumps(data, default=str).encode()).hexdigest()


def pct_update_plan(
    *,
    pct: PrimaryCareTrust,
    name: str,
    sha: StrategicHealthAuthority,
    org_type: str,
    closed_on: date | None,
) -> PctEditPlan:
    """What ``pct_update`` with these values would change, writing nothing; the same
    ``ValidationError`` it would raise (a name another PCT has, a closing date out of
    range, a move that would change a signed-off region's figures), so that the check page
    never offers what saving would refuse. Two queries (the name's owner, the PCT's
    rounds), and for a move six more (its assessments at work, their chairs, the regions'
    sign-offs, each SHA's staff)."""
    new = _checked_edit(pct, name=name, sha=sha, org_type=org_type, closed_on=closed_on)
    move = _move(pct, new["sha"])
    edits = [
        PctEdit(field, getattr(pct, field), value)
        for field, value in new.items()
        if getattr(pct, field) != value
    ]
    rounds = (
        list(AssessmentRound.objects.filter(assessments__pct=pct).order_by("slug")) if edits else []
    )
    return PctEditPlan(edits=edits, rounds=rounds, move=move)


# --- A file of PCTs -------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedChange:
    row: int
    ods_code: str
    kind: str  # "add", "rename", "move", "type", "close", "reopen"
    old: str
    new: str
    # A move applying the file would refuse (``pct_move_refusal``): why, for the preview's
    # row, so that nobody confirms a file that will be refused. Not part of the signature.
    refusal: str = ""

    @property
    def label(self) -> str:
        return {
            "add": "Add",
            "rename": "Rename",
            "move": "Move to another SHA",
            "type": "Change type",
            "close": "Close",
            "reopen": "Reopen",
        }[self.kind]


@dataclass(frozen=True)
class PctFilePlan:
    changes: list[PlannedChange]
    errors: list[str]
    rows: dict[str, dict]  # ODS code → the row's values, for the rows that change anything

    @property
    def refused(self) -> list[PlannedChange]:
        """The moves applying the file would refuse: while there is one, nothing is applied."""
        return [change for change in self.changes if change.refusal]

    @property
    def signature(self) -> str:
        """A digest of the changes, so that a confirmation applies only what was previewed."""
        data = [[c.row, c.ods_code, c.kind, c.old, c.new] for c in self.changes]
        return hashlib.sha256(json.dumps(data).encode()).hexdigest()


def _pct_file_rows(text: str, filename: str) -> tuple[list[tuple[int, dict]], dict[int, str]]:
    """The file's rows as ``read_csv_text`` reads them, and the error of each row with more
    values than the header, by row number. Such a row is left out rather than ending the
    reading, so that the other rows' errors are listed with it (walk M: "row 10: 5 values
    under a header of 4 columns" hid the file's four other errors); the board file and the
    ratings import list them all too. ``ReferenceDataError`` for what stops the whole file
    (a missing column, a broken quote)."""
    try:
        return read_csv_text(text, source=filename, required=PCT_COLUMNS), {}
    except ReferenceDataError as first:
        try:  # read as read_csv_text reads it: numbered as a spreadsheet numbers the rows
            records = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True))
        except csv.Error:
            raise first from None
        header = records[0] if records else []
        long_rows = {
            number: str(
                ReferenceDataError(
                    filename,
                    f"row {number}",
                    f"{len(values)} values under a header of {len(header)} columns; the "
                    "values past the header would be lost",
                )
            )
            for number, values in enumerate(records[1:], start=2)
            if any(value.strip() for value in values[len(header) :])
        }
        if not long_rows:
            raise
    # The file again without those rows: each becomes a blank row, so that the others keep
    # their numbers.
    kept = io.StringIO()
    writer = csv.writer(kept)
    for number, values in enumerate(records, start=1):
        writer.writerow([] if number in long_rows else values)
    return read_csv_text(kept.getvalue(), source=filename, required=PCT_COLUMNS), long_rows


def pcts_file_plan(*, text: str, filename: str) -> PctFilePlan:
    """What loading ``text`` would change, or every error in it; writes nothing."""
    try:
        rows, long_rows = _pct_file_rows(text, filename)
    except ReferenceDataError as exc:
        return PctFilePlan(changes=[], errors=[str(exc)], rows={})
    shas = {sha.ods_code: sha for sha in StrategicHealthAuthority.objects.all()}
    existing = {p.ods_code: p for p in PrimaryCareTrust.objects.select_related("sha")}
    errors: list[str] = []
    changes: list[PlannedChange] = []
    wanted: dict[str, dict] = {}
    seen: dict[str, int] = {}
    # Each name once: in the file, and among the PCTs the file leaves as they are.
    named = {p.name.casefold(): (p.ods_code, None) for p in existing.values()}
    for number, row in rows:
        errors.extend(long_rows.pop(n) for n in sorted(long_rows) if n < number)
        values, problems = pct_row_check(filename, number, row, shas)
        if problems:  # every problem of the row at once, not one per upload
            errors.extend(str(problem) for problem in problems)
            continue
        code = values["ods_code"]
        if code in seen:
            errors.append(
                f"{filename}: row {number}, column ods_code: {code} already appears in row "
                f"{seen[code]}"
            )
            continue
        seen[code] = number
        holder, in_row = named.get(values["name"].casefold(), (code, None))
        if holder != code:
            where = f"row {in_row}" if in_row else "the PCTs already here"
            errors.append(
                f"{filename}: row {number}, column name: {values['name']} is already the name "
                f"of {holder} ({where})"
            )
            continue
        named[values["name"].casefold()] = (code, number)
        pct = existing.get(code)
        found: list[PlannedChange] = []
        if pct is None:
            found.append(
                PlannedChange(number, code, "add", "", f"{values['name']} ({values['sha']})")
            )
            if values.get("closed_on"):
                found.append(
                    PlannedChange(number, code, "close", "", values["closed_on"].isoformat())
                )
        else:
            if pct.name != values["name"]:
                found.append(PlannedChange(number, code, "rename", pct.name, values["name"]))
            if pct.sha_id != values["sha"].pk:
                found.append(PlannedChange(number, code, "move", pct.sha.name, values["sha"].name))
            if pct.org_type != values["org_type"]:
                found.append(
                    PlannedChange(
                        number,
                        code,
                        "type",
                        pct.get_org_type_display(),
                        OrgType(values["org_type"]).label,
                    )
                )
            closed_on = values.get("closed_on")
            if closed_on and pct.closed_on != closed_on:
                old = pct.closed_on.isoformat() if pct.closed_on else ""
                found.append(PlannedChange(number, code, "close", old, closed_on.isoformat()))
        if found:
            changes.extend(found)
            wanted[code] = values
    errors.extend(long_rows[n] for n in sorted(long_rows))  # after the last row read
    if errors:
        return PctFilePlan(changes=[], errors=errors, rows={})
    return PctFilePlan(changes=_with_refusals(changes, existing, wanted), errors=[], rows=wanted)


def _with_refusals(
    changes: list[PlannedChange], existing: dict[str, PrimaryCareTrust], wanted: dict[str, dict]
) -> list[PlannedChange]:
    """The changes, each move that applying would refuse with its reason (walk Z: the file
    was confirmed, then refused). At most three queries for each PCT the file moves
    (``_at_work``, ``pct_move_refusal``), none for the other rows: a file moves a handful
    of PCTs, and a move with nothing at work is never refused."""
    out = []
    for change in changes:
        if change.kind == "move":
            pct = existing[change.ods_code]
            moving = _at_work(pct)
            if moving:
                refusal = pct_move_refusal(
                    pct=pct, sha=wanted[change.ods_code]["sha"], moving=moving
                )
                change = dataclasses.replace(change, refusal=refusal)
        out.append(change)
    return out


class PlanChangedError(ValueError):
    """A previewed file would now do something other than what was previewed (a file of
    PCTs here, a file of board members in ``assessments.boards``)."""


@transaction.atomic
def pcts_file_apply(
    *, text: str, filename: str, signature: str, by: AbstractBaseUser
) -> PctFilePlan:
    """Apply a previewed file, all or nothing: re-planned against the PCTs as they are now,
    and refused (``PlanChangedError``) unless the plan is still the one previewed
    (``signature``), or (``ValidationError``) if the file has errors."""
    plan = pcts_file_plan(text=text, filename=filename)
    if plan.errors:
        raise ValidationError(plan.errors)
    if plan.signature != signature:
        raise PlanChangedError(
            "The PCTs have changed since the preview: nothing was written. Check the new "
            "preview and confirm again."
        )
    note = f"Loaded from {filename}"
    existing = {p.ods_code: p for p in PrimaryCareTrust.objects.filter(ods_code__in=plan.rows)}
    for code, values in plan.rows.items():
        pct = existing.get(code)
        if pct is None:
            pct = pct_create(
                ods_code=code,
                name=values["name"],
                sha=values["sha"],
                org_type=values["org_type"],
                by=by,
                note=note,
            )
            if values["ons_code"] or values["code_confidence"] != pct.code_confidence:
                pct.ons_code, pct.code_confidence = values["ons_code"], values["code_confidence"]
                pct.full_clean()
                pct.save(update_fields=["ons_code", "code_confidence"])
        pct_update(
            pct=pct,
            name=values["name"],
            sha=values["sha"],
            org_type=values["org_type"],
            closed_on=values.get("closed_on") or pct.closed_on,
            by=by,
            note=note,
        )
    return plan


def organisations_overview(
    *, sha: StrategicHealthAuthority | None = None, search: str = ""
) -> QuerySet[PrimaryCareTrust]:
    """The PCTs with their SHA, by SHA then name: all of them, or those of ``sha``, and
    those whose ODS code is ``search`` or whose name contains it (either case). A lazy
    queryset: page it (one query for the count, one for a page)."""
    pcts = PrimaryCareTrust.objects.select_related("sha").order_by("sha__name", "name")
    if sha is not None:
        pcts = pcts.filter(sha=sha)
    if search := search.strip():
        pcts = pcts.filter(Q(ods_code__iexact=search) | Q(name__icontains=search))
    return pcts


# How the PCT's history names each kind of change (``PCTChange.field``).
PCT_CHANGE_LABELS = {
    "added": "Added",
    "name": "Name",
    "sha": "SHA",
    "org_type": "Type",
    "closed_on": "Closed from",
}


def _shown(value: str):
    """``PCTChange.old_value`` or ``new_value`` as people read it: an SHA's name for its
    code, a type's label for its code, else as stored (an expression: no query per row)."""
    sha_name = StrategicHealthAuthority.objects.filter(ods_code=OuterRef(value)).values("name")[:1]
    return Case(
        When(field="sha", then=Coalesce(Subquery(sha_name), F(value))),
        *(
            When(**{"field": "org_type", value: code}, then=Value(str(label)))
            for code, label in OrgType.choices
        ),
        default=F(value),
        output_field=CharField(),
    )


def pct_history(*, pct: PrimaryCareTrust) -> QuerySet[PCTChange]:
    """The PCT's changes, newest first, as the round and panel histories list theirs
    (walk W: this one alone read oldest first), with who made each, and each value as
    people read it (``old_shown``, ``new_shown``: the SHA's name, the type's label; walk Z:
    "sha: Q34 → Q33"). One query."""
    return (
        pct.changes.select_related("changed_by")
        .annotate(old_shown=_shown("old_value"), new_shown=_shown("new_value"))
        .order_by("-changed_at", "-pk")
    )


def sha_options() -> list[StrategicHealthAuthority]:
    """The SHAs by name, for a filter's select (one query)."""
    return list(StrategicHealthAuthority.objects.order_by("name"))
