"""Directed development: the PCTs red on all three areas and those their SHA flags, with
their plans; and the SHA staff's form to write a plan.

Who sees the list: before publication, the national team (every region) and SHA staff
(their own region's PCTs); after it, everyone (PCTs held back by an unanswered
factual-accuracy comment stay out until answered). Anyone else gets 404. Only the PCT's SHA
staff write its plan (the national team, who may see it, gets 403); its board reads it on
its results page and in its report.
"""

import re
from typing import NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_safe

from assessments.access import assessment_by_pct, round_by_slug, view_access
from assessments.confirmation import confirmation_page, confirmed
from assessments.development import (
    PLANNING_STAGES,
    PriorityInput,
    development_plan_delete,
    development_plan_save,
    plan_version,
    priority_errors,
)
from assessments.exceptions import (
    ConflictError,
    TransitionError,
    kept_on_conflict,
)
from assessments.factual_accuracy import not_held_back
from assessments.forms import DevelopmentPlanForm, DevelopmentPriorityFormSet
from assessments.models import (
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    DevelopmentPlanChange,
    DevelopmentPriority,
)
from assessments.paging import page_of, paging_context
from assessments.selectors import user_scope
from panels.forms.lookup import PctLookupForm
from panels.selectors import PCT_CHOICES
from reports.kept import Kept


def _scope(user, round_: AssessmentRound) -> tuple[bool, frozenset[int] | None]:
    """``(published, SHA ids to restrict to or None for all)``: before publication, SHA
    staff see only their own region's PCTs (``reports.view_development`` let them in)."""
    if round_.is_published():
        return True, None
    scope = user_scope(user)
    return False, None if scope.is_national else scope.sha_ids


# The list is paged: at 10,152 PCTs a published round lists 317 of them (150 kB on one page).
PAGE_SIZE = 50


class _Listed(NamedTuple):
    """A PCT on the list: red on all three areas, or with a plan (flagged by its SHA)."""

    assessment_id: int
    red_all_three: bool


_RED: Kept[frozenset[str]] = Kept("red on all three", size=16, shared=True)


def _red_on_all_three(round_: AssessmentRound) -> frozenset[str]:
    """The ODS codes of the round's complete PCTs red on all three areas, kept under the
    round's figures version (one query when kept)."""
    from reports.tables import ratings_frame, red_on_all_three  # pandas on first use

    def make() -> frozenset[str]:
        frame = ratings_frame(round_=round_)
        complete = frame[frame["complete"]]
        return frozenset(complete[red_on_all_three(complete)]["ods_code"])

    return _RED.for_round(round_, make)


def _plans(round_: AssessmentRound, *, published: bool, sha_ids: frozenset[int] | None):
    """The round's development plans the viewer may see (not the held-back ones once
    published; their own region's before, for SHA staff)."""
    plans = DevelopmentPlan.objects.filter(assessment__round=round_)
    if published:
        plans = plans.filter(not_held_back("assessment_id"))
    if sha_ids is not None:
        plans = plans.filter(assessment__pct__sha_id__in=sha_ids)
    return plans


def _listed(
    round_: AssessmentRound, *, published: bool, sha_ids: frozenset[int] | None
) -> list[_Listed]:
    """Every PCT on the list, by name: two queries (the round's version, the PCTs' ids)."""
    red = _red_on_all_three(round_)
    planned = _plans(round_, published=published, sha_ids=sha_ids).values("assessment_id")
    assessments = Assessment.objects.filter(
        Q(pct__ods_code__in=red) | Q(pk__in=planned), round=round_
    )
    if sha_ids is not None:
        assessments = assessments.filter(pct__sha_id__in=sha_ids)
    return [
        _Listed(pk, code in red)
        for pk, code in assessments.order_by("pct__name", "pk").values_list("pk", "pct__ods_code")
    ]


def development_page_of(assessment: Assessment, user) -> str:
    """The list's URL at the page that shows ``assessment``, and its anchor (where saving
    its plan leads back to)."""
    round_ = assessment.round
    published, sha_ids = _scope(user, round_)
    ids = [row.assessment_id for row in _listed(round_, published=published, sha_ids=sha_ids)]
    page = ids.index(assessment.pk) // PAGE_SIZE + 1 if assessment.pk in ids else 1
    query = f"?page={page}" if page > 1 else ""
    return (
        reverse("reports:development", args=[round_.slug])
        + f"{query}#pct-{assessment.pct.ods_code}"
    )


