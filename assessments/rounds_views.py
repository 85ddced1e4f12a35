"""The rounds pages (CONTRACTS.md ``/rounds/``): list, create, timetable and progress,
the framework's wording until the round opens, and opening it for some or all SHAs.

Who: the national team does everything; SHA staff read the list, a round's timetable and
progress and its framework (``assessments.view_rounds``), and get 403 on any change;
everyone else gets 404. Each view checks access, validates a form, calls one service of
``assessments.rounds`` and redirects or renders.
"""

import re
from datetime import date
from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from assessments.access import RoundItem, round_area, round_by_slug, round_competency, view_access
from assessments.confirmation import (
    confirmation_page,
    confirmed,
    forget_typed,
    keep_typed,
    typed_back,
)
from assessments.exceptions import (
    ConflictError,
    TransitionError,
    form_add_refusal,
    kept_on_conflict,
    refusal_messages,
)
from assessments.form_errors import NoTruncation, reason_field
from assessments.models import AssessmentRound, StrategicHealthAuthority
from assessments.notices import deadline_change_audience
from assessments.rounds import (
    TAKE_BACK_CHOOSE,
    TAKE_BACK_REASON_MAX_CHARS,
    TAKE_BACK_REASON_REQUIRED,
    TIMETABLE_FIELDS,
    framework_is_used,
    framework_item_version,
    framework_source,
    pcts_to_take_back,
    round_area_edit,
    round_competency_edit,
    round_create,
    round_discard,
    round_discard_refusal,
    round_discarded,
    round_history,
    round_last_opening,
    round_open,
    round_open_plan,
    round_opening_taken_back,
    round_progress,
    round_rename,
    round_set_timetable,
    round_stages,
    round_take_back,
    round_take_back_plan,
    round_timetable_check,
    rounds_overview,
    sha_open_counts,
    shas_to_take_back,
    take_back_choices,
    timetable_changes_since,
    timetable_version,
)
from assessments.rounds_forms import (
    CompetencyForm,
    GovernanceAreaForm,
    OpenRoundForm,
    RoundCreateForm,
    RoundNameForm,
    TimetableForm,
    TimetableReasonForm,
)
from competencies.models import Competency, GovernanceArea
from competencies.services import FrameworkLockedError

VIEW = "assessments.view_rounds"
MANAGE = "assessments.manage_rounds"
OPENED_KEY = "assessments.round_opened"
UNTOLD_NAMED = 50


# Posted fields that are the page's own, not typed by the user.
NOT_TYPED = frozenset(
    {"csrfmiddlewaretoken", "action", "version", "was", "signed_in_as", "typed_on", "confirm"}
)
TYPED_ON_RE = re.compile(r"[0-9]{1,18}")


