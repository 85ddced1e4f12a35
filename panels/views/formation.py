"""Panel formation by SHA staff, the panel's page and its history.

SHA staff see their region's PCTs in a round, fill each panel's five seats, copy last
round's panel as a starting point and open scoring. The national team may do the same for
every SHA. Everything outside the user's scope answers 404, so nothing leaks; the
services refuse what the stage or the seat rules do not allow, and the page says why.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import re_path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from assessments.access import regions_visible_to, round_by_slug, view_access
from assessments.confirmation import (
    checked_version,
    confirmation_page,
    confirmed,
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
from assessments.models import Assessment, AssessmentRound, Stage
from assessments.proceeding import (
    assessment_proceed_without_check,
    assessment_proceed_without_self_assessment,
    deadline_passed,
)
from assessments.selectors import board_members_to_tell, user_scope
from panels.access import panel_assessment
from panels.eligibility import SEAT_CHANGE_STAGES
from panels.forms.acting import BACK_TO_CHAIR, HandChairForm
from panels.forms.formation import PanelSeatsForm, ProceedWithoutForm, seat_field_name
from panels.forms.lookup import PctLookupForm
from panels.forms.replacement import ReplaceSeatForm
from panels.models import Seat, SeatType
from panels.selectors import (
    FormationCounts,
    FormationPage,
    acting_chair,
    assessment_history,
    eligible_people,
    formation_counts,
    formation_index,
    formation_overview,
    formation_page,
    presiding_seats,
    reciprocal_warnings,
    seat_conflicts,
    seats_with_people,
)
from panels.services.formation import (
    ACTING_CHAIR_STAGES,
    SeatRefused,
    copy_changes,
    draft_scores_count,
    panel_acting_chair_check,
    panel_acting_chair_set,
    panel_copy_previous,
    panel_ensure,
    panel_open_scoring,
    panel_open_scoring_check,
    panel_seats_set,
    replace_refused_why,
    seat_replace,
    seat_replace_check,
)
from panels.views.scoring import replaced_member_told

ODS = r"(?P<ods>[A-Za-z0-9]{3})"
ROUND = r"(?P<round_slug>[-a-zA-Z0-9_]+)"


def _url(name: str, assessment) -> str:
    return reverse(name, args=[assessment.round.slug, assessment.pct.ods_code])


def _back(request, default: str) -> str:
    """Where a POST action returns: the page it came from (``next``), if it is ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


PAGE_SIZE = 50  # PCTs to a page of the formation list


@require_http_methods(["GET"])
@view_access("panels.view_formation", lookup=round_by_slug)
def formation_region(request, round_: AssessmentRound):
    """A region's PCTs in a round, 50 to a page: stage, seats filled, warnings and actions,
    below the whole region's counts. The national team, until it names a region
    (``?sha=``), sees one row of counts per SHA instead of every PCT of England.
    ``?pct=`` (an ODS code or a name) jumps to the page holding that PCT."""
    scope = user_scope(request.user)
    shas = list(regions_visible_to(request.user))
    code = request.GET.get("sha", "").strip().upper()
    sha = None
    if code:
        sha = next((s for s in shas if s.ods_code == code), None)
        if sha is None:
            raise Http404("No such region.")
        sha_ids = [sha.pk]
    else:
        sha_ids = None if scope.is_national else [s.pk for s in shas]
    summary = scope.is_national and sha is None
    if sha is not None:
        where = f"of {sha.name}"
    elif summary:
        where = "in England"
    else:
        where = f"of {shas[0].name}" if len(shas) == 1 else "in your regions"

    index = None
    lookup = PctLookupForm(pcts=(), where=where)
    if "pct" in request.GET:
        index = formation_index(round=round_, sha_ids=sha_ids)
        lookup = PctLookupForm(request.GET, pcts=index, where=where)
        if lookup.is_valid():
            return _found(request, round_, index, lookup, sha=sha, by_region=summary, shas=shas)

    context = {
        "round": round_,
        "sha": sha,
        "region": sha or (shas[0] if len(shas) == 1 and not summary else None),
        "shas": shas,
        "is_national": scope.is_national,
        "summary": summary,
        "lookup": lookup,
    }
    warnings = reciprocal_warnings(round=round_, sha_ids=sha_ids)
    counts = formation_counts(round=round_, sha_ids=sha_ids, warnings=warnings)
    total = FormationCounts()
    for region_counts in counts.values():
        total.add(region_counts)
    context["total"] = total
    if summary:
        context["regions"] = [(s, counts.get(s.pk, FormationCounts())) for s in shas]
        return render(request, "panels/formation_region.html", context)

    if index is None:
        index = formation_index(round=round_, sha_ids=sha_ids)
    try:
        page = Paginator(index, PAGE_SIZE).page(request.GET.get("page", "1"))
    except InvalidPage:
        raise Http404("No such page of the list.") from None
    context |= {
        "page": page,
        "page_numbers": list(page.paginator.get_elided_page_range(page.number)),
        "query": urlencode({"sha": sha.ods_code}) if sha else "",
        "overview": formation_overview(
            round=round_,
            assessment_ids=[entry.assessment_id for entry in page.object_list],
            warnings=warnings,
        ),
    }
    return render(request, "panels/formation_region.html", context)