@require_safe
@view_access("reports.view_development", lookup=round_by_slug, public=True)
def development_list(request, round_: AssessmentRound):
    published, sha_ids = _scope(request.user, round_)
    listed = _listed(round_, published=published, sha_ids=sha_ids)
    page = page_of(listed, PAGE_SIZE, request.GET.get("page"), what="the directed development list")
    # The assessments, plans and priorities of this page's PCTs only.
    ids = [row.assessment_id for row in page.object_list]
    assessments = Assessment.objects.select_related("pct__sha").in_bulk(ids)
    plans = {
        plan.assessment_id: plan
        for plan in _plans(round_, published=published, sha_ids=sha_ids)
        .filter(assessment_id__in=ids)
        .prefetch_related(
            Prefetch(
                "priorities",
                queryset=DevelopmentPriority.objects.select_related("competency", "supplier"),
            )
        )
    }
    scope = user_scope(request.user)
    rows = [
        {
            "assessment": assessment,
            "red_all_three": row.red_all_three,
            "plan": plans.get(assessment.pk),
            "may_plan": scope.is_staff_of(assessment.pct.sha_id)
            and assessment.stage in PLANNING_STAGES,
        }
        for row in page.object_list
        # (one deleted since the list was read is left out)
        if (assessment := assessments.get(row.assessment_id)) is not None
    ]
    # SHA staff may flag any other PCT of their region whose ratings are agreed: from a list
    # of them, or, when there are more than a list holds (a region at 10,000 organisations),
    # by its ODS code or name (``?pct=``, as the moderation grid's "Find a PCT").
    ready = (
        Assessment.objects.filter(
            round=round_, pct__sha_id__in=scope.sha_ids, stage__in=PLANNING_STAGES
        ).order_by("pct__name")
        if scope.is_sha_staff
        else Assessment.objects.none()
    )
    others = ready.exclude(pk__in=[row.assessment_id for row in listed])
    asked = scope.is_sha_staff and "pct" in request.GET
    # Any of the region's PCTs ready for a plan is found, one listed below as well.
    entries = ready.values_list("pct__ods_code", "pct__name") if asked else []
    lookup = PctLookupForm(
        request.GET if asked else None,
        pcts=[_Pct(*entry) for entry in entries],
        where="of your region ready for a plan",
        label="Flag another PCT of your region for directed development",
    )
    if lookup.is_bound and lookup.is_valid():
        return redirect(
            reverse("reports:development_plan", args=[round_.slug, lookup.found.ods_code])
        )
    flaggable = list(others.select_related("pct")[: PCT_CHOICES + 1])
    return render(
        request,
        "reports/development.html",
        {
            "round": round_,
            "rows": rows,
            **paging_context(page),
            "published": published,
            "regional": sha_ids is not None,
            "flaggable": flaggable if len(flaggable) <= PCT_CHOICES else [],
            "flag_by_lookup": len(flaggable) > PCT_CHOICES or lookup.is_bound,
            "lookup": lookup,
        },
    )


class _Pct(NamedTuple):
    """A PCT as ``PctLookupForm`` matches it."""

    ods_code: str
    name: str


# Writing a PCT's plan: its SHA's staff; the national team may look but not write (403).
plan_access = view_access(
    "assessments.view_region",
    lookup=assessment_by_pct,
    change="reports.plan_development",
    change_always=True,
)


@require_safe
@plan_access
def _flag_target(request, assessment: Assessment):
    return redirect(
        reverse("reports:development_plan", args=[assessment.round.slug, assessment.pct.ods_code])
    )


@require_safe
@view_access("reports.view_development", lookup=round_by_slug)
def development_flag(request, round_: AssessmentRound):
    """The "flag a PCT" form's target: on to the plan of the PCT chosen (404 for a PCT
    whose plan the user may not write)."""
    ods = request.GET.get("pct", "").strip()
    if not ods:
        return redirect(reverse("reports:development", args=[round_.slug]))
    return _flag_target(request, round_slug=round_.slug, ods=ods)


def _initial(plan: DevelopmentPlan | None) -> tuple[dict, list[dict]]:
    if plan is None:
        return {}, []
    return (
        {"owner": plan.owner, "review_date": plan.review_date, "summary": plan.summary},
        [
            {
                "competency": p.competency,
                "support": p.support,
                "supplier": p.supplier,
                "action": p.action,
            }
            for p in plan.priorities.all()
        ],
    )


