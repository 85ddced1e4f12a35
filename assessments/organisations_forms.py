"""Forms of the organisations pages: a PCT, and a file of PCTs."""

from crispy_forms.helper import FormHelper
from django import forms

from assessments.models import PrimaryCareTrust, StrategicHealthAuthority

MAX_FILE_BYTES = 1_048_576  # a file of every PCT in England is about 20 kB


class _Form(forms.Form):
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
        help_text="Columns as in fixtures/pcts_2009.csv: ods_code, name, org_type "
        "(PCT, Care Trust or Care Trust Plus), sha_ods_code; optionally closed_on "
        "(YYYY-MM-DD) to close a PCT.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError("The file is larger than 1 MB: is it the right file?")
        try:
            return upload.name, upload.read().decode("utf-8")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "The file is not UTF-8 text: save it as CSV (UTF-8) and try again."
            ) from None