def _found(request, round_, index, lookup, *, sha, by_region: bool, shas) -> HttpResponse:
    """Redirect to the page of the list holding the PCT the lookup found: for the national
    team's summary, the page of that PCT's region."""
    position, found = lookup.cleaned_data["pct"], lookup.found
    if note := lookup.several_matched():
        messages.info(request, note)
    query = {}
    if by_region:  # the index runs region by region: count from the region's first PCT
        first = next(n for n, entry in enumerate(index) if entry.sha_id == found.sha_id)
        position -= first
        query["sha"] = next(s.ods_code for s in shas if s.pk == found.sha_id)
    elif sha is not None:
        query["sha"] = sha.ods_code
    query["page"] = position // PAGE_SIZE + 1
    url = reverse("panels:formation_region", args=[round_.slug])
    return redirect(f"{url}?{urlencode(query)}#pct-{found.ods_code}")


@require_http_methods(["GET", "POST"])
@view_access("panels.form_panel", lookup=panel_assessment)
def formation_panel(request, assessment: Assessment):
    """The five-seat form of one PCT's panel."""
    page = formation_page(assessment=assessment)

    def blank_form(page):
        # Back from the copy's check page: the seats as chosen there and not saved.
        typed = typed_back(request, _typed_seats_key(assessment)) if request.method == "GET" else {}
        return PanelSeatsForm(
            seat_types=page.seat_types,
            eligible=page.eligible,
            current=page.seats,
            initial={"version": page.version, **typed},
        )

    form = blank_form(page)
    if request.method == "POST":
        posted = PanelSeatsForm(
            request.POST, seat_types=page.seat_types, eligible=page.eligible, current=page.seats
        )
        if posted.is_valid():
            try:
                panel = panel_ensure(assessment=assessment)
                panel_seats_set(
                    panel=panel,
                    people=posted.cleaned_data["people"],
                    by=request.user,
                    expected_version=posted.cleaned_data["version"],
                )
            except TransitionError as exc:
                messages.error(request, str(exc))
                return redirect(_url("panels:formation_panel", assessment))
            except ConflictError:  # the seats chosen here stay chosen: save again to keep them
                page = formation_page(assessment=assessment)
                form = kept_on_conflict(
                    PanelSeatsForm,
                    request.POST,
                    version=page.version,
                    what="The panel's seats",
                    seat_types=page.seat_types,
                    eligible=page.eligible,
                    current=page.seats,
                )
            except ValidationError as exc:  # SeatRefused: keyed by seat, shown beside each
                posted.add_error(None, exc)
                form = posted
            else:
                if request.POST.get("action") == "open":  # saved first: nothing chosen is lost
                    assessment.refresh_from_db()
                    return _open_check(
                        request, assessment, back=_url("panels:formation_panel", assessment)
                    )
                messages.success(request, f"Seats saved for {assessment.pct.name}.")
                return redirect(_url("panels:formation_panel", assessment))
        else:
            form = posted
    return _formation_response(request, assessment, page, form)


def _formation_response(
    request, assessment: Assessment, page, form, *, summary_title="The seats were not saved"
):
    return render(
        request,
        "panels/formation_panel.html",
        {
            "assessment": assessment,
            "page": page,
            "form": form,
            "editable": assessment.stage in SEAT_CHANGE_STAGES,
            # While scoring, each seat whose holder has not submitted may be replaced.
            "replaceable": {
                number: replace_refused_why(seat)
                for number, seat in page.seats.items()
                if assessment.stage == Stage.SCORING
            },
            "filled": sum(1 for s in page.seats.values() if s.person_id is not None),
            "can_open_scoring": assessment.stage == Stage.PANEL_FORMATION,
            # While scoring or at consensus, the chair can be handed to another member.
            "may_hand_chair": assessment.stage in ACTING_CHAIR_STAGES,
            "acting": acting_chair(panel=assessment.panel)
            if hasattr(assessment, "panel")
            else None,
            "summary_title": summary_title,
            # A board that has not submitted: past the deadline, the panel may proceed.
            "may_proceed_without": assessment.stage == Stage.SELF_ASSESSMENT
            and request.user.has_perm("assessments.proceed_without_self_assessment", assessment),
            "self_assessment_overdue": deadline_passed(assessment.round),
        },
    )


