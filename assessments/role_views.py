"""What the board accounts pages (``assessments.boards_views``) and the staff accounts pages
(``assessments.staff_views``) share: one group's page (its accounts, the invitation form,
its history), a new link, correcting an account's e-mail address and taking access away,
each of the last two after a check page. Each URL module states its own permissions and
lookups; these take the group (``RoleScope``) it found."""

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.html import format_html

from assessments.accounts import account_reinvite
from assessments.boards_forms import RemoveReasonForm, RoleMemberForm
from assessments.confirmation import (
    confirmation_page,
    confirmed,
    forget_typed,
    keep_typed,
    typed_back,
)
from assessments.exceptions import form_add_refusal, refusal_messages
from assessments.form_errors import NoTruncation
from assessments.models import Role
from assessments.role_accounts import (
    RoleScope,
    role_accounts,
    role_email_change,
    role_email_checked,
    role_history,
    role_invite,
    role_remove,
    role_remove_cancels_link,
    role_remove_refusal,
)


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


def group_page(request, scope: RoleScope, *, here: str, links, context: dict):
    """The group's page (``roles/group.html``): its accounts, each with the addresses of its
    new link, its removal and its e-mail address's correction (``links(role)``), the invitation form and the history. A
    valid POST invites and redirects to ``here`` saying what was done; a refused one shows
    the form again with its errors. ``context``: the page's heading, lead and crumbs."""
    form = RoleMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access = role_invite(scope=scope, **form.cleaned_data, by=request.user)
        except ValidationError as exc:
            form_add_refusal(form, exc)
        else:
            user = access.user
            username = user.get_username()
            if access.made:
                text = (
                    f"{_name(user)} has been invited: an account ({username}) was made and a "
                    f"link to set a password e-mailed to {user.email}."
                )
            else:
                text = (
                    f"{_name(user)} already had an account ({username}) and is now one of "
                    f"{scope.group}"
                ) + (
                    f". They had not set a password, so a new link was e-mailed to {user.email}."
                    if access.link_sent
                    else f"; they were told by e-mail at {user.email}."
                )
            messages.success(request, text)
            return redirect(here)
    return render(
        request,
        "roles/group.html",
        {
            "scope": scope,
            "rows": [(account, *links(account.role)) for account in role_accounts(scope)],
            "history": role_history(scope),
            "form": form,
            "here": here,
            **context,
        },
    )


def not_in_group(request, scope: RoleScope, *, back: str):
    """A "new link" or "remove" for an account that is not (or no longer) one of the group,
    typically from a page left open while a colleague took its access away: say so and go
    back to the group's page, which shows it as it now is. Only reached by someone who may
    manage the group; anyone else had 404 for the group itself."""
    messages.info(
        request,
        f"That account is not one of {scope.group}: its access may have been taken away "
        "since the page was loaded. Nothing was changed.",
    )
    return redirect(back)


def new_link(request, scope: RoleScope, role: Role | None, *, back: str):
    """A new set-password link for an account whose owner has not set a password; ``role``
    None: the account is not one of ``scope`` (``not_in_group``)."""
    if role is None:
        return not_in_group(request, scope, back=back)
    user = role.user
    try:
        account_reinvite(user=user, by=request.user)
    except ValidationError as exc:
        for message in refusal_messages(exc):
            messages.error(request, message)
    else:
        messages.success(
            request, f"A new link to set a password was e-mailed to {_name(user)} at {user.email}."
        )
    return redirect(back)