def typed_kept_if_discarded(form_class):
    """A form posted to a round discarded meanwhile (by a colleague, or in another window)
    gets a page saying who discarded it and when, with what was typed on it, where it got
    the site's bare 404 and the typing was lost (the concurrency walk). Only the national
    team (who may discard rounds) is told; anyone else gets the 404 as before.

    The page's form names the round it was typed on (``typed_on``), so that a round
    discarded and then created again with the same slug does not take what was typed for
    the first (the re-test walk: a timetable tab left open saved into the new round)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, round_slug, **kwargs):
            posted = request.method == "POST" and request.user.has_perm(MANAGE)
            typed_on = request.POST.get("typed_on", "") if posted else ""
            discarded = (
                round_discarded(slug=round_slug, typed_on=int(typed_on))
                if TYPED_ON_RE.fullmatch(typed_on)
                else None
            )
            if discarded is None:
                try:
                    return view(request, *args, round_slug=round_slug, **kwargs)
                except Http404:
                    discarded = round_discarded(slug=round_slug) if posted else None
                    if discarded is None:
                        raise
            labels = {name: field.label for name, field in form_class.base_fields.items()}
            if form_class is TimetableForm:
                labels.update(
                    {f: label[0].upper() + label[1:] for f, label in TIMETABLE_FIELDS.items()}
                )
            typed = [
                (labels.get(name) or name.replace("_", " ").capitalize(), value)
                for name, value in request.POST.items()
                if name not in NOT_TYPED and value.strip()
            ]
            by = discarded.user
            context = {
                "slug": round_slug,
                "by": by.get_full_name() or by.get_username(),
                "when": discarded.action_time,
                "typed": typed,
                "recreated": AssessmentRound.objects.filter(slug=round_slug).exists(),
            }
            return render(request, "rounds/discarded.html", context, status=410)

        return wrapped

    return decorator


def _detail_url(round_: AssessmentRound) -> str:
    return reverse("rounds:detail", args=[round_.slug])


@require_safe
@view_access(VIEW)
def round_list(request):
    return render(
        request,
        "rounds/list.html",
        {"rounds": rounds_overview(), "can_manage": request.user.has_perm(MANAGE)},
    )


@require_http_methods(["GET", "POST"])
@view_access(VIEW, change=MANAGE, change_always=True)
def round_new(request):
    form = RoundCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        source = framework_source(form.cleaned_data["source"])
        try:
            round_ = round_create(
                slug=form.cleaned_data["slug"],
                name=form.cleaned_data["name"],
                source=source,
                by=request.user,
            )
        except ValidationError as exc:
            form_add_refusal(form, exc)
        else:
            messages.success(
                request,
                f"Created {round_.slug} with a copy of {source.copy_label}. "
                "Check its wording and set its timetable, then open it.",
            )
            return redirect(_detail_url(round_))
    return render(request, "rounds/new.html", {"form": form})


@require_safe
@view_access(VIEW, lookup=round_by_slug)
def round_detail(request, round_: AssessmentRound):
    progress = round_progress(round_=round_)
    return render(
        request,
        "rounds/detail.html",
        {
            "round": round_,
            "timetable": [(label, getattr(round_, f)) for f, label in TIMETABLE_FIELDS.items()],
            "stages": round_stages(round_),
            "progress": progress,
            "total": sum(region.total for region in progress),
            "history": round_history(round_=round_),
            "can_manage": request.user.has_perm(MANAGE, round_),
            "opened": round_.opened_at is not None or bool(progress),
        },
    )


@require_http_methods(["GET", "POST"])
@typed_kept_if_discarded(RoundNameForm)
@view_access(VIEW, lookup=round_by_slug, change=MANAGE, change_always=True)
def round_name(request, round_: AssessmentRound):
    """Correct the round's name until it has a publication time."""
    if round_.published_at is not None:
        messages.error(
            request, f"{round_.name} has a publication time: its name can no longer change."
        )
        return redirect(_detail_url(round_))
    form = RoundNameForm(
        request.POST or None, initial={"name": round_.name, "was": round_.name}, slug=round_.slug
    )
    if request.method == "POST" and form.is_valid():
        old = round_.name
        was = form.cleaned_data["was"]
        if was and was != old and form.cleaned_data["name"] != old:
            # Renamed in another window since the page was opened (the concurrency walk):
            # the name typed here is kept; saving again replaces the other.
            data = request.POST.copy()
            data["was"] = old
            form = RoundNameForm(data, slug=round_.slug)
            form.is_valid()
            form.add_error(
                "name",
                f"Renamed {old} in another window since you opened this page: yours was not "
                "saved. Save again to replace it.",
            )
            return render(request, "rounds/name.html", {"round": round_, "form": form})
        try:
            round_rename(round_=round_, name=form.cleaned_data["name"], by=request.user)
        except ValidationError as exc:
            form_add_refusal(form, exc)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(_detail_url(round_))
        else:
            if round_.name != old:
                messages.success(request, f"Renamed {round_.slug}: {round_.name}.")
            return redirect(_detail_url(round_))
    return render(request, "rounds/name.html", {"round": round_, "form": form})


