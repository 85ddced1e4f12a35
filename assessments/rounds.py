"""Writes and reads for running a year: create a round, set its timetable, edit its
framework until it opens, and open it for some or all SHAs.

- ``round_create`` makes the round with a deep copy of an earlier framework
  (``competencies.services.framework_copy``): the source is named by a round's slug or,
  on a fresh deployment with no rounds yet, by a framework version's slug (``2009-10``
  after ``load_reference_data``).
- **The previous round** (``AssessmentRound.previous``, what reports compare with as "last
  year") is the round of the year before the new slug (``2009-10`` for ``2010-11``) when it
  exists and no other round already follows it; failing that, the round whose framework
  was copied, if it is earlier and no round follows it yet; otherwise none. ``previous`` is one-to-one, so a
  round that already has a successor is never taken from it.
- The framework is edited (``round_competency_edit``, ``round_area_edit``) only until the
  round opens; ``round_open`` fixes it for good (``competencies.services.framework_lock``).
  A framework already used by any opened round, or by a round that has assessments (rounds
  older than ``opened_at``), is refused too.
- ``round_open`` gives every open PCT of the SHAs named its assessment at self-assessment
  and e-mails each PCT's board once the transaction commits. Run again for more SHAs, it
  adds only what is missing: a PCT never gets two assessments in one round.

Every change writes its ``RoundChange`` row in the same transaction. Refusals are
``ValidationError`` keyed by field (bad input) or ``TransitionError`` (too late).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone

from assessments.exceptions import ConflictError, TransitionError
from assessments.factual_accuracy import shown_stage
from assessments.mail import Message, mail_enqueue, rendered
from assessments.models import (
    Assessment,
    AssessmentRound,
    EvidenceChange,
    EvidenceDocument,
    FactualAccuracyComment,
    LocalOutcomePriority,
    PrimaryCareTrust,
    Role,
    RoundChange,
    SelfAssessment,
    SelfAssessmentRating,
    ShownStage,
    Stage,
    StageChange,
    StrategicHealthAuthority,
    shown_stages,
)
from assessments.notices import sha_staff_to_tell
from assessments.services import round_change_record
from assessments.standings import figures_changed
from assessments.text import REASON_MAX_CHARS, checked_reason, has_controls, visible
from competencies.models import Competency, FrameworkVersion, GovernanceArea, SubIndicator
from competencies.services import (
    FrameworkLockedError,
    competency_update,
    framework_copy,
    framework_lock,
    framework_unlock,
    governance_area_update,
)

SLUG_RE = re.compile(r"^([0-9]{4})-([0-9]{2})$")  # ASCII digits: a URL slug
# A round's first year: from before World Class Commissioning (2008) to ten years ahead, so
# that a typed 9999-00 or 0001-02 is refused rather than listed first or last for ever.
FIRST_YEAR = 1990
YEARS_AHEAD_MAX = 10

# The timetable, in the order the year runs: each date on or after the one before it.
TIMETABLE_FIELDS = {
    "self_assessment_due": "self-assessment deadline",
    "panel_formation_due": "panels formed by",
    "scoring_due": "scoring deadline",
    "consensus_due": "consensus deadline",
    "moderation_due": "regional moderation deadline",
    "cross_check_due": "national cross-check deadline",
    "publication_due": "target publication date",
}

NAME_REQUIRED = "Give the round a name, e.g. World Class Commissioning assurance 2010/11."


def _name_checked(raw: str, *, not_of: str = "") -> str:
    """The round's name as boards and the public read it, or ``ValidationError`` (key
    ``name``): not empty, and not another round's (the bad-input walk made two rounds
    called "… 2009/10"; ``not_of``: the slug of the round being renamed)."""
    name = " ".join((raw or "").split())
    if not name:
        raise ValidationError({"name": NAME_REQUIRED})
    other = AssessmentRound.objects.filter(name__iexact=name).exclude(slug=not_of).first()
    if other is not None:
        raise ValidationError(
            {"name": f"Round {other.slug} is already called {other.name}: give another name."}
        )
    if has_controls(name):
        raise ValidationError(
            {
                "name": "Write the name without control characters, direction marks or invisible "
                "characters (such as a bell, a right-to-left override or a zero-width space)."
            }
        )
    return name


def round_slug_clean(raw: str) -> str:
    """A round's slug, ``YYYY-YY`` with consecutive years (``2010-11``); ``ValidationError``
    (key ``slug``) naming the value otherwise."""
    slug = (raw or "").strip()
    match = SLUG_RE.match(slug)
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValidationError(
            {
                "slug": f"{slug!r} is not a round: write two consecutive years as YYYY-YY, "
                "for example 2010-11."
            }
        )
    latest = timezone.localdate().year + YEARS_AHEAD_MAX
    if not FIRST_YEAR <= int(match.group(1)) <= latest:
        raise ValidationError(
            {
                "slug": f"{slug} is not a round this service can run: its first year must be "
                f"from {FIRST_YEAR} to {latest}."
            }
        )
    return slug


@dataclass(frozen=True)
class FrameworkSource:
    """What a new round's framework is copied from: a round's, or a framework version."""

    framework: FrameworkVersion
    round: AssessmentRound | None

    @property
    def label(self) -> str:
        return f"round {self.round.slug}" if self.round else f"framework {self.framework.slug}"

    @property
    def copy_label(self) -> str:
        """What a new round's framework was copied from, as a sentence names it."""
        if self.round:
            return f"the framework of round {self.round.slug}"
        return f"framework {self.framework.slug}"


def framework_source(slug: str) -> FrameworkSource | None:
    """The round named ``slug`` (its framework), else the framework version named ``slug``."""
    round_ = AssessmentRound.objects.select_related("framework").filter(slug=slug).first()
    if round_ is not None:
        return FrameworkSource(framework=round_.framework, round=round_)
    framework = FrameworkVersion.objects.filter(slug=slug).first()
    return None if framework is None else FrameworkSource(framework=framework, round=None)


