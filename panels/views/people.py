"""The people who may sit on panels, and their invitations (``/people/``).

SHA staff see their region's people (of the SHA and its PCTs) and every person from an
organisation outside the NHS: international reviewers are shared, so every SHA may see,
choose and invite them. Staff change (edit, deactivate, reactivate) only their own
region's people; a shared person is changed by the national team, since a change reaches
every SHA's panels (``panels.rules``). The national team sees and changes everyone. Any
other person: 404.

Every write is one service of ``panels.services.people``; inviting makes the account
through ``assessments.accounts.account_invite``, which e-mails the set-password link.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from assessments.access import view_access
from assessments.confirmation import (
    confirmation_page,
    confirmed,
    forget_typed,
    keep_typed,
    typed_back,
)
from assessments.exceptions import (
    ConflictError,
    form_add_refusal,
    kept_on_conflict,
    refusal_messages,
)
from assessments.paging import page_of, paging_context
from assessments.selectors import user_scope
from panels.access import people_visible_to, person_by_pk
from panels.forms.people import (
    DeactivateForm,
    ExternalOrganisationForm,
    PeopleFilterForm,
    PersonForm,
)
from panels.models import Person
from panels.selectors import (
    account_serves_beyond_panels,
    deactivation_told,
    organisations_for,
    people_matching,
    people_rows,
    person_history,
    person_row,
    person_seat_conflicts,
    person_seats,
    person_version,
    seat_conflict,
    seats_at_work,
)
from panels.services.people import (
    SeatsMadeIneligible,
    external_organisation_create,
    person_create,
    person_deactivate,
    person_invite,
    person_invite_pending,
    person_reactivate,
    person_update,
)


def _organisations(request):
    scope = user_scope(request.user)
    return organisations_for(sha_ids=None if scope.is_national else scope.sha_ids)


def _detail(person: Person) -> str:
    return reverse("people:detail", args=[person.pk])


# The list is paged and searchable: people grow with the organisations (a region of 10,000
# PCTs has thousands of board members and clinicians who may sit on panels).
PAGE_SIZE = 50


@require_http_methods(["GET"])
@view_access("panels.view_people")
def people_list(request):
    """Everyone the user may see, with the seats they may hold and their account, by name,
    a page at a time, ``?q=`` narrowing them (``people_matching``); 404 for a page that is
    not a number or does not exist. Six queries whatever the number of people."""
    filter_form = PeopleFilterForm(request.GET)
    filter_form.is_valid()
    search = filter_form.search()
    people = people_matching(people_visible_to(request.user), search)
    page = page_of(people, PAGE_SIZE, request.GET.get("page"), what="the people")
    return render(
        request,
        "panels/people.html",
        {
            "rows": people_rows(page.object_list),
            "is_national": user_scope(request.user).is_national,
            "filter_form": filter_form,
            "search": search,
            "filtered": bool(search or filter_form.errors),
            "query": filter_form.query(),
            **paging_context(page),
        },
    )


@require_http_methods(["GET", "POST"])
@view_access("panels.add_person")
def person_add(request):
    organisations = _organisations(request)
    form = PersonForm(request.POST or None, organisations=organisations, submit="Add person")
    if request.method == "POST" and form.is_valid():
        try:
            person = person_create(**form.service_arguments(), by=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"{person.full_name} has been added. Invite them to give them an account.",
            )
            _no_seat_warning(request, person)
            return redirect(_detail(person))
    return render(request, "panels/person_form.html", {"form": form, "person": None})


def _no_seat_warning(request, person: Person) -> None:
    """Said after a save when the person may hold no seat at all (a job role that fits none
    of the five at their organisation): the list would offer them nowhere."""
    if person_row(person).seat_types:
        return
    fix = (
        "Check the job role: edit their details."
        if request.user.has_perm("panels.change_person", person)
        else "Check the job role: only the national team changes a reviewer from outside "
        "the NHS, so ask them."
    )
    messages.warning(
        request,
        f"{person.full_name} may sit in no seat as {person.get_job_role_display().lower()} "
        f"of {person.organisation}: each seat takes certain roles. {fix}",
    )


@require_http_methods(["GET", "POST"])
@view_access("panels.add_externalorganisation")
def organisation_add(request):
    """The national team adds an organisation outside the NHS, so that its people (the
    international reviewers) can be added and chosen for seat 4 by every SHA."""
    form = ExternalOrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organisation = external_organisation_create(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"{organisation.name} has been added: every SHA can now add its people.",
            )
            return redirect(reverse("people:add"))
    return render(request, "panels/organisation_form.html", {"form": form})


@require_http_methods(["GET"])
@view_access("panels.view_person", lookup=person_by_pk)
def person_detail(request, person: Person):
    row = person_row(person)
    history = list(person_history(person=person))
    return render(
        request,
        "panels/person_detail.html",
        {
            "person": person,
            "row": row,
            "history": history,
            "version": len(history),  # = person_version: every change is in the history
            "seats": [
                (
                    seat,
                    request.user.has_perm("panels.view_panel", seat.panel.assessment),
                    # A seat they may no longer hold (walk AC: the page listed it unmarked).
                    seat_conflict(seat=seat, assessment=seat.panel.assessment, person=person),
                )
                for seat in person_seats(person=person)
            ],
            "may_change": request.user.has_perm("panels.change_person", person),
            "may_invite": request.user.has_perm("panels.invite_person", person),
            "keeps_account": account_serves_beyond_panels(person),
        },
    )


@require_http_methods(["GET", "POST"])
@view_access(
    "panels.view_person",
    lookup=person_by_pk,
    change="panels.change_person",
    change_always=True,
)
def person_edit(request, person: Person):
    """The person's details. A change that would leave them in a seat they may no longer
    hold (their new organisation is the PCT assessed, say) shows a check page naming each
    seat and the rule first (walk AC); confirmed, it is saved. A new address of someone
    invited who has not set a password yet is sent a new invitation with the change."""
    organisations = _organisations(request)
    key = f"person-edit:{person.pk}"
    typed = typed_back(request, key)  # back from the check page: what was typed there
    form = PersonForm(
        request.POST or None,
        organisations=organisations,
        submit="Save changes",
        initial={**PersonForm.initial_for(person), **typed},
    )
    if request.method == "POST" and form.is_valid():
        old_email, invited = person.email, person_invite_pending(person)
        try:
            person_update(
                person=person,
                **form.service_arguments(),
                by=request.user,
                expected_version=form.cleaned_data["version"],
                conflicts_confirmed=confirmed(request),
            )
        except SeatsMadeIneligible as exc:
            return _conflict_check(request, person, key, exc.conflicts)
        except ConflictError:  # changed in another window: what was typed here stays
            form = kept_on_conflict(
                PersonForm,
                request.POST,
                version=person_version(person),
                what=f"{person.full_name}'s details",
                organisations=organisations,
                submit="Save changes",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            forget_typed(request, key)
            saved = f"Changes to {person.full_name} saved."
            if invited and person.email != old_email:
                saved += (
                    f" The link sent to {old_email} no longer works: a new invitation has been "
                    f"sent to {person.email}."
                )
            messages.success(request, saved)
            if confirmed(request):  # saved though it made conflicts: what is left to do
                for conflict in person_seat_conflicts(person=person):
                    todo, _url = conflict.todo
                    messages.warning(request, f"{conflict.where}: {conflict.why} {todo}.")
            _no_seat_warning(request, person)
            return redirect(_detail(person))
    return render(request, "panels/person_form.html", {"form": form, "person": person})


def _conflict_check(request, person: Person, key: str, conflicts):
    """The check page of an edit that leaves the person in seats they may no longer hold:
    each seat, the rule and where to replace them; "Go back" shows what was typed."""
    carry = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirm")
        for value in values
    ]
    keep_typed(request, key, **{name: value for name, value in carry})
    return confirmation_page(
        request,
        title=f"Save the changes to {person.full_name}? They could then no longer sit in "
        + ("a seat they hold" if len(conflicts) == 1 else f"{len(conflicts)} seats they hold"),
        happens=[
            "The changes are saved and kept in their history, with each seat below that "
            "is now a conflict.",
            f"{person.full_name} keeps "
            + ("the seat" if len(conflicts) == 1 else "each seat")
            + " until you replace them: the panel's pages flag it, and it is listed on your "
            "home page under “Seats to replace”.",
        ],
        told="Nobody is e-mailed about the seats now; whoever takes a seat, and the member "
        "replaced, are e-mailed when you replace them.",
        button="Confirm and save the changes",
        back=_edit(person),
        carry=carry,
        template="panels/person_conflict.html",
        context={"conflicts": conflicts, "person": person, "undo_note": _UNDO},
    )


_UNDO = "You can change their details back later from their page."


def _edit(person: Person) -> str:
    return reverse("people:edit", args=[person.pk])


@require_POST
@view_access("panels.view_person", lookup=person_by_pk, change="panels.invite_person")
def person_invite_view(request, person: Person):
    try:
        seen = int(request.POST.get("version", ""))
    except ValueError:
        seen = None
    if seen is not None and seen != person_version(person):
        # Invited (or changed) in another window since the page was opened (the concurrency
        # walk: a second invitation e-mail, said as the first).
        messages.error(
            request,
            f"Nothing was sent: {person.full_name} was invited or changed in another window "
            "since you opened this page. It shows them as they are now.",
        )
        return redirect(_detail(person))
    try:
        invitation = person_invite(person=person, by=request.user)
    except ValidationError as exc:
        for message in refusal_messages(exc):
            messages.error(request, message)
    else:
        username = invitation.user.get_username()
        messages.success(
            request,
            f"Invitation sent to {person.full_name} at {invitation.user.email}, with a link "
            f"to set a password. Their username is {username}."
            if invitation.link
            else f"{person.full_name} already has an account ({username}), which now holds "
            "their place on the people list: they log in as usual.",
        )
    return redirect(_detail(person))


def _deactivate_check(request, person: Person, form: DeactivateForm):
    """The check page of a deactivation: what happens, who is e-mailed (by name), and the
    reason asked for; shown again, with what was typed, when the reason is refused."""
    if person.user_id is None:
        login = "They have no account to log in with."
    elif account_serves_beyond_panels(person):
        login = (
            f"Their account ({person.user.get_username()}) keeps its other access and can "
            "still log in."
        )
    else:
        login = f"They can no longer log in ({person.user.get_username()})."
    at_work = seats_at_work(person)
    return confirmation_page(
        request,
        title=f"Deactivate {person.full_name}?",
        happens=[
            "They can no longer be given a new seat; the seats they hold stay theirs.",
            login,
            *([_held_up(person, at_work)] if at_work else []),
            "Your reason is kept in their history and shown in the history of each panel "
            "they sit on that is still at work.",
        ],
        told=_deactivation_told(person),
        button=f"Confirm and deactivate {person.full_name}",
        back=_detail(person),
        danger=True,
        template="panels/person_deactivate.html",
        context={
            "undo_note": "You can reactivate them later from their page.",
            "form": form,
            "person": person,
            "summary_title": f"{person.full_name} was not deactivated",
        },
    )


def _deactivation_told(person: Person) -> str:
    """Who the check page says will be e-mailed (``deactivation_told``)."""
    told = deactivation_told(person=person)
    lines = []
    for chair, seats in told.chairs:
        pcts = _and(sorted({seat.panel.assessment.pct.name for seat in seats}))
        lines.append(
            f"{chair.full_name}, who chairs the panel of {pcts}, is e-mailed that it waits for "
            f"{person.full_name}, with your reason: they can excuse them."
            if len(seats) == 1
            else f"{chair.full_name}, who chairs the panels of {pcts}, is e-mailed once that "
            f"they wait for {person.full_name}, with your reason: they can excuse them."
        )
    if told.staff:
        pcts = sorted(
            {seat.panel.assessment.pct.name for _u, seats in told.staff for seat in seats}
        )
        chaired = ("the panel of " if len(pcts) == 1 else "the panels of ") + _and(pcts)
        names = _and([u.get_full_name() or u.get_username() for u, _seats in told.staff])
        lines.append(
            f"{person.full_name} chairs {chaired}: the region's SHA staff "
            f"({names}) are e-mailed, with your reason, to hand the chair to another member."
        )
    if not lines:
        return "Nobody is e-mailed: no panel scoring or at consensus waits for them."
    return " ".join(lines)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@require_POST
@view_access("panels.view_person", lookup=person_by_pk, change="panels.change_person")
def person_deactivate_view(request, person: Person):
    """The person page's button asks first: a check page saying what follows and who is
    e-mailed, with the reason to give (walk N: what it meant was said only afterwards);
    the confirming POST, with a reason, deactivates."""
    if not person.is_active:
        messages.error(request, f"{person.full_name} is already deactivated.")
        return redirect(_detail(person))
    if not confirmed(request):
        return _deactivate_check(request, person, DeactivateForm())
    form = DeactivateForm(request.POST)
    if not form.is_valid():  # what was typed stays, with why it was refused
        return _deactivate_check(request, person, form)
    told = deactivation_told(person=person)
    try:
        person_deactivate(person=person, reason=form.cleaned_data["reason"], by=request.user)
    except ValidationError as exc:
        form_add_refusal(form, exc)
        return _deactivate_check(request, person, form)
    e_mailed = [p.full_name for p, _seats in told.chairs] + [
        u.get_full_name() or u.get_username() for u, _seats in told.staff
    ]
    messages.success(
        request,
        f"{person.full_name} is deactivated: they can no longer be given a new seat. "
        + (
            f"Their account ({person.user.get_username()}) can still log in, since it also "
            "holds the national team's, SHA staff's or a board's access; that is removed "
            "on its own page. "
            if account_serves_beyond_panels(person)
            else "They can no longer log in. "
        )
        + "The seats they hold are unchanged."
        + (
            f" {_and(e_mailed)} {'has' if len(e_mailed) == 1 else 'have'} been e-mailed."
            if e_mailed
            else ""
        ),
    )
    at_work = seats_at_work(person)
    if at_work:
        messages.warning(request, _held_up(person, at_work))
    return redirect(_detail(person))


def _held_up(person: Person, seats) -> str:
    """What a deactivation holds up: the panels still at work where the person sits."""
    panels = "; ".join(
        f"{seat.panel.assessment.pct.name} {seat.panel.assessment.round.slug} (seat "
        f"{seat.seat_type.number}, "
        f"{seat.panel.assessment.get_stage_display().lower()})"
        for seat in seats
    )
    return (
        f"{person.full_name} sits on panels still at work: {panels}. A panel being formed "
        "cannot open scoring until someone else takes the seat; a panel scoring or at "
        "consensus waits for them until its chair excuses them or SHA staff replace them (while "
        "scoring); where they chair the panel, SHA staff can hand the chair to another member "
        "(while scoring or at consensus), from the panel's formation page; the chair excuses a "
        "member on the panel's consensus page."
    )


@require_POST
@view_access("panels.view_person", lookup=person_by_pk, change="panels.change_person")
def person_reactivate_view(request, person: Person):
    try:
        person_reactivate(person=person, by=request.user)
    except ValidationError as exc:
        for message in refusal_messages(exc):
            messages.error(request, message)
    else:
        messages.success(request, f"{person.full_name} is active again.")
    return redirect(_detail(person))


urlpatterns = [
    path("", people_list, name="list"),
    path("add/", person_add, name="add"),
    path("organisations/add/", organisation_add, name="organisation_add"),
    path("<int:pk>/", person_detail, name="detail"),
    path("<int:pk>/edit/", person_edit, name="edit"),
    path("<int:pk>/invite/", person_invite_view, name="invite"),
    path("<int:pk>/deactivate/", person_deactivate_view, name="deactivate"),
    path("<int:pk>/reactivate/", person_reactivate_view, name="reactivate"),
]