def _open_refused(request, assessment: Assessment, exc: ValidationError):
    """The panel's page with why scoring cannot open, each reason on its seat (linked from
    the error summary), the seats as they are saved."""
    page = formation_page(assessment=assessment)
    data = {"version": str(page.version)}
    for seat_type in page.seat_types:
        holder = page.seats.get(seat_type.number)
        if holder is not None and holder.person_id is not None:
            data[seat_field_name(seat_type)] = str(holder.person_id)
    form = PanelSeatsForm(
        data, seat_types=page.seat_types, eligible=page.eligible, current=page.seats
    )
    form.is_valid()
    form_add_refusal(form, exc)
    return _formation_response(
        request, assessment, page, form, summary_title="Scoring did not open"
    )


@require_POST
@view_access("panels.form_panel", lookup=panel_assessment)
def copy_previous(request, assessment: Assessment):
    """Seat last year's panel again. When that would take a seat from someone chosen and
    saved already, a check page lists each such seat first; it carries the panel's version,
    so that confirming copies over exactly the seats it listed (a change since brings the
    check page again)."""
    back = _back(request, _url("panels:formation_panel", assessment))
    previous = assessment.round.previous
    expected = None
    if confirmed(request):
        expected = checked_version(request)
        typed_back(request, _typed_seats_key(assessment))  # the copy replaces them
    else:
        page = formation_page(assessment=assessment)
        changes = copy_changes(assessment=assessment)
        unsaved = _unsaved_choices(request, assessment, page, changes)
        # A saved holder goes, or a choice made on the page and not saved yet.
        if unsaved or any(seat.person is not None for seat, _new in changes):
            return _copy_check(
                request, assessment, changes, version=page.version, unsaved=unsaved, back=back
            )
    try:
        result = panel_copy_previous(
            assessment=assessment, by=request.user, expected_version=expected
        )
    except ConflictError as exc:
        messages.error(request, str(exc))
        version = formation_page(assessment=assessment).version
        changes = copy_changes(assessment=assessment)
        if any(seat.person is not None for seat, _new in changes):
            return _copy_check(request, assessment, changes, version=version, back=back)
    except (TransitionError, ValidationError) as exc:
        for message in refusal_messages(exc):
            messages.error(request, message)
    else:
        count = len(result.copied)
        messages.success(
            request,
            f"Seated {count} member{'s' if count != 1 else ''} of {previous.slug}'s panel "
            "again; the seats are saved. Change any of them below.",
        )
        for message in result.skipped:
            messages.warning(request, f"Not copied: {message}")
    return redirect(back)


def _pk(person) -> str:
    return "" if person is None else str(person.pk)


def _typed_seats_key(assessment: Assessment) -> str:
    return f"seats:{assessment.pk}"


def _unsaved_choices(
    request, assessment: Assessment, page: FormationPage, changes
) -> dict[SeatType, str]:
    """The seats chosen on the panel's page and not saved, posted with the copy (its button
    belongs to the seats form), that the copy would not keep: the name chosen, by seat.
    They are kept for the check page's "Go back" (the SHA walk lost them there)."""
    copied = {seat.seat_type.number: new for seat, new in changes}
    typed, unsaved = {}, {}
    for seat_type in page.seat_types:
        name = seat_field_name(seat_type)
        if name not in request.POST:
            continue
        typed[name] = value = request.POST[name].strip()
        holder = page.seats.get(seat_type.number)
        saved = holder.person if holder is not None else None
        after = copied.get(seat_type.number, saved)
        if value in (_pk(saved), _pk(after)):
            continue  # not changed on the page, or changed to whom the copy seats
        chosen = next((p for p in page.eligible.get(seat_type.number, []) if _pk(p) == value), None)
        unsaved[seat_type] = chosen.full_name if chosen else "nobody"
    if unsaved:
        keep_typed(request, _typed_seats_key(assessment), **typed)
    return unsaved


