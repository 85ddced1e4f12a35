"""Forms of the site's own pages: Django's login, its password reset sending through the
task queue, setting and changing a password, and a person's own name."""

import hashlib
import logging

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.template import loader

from assessments.accounts import link_expires_at, link_expiry_words
from assessments.form_errors import NoTruncation
from assessments.mail import mail_enqueue
from wcc_site.login import deactivated_message, deactivated_user

logger = logging.getLogger("wcc.accounts")

# Set-password e-mails to one address per hour: enough for a link lost twice, not a flood
# of someone's inbox by whoever types their address (the outsider walk queued 20).
RESET_MAILS_PER_HOUR = 3


class WccPasswordResetForm(NoTruncation, PasswordResetForm):
    """Django's "forgotten your password?" form, with two changes:

    - the e-mail goes through ``assessments.mail.mail_enqueue`` like every other message,
      so a mail server that is down never turns the request into an error page;
    - an invited account that never set a password gets a link too (Django leaves out
      accounts without a usable password, which here means exactly "invited, link lost").
      Deactivated accounts still get nothing;
    - an address gets at most ``RESET_MAILS_PER_HOUR`` of them an hour (counted in the
      cache: shared between workers when ``CACHE_URL`` names a shared one). The page reads
      the same either way, so it tells nobody whether the address has an account.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The GOV.UK words, one message each (the bad-input walk: "This field is required.",
        # and two errors for an address too long).
        self.fields["email"].error_messages |= {
            "required": "Enter the e-mail address of your account.",
            "invalid": "Enter an e-mail address such as name@example.nhs.uk.",
            "max_length": "Enter an e-mail address of at most %(limit_value)d characters.",
        }

    def clean(self):
        data = super().clean()
        errors = self.errors.get("email")
        if errors and len(errors) > 1:  # too long, and so not valid either: the first says it
            self.errors["email"] = self.error_class(errors[:1])
        return data

    def get_users(self, email):
        user_model = get_user_model()
        email_field = user_model.get_email_field_name()
        return user_model._default_manager.filter(
            **{f"{email_field}__iexact": email, "is_active": True}
        )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # When the link stops working, in the e-mail (walk Y: it gave no duration).
        context = {**context, "expires": link_expiry_words(link_expires_at(context.get("token")))}
        key = "password-reset:" + hashlib.sha256(to_email.lower().encode()).hexdigest()
        cache.add(key, 0, timeout=3600)
        try:
            sent = cache.incr(key)
        except ValueError:  # expired between the two calls: this is the hour's first
            sent = 1
            cache.set(key, sent, timeout=3600)
        if sent > RESET_MAILS_PER_HOUR:
            logger.warning("Set-password e-mail not sent: %s already had %s this hour.",
                           key[-12:], RESET_MAILS_PER_HOUR)  # fmt: skip
            return
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        mail_enqueue(messages=[(subject, body, from_email, [to_email])])


class WccAuthenticationForm(AuthenticationForm):
    """Django's login form, saying what to do in each field (GOV.UK style) rather than
    "This field is required."."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Enter the username and password of your account: these do not "
        "match one. Both are case-sensitive.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].error_messages["required"] = "Enter your username."
        self.fields["password"].error_messages["required"] = "Enter your password."

    def clean(self):
        """A wrong username or password is said on the username, which the error summary
        links to (the accessibility walk: an unlinked message, neither field marked).

        A deactivated account given its right password is told so, with the date and whom
        to ask (walk W: it read as a mistyped password). Only then: a wrong password still
        reads as any other, so the page says nothing of which accounts exist, and the
        attempt has already been counted by django-axes (``user_login_failed``) as every
        failed login is. Nothing is checked once axes has locked the username out."""
        try:
            return super().clean()
        except ValidationError as exc:
            if exc.code != "invalid_login":
                raise
            deactivated = None
            if not getattr(self.request, "axes_locked_out", False):
                deactivated = deactivated_user(
                    username=self.cleaned_data.get("username", ""),
                    password=self.cleaned_data.get("password", ""),
                )
            if deactivated is not None:
                exc = ValidationError(deactivated_message(deactivated), code="deactivated")
            self.add_error("username", exc)
            return self.cleaned_data


class NewPasswordMixin:
    """The new password's strength errors on the new password field, which the error summary
    then links to (walk Y: Django puts them on the confirmation field); a mismatch stays on
    the confirmation. GOV.UK words for a blank field."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].error_messages["required"] = "Enter your new password."
        self.fields["new_password2"].error_messages["required"] = (
            "Enter your new password again, to confirm it."
        )

    def clean(self):
        self.validate_passwords("new_password1", "new_password2")
        password = self.cleaned_data.get("new_password1")
        if password:
            try:
                password_validation.validate_password(password, self.user)
            except ValidationError as error:
                self.add_error("new_password1", error)
        return forms.Form.clean(self)


class WccSetPasswordForm(NewPasswordMixin, SetPasswordForm):
    """The set-password page of an invitation or reset link."""


class WccPasswordChangeForm(NewPasswordMixin, PasswordChangeForm):
    """The signed-in person's "Change your password" page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Your current password"
        self.fields["old_password"].error_messages["required"] = "Enter your current password."
        self.error_messages = {
            **self.error_messages,
            "password_incorrect": "Enter your current password: the one given is not it.",
        }


class AccountNameForm(NoTruncation):
    """A person's own name, as the people list and the site show it."""

    full_name = forms.CharField(
        label="Your full name",
        max_length=150,  # what an account's first name holds (a one-word name is all first name)
        help_text="As colleagues know you, such as Siobhan Reilly: panels and histories show it.",
        error_messages={
            "required": "Enter your full name.",
            "max_length": "Enter a name of at most %(limit_value)d characters.",
        },
    )
    # The name the page showed when it was made: saving over a name changed since (another
    # window, or SHA staff editing the person) is refused (``account_name_change``).
    seen_name = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)

    def clean_seen_name(self) -> str | None:
        """None when the page carried none (a page made before this field was added)."""
        return self.cleaned_data["seen_name"] if "seen_name" in self.data else None