@require_http_methods(["GET", "POST"])
@view_access(VIEW, lookup=round_by_slug, change=MANAGE, change_always=True)
def round_discard_view(request, round_: AssessmentRound):
    """Discard a round created by mistake, before it opens: GET asks (a check page), the
    confirming POST discards; an opened round says why it cannot go."""
    refusal = round_discard_refusal(round_)
    if refusal is not None:
        messages.error(request, refusal)
        return redirect(_detail_url(round_))
    if request.method == "POST" and confirmed(request):
        try:
            following = round_discard(round_=round_, by=request.user)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(_detail_url(round_))
        messages.success(
            request,
            f"{round_.name} ({round_.slug}) is discarded, with its copy of the framework."
            + (
                f" {following.slug} is now compared with "
                + (following.previous.slug if following.previous else "no earlier round")
                + "."
                if following is not None
                else ""
            ),
        )
        return redirect(reverse("rounds:list"))
    following = AssessmentRound.objects.filter(previous=round_).first()
    return confirmation_page(
        request,
        title=f"Discard {round_.name} ({round_.slug})?",
        happens=[
            f"The round {round_.slug}, its copy of the framework (with any wording changed in "
            "it) and its timetable are deleted. "
            + (
                round_opening_taken_back(round_=round_)
                or "No PCT has started it and nobody was told."
            ),
            *(
                [
                    f"{following.slug}, which is compared with {round_.slug}, is compared with the "
                    "round of the year before it instead (or with none)."
                ]
                if following is not None
                else []
            ),
        ],
        told="Nobody. The discarding is kept in the admin's log: who, when and which round.",
        button=f"Confirm and discard {round_.slug}",
        back=_detail_url(round_),
        danger=True,
    )


NOT_CARRIED = frozenset({"csrfmiddlewaretoken", "confirm", "reason"})


def _shown(field: str, value) -> str:
    if value is None or value == "":
        return "not set"
    if field == "factual_accuracy_working_days":
        return f"{value} working days"
    return f"{value:%-d %B %Y}"


def _timetable_check(
    request,
    round_: AssessmentRound,
    changed,
    audience: int,
    typed: dict,
    reason_form: TimetableReasonForm | None = None,
):
    """The timetable's check page: each change, how many are e-mailed, and the reason
    for the change they may be told (``reason_form``; bound when it was refused)."""
    labels = {**TIMETABLE_FIELDS, "factual_accuracy_working_days": "factual-accuracy check"}
    return confirmation_page(
        request,
        title=f"Change the timetable of {round_.name}?",
        happens=[
            f"The {labels[field]} becomes {_shown(field, new)} (it was {_shown(field, old)})."
            for field, old, new in changed
        ],
        told=f"{audience} {'person' if audience == 1 else 'people'} who still work to a "
        "changed deadline (boards yet to submit, members yet to score, chairs, SHA staff or "
        "the national team) are e-mailed the new date and what it is for.",
        button="Confirm and save the timetable",
        back=request.path,
        carry=typed,
        template="rounds/timetable_check.html",
        context={
            "undo_note": "You can change the timetable again; each change is e-mailed.",
            "reason_form": reason_form or TimetableReasonForm(),
            # The confirm button is the reason's form's (rounds/timetable_check.html).
            "blocked": True,
        },
    )


def _date_words(stored: str) -> str:
    """A timetable value as the history stores it (``2009-12-18``) in words ("18 December
    2009"), as the pages give dates (walk AA: a refusal read the ISO date); other values
    (a number of working days, nothing) as they are."""
    try:
        return f"{date.fromisoformat(stored):%-d %B %Y}"
    except ValueError:
        return stored