def _copy_check(request, assessment: Assessment, changes, *, version: int, unsaved=None, back: str):
    """The check page naming each seat that copying last year's panel would change: saved
    holders replaced (or the seat left empty), and empty seats filled (the SHA walk: seats 4
    and 5 were filled without being named); and each choice made on the page and not saved
    that the copy would not keep (``unsaved``), said with its seat. ``version``: the
    panel's, as the changes were read."""
    previous = assessment.round.previous
    unsaved = dict(unsaved or {})

    def where(seat_type) -> str:
        return f"Seat {seat_type.number} ({seat_type.name}): "

    def lost(seat_type) -> str:
        return f"your choice of {unsaved.pop(seat_type)}, not saved, is not kept."

    def said(seat, new) -> str:
        if seat.person is None:
            line = where(seat.seat_type) + f"empty, is filled by {new.full_name}."
        else:
            line = (
                where(seat.seat_type)
                + seat.person.full_name
                + (f" is replaced by {new.full_name}." if new else " is left empty.")
            )
        if seat.seat_type in unsaved:
            line += " Y" + lost(seat.seat_type)[1:]
        return line

    lines = {seat.seat_type.number: said(seat, new) for seat, new in changes}
    lines |= {t.number: where(t) + lost(t) for t in list(unsaved)}  # seats the copy leaves
    return confirmation_page(
        request,
        title=f"Copy the panel of {previous.slug} over the seats already chosen?",
        happens=[lines[n] for n in sorted(lines)] + ["The other seats keep their holders."],
        told="Nobody is told: members are e-mailed when scoring opens.",
        button=f"Confirm and copy the panel of {previous.slug}",
        back=back,
        carry={
            "next": request.POST.get("next", ""),
            "version": str(version),
        },
    )


@require_POST
@view_access("panels.form_panel", lookup=panel_assessment)
def open_scoring(request, assessment: Assessment):
    """Open scoring: the first POST shows who sits on the panel and will be e-mailed (or
    why scoring cannot open yet); the confirming one (``confirm``) opens it."""
    back = _back(request, _url("panels:formation_panel", assessment))
    if confirmed(request):
        try:
            panel_open_scoring(
                assessment=assessment,
                by=request.user,
                expected_version=checked_version(request),
            )
        except TransitionError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        except ConflictError as exc:  # the panel changed since its check: check it again
            messages.error(request, str(exc))
        except ValidationError as exc:
            return _open_refused(request, assessment, exc)
        else:
            messages.success(
                request,
                f"Scoring is open for {assessment.pct.name}; every member has been sent an e-mail.",
            )
            return redirect(back)
    return _open_check(request, assessment, back=back)


def _open_check(request, assessment: Assessment, *, back: str):
    """The check page listing the panel as it is now, carrying its version so that the
    confirmation opens scoring only for this panel; or why scoring cannot open yet."""
    try:
        seats = panel_open_scoring_check(assessment=assessment)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    except ValidationError as exc:
        return _open_refused(request, assessment, exc)
    due = assessment.round.scoring_due
    return confirmation_page(
        request,
        title=f"Open scoring for {assessment.pct.name}?",
        happens=[
            "The panel is fixed: "
            + "; ".join(
                f"seat {seat.seat_type.number} ({seat.seat_type.name}): {seat.person.full_name}"
                for seat in seats
            )
            + ".",
            f"Each member can then score {assessment.pct.name} on their home page"
            + (f", by {due:%-d %B %Y}." if due else "."),
        ],
        told="Every member is e-mailed the deadline and the link to their scoring page.",
        button="Confirm and open scoring",
        back=back,
        # Shown from the seats form too: the confirmation goes to open scoring, always.
        action=_url("panels:open_scoring", assessment),
        carry={"next": request.POST.get("next", ""), "version": str(seats[0].panel.version)},
    )


@require_http_methods(["GET"])
@replaced_member_told
@view_access("panels.view_panel", lookup=panel_assessment)
def panel_detail(request, assessment: Assessment):
    """The panel's members by seat, the stage and who has submitted (never their scores)."""
    seats = list(seats_with_people().filter(panel__assessment=assessment))
    return render(
        request,
        "panels/panel_detail.html",
        {
            "assessment": assessment,
            "seats": seats,
            "acting": acting_chair(panel=getattr(assessment, "panel", None)),
            "submitted": sum(1 for s in seats if s.submitted_at is not None),
            "conflicts": seat_conflicts(seats=seats, assessment=assessment),
            "may_form": request.user.has_perm("panels.form_panel", assessment),
            "may_see_history": request.user.has_perm("panels.view_history", assessment),
        },
    )


