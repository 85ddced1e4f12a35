"""Directed development: the SHA's plan for a PCT that is failing.

A PCT red on all three governance areas is a candidate by rule; the SHA may flag others.
Each plan names its owner and review date and, for each competency to develop, the support
chosen ("share, learn or buy": peer support, a development programme, or a supplier from
the framework list). SHA staff of the PCT's region write plans, from regional moderation
on; the plan is shown to the PCT's board with its results. Every save and withdrawal
writes a ``DevelopmentPlanChange`` (who, when, what the plan said) in the same
transaction.
"""

from dataclasses import dataclass
from datetime import date

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import (
    AgreedRating,
    Assessment,
    DevelopmentPlan,
    DevelopmentPlanChange,
    DevelopmentPriority,
    Stage,
    Supplier,
)
from assessments.text import visible
from competencies.models import Competency
from competencies.vocabulary import is_red_on_all_three

__all__ = [
    "PriorityInput",
    "development_plan_delete",
    "development_plan_save",
    "plan_description",
    "plan_version",
    "priority_errors",
]

# Plans are written once the ratings are agreed: from regional moderation on.
PLANNING_STAGES = frozenset(
    {Stage.MODERATION, Stage.CROSS_CHECK, Stage.FACTUAL_ACCURACY, Stage.PUBLISHED}
)


@dataclass(frozen=True)
class PriorityInput:
    competency: Competency | None  # None only in a page's row not complete yet
    support: str
    action: str
    supplier: Supplier | None = None


def _check_stage(assessment: Assessment) -> None:
    if assessment.stage not in PLANNING_STAGES:
        raise TransitionError(
            "A development plan is written once the ratings are agreed (from regional "
            f"moderation on); {assessment.pct.name} is at {assessment.get_stage_display()}."
        )


def plan_reason(assessment: Assessment) -> str:
    """Red on all three governance areas, or else flagged by the SHA (one query)."""
    lights = dict(
        AgreedRating.objects.filter(assessment=assessment, area__isnull=False).values_list(
            "area__code", "light"
        )
    )
    if is_red_on_all_three(lights):
        return DevelopmentPlan.Reason.RED_ALL_THREE
    return DevelopmentPlan.Reason.SHA_FLAGGED


def plan_version(assessment: Assessment) -> int:
    """The plan's version as a page shows it: its latest history row (every save and
    withdrawal writes one), 0 before any. One query."""
    latest = (
        DevelopmentPlanChange.objects.filter(assessment=assessment)
        .order_by("-pk")
        .values_list("pk", flat=True)
        .first()
    )
    return latest or 0


def _claim(assessment: Assessment, expected_version: int | None) -> None:
    """Refuse (``ConflictError``) a write from a page that showed another version of the
    plan: a colleague saved or withdrew it meanwhile. The assessment's row is locked so
    that two writes of one plan take turns. ``None``: no check (the command line)."""
    Assessment.objects.select_for_update().filter(pk=assessment.pk).first()
    if expected_version is not None and plan_version(assessment) != expected_version:
        raise ConflictError(
            "The development plan changed since the page showed it.",
            current=DevelopmentPlan.objects.filter(assessment=assessment).first(),
        )


