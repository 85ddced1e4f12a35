"""A person's own account: "Your account" (their name, username, e-mail address, roles
and seats in words, and who changes what), changing their own name, and the password
pages (setting one through an invitation or reset link, changing it while signed in).

The password pages are Django's views with this site's forms (each strength error on the
new password field, where the error summary links), and every password set goes through
``assessments.accounts.account_password_set`` (its history row, and the end of a
django-axes lock-out). A deactivated account's link sets nothing and says why.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.views import (
    INTERNAL_RESET_SESSION_TOKEN,
    PasswordChangeDoneView,
    PasswordChangeView,
    PasswordResetConfirmView,
    PasswordResetDoneView,
)
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.generic import TemplateView

from assessments.access import view_access
from assessments.accounts import account_password_set, link_expires_at, link_expiry_words
from assessments.exceptions import ConflictError
from wcc_site.account_selectors import account_summary, link_failure, own_name, person_of
from wcc_site.forms import AccountNameForm, WccPasswordChangeForm, WccSetPasswordForm
from wcc_site.login import deactivated_message
from wcc_site.services import account_name_change


@method_decorator(view_access("assessments.signed_in"), name="dispatch")
class AccountView(TemplateView):
    """ "Your account": who the signed-in user is here, and how each detail is changed."""

    template_name = "account/account.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"account": account_summary(self.request.user)}


@view_access("assessments.signed_in")
def account_name_view(request):
    """Change your own name: on the people list if you are on it, else on your account. The
    page carries the name it showed; a save over a name changed since is refused, saying
    what it became, by whom and when, with what was typed kept (saving again replaces it)."""
    user = request.user
    current = own_name(user, person_of(user))
    form = AccountNameForm(
        request.POST or None, initial={"full_name": current, "seen_name": current}
    )
    if request.method == "POST" and form.is_valid():
        try:
            account_name_change(
                user=user,
                full_name=form.cleaned_data["full_name"],
                seen_name=form.cleaned_data["seen_name"],
            )
        except ConflictError as exc:
            form = _name_kept(request.POST, now=exc.current, why=str(exc))
        except ValidationError as exc:
            form.add_error(None, exc)  # a refusal keyed by field goes on it
        else:
            messages.success(request, "Your name is changed.")
            return redirect("account")
    return render(request, "account/name_form.html", {"form": form})


def _name_kept(data, *, now: str, why: str) -> AccountNameForm:
    """The name form after a refusal for a stale page: what was typed stays, the page now
    carries the name as it is (so that saving again knowingly replaces it), and the error,
    on the name field, says what changed."""
    data = data.copy()
    data["seen_name"] = now
    form = AccountNameForm(data)
    form.is_valid()
    typed = form.cleaned_data.get("full_name", "")
    form.add_error(
        "full_name",
        f"{why} “{typed}” was not saved. Save again to replace “{now}” with it, or cancel "
        f"to keep “{now}”.",
    )
    return form


@method_decorator(view_access("assessments.anyone", public=True), name="dispatch")
class WccPasswordResetDoneView(PasswordResetDoneView):
    """ "Check your e-mail", saying until when the link just sent works."""

    def get_context_data(self, **kwargs):
        expires = link_expiry_words(link_expires_at())
        return super().get_context_data(**kwargs) | {"expires": expires}


@method_decorator(view_access("assessments.anyone", public=True), name="dispatch")
class WccPasswordResetConfirmView(PasswordResetConfirmView):
    """The set-password page of an invitation or reset link. A deactivated account's link
    says it no longer works and whom to ask, and sets nothing (walk Y); the page says until
    when the link works; the password is set by ``account_password_set``. A link of an
    invitation that no longer works says why when the invitation's history can tell
    (``link_failure``: replaced by a newer link, used, withdrawn), else "used already or
    has expired"."""

    form_class = WccSetPasswordForm

    def _deactivated(self) -> bool:
        return self.validlink and not self.user.is_active

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self._deactivated():
            context.update(validlink=False, form=None, deactivated=deactivated_message(self.user))
        elif self.validlink:
            token = self.request.session.get(INTERNAL_RESET_SESSION_TOKEN)
            context["expires"] = link_expiry_words(link_expires_at(token))
        elif self.user is not None:
            context["why"] = link_failure(self.user, self._token_presented())
        return context

    def _token_presented(self) -> str | None:
        """The token of the link that was followed: in the address, or (on the form's own
        address, after the redirect) the one kept in the session."""
        token = self.kwargs.get("token")
        if token == self.reset_url_token:
            return self.request.session.get(INTERNAL_RESET_SESSION_TOKEN)
        return token

    def form_valid(self, form):
        if self._deactivated():
            return self.render_to_response(self.get_context_data())
        account_password_set(user=self.user, password=form.cleaned_data["new_password1"])
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        return HttpResponseRedirect(self.get_success_url())


@method_decorator(view_access("assessments.signed_in"), name="dispatch")
class WccPasswordChangeView(PasswordChangeView):
    """Change your password while signed in (your current one first)."""

    form_class = WccPasswordChangeForm

    def form_valid(self, form):
        account_password_set(user=self.request.user, password=form.cleaned_data["new_password1"])
        update_session_auth_hash(self.request, self.request.user)  # stays signed in
        return HttpResponseRedirect(self.get_success_url())


@method_decorator(view_access("assessments.signed_in"), name="dispatch")
class WccPasswordChangeDoneView(PasswordChangeDoneView):
    """ "Your password is changed"."""
