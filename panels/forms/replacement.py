"""The form SHA staff fill to replace a panel member while scoring: who takes the seat
(offered as on the five-seat form: ``person_label``, the people eligible for the seat), why,
and the versions of the seat and the panel the page was made from."""

from crispy_forms.helper import FormHelper
from django import forms

from assessments.form_errors import NoTruncation, reason_field
from assessments.text import REASON_MAX_CHARS
from panels.forms.formation import person_label
from panels.models import Person


class ReplaceSeatForm(NoTruncation):
    person = forms.IntegerField(
        label="Who takes the seat",
        error_messages={
            "required": "Choose who takes the seat.",
            "invalid": "Choose who takes the seat from the list.",
        },
    )
    reason = reason_field(
        label="Reason",
        help_text="Why the member is replaced, in at most "
        f"{REASON_MAX_CHARS:,} characters. The member replaced and the chair are e-mailed it; "
        "the panel's history shows it.",
        missing="Give the reason for replacing the member.",
    )
    seat_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    panel_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, eligible: list[Person], holder: Person | None, **kwargs):
        """``eligible``: the people offered (annotated with ``panels_this_round``); the
        current ``holder`` is not among the choices. The field takes any person's id, so
        that an ineligible one posted directly is refused by the service with the rule."""
        super().__init__(*args, **kwargs)
        choices = [("", "Choose someone")]
        choices += [
            (p.pk, person_label(p, p.panels_this_round))
            for p in eligible
            if holder is None or p.pk != holder.pk
        ]
        self.fields["person"].widget = forms.Select(choices=choices)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_person(self) -> Person | None:
        pk = self.cleaned_data["person"]
        found = (
            Person.objects.select_related("sha", "pct__sha", "external_organisation", "user")
            .filter(pk=pk)
            .first()
            if 0 < pk < 2**63
            else None
        )
        if found is None:
            raise forms.ValidationError("There is no such person: choose one from the list.")
        return found