@require_http_methods(["GET", "POST"])
@plan_access
def development_plan(request, assessment: Assessment):
    plan = (
        DevelopmentPlan.objects.filter(assessment=assessment)
        .prefetch_related("priorities__competency", "priorities__supplier")
        .first()
    )
    competencies = assessment.round.framework.competencies.order_by("number")
    back = reverse("reports:development", args=[assessment.round.slug])
    initial, priorities = _initial(plan)
    page = reverse(
        "reports:development_plan", args=[assessment.round.slug, assessment.pct.ods_code]
    )
    if request.method == "POST" and "delete" in request.POST:
        return _withdraw(request, assessment, plan, back=back, page=page)
    if request.method == "POST":
        form = DevelopmentPlanForm(request.POST, round_=assessment.round)
        formset = DevelopmentPriorityFormSet(
            request.POST, prefix="p", form_kwargs={"competencies": competencies}
        )
        form_valid, formset_valid = form.is_valid(), formset.is_valid()
        rows = [f for f in formset if not f.is_blank]  # the priorities, in page order
        given = [
            PriorityInput(
                competency=f.cleaned_data.get("competency"),
                support=f.cleaned_data.get("support") or "",
                supplier=f.cleaned_data.get("supplier"),
                action=f.cleaned_data.get("action") or "",
            )
            for f in rows
        ]
        if not (form_valid and formset_valid):
            # Every problem at once: the plan's rules on the rows too (a supplier when
            # buying, a competency given twice), not after the fields are put right.
            refused = priority_errors(given, framework_id=assessment.round.framework_id)
            _refusal_on_rows(ValidationError(refused), form, rows, given, only_unmarked=True)
        else:
            try:
                development_plan_save(
                    assessment=assessment,
                    priorities=given,
                    by=request.user,
                    expected_version=form.cleaned_data["version"] or 0,
                    **form.plan_fields(),
                )
            except ConflictError:  # a colleague saved or withdrew it: keep what was typed
                form = kept_on_conflict(
                    DevelopmentPlanForm,
                    request.POST,
                    version=plan_version(assessment),
                    what="The development plan",
                    round_=assessment.round,
                )
            except ValidationError as exc:
                _refusal_on_rows(exc, form, rows, given)
            except TransitionError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{assessment.pct.name}: development plan saved.")
                return redirect(development_page_of(assessment, request.user))
    else:
        form = DevelopmentPlanForm(
            initial={**initial, "version": plan_version(assessment)}, round_=assessment.round
        )
        formset = DevelopmentPriorityFormSet(
            initial=priorities + [{}] * max(3 - len(priorities), 1),
            prefix="p",
            form_kwargs={"competencies": competencies},
        )
    return render(
        request,
        "reports/development_plan.html",
        {
            "assessment": assessment,
            "plan": plan,
            "form": form,
            "plan_forms": [form, formset],  # the error summary's, in page order
            "formset": formset,
            "changes": DevelopmentPlanChange.objects.filter(assessment=assessment)
            .select_related("changed_by")
            .order_by("-changed_at", "-pk"),
        },
    )


def _refusal_on_rows(
    exc: ValidationError, form, rows, given: list[PriorityInput], *, only_unmarked: bool = False
) -> None:
    """The service's refusal where it belongs: a priority's problem on its row's field
    (``priority-<n>-<field>``, n counting the filled rows), marked there and linked from
    the error summary; anything else at the top of the plan. ``only_unmarked``: leave a
    field that has its own error already (a value not given yet) as it is."""
    for key, errors in getattr(exc, "error_dict", {}).items():
        match = re.fullmatch(r"priority-([0-9]+)-(\w+)", key)
        if match and 0 < int(match[1]) <= len(rows):
            row, field = rows[int(match[1]) - 1], match[2]
            if field in row.fields:
                if not (only_unmarked and row.has_error(field)):
                    row.add_error(field, _on_row(errors, match[1], given[int(match[1]) - 1]))
                continue
        form.add_error(None, errors)


def _on_row(errors: list, number: str, priority: PriorityInput) -> list[str]:
    """A priority's messages without the service's "Priority 2 (3. …): ", which names the
    row by its place among the filled ones: the page names it by its own row already.
    (``priority`` is the row as given: its form loses a field's value once it is marked.)"""
    competency = priority.competency
    prefixes = [f"Priority {number} ({competency}): ", f"Priority {number}: "]
    shown = []
    for message in ValidationError(errors).messages:
        for prefix in prefixes:
            if message.startswith(prefix):
                message = message.removeprefix(prefix)
                message = message[:1].upper() + message[1:]
                break
        shown.append(message)
    return shown


def _withdraw(request, assessment: Assessment, plan, *, back: str, page: str):
    """Withdraw the plan: the first POST asks (its owner, date and priorities go), the
    confirming one withdraws it if it is still the plan the page showed."""
    try:
        version = int(request.POST.get("version") or 0)
    except ValueError:
        version = -1  # not a version any page showed: refused as changed
    if plan is None:
        messages.info(
            request, f"{assessment.pct.name} has no development plan: nothing to withdraw."
        )
        return redirect(back)
    if not confirmed(request):
        n = len(plan.priorities.all())  # prefetched with the plan
        return confirmation_page(
            request,
            title=f"Withdraw the development plan of {assessment.pct.name}?",
            happens=[
                f"The plan (owner {plan.owner}, review by {plan.review_date:%-d %B %Y}) and "
                f"its {n} priorit{'ies' if n != 1 else 'y'} are deleted: the SHA no "
                "longer directs the PCT's development, and its board no longer sees a plan.",
                "The plan's history keeps what it said and who withdrew it.",
            ],
            told="Nobody is e-mailed.",
            button="Confirm and withdraw the plan",
            back=page,
            carry={"delete": "1", "version": str(version)},
            danger=True,
        )
    try:
        development_plan_delete(assessment=assessment, by=request.user, expected_version=version)
    except ConflictError:
        messages.error(
            request,
            "The plan was changed since you opened it (someone saved it in another window): "
            "nothing was withdrawn. Check it as it is now.",
        )
        return redirect(page)
    except TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{assessment.pct.name}: development plan withdrawn.")
    return redirect(back)


urlpatterns = [
    path("reports/development/<slug:round_slug>/", development_list, name="development"),
    path("reports/development/<slug:round_slug>/flag/", development_flag, name="development_flag"),
    path(
        "reports/development/<slug:round_slug>/<str:ods>/",
        development_plan,
        name="development_plan",
    ),
]