@transaction.atomic
def development_plan_save(
    *,
    assessment: Assessment,
    owner: str,
    review_date: date,
    summary: str,
    priorities: list[PriorityInput],
    by: AbstractBaseUser,
    expected_version: int | None = None,
) -> DevelopmentPlan:
    """Create or replace the plan of ``assessment`` with its priorities, all or nothing.
    Its reason follows from the agreed lights: red on all three, or flagged by the SHA.
    Refused (``ValidationError``) with each problem keyed ``priority-<n>-<field>`` (the
    n-th priority given, from 1), or ``priorities`` when there is none.
    ``expected_version``: the ``plan_version`` the page showed (``ConflictError`` if it
    has changed since)."""
    _check_stage(assessment)
    _claim(assessment, expected_version)
    errors: dict[str, list[str]] = {}
    if not priorities:
        errors["priorities"] = ["Add at least one competency to develop."]
    errors |= priority_errors(priorities, framework_id=assessment.round.framework_id)
    if errors:
        raise ValidationError(errors)

    plan = DevelopmentPlan.objects.filter(assessment=assessment).first() or DevelopmentPlan(
        assessment=assessment
    )
    plan.reason, plan.owner, plan.review_date, plan.summary = (
        plan_reason(assessment),
        owner.strip(),
        review_date,
        summary.strip(),
    )
    plan.full_clean()
    plan.save()
    plan.priorities.all().delete()
    rows = [
        DevelopmentPriority(
            plan=plan,
            competency=p.competency,
            support=p.support,
            supplier=p.supplier,
            action=p.action.strip(),
        )
        for p in priorities
    ]
    for row in rows:
        row.full_clean()
    DevelopmentPriority.objects.bulk_create(rows)
    _history(assessment, DevelopmentPlanChange.Action.SAVED, plan_description(plan, rows), by)
    return plan


def priority_errors(priorities: list[PriorityInput], *, framework_id: int) -> dict[str, list[str]]:
    """Each priority's problems, keyed ``priority-<n>-<field>`` (the n-th priority given,
    from 1). A page checks its rows with this before they are complete, so that all its
    problems come at once: a competency or support not given yet (``None``, ``""``) is
    left to the page's own "needed" message."""
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()

    def refuse(number: int, field: str, message: str) -> None:
        errors.setdefault(f"priority-{number}-{field}", []).append(message)

    for number, priority in enumerate(priorities, start=1):
        competency = priority.competency
        where = f"Priority {number}" + (f" ({competency})" if competency else "")
        if competency is not None:
            if competency.framework_id != framework_id:
                refuse(
                    number,
                    "competency",
                    f"{where}: the competency is not in this round's framework.",
                )
            if competency.pk in seen:
                refuse(
                    number,
                    "competency",
                    f"{where}: this competency is already in the plan; give it once.",
                )
            seen.add(competency.pk)
        buying = priority.support == DevelopmentPriority.Support.BUY
        if buying and priority.supplier is None:
            refuse(
                number,
                "supplier",
                f"{where}: choose the supplier from the framework list when the support is to buy.",
            )
        if priority.support and not buying and priority.supplier is not None:
            refuse(
                number, "supplier", f"{where}: a supplier is named only when the support is to buy."
            )
        if not visible(priority.action):
            refuse(number, "action", f"{where}: say what will be done.")
    return errors


def plan_description(plan: DevelopmentPlan, priorities: list[DevelopmentPriority]) -> str:
    """The plan in words, as its history keeps it."""
    lines = [
        f"{plan.get_reason_display()}. Owner: {plan.owner}; review by {plan.review_date:%-d %B %Y}."
    ]
    if plan.summary:
        lines.append(plan.summary)
    lines += [
        f"- {p.competency}: {p.get_support_display()}"
        + (f" ({p.supplier})" if p.supplier else "")
        + f": {p.action}"
        for p in priorities
    ]
    return "\n".join(lines)


def _history(assessment: Assessment, action: str, summary: str, by: AbstractBaseUser) -> None:
    change = DevelopmentPlanChange(
        assessment=assessment, action=action, summary=summary, changed_by=by
    )
    change.full_clean()
    change.save()


@transaction.atomic
def development_plan_delete(
    *, assessment: Assessment, by: AbstractBaseUser, expected_version: int | None = None
) -> None:
    """Withdraw the plan of ``assessment`` (the SHA no longer directs its development);
    ``expected_version`` as for ``development_plan_save``."""
    _check_stage(assessment)
    _claim(assessment, expected_version)
    deleted, _by_model = DevelopmentPlan.objects.filter(assessment=assessment).delete()
    if deleted:
        _history(assessment, DevelopmentPlanChange.Action.WITHDRAWN, "Plan withdrawn.", by)
