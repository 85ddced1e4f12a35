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
from assessments.confirmation import confirmation_page, confirmed
from assessments.exceptions import ConflictError, kept_on_conflict, refusal_messages
from assessments.paging import page_of, paging_context
from assessments.selectors import user_scope
from panels.access import people_visible_to, person_by_pk
from panels.forms.people import ExternalOrganisationForm, PeopleFilterForm, PersonForm
from panels.models import Person
from panels.selectors import (
    account_serves_beyond_panels,
    organisations_for,
    people_matching,
    people_rows,
    person_history,
    person_row,
    person_seats,
    person_version,
    seats_at_work,
)
from panels.services.people import (
    external_organisation_create,
    person_create,
    person_deactivate,
    person_invite,
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
                (seat, request.user.has_perm("panels.view_panel", seat.panel.assessment))
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
    organisations = _organisations(request)
    form = PersonForm(
        request.POST or None,
        organisations=organisations,
        submit="Save changes",
        initial=PersonForm.initial_for(person),
    )
    if request.method == "POST" and form.is_valid():
        try:
            person_update(
                person=person,
                **form.service_arguments(),
                by=request.user,
                expected_version=form.cleaned_data["version"],
            )
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
            messages.success(request, f"Changes to {person.full_name} saved.")
            _no_seat_warning(request, person)
            return redirect(_detail(person))
    return render(request, "panels/person_form.html", {"form": form, "person": person})


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


@require_POST
@view_access("panels.view_person", lookup=person_by_pk, change="panels.change_person")
def person_deactivate_view(request, person: Person):
    """The person page's button asks first (a check page saying what follows, walk N: it
    was said only afterwards); the confirming POST deactivates."""
    if not confirmed(request):
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
            ],
            told="Nobody is e-mailed.",
            button=f"Confirm and deactivate {person.full_name}",
            back=_detail(person),
            danger=True,
            context={"undo_note": "You can reactivate them later from their page."},
        )
    try:
        person_deactivate(person=person, by=request.user)
    except ValidationError as exc:
        for message in refusal_messages(exc):
            messages.error(request, message)
    else:
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
            + "The seats they hold are unchanged.",
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
        "(while scoring or at consensus). Both are done from the panel's formation page."
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