@require_http_methods(["GET", "POST"])
@typed_kept_if_discarded(TimetableForm)
@view_access(VIEW, lookup=round_by_slug, change=MANAGE, change_always=True)
def round_timetable(request, round_: AssessmentRound):
    if round_.published_at is not None:
        messages.error(
            request, f"{round_.name} has a publication time: its timetable can no longer change."
        )
        return redirect(_detail_url(round_))
    initial = {f: getattr(round_, f) for f in TIMETABLE_FIELDS}
    initial["factual_accuracy_working_days"] = round_.factual_accuracy_working_days
    initial["version"] = timetable_version(round_)
    key = f"timetable:{round_.pk}"
    if request.method == "GET":  # after the check page's "Go back": what was typed
        initial |= typed_back(request, key)
    form = TimetableForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        reason_form = TimetableReasonForm(request.POST)
        try:
            # The reason typed on the check page is refused: the check page again, with it.
            reason_refused = confirmed(request) and not reason_form.is_valid()
            if reason_refused or not confirmed(request):
                # Who would be e-mailed is said first (walk R: 37 people were e-mailed at
                # one press of Save); a change nobody works to is saved at once.
                changed = round_timetable_check(
                    round_=round_,
                    dates=form.dates,
                    working_days=form.cleaned_data["factual_accuracy_working_days"],
                    expected_version=form.cleaned_data["version"],
                )
                audience = deadline_change_audience(round_=round_, changed=changed)
                typed = {k: v for k, v in request.POST.items() if k not in NOT_CARRIED}
                if reason_refused:
                    return _timetable_check(request, round_, changed, audience, typed, reason_form)
                if audience:
                    keep_typed(request, key, **typed)
                    return _timetable_check(request, round_, changed, audience, typed)
            told = round_set_timetable(
                round_=round_,
                dates=form.dates,
                working_days=form.cleaned_data["factual_accuracy_working_days"],
                by=request.user,
                expected_version=form.cleaned_data["version"],
                reason=reason_form.cleaned_data.get("reason", "") if confirmed(request) else "",
            )
        except ConflictError:  # saved in another window: the dates typed here stay
            seen = form.cleaned_data["version"]
            form = kept_on_conflict(
                TimetableForm, request.POST, version=timetable_version(round_), what="The timetable"
            )
            # Each field changed meanwhile says so (the accessibility walk: "Save again"
            # quietly undid a colleague's date the page did not show).
            for field, now in timetable_changes_since(round_, seen).items():
                form.add_error(
                    field,
                    f"{form.fields[field].label}: changed to {_date_words(now) or 'nothing'} "
                    "in another window since you opened this page. Saving replaces it with "
                    "what is here.",
                )
        except ValidationError as exc:
            form_add_refusal(form, exc)
        except TransitionError as exc:  # published meanwhile
            messages.error(request, str(exc))
            return redirect(_detail_url(round_))
        else:
            forget_typed(request, key)
            messages.success(
                request,
                f"Saved the timetable of {round_.slug}."
                + (
                    f" E-mailed {told} {'person' if told == 1 else 'people'} who still work to "
                    "a changed deadline."
                    if told
                    else ""
                ),
            )
            today = timezone.localdate()
            past = [label for field, label in TIMETABLE_FIELDS.items()
                    if form.dates.get(field) and form.dates[field] < today]  # fmt: skip
            if past:  # allowed (a round entered afterwards), but worth a second look
                messages.warning(
                    request,
                    f"Already past on {today:%-d %B %Y}: the {', the '.join(past)}. Boards "
                    "and panels would be overdue from the start: check the year.",
                )
            horizon = today.replace(year=today.year + 3, day=min(today.day, 28))
            far = [label for field, label in TIMETABLE_FIELDS.items()
                   if form.dates.get(field) and form.dates[field] > horizon]  # fmt: skip
            if far:  # a mistyped year (2109 for 2010, say): saved, but said
                messages.warning(
                    request,
                    f"More than three years ahead: the {', the '.join(far)}. Nobody would "
                    "be reminded or overdue for years: check the year.",
                )
            return redirect(_detail_url(round_))
    # Opened: the seeded demo's rounds have assessments but no opening time.
    opened = round_.opened_at is not None or round_.assessments.exists()
    return render(
        request, "rounds/timetable.html", {"round": round_, "form": form, "opened": opened}
    )


def _ints(values) -> list[int]:
    """The values that are whole numbers (ids in a query string), others left out."""
    found = []
    for value in values:
        try:
            found.append(int(value))
        except ValueError:
            continue
    return found


def _nothing_to_open(round_: AssessmentRound, shas) -> str:
    names = ", ".join(sha.name for sha in shas)
    said = f"Nothing was opened: every open PCT of {names} had already started {round_.slug}."
    last = round_last_opening(round_=round_)
    if last is None:
        return said
    by = last.changed_by
    who = (by.get_full_name() or by.get_username()) if by else "the open_round command"
    when = f"{timezone.localtime(last.changed_at):%-d %B %Y at %H:%M}"
    return f"{said} It was last opened by {who} on {when} ({last.new_value})."