@require_http_methods(["GET"])
@view_access("panels.view_history", lookup=panel_assessment)
def history(request, assessment: Assessment):
    """Every rating change, stage change and seat change of the assessment, newest first."""
    return render(
        request,
        "panels/history.html",
        {"assessment": assessment, "entries": assessment_history(assessment=assessment)},
    )


def _proceed_page(request, assessment: Assessment, form, *, summary_title=""):
    return render(
        request,
        "panels/proceed_without.html",
        {
            "assessment": assessment,
            "form": form,
            "due": assessment.round.self_assessment_due,
            "summary_title": summary_title or "Nothing has changed",
        },
    )


def _proceed_check(request, assessment: Assessment, *, reason: str, version: int, back: str):
    """The check page: what proceeding without the self-assessment does, who is told."""
    due = assessment.round.self_assessment_due
    name = assessment.pct.name
    told = board_members_to_tell(assessment=assessment)
    return confirmation_page(
        request,
        title=f"Proceed to the panel of {name} without its board's self-assessment?",
        happens=[
            f"The self-assessment deadline of {assessment.round.name} was {due:%-d %B %Y}, "
            "and the board has not submitted.",
            f"{name} moves on to panel formation, with your reason in its history: {reason}",
            "The board can no longer submit or change its self-assessment; a draft it "
            "started is kept, unsubmitted, and the panel does not see it.",
            "The panel's scoring and consensus pages say that the SHA proceeded without the "
            "self-assessment, when and why.",
        ],
        told=(
            f"The board's members ({', '.join(u.get_full_name() or u.username for u in told)}) "
            "are e-mailed your reason and your name."
            if told
            else "Nobody: the board has no active account with an e-mail address."
        ),
        button="Confirm and proceed without the self-assessment",
        back=back,
        carry={"reason": reason, "version": str(version)},
    )


