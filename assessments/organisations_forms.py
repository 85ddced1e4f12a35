"""Forms of the organisations pages: a PCT, a file of PCTs, and the list's filters."""

from urllib.parse import urlencode

from crispy_forms.helper import FormHelper
from django import forms

from assessments.form_errors import NoTruncation
from assessments.models import PrimaryCareTrust, StrategicHealthAuthority
from assessments.reference import not_utf8_csv

MAX_FILE_BYTES = 1_048_576  # a file of every PCT in England is about 20 kB


class _Form(NoTruncation):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class PctForm(_Form):
    """A PCT's details; ``closed_on`` only when editing one that exists."""

    ods_code = forms.CharField(
        label="ODS code", max_length=10, help_text="Three letters or digits, such as 5PG."
    )
    name = forms.CharField(label="Name", max_length=100)
    sha = forms.ModelChoiceField(
        label="SHA", queryset=StrategicHealthAuthority.objects.order_by("name")
    )
    org_type = forms.ChoiceField(label="Type", choices=PrimaryCareTrust.OrgType.choices)
    closed_on = forms.DateField(
        label="Closed from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The first day it no longer exists, e.g. after a merger. It keeps its "
        "history and published results, and gets no assessment in rounds opened from then. "
        "Leave empty while it is open.",
    )

    def __init__(self, *args, pct: PrimaryCareTrust | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if pct is None:
            del self.fields["closed_on"]
        else:
            del self.fields["ods_code"]
            self.initial.update(
                name=pct.name, sha=pct.sha_id, org_type=pct.org_type, closed_on=pct.closed_on
            )


class PctFileForm(_Form):
    file = forms.FileField(
        label="CSV file",
        error_messages={
            "required": "Choose a CSV file to upload.",
            "empty": "The file is empty: choose the CSV file with the rows in it.",
        },
        help_text="Columns as in fixtures/pcts_2009.csv: ods_code, name, org_type "
        "(PCT, Care Trust or Care Trust Plus), sha_ods_code; optionally closed_on "
        "(YYYY-MM-DD) to close a PCT.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB: is it the right file?")
        content = upload.read()
        try:
            return upload.name, content.decode("utf-8")
        except UnicodeDecodeError:
            problem = not_utf8_csv(content)
            raise forms.ValidationError(problem[0].upper() + problem[1:] + ".") from None


class PctFilterForm(NoTruncation):
    """The filters of the PCT list (GET): one SHA by its ODS code (empty: every region) and
    an ODS code or part of a name. ``shas``: the SHAs for the select, read once by the view,
    so that checking the choice reads nothing more. A lower-case code (``q36``) is taken.

    ``filters()`` gives the selector's arguments from what is valid (an invalid SHA filters
    nothing, and the page shows why in its error summary); ``query()`` the same filters as
    a query string for the page links.
    """

    sha = forms.ChoiceField(
        label="Region (SHA)",
        required=False,
        error_messages={
            "invalid_choice": "There is no SHA with the code “%(value)s”. Choose a region "
            "from the list."
        },
    )
    q = forms.CharField(
        label="ODS code or name",
        required=False,
        max_length=100,
        help_text="Such as 5PG, or part of a name.",
        error_messages={"max_length": "Enter at most %(limit_value)d characters."},
    )

    def __init__(self, data=None, *, shas: list[StrategicHealthAuthority], **kwargs):
        if data is not None and "sha" in data:
            data = data.copy()
            data["sha"] = data["sha"].strip().upper()
        super().__init__(data, **kwargs)
        self.shas = {sha.ods_code: sha for sha in shas}
        self.fields["sha"].choices = [("", "All regions")] + [
            (sha.ods_code, sha.name) for sha in shas
        ]
        self.fields["sha"].widget.attrs.update({"class": "form-select"})
        self.fields["q"].widget.attrs.update(
            {"class": "form-control", "autocomplete": "off", "spellcheck": "false"}
        )
        for name in self.errors:  # an unbound form has none
            self.fields[name].widget.attrs["class"] += " is-invalid"

    def filters(self) -> dict:
        """``{"sha": an SHA or None, "search": text}`` from the valid fields."""
        data = getattr(self, "cleaned_data", {})  # set once a bound form is checked
        return {
            "sha": self.shas.get(data.get("sha") or ""),
            "search": (data.get("q") or "").strip(),
        }

    def query(self) -> str:
        """The valid filters as a query string (``sha=Q36&q=north``, or empty)."""
        filters = self.filters()
        params = {}
        if filters["sha"] is not None:
            params["sha"] = filters["sha"].ods_code
        if filters["search"]:
            params["q"] = filters["search"]
        return urlencode(params)