@require_http_methods(["GET", "POST"])
@view_access(VIEW, lookup=round_by_slug, change=MANAGE, change_always=True)
def round_open_view(request, round_: AssessmentRound):
    """Choose the SHAs, check what will happen, then confirm (GOV.UK check answers). The
    check page's "Change the SHAs" comes back with the SHAs chosen (``?shas=``)."""
    if round_.published_at is not None:
        # Said before any choice, rather than refused after the check page (the real-year walk).
        return render(request, "rounds/open.html", {"round": round_, "closed": True})
    counts = sha_open_counts(round_=round_)
    chosen = [pk for pk in _ints(request.GET.getlist("shas")) if pk in counts]
    form = OpenRoundForm(
        request.POST or None,
        counts=counts,
        initial={"shas": chosen or [sha_id for sha_id, (waiting, _n) in counts.items() if waiting]},
    )
    if request.method == "POST" and form.is_valid():
        shas = form.cleaned_data["shas"]
        if request.POST.get("action") == "confirm":
            try:
                opened = round_open(round_=round_, shas=shas, by=request.user)
            except (ValidationError, TransitionError) as exc:
                messages.error(request, " ".join(refusal_messages(exc)))
                return redirect(reverse("rounds:open", args=[round_.slug]))
            if not opened.assessments:
                # Opened meanwhile from another window or by a colleague (the concurrency
                # walk): say so and by whom, rather than "0 PCTs in 0 SHAs started".
                messages.info(request, _nothing_to_open(round_, shas))
                return redirect(_detail_url(round_))
            request.session[OPENED_KEY] = {
                "round": round_.slug,
                "assessments": opened.assessments,
                "shas": opened.shas,
                "messages": opened.messages,
                # Named up to a screenful (a new installation may have no board accounts
                # at all: 152 PCTs, or thousands); counted in full.
                "untold": list(opened.untold[:UNTOLD_NAMED]),
                "untold_count": len(opened.untold),
            }
            return redirect(reverse("rounds:opened", args=[round_.slug]))
        return render(
            request,
            "rounds/open_check.html",
            {
                "round": round_,
                "plan": round_open_plan(round_=round_, shas=shas),
                "today": timezone.localdate(),
            },
        )
    return render(request, "rounds/open.html", {"round": round_, "form": form})


@require_safe
@view_access(VIEW, lookup=round_by_slug, change=MANAGE, change_always=True)
def round_opened(request, round_: AssessmentRound):
    """The confirmation page: what happened and who was told."""
    outcome = request.session.get(OPENED_KEY)
    if not isinstance(outcome, dict) or outcome.get("round") != round_.slug:
        return redirect(_detail_url(round_))
    return render(request, "rounds/opened.html", {"round": round_, "outcome": outcome})


@require_safe
@view_access(VIEW, lookup=round_by_slug)
def round_framework(request, round_: AssessmentRound):
    return render(
        request,
        "rounds/framework.html",
        {
            "round": round_,
            "competencies": Competency.objects.filter(framework=round_.framework).prefetch_related(
                "levels"
            ),
            "areas": GovernanceArea.objects.filter(framework=round_.framework).prefetch_related(
                "sub_indicators"
            ),
            "may_manage": request.user.has_perm(MANAGE, round_),
            "editable": request.user.has_perm(MANAGE, round_)
            and not framework_is_used(round_.framework),
        },
    )


def _framework_url(round_: AssessmentRound) -> str:
    return reverse("rounds:framework", args=[round_.slug])