def remove(request, scope: RoleScope, role: Role | None, *, back: str, context: dict):
    """GET asks (a check page), POST takes the role away (``role_remove``); ``role`` None:
    the account is not one of ``scope`` (``not_in_group``). The check page asks the reason
    (``RemoveReasonForm``) of every removal, a board's, an SHA's staff's or the national
    team's, kept in the group's history; a POST without one shows the page again with what
    was typed and why it was refused."""
    if role is None:
        return not_in_group(request, scope, back=back)
    refusal = role_remove_refusal(role=role, by=request.user)
    if refusal is not None:  # said before asking, not after
        messages.error(request, refusal)
        return redirect(back)
    form = RemoveReasonForm(request.POST or None, group=scope.group)
    if request.method == "POST":
        if not form.is_valid():
            return _remove_check(request, scope, role, back=back, context=context, form=form)
        try:
            cancelled = role_remove(role=role, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            if "reason" in getattr(exc, "error_dict", {}):
                form_add_refusal(form, exc)
                return _remove_check(request, scope, role, back=back, context=context, form=form)
            for message in refusal_messages(exc):
                messages.error(request, message)
        else:
            messages.success(
                request,
                f"{_name(role.user)} is no longer one of {scope.group}."
                + (" The link e-mailed to them no longer works." if cancelled else ""),
            )
        return redirect(back)
    return _remove_check(request, scope, role, back=back, context=context, form=form)


def _remove_check(request, scope: RoleScope, role: Role, *, back: str, context: dict, form):
    """The check page of a removal, on the shared check page (``confirm.html``, as a
    person's deactivation): what will happen (the last account of the group first, and the
    link it cancels), that nobody is e-mailed, and the reason asked inside its form."""
    user = role.user
    name = _name(user)
    last = not scope.roles().exclude(pk=role.pk).filter(user__is_active=True).exists()
    if scope.pct is not None:
        follows = (
            "Nobody will then be able to act for the board: it will not be told when a round "
            "opens, nor be able to fill in its self-assessment or check its draft."
        )
    else:
        follows = "Nobody will then hold this role."
    happens = [
        *(
            [
                format_html(
                    "<strong>They are the last account of {}.</strong> {}", scope.group, follows
                )
            ]
            if last
            else []
        ),
        f"They will no longer see the pages of {scope.group}: {scope.does}. Their account "
        "stays, with any other access it has (another board or region, seats on panels).",
        *(
            [
                f"They have not set a password yet: the link to set one, e-mailed to "
                f"{user.email or 'them'}, stops working."
            ]
            if role_remove_cancels_link(role=role)
            else []
        ),
        f"Your reason is kept in the history of {scope.group}, with your name.",
    ]
    return confirmation_page(
        request,
        title=f"Remove {name} from {scope.group}?",
        happens=happens,
        told=format_html(
            "<strong>Nobody is e-mailed</strong>, {} included: tell them yourself if they "
            "should know.",
            name,
        ),
        button="Confirm and remove access",
        back=back,
        danger=True,
        template="roles/remove.html",
        context={
            "role": role,
            "scope": scope,
            "form": form,
            "undo_note": "You can invite them again later.",
            **context,
        },
    )


class EmailChangeForm(NoTruncation):
    """An account's new e-mail address (``role_email_change``), checked as the invitation's
    (``boards_forms.RoleMemberForm``) is."""

    email = forms.EmailField(
        label="New e-mail address",
        help_text="Links to set a password are sent here from now on.",
        error_messages={
            "required": "Enter their new e-mail address.",
            "invalid": "Enter an e-mail address in the right form, like name@example.nhs.uk.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


def change_email(request, scope: RoleScope, role: Role | None, *, back: str, context: dict):
    """Correct the e-mail address of ``role``'s account (a typo in its invitation, say): GET
    asks the new address, its POST shows a check page (``_email_check``), whose confirming
    POST changes it (``role_email_change``) and goes back to the group's page. A refusal,
    on either POST, shows the form again with what was typed and why; "Go back" on the
    check page brings back what was typed (``keep_typed``). ``role`` None: the account is
    not one of ``scope`` (``not_in_group``)."""
    if role is None:
        return not_in_group(request, scope, back=back)
    key = f"role-email:{role.user_id}"
    typed = typed_back(request, key)
    form = EmailChangeForm(request.POST if request.method == "POST" else typed or None)
    # Only the check page's POST carries the address it showed: any other asks again.
    confirming = confirmed(request) and "was" in request.POST
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            if confirming:
                sent = role_email_change(
                    role=role, email=email, was=request.POST.get("was", ""), by=request.user
                )
            else:
                email = role_email_checked(role=role, email=email, by=request.user)
        except ValidationError as exc:
            form_add_refusal(form, exc)
        else:
            if not confirming:
                keep_typed(request, key, email=email)
                return _email_check(request, scope, role, email=email, back=back, context=context)
            forget_typed(request, key)
            name = _name(role.user)
            messages.success(
                request,
                f"{name}'s e-mail address is now {email}"
                + (
                    ": a new link to set a password was e-mailed there, and the link sent "
                    "before no longer works."
                    if sent
                    else "; their old address was told of the change."
                ),
            )
            return redirect(back)
    return render(
        request,
        "roles/email.html",
        {"scope": scope, "role": role, "form": form, "back": back, **context},
    )


def _email_check(request, scope: RoleScope, role: Role, *, email: str, back: str, context: dict):
    """The check page of an address's correction (``confirm.html``): the old and the new
    address, what becomes of the link (no password set yet) or who is told (one set), and
    that the username and access stay. Carries the new address and the old one it was
    checked against (a change made meanwhile is refused, ``role_email_change``)."""
    user = role.user
    name = _name(user)
    old = user.email or "no address"
    waiting = not user.has_usable_password()
    happens = [
        f"Their e-mail address changes from {old} to {email}. Their username, "
        f"{user.get_username()}, stays, and so does their access.",
        (
            f"They have not set a password yet: the link to set one, e-mailed to {old}, "
            f"stops working, and a new link is e-mailed to {email}."
            if waiting
            else "They have set a password: it stays, and nothing else changes. Links to "
            f"set a password (“Forgotten your password?”) go to {email} from now on."
        ),
        f"The change is kept in the history of {scope.group}, with your name.",
    ]
    told = (
        f"{email} is e-mailed the new link to set a password. Nobody else is e-mailed."
        if waiting
        else f"{old} is told of the change and by whom, so that a change they did not expect "
        f"is noticed. {email} is not e-mailed."
    )
    return confirmation_page(
        request,
        title=f"Change the e-mail address of {name}?",
        happens=happens,
        told=told,
        button="Confirm and change the address",
        back=request.path,
        carry={"email": email, "was": user.email},
        template="roles/email_confirm.html",
        context={
            "role": role,
            "scope": scope,
            "new_email": email,
            "undo_note": "You can correct the address again later.",
            **context,
        },
    )