def framework_sources() -> list[tuple[str, str]]:
    """Choices for "copy the framework of": every round, then frameworks no round uses."""
    rounds = list(AssessmentRound.objects.select_related("framework").order_by("-slug"))
    used = {r.framework_id for r in rounds}
    choices = [(r.slug, f"Round {r.slug}: {r.framework.name}") for r in rounds]
    choices += [
        (f.slug, f"Framework {f.slug}: {f.name} (no round yet)")
        for f in FrameworkVersion.objects.exclude(pk__in=used).order_by("-slug")
    ]
    return choices


def _previous_for(slug: str, source: FrameworkSource) -> AssessmentRound | None:
    start = int(slug[:4]) - 1
    year_before = f"{start}-{(start + 1) % 100:02d}"
    free = AssessmentRound.objects.filter(next_round__isnull=True, slug__lt=slug)
    return free.filter(slug=year_before).first() or (
        free.filter(pk=source.round.pk).first() if source.round else None
    )


def _framework_slug(slug: str) -> str:
    taken = set(
        FrameworkVersion.objects.filter(slug__startswith=slug).values_list("slug", flat=True)
    )
    if slug not in taken:
        return slug
    n = 2
    while f"{slug}-{n}" in taken:
        n += 1
    return f"{slug}-{n}"


@transaction.atomic
def round_create(
    *, slug: str, name: str, source: FrameworkSource, by: AbstractBaseUser | None
) -> AssessmentRound:
    """A new round, not yet open, with its own copy of ``source``'s framework."""
    slug = round_slug_clean(slug)
    name = _name_checked(name)
    if AssessmentRound.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": f"A round {slug} already exists: choose another year."})
    framework = framework_copy(
        source=source.framework,
        slug=_framework_slug(slug),
        # Named as the loaded versions are ("... framework 2009/10").
        name=f"World Class Commissioning assurance framework {slug[:4]}/{slug[5:]}",
    )
    round_ = AssessmentRound(
        slug=slug, name=name, framework=framework, previous=_previous_for(slug, source)
    )
    round_.full_clean()
    round_.save()
    round_change_record(
        round_=round_, field="created", old="", new=f"copy of {source.label}", by=by
    )
    return round_


def framework_is_used(framework: FrameworkVersion) -> bool:
    """Fixed for good: locked, or used by an opened round or one with assessments."""
    return (
        framework.locked_at is not None
        or AssessmentRound.objects.filter(framework=framework)
        .filter(Q(opened_at__isnull=False) | Q(assessments__isnull=False))
        .exists()
    )


def _check_framework_editable(round_: AssessmentRound) -> None:
    if framework_is_used(round_.framework):
        raise FrameworkLockedError(
            f"The framework of {round_.slug} has been used by an opened round: it can no "
            "longer be changed. Create a new round to change its wording."
        )


def _short(text: str, limit: int = 100) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _record_framework_changes(round_, changes, by) -> None:
    for what, old, new in changes:
        round_change_record(
            round_=round_, field=f"framework {what}"[:50], old=_short(old), new=_short(new), by=by
        )