def _item_page(request, found: RoundItem, form_class, save, template: str, **form_kwargs):
    """An item's edit page: ``save(form, expected_version)`` writes what ``form`` holds."""
    round_ = found.round
    editable = request.user.has_perm(MANAGE, round_) and not framework_is_used(round_.framework)
    if request.method != "POST":
        version = framework_item_version(round_, found.item)
        form = form_class(initial={"version": version}, **form_kwargs)
    else:
        form = form_class(request.POST, **form_kwargs)
        if not editable:
            messages.error(
                request,
                f"The framework of {round_.slug} has been used by an opened round: it can no "
                "longer be changed.",
            )
            return redirect(_framework_url(round_))
        current = framework_item_version(round_, found.item)
        if not form.is_valid():
            if (form.cleaned_data.get("version") or 0) != current:
                # Said now with the fields' own errors, not after they are put right.
                form = kept_on_conflict(
                    form_class, request.POST, version=current, what=str(found.item), **form_kwargs
                )
        else:
            try:
                changed = save(form, form.cleaned_data["version"] or 0)
            except FrameworkLockedError as exc:
                messages.error(request, str(exc))
                return redirect(_framework_url(round_))
            except ConflictError:  # a colleague saved it meanwhile: keep what was typed
                form = kept_on_conflict(
                    form_class,
                    request.POST,
                    version=framework_item_version(round_, found.item),
                    what=str(found.item),
                    **form_kwargs,
                )
            except ValidationError as exc:
                form_add_refusal(form, exc)
            else:
                messages.success(
                    request, f"Saved {found.item}: {changed} change{'s' if changed != 1 else ''}."
                )
                return redirect(_framework_url(round_))
    return render(
        request, template, {"round": round_, "item": found.item, "form": form, "editable": editable}
    )


@require_http_methods(["GET", "POST"])
@typed_kept_if_discarded(CompetencyForm)
@view_access(VIEW, lookup=round_competency, change=MANAGE)
def competency_edit(request, found: RoundItem):
    return _item_page(
        request,
        found,
        CompetencyForm,
        lambda form, version: round_competency_edit(
            round_=found.round,
            competency=found.item,
            short_name=form.cleaned_data["short_name"],
            statement=form.cleaned_data["statement"],
            levels=form.levels,
            by=request.user,
            expected_version=version,
        ),
        "rounds/framework_item.html",
        competency=found.item,
    )


@require_http_methods(["GET", "POST"])
@typed_kept_if_discarded(GovernanceAreaForm)
@view_access(VIEW, lookup=round_area, change=MANAGE)
def area_edit(request, found: RoundItem):
    return _item_page(
        request,
        found,
        GovernanceAreaForm,
        lambda form, version: round_area_edit(
            round_=found.round,
            area=found.item,
            values=form.values,
            sub_indicators=form.sub_indicators,
            by=request.user,
            expected_version=version,
        ),
        "rounds/framework_item.html",
        area=found.item,
    )


# --- Taking back an opening (the national team only) ------------------------------------


