"""A service's refusal shown on a form (``assessments.exceptions.form_add_refusal``)."""

from django import forms
from django.core.exceptions import ValidationError

from assessments.exceptions import form_add_refusal


class _Form(forms.Form):
    baseline = forms.CharField(max_length=3, required=False)
    target = forms.CharField(required=False)


def test_a_field_the_form_refused_keeps_its_own_message_only():
    """The bad-input walk: a baseline too long for its field read "at most 3 characters"
    and "enter the baseline" (the service read the refused field as blank)."""
    form = _Form({"baseline": "1234", "target": ""})
    form.is_valid()

    form_add_refusal(
        form,
        ValidationError(
            {"baseline": "Enter the baseline.", "target": "Enter the target.", "other": "Other."}
        ),
    )

    assert form.errors["baseline"] == ["Ensure this value has at most 3 characters (it has 4)."]
    assert form.errors["target"] == ["Enter the target."]
    assert form.non_field_errors() == ["Other."]