def framework_item_version(round_: AssessmentRound, item: Competency | GovernanceArea) -> int:
    """A competency's or governance area's wording as a page showed it: its latest history
    row in the round (every change writes one), 0 before any. One query."""
    latest = (
        RoundChange.objects.filter(round=round_, field__startswith=f"framework {item.code} ")
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return latest or 0


def _claim_item(round_, item, expected_version: int | None) -> None:
    """Refuse (``ConflictError``) an edit from a page that showed another version of the
    item: a colleague saved it meanwhile. The round's row is locked so that two edits take
    turns. ``None``: no check."""
    AssessmentRound.objects.select_for_update().filter(pk=round_.pk).first()
    if expected_version is not None and framework_item_version(round_, item) != expected_version:
        raise ConflictError(f"{item} changed since the page showed it.", current=item)


@transaction.atomic
def round_competency_edit(
    *,
    round_: AssessmentRound,
    competency: Competency,
    short_name: str,
    statement: str,
    levels: dict[int, str],
    by: AbstractBaseUser,
    expected_version: int | None = None,
) -> int:
    """Change a competency of the round's framework before it opens; returns how many
    things changed (each with its ``RoundChange``). ``expected_version``: the
    ``framework_item_version`` the page showed (``ConflictError`` if it has changed)."""
    _check_framework_editable(round_)
    if competency.framework_id != round_.framework_id:
        raise ValidationError(f"{competency} is not part of the framework of {round_.slug}.")
    _claim_item(round_, competency, expected_version)
    changes = competency_update(
        competency=competency, short_name=short_name, statement=statement, levels=levels
    )
    _record_framework_changes(round_, changes, by)
    return len(changes)


@transaction.atomic
def round_area_edit(
    *,
    round_: AssessmentRound,
    area: GovernanceArea,
    values: dict[str, str],
    sub_indicators: list[tuple[SubIndicator | None, str, str]],
    by: AbstractBaseUser,
    expected_version: int | None = None,
) -> int:
    """Change a governance area's meanings and sub-indicators before the round opens;
    ``expected_version`` as for ``round_competency_edit``."""
    _check_framework_editable(round_)
    if area.framework_id != round_.framework_id:
        raise ValidationError(f"{area} is not part of the framework of {round_.slug}.")
    _claim_item(round_, area, expected_version)
    changes = governance_area_update(area=area, values=values, sub_indicators=sub_indicators)
    _record_framework_changes(round_, changes, by)
    return len(changes)


@transaction.atomic
def round_rename(*, round_: AssessmentRound, name: str, by) -> AssessmentRound:
    """The round's name as boards and the public read it, with its history row; refused
    once the round has a publication time (the published reports carry the name). Its
    figures get a new version: kept pages and reports show the new name."""
    name = _name_checked(name, not_of=round_.slug)
    if round_.published_at is not None:
        raise TransitionError(
            f"{round_.name} has a publication time: its name can no longer change."
        )
    if name == round_.name:
        return round_
    old, round_.name = round_.name, name
    round_.full_clean()
    round_.save(update_fields=["name"])
    round_change_record(round_=round_, field="name", old=old, new=name, by=by)
    figures_changed(round_ids=[round_.pk])
    return round_


def round_discard_refusal(round_: AssessmentRound) -> str | None:
    """Why ``round_`` may not be discarded, or None: only a round that never opened (no
    PCT has started, nobody was told) goes; an opened round keeps its history for good."""
    if round_.opened_at is not None or Assessment.objects.filter(round=round_).exists():
        return (
            f"{round_.slug} has opened: a round that PCTs have started keeps its history and "
            "cannot be discarded."
        )
    return None


@transaction.atomic
def round_discard(*, round_: AssessmentRound, by: AbstractBaseUser) -> AssessmentRound | None:
    """Discard a round created by mistake (a wrong year, say) before it opened: the round,
    its own copy of the framework and its history go. A round that followed it is compared
    with the round of the year before it instead (or with none), its history saying why.
    The discarding itself is kept in Django's admin log (who, when, which round). Refused
    (``TransitionError``) once the round has opened. Returns the round that followed it."""
    round_ = AssessmentRound.objects.select_for_update().get(pk=round_.pk)
    refusal = round_discard_refusal(round_)
    if refusal is not None:
        raise TransitionError(refusal)
    following = AssessmentRound.objects.filter(previous=round_).first()
    framework = round_.framework
    slug, label = round_.slug, str(round_)
    opened = RoundChange.objects.filter(round=round_, field="opened").exists()
    LogEntry.objects.log_actions(
        user_id=by.pk,
        queryset=[round_],
        action_flag=DELETION,
        change_message=f"Discarded round {slug} "
        + ("(opened, then wholly taken back)" if opened else "(never opened)")
        + ", with its framework copy.",
        single_object=True,
    )
    round_.delete()
    if not framework.rounds.exists():  # its own copy: nobody else uses it
        framework.delete()
    if following is not None:
        following.refresh_from_db()
        year_before = f"{int(following.slug[:4]) - 1}-{int(following.slug[:4]) % 100:02d}"
        replacement = AssessmentRound.objects.filter(
            slug=year_before, next_round__isnull=True
        ).first()
        following.previous = replacement
        following.save(update_fields=["previous"])
        round_change_record(
            round_=following,
            field="previous",
            old=slug,
            new=replacement.slug if replacement else "none",
            by=by,
            reason=f"{label} was discarded.",
        )
        figures_changed(round_ids=[following.pk])
    return following


def timetable_errors(dates: dict[str, date | None]) -> dict[str, str]:
    """A message for each date of ``dates`` (``TIMETABLE_FIELDS``) outside the years a round
    may run in (as for its slug: a typed 0001 or 9999 is a slip), else that comes before the
    last given date above it; dates not given are skipped."""
    errors: dict[str, str] = {}
    first = date(FIRST_YEAR, 1, 1)
    latest = date(timezone.localdate().year + YEARS_AHEAD_MAX, 12, 31)
    last_field, last = None, None
    for field in TIMETABLE_FIELDS:
        value = dates.get(field)
        if value is None:
            continue
        if not first <= value <= latest:
            errors[field] = f"Enter a date from {first:%-d %B %Y} to {latest:%-d %B %Y}."
            continue
        if last is not None and value < last:
            errors[field] = (
                f"{value:%-d %B %Y} is before the {TIMETABLE_FIELDS[last_field]} "
                f"({last:%-d %B %Y}): each date must follow the one before it."
            )
        last_field, last = field, value
    return errors


def timetable_version(round_: AssessmentRound) -> int:
    """How many times the round's timetable (its deadlines and window length) has changed:
    the version a timetable page is made from."""
    fields = [*TIMETABLE_FIELDS, "factual_accuracy_working_days"]
    return RoundChange.objects.filter(round=round_, field__in=fields).count()


def timetable_changes_since(round_: AssessmentRound, version: int) -> dict[str, str]:
    """The timetable's fields changed since ``version`` (:func:`timetable_version`), each
    with its value now as stored (``""``: cleared), for a page from before them to say."""
    fields = [*TIMETABLE_FIELDS, "factual_accuracy_working_days"]
    rows = RoundChange.objects.filter(round=round_, field__in=fields).order_by("pk")[
        max(version, 0) :  # a posted version is not trusted to be one
    ]
    return {row.field: row.new_value for row in rows}


def timetable_changes(
    *, round_: AssessmentRound, dates: dict[str, date | None], working_days: int
) -> list[tuple[str, object, object]]:
    """``(field, old, new)`` for each value of the timetable that ``dates`` and
    ``working_days`` would change (what the check page lists; nothing is written)."""
    changed: list[tuple[str, object, object]] = [
        (field, getattr(round_, field), dates.get(field))
        for field in TIMETABLE_FIELDS
        if getattr(round_, field) != dates.get(field)
    ]
    if round_.factual_accuracy_working_days != working_days:
        changed.append(
            ("factual_accuracy_working_days", round_.factual_accuracy_working_days, working_days)
        )
    return changed


def round_timetable_check(
    *,
    round_: AssessmentRound,
    dates: dict[str, date | None],
    working_days: int,
    expected_version: int | None = None,
) -> list[tuple[str, object, object]]:
    """Refuse as ``round_set_timetable`` would, writing nothing; else what it would change
    (``timetable_changes``): the check page asks it before saying who will be e-mailed."""
    from assessments.factual_accuracy import WINDOW_DAYS_MAX

    if round_.published_at is not None:
        raise TransitionError(
            f"{round_.name} has a publication time: its timetable can no longer change."
        )
    if expected_version is not None and timetable_version(round_) != expected_version:
        raise ConflictError("The timetable changed since the page was opened.", current=round_)
    errors: dict[str, str] = {}
    if not 1 <= working_days <= WINDOW_DAYS_MAX:
        errors["factual_accuracy_working_days"] = (
            f"Give between 1 and {WINDOW_DAYS_MAX} working days."
        )
    errors |= timetable_errors(dates)
    if errors:
        raise ValidationError(errors)
    return timetable_changes(round_=round_, dates=dates, working_days=working_days)


# Why the timetable changed: optional, quoted in the e-mail to those who work to it.
TIMETABLE_REASON_MAX_CHARS = REASON_MAX_CHARS


@transaction.atomic
def round_set_timetable(
    *,
    round_: AssessmentRound,
    dates: dict[str, date | None],
    working_days: int,
    by,
    expected_version: int | None = None,
    reason: str = "",
) -> int:
    """Set the round's deadlines (``TIMETABLE_FIELDS``; each on or after the one before)
    and the boards' factual-accuracy working days; one ``RoundChange`` per changed value,
    each with ``reason`` (optional: why, told to those e-mailed; ``ValidationError`` keyed
    ``reason`` when longer than ``TIMETABLE_REASON_MAX_CHARS`` or not text).
    Refused (``TransitionError``) once the round has a publication time: the timetable is
    then the record of the year, as the name is. ``ConflictError`` when the timetable is no
    longer at ``expected_version`` (:func:`timetable_version`): saved in another window
    since, and a page from before would blank or undo that save (the two-tabs walk).

    Everyone who still works to a changed deadline of an opened round is e-mailed
    (``assessments.notices.deadline_changed_notices``); returns how many.

    The round's row is locked before anything is checked, and what is checked (the
    publication time, the version, the dates to compare) is read from it as stored, not
    from the caller's copy: the version is a count of history rows, which two saves from
    the same page could otherwise both read before either wrote its rows (the review)."""
    if visible(reason or ""):
        reason = checked_reason(reason, missing="", limit=TIMETABLE_REASON_MAX_CHARS)
    else:
        reason = ""
    caller = round_
    round_ = AssessmentRound.objects.select_for_update().get(pk=caller.pk)
    changed = round_timetable_check(
        round_=round_, dates=dates, working_days=working_days, expected_version=expected_version
    )
    if not changed:
        return 0
    for field, _old, new in changed:
        setattr(round_, field, new)
        setattr(caller, field, new)
    round_.full_clean()
    round_.save(update_fields=[field for field, _old, _new in changed])
    for field, old, new in changed:
        round_change_record(round_=round_, field=field, old=old, new=new, by=by, reason=reason)
    from assessments.notices import deadline_changed_notices

    # Those who still work to a changed deadline are told (walk N: nobody was), with the
    # reason when one is given (the trail walk: they were told the dates, never why);
    # before the round opens nobody works to it yet, and nobody is found.
    return deadline_changed_notices(round_=round_, changed=changed, by=by, reason=reason)


# --- Opening --------------------------------------------------------------------------


def pcts_to_open(*, round_: AssessmentRound, shas) -> QuerySet[PrimaryCareTrust]:
    """The PCTs of ``shas`` that opening would start: open today, and with no assessment
    in ``round_`` yet."""
    today = timezone.localdate()
    return (
        PrimaryCareTrust.objects.filter(sha__in=shas)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=today))
        .exclude(assessments__round=round_)
        .select_related("sha")
        .order_by("sha__name", "name")
    )