class TakeBackForm(NoTruncation):
    """The PCTs (``pcts``, among those with an assessment in the round) and the SHAs
    (``shas``, those with assessments, each with ``assessment_count``) whose opening is
    taken back, at least one of either, and the reason their boards and staff are told.
    The PCTs' ticks are drawn by the page, one table row each, with why a PCT must stay.
    (Here, beside its only view, rather than in ``rounds_forms``.)"""

    pcts = forms.ModelMultipleChoiceField(
        label="Take back the opening for these PCTs",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    shas = forms.ModelMultipleChoiceField(
        label="Or for every PCT of these SHAs",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only PCTs that nobody has acted on are taken out; the others are named "
        "on the next page, with why they stay.",
    )
    reason = reason_field(
        label="Why the opening is taken back",
        help_text="Quoted in the e-mail to each of their boards and to their SHAs' staff, and "
        "kept in the round's history.",
        missing=TAKE_BACK_REASON_REQUIRED,
        limit=TAKE_BACK_REASON_MAX_CHARS,
    )

    def __init__(self, *args, shas, pcts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pcts"].queryset = pcts
        field = self.fields["shas"]
        field.queryset = shas
        field.summary_name = "PCT or SHA"  # the summary says the message alone
        field.label_from_instance = lambda sha: (
            f"{sha.name} ({sha.ods_code}): {sha.assessment_count} "
            f"PCT{'s' * (sha.assessment_count != 1)} in the round"
        )

    def clean(self):
        cleaned = super().clean()
        chosen_bad = "pcts" in self.errors or "shas" in self.errors
        if not chosen_bad and not cleaned.get("pcts") and not cleaned.get("shas"):
            self.add_error("shas", TAKE_BACK_CHOOSE)
        return cleaned


def _take_back_url(round_: AssessmentRound) -> str:
    return reverse("rounds:take_back", args=[round_.slug])


def _people(count: int, one: str) -> str:
    return f"{count} {one}{'s' * (count != 1)}"


def _take_back_told(plan) -> str:
    """Who confirming would e-mail: the boards and each SHA's staff, counted."""
    if not plan.removed:
        return "Nobody."
    boards = (
        f"The {_people(plan.boards, 'board member')} (active, with an e-mail address) of the "
        f"PCTs that leave {'is' if plan.boards == 1 else 'are'} e-mailed that their PCT will "
        "not take part after all, by your decision, quoting your reason."
        if plan.boards
        else "No board is e-mailed: no PCT that leaves has a board member with an e-mail address."
    )
    told = [f"{len(users)} of {sha.name}" for sha, users in plan.staff.items() if users]
    untold = [sha.name for sha, users in plan.staff.items() if not users]
    staff = (
        f" {_people(plan.staff_count, 'member')} of SHA staff (active, with an e-mail "
        f"address) {'gets one e-mail' if plan.staff_count == 1 else 'get one e-mail each'} "
        f"listing their SHA's PCTs that leave, with your reason ({'; '.join(told)})."
        if told
        else ""
    )
    if untold:
        staff += (
            f" No staff of {', '.join(untold)} {'is' if len(untold) == 1 else 'are'} told: "
            "none active with an e-mail address."
        )
    return boards + staff


def _take_back_check(request, round_: AssessmentRound, shas, pcts, reason: str):
    plan = round_take_back_plan(round_=round_, shas=shas, pcts=pcts)
    keep_typed(request, f"take-back:{round_.slug}", reason=reason)
    removed = len(plan.removed)
    happens = []
    if removed:
        happens.append(
            f"{removed} PCT{'s' * (removed != 1)} in {plan.sha_count} "
            f"SHA{'s' * (plan.sha_count != 1)} leave{'s' * (removed == 1)} {round_.slug}: "
            "their assessments are deleted, with any empty panel, seats and self-assessment."
        )
    if plan.kept:
        happens.append(
            f"{len(plan.kept)} PCT{'s' * (len(plan.kept) != 1)} "
            f"stay{'s' * (len(plan.kept) == 1)} in the round: someone has acted on "
            f"{'it' if len(plan.kept) == 1 else 'them'} (named below, with why)."
        )
    if plan.empties_round:
        happens.append(
            f"No PCT is left in {round_.slug}: it is no longer open, and may then be "
            "discarded. "
            + (
                f"Its framework, {round_.framework.name}, can be edited again: nothing was "
                "rated under its words."
                if plan.frees_framework
                else f"Its framework, {round_.framework.name}, stays fixed: another round "
                "using it has opened."
            )
        )
    happens.append("The round's history records it: who, when, which PCTs and your reason.")
    chosen = "&".join(
        [*(f"pcts={pct.pk}" for pct in plan.pcts), *(f"shas={sha.pk}" for sha in plan.shas)]
    )
    return confirmation_page(
        request,
        title=f"Take back the opening of {round_.name} ({round_.slug})?",
        happens=happens
        if removed
        else ["Nothing would change: every PCT you chose has been acted on."],
        told=_take_back_told(plan),
        button=f"Confirm and take back {removed} PCT{'s' * (removed != 1)}",
        back=f"{_take_back_url(round_)}?{chosen}",
        carry=[
            *[("pcts", str(pct.pk)) for pct in plan.pcts],
            *[("shas", str(sha.pk)) for sha in plan.shas],
            ("reason", reason),
            *[("expected", str(a.pk)) for a in plan.removed],
        ],
        danger=True,
        template="rounds/take_back_check.html",
        context={
            "round": round_,
            "plan": plan,
            "reason": reason,
            "blocked": not removed,
            "undo_note": "You may open the round for these PCTs again later; the e-mails "
            "cannot be recalled.",
        },
    )


def _take_back_filter(request, shas) -> StrategicHealthAuthority | None:
    """The SHA whose PCTs the page lists one by one: ``sha`` (its id or ODS code), posted
    by "Show its PCTs" or in the address."""
    data = request.POST if request.method == "POST" else request.GET
    wanted = data.get("sha", "").strip()
    for sha in shas:
        if wanted and wanted.upper() in (str(sha.pk), sha.ods_code):
            return sha
    return None


@require_http_methods(["GET", "POST"])
@view_access(MANAGE, lookup=round_by_slug)
def round_take_back_view(request, round_: AssessmentRound):
    """Take back the opening of an unpublished round for chosen PCTs or whole SHAs (a round
    opened for the wrong SHA; a PCT that will not be assessed after all): list an SHA's
    PCTs, each with its stage and whether it can go, tick PCTs or SHAs and give the reason,
    check which PCTs leave and which stay (and why) and who is told, then confirm. Only the
    national team: anyone else gets 404, SHA staff too (unlike the round's other pages)."""
    if round_.published_at is not None:
        return render(request, "rounds/take_back.html", {"round": round_, "closed": True})
    shas = shas_to_take_back(round_=round_)
    pcts = pcts_to_take_back(round_=round_)
    filtering = request.method == "POST" and request.POST.get("action") == "filter"
    if request.method == "POST" and not filtering:
        form = TakeBackForm(request.POST, shas=shas, pcts=pcts)
    else:
        data = request.POST if filtering else request.GET
        form = TakeBackForm(
            shas=shas,
            pcts=pcts,
            initial={
                "shas": _ints(data.getlist("shas")),
                "pcts": _ints(data.getlist("pcts")),
                "reason": data.get("reason", ""),
                **typed_back(request, f"take-back:{round_.slug}"),
            },
        )
    if request.method == "POST" and not filtering and form.is_valid():
        chosen_shas = list(form.cleaned_data["shas"])
        chosen_pcts = list(form.cleaned_data["pcts"])
        reason = form.cleaned_data["reason"]
        if not confirmed(request):
            return _take_back_check(request, round_, chosen_shas, chosen_pcts, reason)
        try:
            taken = round_take_back(
                round_=round_,
                shas=chosen_shas,
                pcts=chosen_pcts,
                reason=reason,
                by=request.user,
                expected=_ints(request.POST.getlist("expected")),
            )
        except ValidationError as exc:
            form_add_refusal(form, exc)
        except ConflictError as exc:
            messages.error(request, str(exc))
            return _take_back_check(request, round_, chosen_shas, chosen_pcts, reason)
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(_detail_url(round_))
        else:
            forget_typed(request, f"take-back:{round_.slug}")
            boards = taken.messages - taken.staff
            told = (
                f"E-mailed {_people(boards, 'board member')} and "
                f"{_people(taken.staff, 'member')} of SHA staff."
                if taken.messages
                else "Nobody was e-mailed: no board member or SHA staff with an e-mail address."
            )
            if taken.untold:
                told += f" Not told (no board address): {', '.join(taken.untold[:UNTOLD_NAMED])}."
            messages.success(
                request,
                f"Took back the opening of {round_.slug} for {taken.assessments} "
                f"PCT{'s' * (taken.assessments != 1)} in {taken.shas} "
                f"SHA{'s' * (taken.shas != 1)}. {told}"
                + (
                    f" {taken.kept} PCT{'s' * (taken.kept != 1)} "
                    f"stay{'s' * (taken.kept == 1)} in the round: someone has acted on "
                    f"{'it' if taken.kept == 1 else 'them'}."
                    if taken.kept
                    else ""
                )
                + (
                    f" No PCT is left: {round_.slug} is no longer open and may be discarded."
                    if taken.closed
                    else ""
                )
                + (
                    f" Its framework, {round_.framework.name}, can be edited again."
                    if taken.framework_unlocked
                    else ""
                ),
            )
            return redirect(_detail_url(round_))
    shown_sha = _take_back_filter(request, shas)
    ticked = set(_ints(form["pcts"].value() or []))
    return render(
        request,
        "rounds/take_back.html",
        {
            "round": round_,
            "form": form,
            "nothing": not shas,
            "shas": shas,
            "shown_sha": shown_sha,
            "choices": [
                (assessment, why, assessment.pct_id in ticked)
                for assessment, why in take_back_choices(
                    round_=round_, sha=shown_sha, pct_ids=ticked
                )
            ],
        },
    )
