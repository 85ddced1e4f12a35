"""Forms of the board and staff accounts pages (``assessments.boards_views``,
``assessments.staff_views``): the board list's filters, the invitation and the reason for
a removal. Each validates
and converts input; ``assessments.role_accounts`` decides."""

from urllib.parse import urlencode

from crispy_forms.helper import FormHelper
from django import forms

from assessments.form_errors import NoTruncation, reason_field
from assessments.organisations_forms import PctFileForm, PctFilterForm
from assessments.role_accounts import FULL_NAME_MAX, REMOVE_REASON_MISSING
from assessments.text import REASON_MAX_CHARS


class BoardsFilterForm(PctFilterForm):
    """The PCT list's filters (region, ODS code or name) and "only PCTs with no board
    account", the list of work to do after a round opens."""

    # The list offers only the regions whose boards the user keeps (one, for SHA staff).
    sha = forms.ChoiceField(
        label="Region (SHA)",
        required=False,
        error_messages={
            "invalid_choice": "“%(value)s” is not a region whose board accounts you keep. "
            "Choose a region from the list."
        },
    )
    without = forms.BooleanField(label="Only PCTs with no board account", required=False)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        self.fields["without"].widget.attrs.update({"class": "form-check-input"})

    def filters(self) -> dict:
        data = getattr(self, "cleaned_data", {})
        return {**super().filters(), "without": bool(data.get("without"))}

    def query(self) -> str:
        query = super().query()
        if self.filters()["without"]:
            query = f"{query}&" if query else ""
            query += urlencode({"without": "on"})
        return query


class RoleMemberForm(NoTruncation):
    """Someone to give a role: their name and e-mail address (``role_invite``)."""

    full_name = forms.CharField(
        label="Full name",
        max_length=FULL_NAME_MAX,
        error_messages={
            "required": "Enter their full name.",
            "max_length": "Enter a name of at most %(limit_value)d characters.",
        },
    )
    email = forms.EmailField(
        label="E-mail address",
        help_text="Their link to set a password is sent here. If an account already uses "
        "it (someone who sits on panels, say), that account is given access.",
        error_messages={
            "required": "Enter their e-mail address.",
            "invalid": "Enter an e-mail address in the right form, like name@example.nhs.uk.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["full_name"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.fields["email"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class RemoveReasonForm(NoTruncation):
    """Why an account's access is taken away (a board's, an SHA's staff's or the national
    team's): asked on the check page of the removal, kept in the group's access history
    (walk U: it kept who and when, never why). ``group``: the group, as the help says it."""

    reason = reason_field(
        label="Reason",
        help_text="",
        missing=REMOVE_REASON_MISSING,
    )

    def __init__(self, *args, group: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = (
            f"Why they are no longer one of {group} (they left, a wrong address), in at most "
            f"{REASON_MAX_CHARS:,} characters. The access history of {group} shows it."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class BoardFileForm(PctFileForm):
    """A CSV of board members: ``ods_code, full_name, email``, a row per person."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "Columns ods_code, full_name, email: a row per person (a board may have several). "
            "UTF-8 CSV, up to 1,000 rows."
        )