@require_http_methods(["GET", "POST"])
@view_access("assessments.proceed_without_self_assessment", lookup=panel_assessment)
def proceed_without_self_assessment(request, assessment: Assessment):
    """Move a PCT whose board has not submitted on to panel formation, past the deadline:
    the reason (GET, and again after "Go back"), a check page, then the change."""
    formation = _url("panels:formation_panel", assessment)
    key = f"proceed-without:{assessment.pk}"
    try:
        assessment_proceed_without_check(assessment=assessment)
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(formation)
    if request.method == "GET":
        typed = typed_back(request, key)
        form = ProceedWithoutForm(
            initial={"reason": typed.get("reason", ""), "version": assessment.version}
        )
        return _proceed_page(request, assessment, form)
    form = ProceedWithoutForm(request.POST)
    if not form.is_valid():
        return _proceed_page(request, assessment, form)
    reason = form.cleaned_data["reason"]
    version = form.cleaned_data["version"] or 0
    if not confirmed(request):
        keep_typed(request, key, reason=reason)
        return _proceed_check(
            request, assessment, reason=reason, version=version, back=request.path
        )
    try:
        assessment_proceed_without_self_assessment(
            assessment=assessment, by=request.user, reason=reason, expected_version=version
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(formation)
    except ConflictError as exc:  # the reason stays typed: check again and confirm
        # Bound, at the version now stored, with the refusal in the error summary (linked
        # to the reason, which is what is confirmed again).
        form = ProceedWithoutForm({"reason": reason, "version": exc.current.version})
        form.is_valid()
        form.add_error("reason", str(exc))
        return _proceed_page(request, assessment, form)
    except ValidationError as exc:
        form_add_refusal(form, exc)
        return _proceed_page(request, assessment, form)
    typed_back(request, key)
    messages.success(
        request,
        f"{assessment.pct.name} is at panel formation without its board's self-assessment; "
        "the board has been e-mailed.",
    )
    return redirect(formation)


def _replace_page(request, assessment: Assessment, seat: Seat, form, *, summary_title=""):
    return render(
        request,
        "panels/replace_seat.html",
        {
            "assessment": assessment,
            "seat": seat,
            "form": form,
            "drafts": draft_scores_count(seat),
            "offered": len(form.fields["person"].widget.choices) - 1,  # but "Choose someone"
            "summary_title": summary_title or "Nobody was replaced",
        },
    )


def _replace_form(data, assessment: Assessment, seat: Seat) -> ReplaceSeatForm:
    eligible = list(eligible_people(seat_type=seat.seat_type, assessment=assessment))
    return ReplaceSeatForm(data, eligible=eligible, holder=seat.person)


def _scoring_due(due) -> str:
    """When a member joining a scoring panel is asked to score by (as their e-mail says)."""
    if due is None:
        return "as soon as they can (the round has no scoring deadline)."
    if due < timezone.localdate():
        return f"as soon as they can: the round's scoring deadline, {due:%-d %B %Y}, has passed."
    return f"by {due:%-d %B %Y}."


def _replace_check(request, assessment: Assessment, seat: Seat, form, *, back: str):
    """The check page: who goes, who comes, what happens to the drafts, who is told."""
    new, old, reason = form.cleaned_data["person"], seat.person, form.cleaned_data["reason"]
    drafts = draft_scores_count(seat)
    due = assessment.round.scoring_due
    where = f"seat {seat.seat_type.number} ({seat.seat_type.name})"
    told = [f"{new.full_name} is e-mailed that they joined the panel, scoring is open"]
    told[0] += f", the deadline ({due:%-d %B %Y})" if due else ""
    told[0] += " and the link to their scoring page."
    told.append(
        f"{old.full_name} is e-mailed that they are no longer on the panel, by whom and why."
    )
    # Whoever chairs the panel now (the acting chair, while there is one), unless it is
    # the seat replaced.
    chair = next(
        (s.person for s in presiding_seats().filter(panel=seat.panel).exclude(pk=seat.pk)), None
    )
    if chair is not None:
        told.append(f"{chair.full_name}, the chair, is e-mailed who replaces whom and why.")
    return confirmation_page(
        request,
        title=f"Replace {old.full_name} with {new.full_name} on the panel of {assessment.pct.name}?",
        happens=[
            f"{new.full_name} takes {where} in place of {old.full_name}, with your reason in "
            f"the panel's history: {reason}",
            (
                f"{old.full_name}'s draft scores on {drafts} item{'s' if drafts != 1 else ''} "
                "are deleted, and cannot be brought back."
                if drafts
                else f"{old.full_name} has saved no draft scores; nothing of theirs is kept."
            ),
            f"{new.full_name} starts with an empty scoring page and is asked to score "
            + _scoring_due(due),
            f"{old.full_name} can no longer open the panel's pages.",
        ],
        told=" ".join(told),
        button=f"Confirm and replace {old.full_name}",
        back=back,
        carry={
            "person": str(new.pk),
            "reason": reason,
            "seat_version": str(form.cleaned_data["seat_version"] or 0),
            "panel_version": str(form.cleaned_data["panel_version"] or 0),
        },
        danger=True,
    )


@require_http_methods(["GET", "POST"])
@view_access("panels.form_panel", lookup=panel_assessment)
def replace_seat(request, assessment: Assessment, number: int):
    """Replace a member who has not submitted, while the panel is scoring: who and why
    (GET, and again after "Go back"), a check page, then the change."""
    formation = _url("panels:formation_panel", assessment)
    seat = (
        seats_with_people()
        .select_related("panel", "person__user")
        .filter(panel__assessment=assessment, seat_type__number=number)
        .first()
    )
    if seat is None:
        raise Http404("No such seat.")
    key = f"replace-seat:{seat.pk}"
    why = replace_refused_why(seat)
    if assessment.stage != Stage.SCORING or why:
        messages.error(
            request,
            why
            or f"A member can be replaced only while the panel is scoring; the assessment "
            f"of {assessment.pct.name} is at {assessment.get_stage_display()}.",
        )
        return redirect(formation)
    if request.method == "GET":
        typed = typed_back(request, key)
        form = _replace_form(None, assessment, seat)
        form.initial = {
            "person": typed.get("person", ""),
            "reason": typed.get("reason", ""),
            "seat_version": seat.version,
            "panel_version": seat.panel.version,
        }
        return _replace_page(request, assessment, seat, form)
    form = _replace_form(request.POST, assessment, seat)
    if not form.is_valid():
        return _replace_page(request, assessment, seat, form)
    person, reason = form.cleaned_data["person"], form.cleaned_data["reason"]
    try:
        if not confirmed(request):
            seat_replace_check(seat=seat, person=person, reason=reason)
            keep_typed(request, key, person=str(person.pk), reason=reason)
            return _replace_check(request, assessment, seat, form, back=request.path)
        seat_replace(
            seat=seat,
            person=person,
            reason=reason,
            by=request.user,
            expected_seat_version=form.cleaned_data["seat_version"] or 0,
            expected_panel_version=form.cleaned_data["panel_version"] or 0,
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(formation)
    except ConflictError as exc:  # what was typed stays: check the seat again and confirm
        current = exc.current
        form = _replace_form(
            {
                "person": str(person.pk),
                "reason": reason,
                "seat_version": current.version,
                "panel_version": current.panel.version,
            },
            assessment,
            seat,
        )
        form.is_valid()
        form.add_error(None, str(exc))
        return _replace_page(request, assessment, seat, form)
    except SeatRefused as exc:  # the seat rules: beside the person chosen
        for message in exc.messages:
            form.add_error("person", message)
        return _replace_page(request, assessment, seat, form)
    except ValidationError as exc:
        form_add_refusal(form, exc)
        return _replace_page(request, assessment, seat, form)
    typed_back(request, key)
    messages.success(
        request,
        f"{person.full_name} now holds seat {number} on the panel of {assessment.pct.name} in "
        f"place of {seat.person.full_name}. "
        + (
            "Both, and the chair, have been e-mailed."
            if presiding_seats().filter(panel=seat.panel).exclude(pk=seat.pk).exists()
            else "Both have been e-mailed."
        ),
    )
    return redirect(formation)


# --- Handing the chair to another member ---------------------------------------------------


def _hand_seats(assessment: Assessment) -> tuple[list[Seat], Seat | None, Seat | None]:
    """The panel's seats with their people (and accounts), its chair's seat and its acting
    chair's seat (None when its chair chairs it)."""
    seats = list(
        seats_with_people()
        .select_related("panel", "person__user")
        .filter(panel__assessment=assessment)
    )
    chair = next((s for s in seats if s.seat_type.is_chair), None)
    acting = next((s for s in seats if s.pk == s.panel.acting_chair_id), None)
    return seats, chair, acting


def _hand_form(data, seats, chair, acting, **kwargs) -> HandChairForm:
    return HandChairForm(data, seats=seats, chair=chair, acting=acting, **kwargs)


def _hand_page(request, assessment: Assessment, form, chair, acting, *, summary_title=""):
    return render(
        request,
        "panels/hand_chair.html",
        {
            "assessment": assessment,
            "form": form,
            "chair": chair,
            "acting": acting_chair(panel=chair.panel) if acting is not None else None,
            "summary_title": summary_title or "The chair was not handed on",
        },
    )


def _hand_check(request, assessment: Assessment, form, chair: Seat, acting: Seat | None):
    """The check page: who chairs from now on, what stays as it is, who is told."""
    target, reason = form.cleaned_data["seat"], form.cleaned_data["reason"]
    before = (acting or chair).person.full_name
    chair_name = chair.person.full_name
    name = assessment.pct.name
    if target is None:
        title = f"Hand the chair of the panel of {name} back to {chair_name}?"
        happens = [
            f"{chair_name} chairs the panel of {name} again, in place of {before}, with your "
            f"reason in the panel's history: {reason}",
            f"{before} stays a member of the panel, as before, and no longer chairs it.",
        ]
        new = chair_name
    else:
        new = target.person.full_name
        title = f"Hand the chair of the panel of {name} to {new}?"
        happens = [
            f"{new} (seat {target.seat_type.number}, {target.seat_type.name}) chairs the panel "
            f"of {name} in place of {before}, with your reason in the panel's history: {reason}",
            f"{new} records the panel's consensus and closes it"
            + (
                ", and excuses members who cannot take part while it scores"
                if assessment.stage == Stage.SCORING
                else ""
            )
            + f"; {before} can still open the consensus page, but no longer change it.",
        ]
    happens.append(
        "No seat changes holder and no score moves: the chair's submitted scores stay the "
        "chair's, and the panel's members, reports and PDF are as before."
    )
    return confirmation_page(
        request,
        title=title,
        happens=happens,
        told=f"{new} is e-mailed that they chair the panel, what they now do and the link to "
        f"the consensus page; {before} is e-mailed that they no longer chair it, who does "
        "and why.",
        button=f"Confirm and hand the chair to {new}",
        back=request.path,
        carry={
            "seat": BACK_TO_CHAIR if target is None else str(target.pk),
            "reason": reason,
            "version": str(form.cleaned_data["version"] or 0),
        },
        context={
            "undo_note": "You can hand the chair back to the chair, or to someone else, from "
            "the same link; each hand-over is e-mailed and kept in the panel's history."
        },
    )


@require_http_methods(["GET", "POST"])
@view_access("panels.form_panel", lookup=panel_assessment)
def hand_chair(request, assessment: Assessment):
    """Name an acting chair (or hand the chair back to the chair) while the panel is scoring
    or at consensus: who and why (GET, and again after "Go back"), a check page, then the
    change."""
    formation = _url("panels:formation_panel", assessment)
    seats, chair, acting = _hand_seats(assessment)
    if assessment.stage not in ACTING_CHAIR_STAGES or chair is None or chair.person is None:
        messages.error(
            request,
            "The chair can be handed to another member only while the panel is scoring or at "
            f"consensus; the assessment of {assessment.pct.name} is at "
            f"{assessment.get_stage_display()}."
            if assessment.stage not in ACTING_CHAIR_STAGES
            else "The panel's chair's seat is empty: there is no chair to stand in for.",
        )
        return redirect(formation)
    key = f"hand-chair:{assessment.pk}"
    if request.method == "GET":
        typed = typed_back(request, key)
        form = _hand_form(
            None,
            seats,
            chair,
            acting,
            initial={
                "seat": typed.get("seat", ""),
                "reason": typed.get("reason", ""),
                "version": chair.panel.version,
            },
        )
        return _hand_page(request, assessment, form, chair, acting)
    form = _hand_form(request.POST, seats, chair, acting)
    if not form.is_valid():
        if acting is not None and request.POST.get("seat") == str(acting.pk):
            # Handed to them in another tab since this page was opened (walk W: the page
            # said only "Choose who chairs the panel from the list").
            form.errors["seat"] = form.error_class(
                [
                    f"{acting.person.full_name} chairs the panel already: the chair was handed "
                    "to them since you opened this page. Choose someone else, or leave it."
                ]
            )
        return _hand_page(request, assessment, form, chair, acting)
    target, reason = form.cleaned_data["seat"], form.cleaned_data["reason"]
    try:
        if not confirmed(request):
            panel_acting_chair_check(panel=chair.panel, seat=target, reason=reason)
            keep_typed(request, key, seat=request.POST["seat"], reason=reason)
            return _hand_check(request, assessment, form, chair, acting)
        panel_acting_chair_set(
            panel=chair.panel,
            seat=target,
            reason=reason,
            by=request.user,
            expected_version=form.cleaned_data["version"] or 0,
        )
    except TransitionError as exc:
        messages.error(request, str(exc))
        return redirect(formation)
    except ConflictError as exc:  # what was typed stays: check the choices again, confirm
        seats, chair, acting = _hand_seats(assessment)
        form = _hand_form(
            {"seat": request.POST["seat"], "reason": reason, "version": exc.current.version},
            seats,
            chair,
            acting,
        )
        form.is_valid()
        form.add_error(None, str(exc))
        return _hand_page(request, assessment, form, chair, acting)
    except ValidationError as exc:
        form_add_refusal(form, exc)
        return _hand_page(request, assessment, form, chair, acting)
    typed_back(request, key)
    new = chair.person if target is None else target.person
    messages.success(
        request,
        (
            f"{new.full_name} chairs the panel of {assessment.pct.name} again."
            if target is None
            else f"{new.full_name} is now the acting chair of the panel of {assessment.pct.name}."
        )
        + f" {new.full_name} and {(acting or chair).person.full_name} have been e-mailed.",
    )
    return redirect(formation)


urlpatterns = [
    re_path(rf"^{ROUND}/formation/$", formation_region, name="formation_region"),
    re_path(rf"^{ROUND}/{ODS}/formation/$", formation_panel, name="formation_panel"),
    re_path(rf"^{ROUND}/{ODS}/copy-previous/$", copy_previous, name="copy_previous"),
    re_path(rf"^{ROUND}/{ODS}/open-scoring/$", open_scoring, name="open_scoring"),
    re_path(rf"^{ROUND}/{ODS}/history/$", history, name="history"),
    re_path(
        rf"^{ROUND}/{ODS}/seats/(?P<number>[0-9]{{1,2}})/replace/$",
        replace_seat,
        name="replace_seat",
    ),
    re_path(rf"^{ROUND}/{ODS}/chair/hand/$", hand_chair, name="hand_chair"),
    re_path(
        rf"^{ROUND}/{ODS}/proceed-without-self-assessment/$",
        proceed_without_self_assessment,
        name="proceed_without_self_assessment",
    ),
    re_path(rf"^{ROUND}/{ODS}/$", panel_detail, name="panel_detail"),
]