def sha_open_counts(*, round_: AssessmentRound) -> dict[int, tuple[int, int]]:
    """Per SHA id: ``(PCTs opening would start, PCTs already in the round)``; two queries."""
    started = dict(
        Assessment.objects.filter(round=round_)
        .values_list("pct__sha_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    waiting = dict(
        pcts_to_open(round_=round_, shas=StrategicHealthAuthority.objects.all())
        .values_list("sha_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        sha_id: (waiting.get(sha_id, 0), started.get(sha_id, 0))
        for sha_id in set(started) | set(waiting)
    }


@dataclass(frozen=True)
class NotOpened:
    """The open PCTs a round has not reached: its SHAs' names with their counts."""

    shas: list[tuple[str, int]]

    @property
    def pcts(self) -> int:
        return sum(n for _name, n in self.shas)

    def __bool__(self) -> bool:
        return bool(self.shas)

    def __str__(self) -> str:
        return ", ".join(f"{name} ({n} PCT{pluralize(n)})" for name, n in self.shas)


def round_not_opened(*, round_: AssessmentRound) -> NotOpened:
    """The SHAs with open PCTs that have no assessment in ``round_`` (a round opened for
    some SHAs only), by name; one query. Publishing then leaves them out of the year."""
    rows = (
        pcts_to_open(round_=round_, shas=StrategicHealthAuthority.objects.all())
        .values_list("sha__name")
        .annotate(n=Count("pk"))
        .order_by("sha__name")
    )
    return NotOpened(shas=[(name, n) for name, n in rows])


@dataclass(frozen=True)
class OpenPlan:
    """What opening ``round`` for ``shas`` would do: shown on the check page."""

    round: AssessmentRound
    shas: list[StrategicHealthAuthority]
    pcts: list[PrimaryCareTrust]
    boards: int

    @property
    def sha_count(self) -> int:
        return len({p.sha_id for p in self.pcts})


def round_open_plan(*, round_: AssessmentRound, shas) -> OpenPlan:
    pcts = list(pcts_to_open(round_=round_, shas=shas))
    boards = (
        Role.objects.filter(kind=Role.Kind.PCT_BOARD, pct__in=pcts, user__is_active=True)
        .exclude(user__email="")
        .values("pct_id")
        .distinct()
        .count()
    )
    return OpenPlan(round=round_, shas=list(shas), pcts=pcts, boards=boards)


@dataclass(frozen=True)
class Opened:
    assessments: int
    shas: int
    messages: int
    # The PCTs whose board was not told: no board member of theirs has an e-mail address.
    untold: tuple[str, ...] = ()


def _board_message(round_: AssessmentRound, pct: PrimaryCareTrust, to: list[str]) -> Message:
    context = {
        "round": round_,
        "pct": pct,
        "today": timezone.localdate(),  # a round opened late says its deadline has passed
        "url": settings.SITE_URL
        + reverse("assessments:self_assessment", args=[round_.slug, pct.ods_code]),
    }
    return rendered("round_opened", context, to)


@transaction.atomic
def round_open(*, round_: AssessmentRound, shas, by: AbstractBaseUser | None) -> Opened:
    """Start self-assessment for every open PCT of ``shas`` that has no assessment in the
    round yet, fix the round's framework, and e-mail each such PCT's board members (a
    message to each, queued once this commits). Idempotent: a second call for the
    same SHAs changes nothing and sends nothing."""
    # Read and locked now: a publication time set since the caller read the round (a
    # colleague's tab) is seen, and cannot be set until this opening commits.
    round_ = AssessmentRound.objects.select_for_update().get(pk=round_.pk)
    if round_.published_at is not None:
        raise TransitionError(
            f"{round_.name} has a publication time: it cannot open for more SHAs."
        )
    shas = list(shas)
    if not shas:
        raise ValidationError({"shas": "Choose at least one SHA."})
    pcts = list(pcts_to_open(round_=round_, shas=shas))
    if not pcts:
        return Opened(assessments=0, shas=0, messages=0)
    try:
        with transaction.atomic():
            Assessment.objects.bulk_create(
                [Assessment(round=round_, pct=pct, stage=Stage.SELF_ASSESSMENT) for pct in pcts]
            )
    except IntegrityError:  # someone opened some of these PCTs at the same moment
        raise TransitionError(
            f"Someone else opened {round_.slug} for some of these PCTs at the same time: "
            "nothing was changed. Reload the page and check again."
        ) from None
    now = timezone.now()
    if round_.opened_at is None:
        round_.opened_at = now
        round_.full_clean()
        round_.save(update_fields=["opened_at"])
    framework_lock(framework=round_.framework)
    codes = sorted({p.sha.ods_code for p in pcts})
    round_change_record(
        round_=round_,
        field="opened",
        old="",
        new=_short(f"{len(pcts)} PCT{pluralize(len(pcts))} in {', '.join(codes)}"),
        by=by,
    )
    recipients: dict[int, list[str]] = {}
    boards = Role.objects.filter(kind=Role.Kind.PCT_BOARD, pct__in=pcts, user__is_active=True)
    for role in boards.select_related("user"):
        if role.user.email:
            recipients.setdefault(role.pct_id, []).append(role.user.email)
    # One message to each board member: nobody sees who else was written to.
    messages = [
        _board_message(round_, pct, [address])
        for pct in pcts
        for address in sorted(set(recipients.get(pct.pk, ())))
    ]
    queued = mail_enqueue(messages=messages)
    untold = tuple(sorted(pct.name for pct in pcts if pct.pk not in recipients))
    return Opened(assessments=len(pcts), shas=len(codes), messages=queued, untold=untold)


def shas_by_codes(codes) -> list[StrategicHealthAuthority]:
    """The SHAs named by ``codes`` (case-insensitive), in the order given; ``ValidationError``
    (key ``shas``) naming every unknown code."""
    wanted = [code.strip().upper() for code in codes]
    found = {s.ods_code: s for s in StrategicHealthAuthority.objects.filter(ods_code__in=wanted)}
    unknown = [code for code in wanted if code not in found]
    if unknown:
        raise ValidationError(
            {"shas": f"Unknown SHA code(s): {', '.join(unknown)} (SHAs are Q30 to Q39)."}
        )
    return [found[code] for code in dict.fromkeys(wanted)]


@transaction.atomic
def round_create_and_open(
    *,
    slug: str,
    name: str,
    source: FrameworkSource,
    shas: list[StrategicHealthAuthority],
    by: AbstractBaseUser | None,
) -> tuple[AssessmentRound, Opened]:
    """``round_create`` then ``round_open``, all or nothing (the ``open_round`` command)."""
    round_ = round_create(slug=slug, name=name, source=source, by=by)
    return round_, round_open(round_=round_, shas=shas, by=by)


# --- Reads ----------------------------------------------------------------------------


def rounds_overview() -> QuerySet[AssessmentRound]:
    """Every round, newest first, with its framework and how many assessments it has."""
    return (
        AssessmentRound.objects.select_related("framework")
        .annotate(assessment_count=Count("assessments"))
        .order_by("-slug")
    )


@dataclass(frozen=True)
class RegionProgress:
    sha_code: str
    sha_name: str
    counts: list[int]  # one per stage of ``round_stages``, in order

    @property
    def total(self) -> int:
        return sum(self.counts)


def round_stages(round_: AssessmentRound) -> list[ShownStage]:
    """The columns of ``round_progress``: Held back too once the publication time has
    passed."""
    return shown_stages(published=round_.is_published())


def round_progress(*, round_: AssessmentRound) -> list[RegionProgress]:
    """How many of the round's PCTs stand at each stage, per SHA: one aggregate query. The
    stage is the one shown (``shown_stage``): Published once the publication time has passed,
    for those at the factual-accuracy check that no unanswered comment holds back, Held
    back for the others there."""
    rows = (
        Assessment.objects.filter(round=round_)
        .annotate(shown=shown_stage(round_))
        .values("pct__sha__ods_code", "pct__sha__name", "shown")
        .annotate(n=Count("pk"))
        .order_by("pct__sha__name", "shown")
    )
    stages = round_stages(round_)
    regions: dict[str, RegionProgress] = {}
    for row in rows:
        code = row["pct__sha__ods_code"]
        if code not in regions:
            regions[code] = RegionProgress(code, row["pct__sha__name"], [0] * len(stages))
        regions[code].counts[stages.index(ShownStage(row["shown"]))] += row["n"]
    return list(regions.values())


# What each ``RoundChange.field`` is called on the round's page.
CHANGE_LABELS = {
    "created": "Created",
    "name": "Name",
    "previous": "Compared with the round",
    "opened": "Opened",
    "published_at": "Publication time",
    "factual_accuracy_working_days": "Factual-accuracy window (working days)",
    **{field: label[0].upper() + label[1:] for field, label in TIMETABLE_FIELDS.items()},
}


def round_discarded(*, slug: str, typed_on: int | None = None) -> LogEntry | None:
    """The record of the round ``slug``'s discarding (who, when), if it was discarded and
    has not been created again since; or, given ``typed_on`` (the round a form was typed
    on), if that round was discarded even though another was created with its slug since."""
    current = AssessmentRound.objects.filter(slug=slug).values_list("pk", flat=True).first()
    if current is not None and typed_on in (None, current):
        return None
    discards = LogEntry.objects.filter(
        action_flag=DELETION,
        content_type__app_label="assessments",
        content_type__model="assessmentround",
        change_message__startswith=f"Discarded round {slug} ",
    )
    if current is not None:
        discards = discards.filter(object_id=str(typed_on))
    return discards.select_related("user").order_by("-action_time", "-pk").first()


def round_last_opening(*, round_: AssessmentRound) -> RoundChange | None:
    """The round's latest opening (who opened it for which PCTs, and when), or None."""
    return (
        RoundChange.objects.filter(round=round_, field="opened")
        .exclude(new_value__startswith="taken back")
        .select_related("changed_by")
        .order_by("-pk")
        .first()
    )


def round_history(*, round_: AssessmentRound) -> list[tuple[RoundChange, str]]:
    """The round's changes, newest first (as a panel's history), each with what its field is
    called."""
    changes = (
        RoundChange.objects.filter(round=round_)
        .select_related("changed_by")
        .order_by("-changed_at", "-pk")
    )
    return [(change, CHANGE_LABELS.get(change.field, change.field)) for change in changes]


# --- Taking back an opening -----------------------------------------------------------
#
# A round opened for the wrong SHA (walk N: East of England's 14 boards were e-mailed that
# their self-assessment had opened), or for a PCT that will not be assessed this year after
# all (walk AC: a merged PCT nobody had started), can be taken back for chosen PCTs, or
# whole SHAs, that nobody has acted on yet: their assessments go, and their boards and
# their SHAs' staff are told why, in the reason's words. An assessment that anyone has
# touched (its board, its SHA, a panel) keeps its history, and is named with why.

TAKE_BACK_REASON_MAX_CHARS = REASON_MAX_CHARS
TAKE_BACK_REASON_REQUIRED = (
    "Give the reason for taking back the opening: the boards' e-mail quotes it."
)
TAKE_BACK_CHOOSE = "Choose at least one PCT or SHA."


@dataclass(frozen=True)
class TakeBackPlan:
    """What taking back ``round``'s opening for ``pcts`` and the PCTs of ``shas`` would do:
    the assessments that would go (``removed``) and those that stay, each with why
    (``kept``), and who would be e-mailed."""

    round: AssessmentRound
    shas: list[StrategicHealthAuthority]
    removed: list[Assessment]
    kept: list[tuple[Assessment, str]]
    boards: int  # board members (active, with an address) of the removed PCTs
    pcts: list[PrimaryCareTrust] = dataclasses.field(default_factory=list)
    # Per SHA of the removed PCTs (by name): its active staff with an address.
    staff: dict[StrategicHealthAuthority, list] = dataclasses.field(default_factory=dict)

    @property
    def sha_count(self) -> int:
        return len({a.pct.sha_id for a in self.removed})

    @property
    def staff_count(self) -> int:
        return sum(len(users) for users in self.staff.values())

    @property
    def empties_round(self) -> bool:
        """Whether no assessment of the round would be left (it becomes not yet open)."""
        return (
            bool(self.removed)
            and not (
                Assessment.objects.filter(round=self.round).exclude(
                    pk__in=[a.pk for a in self.removed]
                )
            ).exists()
        )

    @property
    def frees_framework(self) -> bool:
        """Whether emptying the round would make its framework editable again."""
        return self.empties_round and _framework_frees(self.round)


def _acted_on(assessments: QuerySet[Assessment]) -> QuerySet[Assessment]:
    """``assessments`` annotated with each sign that someone has acted on one: a boolean
    per sign (one query in all). Panels are reached by relation name only: this app does
    not import ``panels``."""
    mine = {"assessment": OuterRef("pk")}
    return assessments.annotate(
        tb_submitted=Exists(
            SelfAssessment.objects.filter(**mine, status=SelfAssessment.Status.SUBMITTED)
        ),
        tb_saved=Exists(SelfAssessment.objects.filter(**mine).exclude(commentary=""))
        | Exists(
            SelfAssessmentRating.objects.filter(self_assessment__assessment=OuterRef("pk")).filter(
                Q(level__isnull=False) | ~Q(light="") | ~Q(commentary="")
            )
        ),
        # uploaded, even if removed since: its history is kept (``EvidenceChange``)
        tb_evidence=Exists(EvidenceDocument.objects.filter(**mine))
        | Exists(EvidenceChange.objects.filter(**mine)),
        tb_priorities=Exists(LocalOutcomePriority.objects.filter(**mine)),
        tb_seat=Exists(
            Assessment.objects.filter(pk=OuterRef("pk"), panel__seats__person__isnull=False)
        ),
        tb_comment=Exists(FactualAccuracyComment.objects.filter(**mine)),
        tb_moved=Exists(StageChange.objects.filter(**mine)),
    )


def _kept_because(assessment: Assessment) -> str:
    """Why ``assessment`` (annotated by ``_acted_on``) cannot be taken back, or ""."""
    reasons = []
    if assessment.stage != Stage.SELF_ASSESSMENT:
        reasons.append(f"it is at {assessment.get_stage_display()}, past self-assessment")
    elif assessment.tb_moved:
        reasons.append("it has moved between stages (its history is kept)")
    if assessment.tb_submitted:
        reasons.append("its board has submitted its self-assessment")
    elif assessment.tb_saved:
        reasons.append("its board has saved ratings or text in its self-assessment")
    if assessment.tb_evidence:
        reasons.append("its board has uploaded evidence")
    if assessment.tb_priorities:
        reasons.append("its board has chosen local outcome priorities")
    if assessment.tb_seat:
        reasons.append("a seat of its panel is filled")
    if assessment.tb_comment:
        reasons.append("it has a comment")
    return "; ".join(reasons)


def shas_to_take_back(*, round_: AssessmentRound) -> QuerySet[StrategicHealthAuthority]:
    """The SHAs with assessments in ``round_`` (those a take-back may name), each with
    ``assessment_count``; one query."""
    return (
        StrategicHealthAuthority.objects.filter(pcts__assessments__round=round_)
        .annotate(assessment_count=Count("pcts__assessments"))
        .order_by("ods_code")
    )


def pcts_to_take_back(*, round_: AssessmentRound) -> QuerySet[PrimaryCareTrust]:
    """The PCTs with an assessment in ``round_`` (those a take-back may name)."""
    return PrimaryCareTrust.objects.filter(assessments__round=round_).order_by("name")


def take_back_choices(
    *, round_: AssessmentRound, sha: StrategicHealthAuthority | None = None, pct_ids=()
) -> list[tuple[Assessment, str]]:
    """The assessments of ``round_`` offered one by one on the take-back page: those of the
    PCTs of ``sha`` and of ``pct_ids``, by SHA and name, each with why it cannot go
    (``_kept_because``, "" if it can); one query whatever their number."""
    wanted = Q(pct_id__in=list(pct_ids))
    if sha is not None:
        wanted |= Q(pct__sha=sha)
    assessments = _acted_on(
        Assessment.objects.filter(round=round_)
        .filter(wanted)
        .select_related("pct__sha")
        .order_by("pct__sha__name", "pct__name")
    )
    return [(assessment, _kept_because(assessment)) for assessment in assessments]


def rounds_to_take_back_from(*, pct: PrimaryCareTrust) -> list[AssessmentRound]:
    """The rounds, by slug, whose opening could still be taken back for ``pct``: no
    publication time, and nobody has acted on its assessment there (``_kept_because``);
    one query. A PCT's closing check page links to their take-back pages."""
    assessments = _acted_on(
        Assessment.objects.filter(pct=pct, round__published_at__isnull=True)
        .select_related("round")
        .order_by("round__slug")
    )
    return [a.round for a in assessments if not _kept_because(a)]


def _board_addresses(pct_ids) -> dict[int, list[str]]:
    """Per PCT id, the addresses of its board members who are told: active, with one."""
    found: dict[int, set[str]] = {}
    roles = Role.objects.filter(kind=Role.Kind.PCT_BOARD, pct_id__in=pct_ids).select_related("user")
    for role in roles:
        if role.user.email and role.user.is_active:
            found.setdefault(role.pct_id, set()).add(role.user.email)
    return {pct_id: sorted(addresses) for pct_id, addresses in found.items()}


def _staff_to_tell(removed: list[Assessment]) -> dict[StrategicHealthAuthority, list]:
    """Per SHA of the ``removed`` assessments' PCTs, by name: its staff who are told
    (``sha_staff_to_tell``); a query per SHA (ten at most), none per PCT."""
    shas = {a.pct.sha_id: a.pct.sha for a in removed}
    return {sha: sha_staff_to_tell(sha=sha) for sha in sorted(shas.values(), key=lambda s: s.name)}


def round_take_back_plan(*, round_: AssessmentRound, shas=(), pcts=()) -> TakeBackPlan:
    """What ``round_take_back`` would do for ``pcts`` and the PCTs of ``shas`` now: shown on
    the check page. A few queries, whatever the number of PCTs."""
    shas, pcts = list(shas), list(pcts)
    assessments = _acted_on(
        Assessment.objects.filter(round=round_)
        .filter(Q(pct__sha__in=shas) | Q(pct__in=pcts))
        .select_related("pct__sha")
        .order_by("pct__sha__name", "pct__name")
    )
    removed: list[Assessment] = []
    kept: list[tuple[Assessment, str]] = []
    for assessment in assessments:
        why = _kept_because(assessment)
        if why:
            kept.append((assessment, why))
        else:
            removed.append(assessment)
    addresses = _board_addresses([a.pct_id for a in removed])
    return TakeBackPlan(
        round=round_,
        shas=shas,
        pcts=pcts,
        removed=removed,
        kept=kept,
        boards=sum(len(found) for found in addresses.values()),
        staff=_staff_to_tell(removed),
    )


OPENED_COUNT_RE = re.compile(r"^([0-9]+) PCTs? in ")  # an "opened" history value


def _on_dates(changes: list[RoundChange]) -> str:
    days = list(dict.fromkeys(f"{timezone.localdate(c.changed_at):%-d %B %Y}" for c in changes))
    return days[0] if len(days) == 1 else ", ".join(days[:-1]) + " and " + days[-1]


def round_opening_taken_back(*, round_: AssessmentRound) -> str:
    """For a round opened and then wholly taken back (so that it may be discarded), what
    its history rows (field ``opened``) say happened: "It was opened for 3 PCTs on 5 May
    2010 and taken back on 6 May 2010, the reason given: “…”; their boards were told both
    times."
    "" for a round never opened. One query."""
    changes = list(
        RoundChange.objects.filter(round=round_, field="opened").order_by("changed_at", "pk")
    )
    backs = [c for c in changes if c.new_value.startswith("taken back")]
    openings = [c for c in changes if c not in backs]
    if not openings:
        return ""
    count = 0
    for change in openings:
        found = OPENED_COUNT_RE.match(change.new_value)
        count += int(found.group(1)) if found else 0
    said = f"It was opened for {count} PCT{pluralize(count)} on {_on_dates(openings)}"
    if not backs:
        return said + "."
    reasons = "; ".join(
        dict.fromkeys(f"\u201c{' '.join(c.reason.split())}\u201d" for c in backs if c.reason)
    )
    times = "both times" if len(changes) == 2 else "each time"
    steps = f" in {len(backs)} steps" if len(backs) > 1 else ""
    return (
        f"{said} and taken back{steps} on {_on_dates(backs)}"
        + (f", the reason{pluralize(len(backs))} given: {reasons}" if reasons else "")
        + f"; their boards were told {times}."
    )


def _take_back_reason(reason: str) -> str:
    return checked_reason(
        reason, missing=TAKE_BACK_REASON_REQUIRED, limit=TAKE_BACK_REASON_MAX_CHARS
    )


@dataclass(frozen=True)
class TakenBack:
    assessments: int
    shas: int
    messages: int
    kept: int
    # The round has no assessment left: it is as if never opened, and may be discarded.
    closed: bool
    # The PCTs whose board was not told: no active board member with an e-mail address.
    untold: tuple[str, ...] = ()
    # The round was closed and its framework, used by no other opened round, unlocked.
    framework_unlocked: bool = False
    # How many of the messages went to SHA staff (the rest to board members).
    staff: int = 0


def _framework_frees(round_: AssessmentRound) -> bool:
    """Whether taking back the whole opening of ``round_`` frees its framework: no other
    round using it is open (or published), so nothing was rated under its words."""
    return not (
        AssessmentRound.objects.filter(framework_id=round_.framework_id, opened_at__isnull=False)
        .exclude(pk=round_.pk)
        .exists()
    )


def _framework_freed(round_: AssessmentRound) -> bool:
    """Unlock the framework of ``round_``, taken back in full, if ``_framework_frees``.
    The framework's row is locked first: another round opening with it meanwhile fixes it
    (``framework_lock``) either before this looks, and is seen, or after this commits."""
    list(FrameworkVersion.objects.select_for_update().filter(pk=round_.framework_id))
    if not _framework_frees(round_):
        return False
    return framework_unlock(framework=round_.framework)


def _taken_back_message(
    round_: AssessmentRound, pct: PrimaryCareTrust, by_name: str, reason: str, to: str
) -> Message:
    context = {
        "round": round_,
        "pct": pct,
        "by": by_name,
        "reason": reason,
        "when": timezone.localdate(),
    }
    return rendered("round_taken_back", context, to)


def _taken_back_staff_message(
    round_: AssessmentRound,
    sha: StrategicHealthAuthority,
    pcts: list[PrimaryCareTrust],
    user,
    by_name: str,
    reason: str,
) -> Message:
    context = {
        "round": round_,
        "sha": sha,
        "pcts": pcts,
        "user": user,
        "by": by_name,
        "reason": reason,
        "when": timezone.localdate(),
        "url": settings.SITE_URL + reverse("rounds:detail", args=[round_.slug]),
    }
    return rendered("round_taken_back_staff", context, user.email)


def _taken_back_what(removed: list[Assessment]) -> str:
    """The history row's ``old_value``: how many PCTs, their SHAs' codes (which a board's
    old link looks for: ``opening_taken_back_for``), then the PCTs' codes; shortened."""
    count = len(removed)
    codes = sorted({a.pct.sha.ods_code for a in removed})
    pcts = ", ".join(a.pct.ods_code for a in removed)
    # Up to RoundChange.old_value's length: every PCT of a take-back of up to about 190
    # (review AE: cut at 100 characters, a PCT past the cut could not be told from one
    # never in the round).
    limit = RoundChange._meta.get_field("old_value").max_length
    return _short(f"{count} PCT{pluralize(count)} in {', '.join(codes)}: {pcts}", limit)


@transaction.atomic
def round_take_back(
    *,
    round_: AssessmentRound,
    shas=(),
    pcts=(),
    reason: str,
    by: AbstractBaseUser | None,
    expected: list[int] | None = None,
) -> TakenBack:
    """Take back the opening of ``round_`` for ``pcts`` and the PCTs of ``shas`` that
    nobody has acted on (``round_take_back_plan``): their assessments go, with their empty
    panels, seats and self-assessment rows; the others stay. Writes the round's history row
    (field ``opened``: the PCTs taken back, with ``reason``, required). Once this commits,
    e-mails each board member (active, with an address) of those PCTs that it will not take
    part after all, quoting ``reason``, and the staff of each of their SHAs
    (``sha_staff_to_tell``) one e-mail listing that SHA's PCTs taken back. If no assessment
    of the round is left, ``opened_at`` is cleared: the round is as if never opened, and may
    be discarded, and its framework can be edited again unless another opened round uses it.

    ``expected``: the ids of the assessments the check page named; ``ConflictError`` if
    another set would go now (a board started, or a colleague opened or took back,
    meanwhile). ``TransitionError`` for a round with a publication time or nothing to take
    back; ``ValidationError`` (keys ``shas``, ``reason``) for bad input."""
    reason = _take_back_reason(reason)
    shas, pcts = list(shas), list(pcts)
    if not shas and not pcts:
        raise ValidationError({"shas": TAKE_BACK_CHOOSE})
    round_ = AssessmentRound.objects.select_for_update().get(pk=round_.pk)
    if round_.published_at is not None:
        raise TransitionError(
            f"{round_.name} has a publication time: its opening can no longer be taken back."
        )
    # The assessments are locked before they are judged: a board saving meanwhile waits.
    list(
        Assessment.objects.select_for_update()
        .filter(round=round_)
        .filter(Q(pct__sha__in=shas) | Q(pct__in=pcts))
        .values_list("pk", flat=True)
    )
    plan = round_take_back_plan(round_=round_, shas=shas, pcts=pcts)
    ids = sorted(a.pk for a in plan.removed)
    if expected is not None and ids != sorted(set(expected)):
        raise ConflictError(
            f"{round_.slug} changed since the check page: a board may have started, or a "
            "colleague opened or took back PCTs. Nothing was changed: check again.",
            current=plan,
        )
    if not ids:
        names = ", ".join([*(sha.name for sha in shas), *(pct.name for pct in pcts)])
        raise TransitionError(
            f"Nothing to take back in {names}: "
            + (
                "every assessment there has been acted on, and keeps its history."
                if plan.kept
                else f"no PCT there has an assessment in {round_.slug}."
            )
        )
    addresses = _board_addresses([a.pct_id for a in plan.removed])
    by_name = (by.get_full_name() or by.get_username()) if by else "the national assurance team"
    messages = [
        _taken_back_message(round_, a.pct, by_name, reason, address)
        for a in plan.removed
        for address in addresses.get(a.pct_id, ())
    ]
    messages += [
        _taken_back_staff_message(
            round_,
            sha,
            [a.pct for a in plan.removed if a.pct.sha_id == sha.pk],
            user,
            by_name,
            reason,
        )
        for sha, users in plan.staff.items()
        for user in users
    ]
    codes = sorted({a.pct.sha.ods_code for a in plan.removed})
    count = len(ids)
    Assessment.objects.filter(pk__in=ids).delete()
    closed = not Assessment.objects.filter(round=round_).exists()
    unlocked = False
    if closed:
        round_.opened_at = None
        round_.full_clean()
        round_.save(update_fields=["opened_at"])
        unlocked = _framework_freed(round_)
    round_change_record(
        round_=round_,
        field="opened",
        old=_taken_back_what(plan.removed),
        new=(
            "taken back; the round is not open"
            + ("; its framework can be edited again" if unlocked else "")
            if closed
            else "taken back"
        ),
        by=by,
        reason=reason,
    )
    figures_changed(round_ids=[round_.pk])
    queued = mail_enqueue(messages=messages)
    untold = tuple(sorted(a.pct.name for a in plan.removed if a.pct_id not in addresses))
    return TakenBack(
        assessments=count,
        shas=len(codes),
        messages=queued,
        kept=len(plan.kept),
        closed=closed,
        untold=untold,
        framework_unlocked=unlocked,
        staff=plan.staff_count,
    )
