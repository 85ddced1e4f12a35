"""``{% scoring_field %}``: the markup of crispy-bootstrap5, errors linked to their field."""

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.template import Context, Template
from pytest_django.asserts import assertHTMLEqual

from panels.forms.scoring import ScoringForm
from panels.selectors import panel_view
from panels.templatetags.scoring_fields import scoring_field
from panels.tests.scoring_builders import build_scoring_panel


class _Form(forms.Form):
    light = forms.ChoiceField(
        label="Your light for Finance",
        choices=[("green", "Green: on plan"), ("red", "Red: <off> plan")],
        widget=forms.RadioSelect,
        required=False,
    )
    notes = forms.CharField(
        label="Notes for the board",
        help_text="What the PCT board should read.",
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


def _render(field) -> str:
    return Template("{% load scoring_fields %}{% scoring_field field %}").render(
        Context({"field": field})
    )


def test_scoring_field_radios_without_error_are_a_fieldset_with_a_legend():
    form = _Form(initial={"light": "red"})

    html = _render(form["light"])

    assertHTMLEqual(
        html,
        """
        <div id="div_id_light" class="mb-3"><fieldset>
          <legend class="form-label fs-6">Your light for Finance</legend>
          <div>
            <div class="form-check">
              <input type="radio" class="form-check-input" name="light" value="green"
                     id="id_light_0">
              <label for="id_light_0" class="form-check-label">Green: on plan</label>
            </div>
            <div class="form-check">
              <input type="radio" class="form-check-input" name="light" value="red"
                     id="id_light_1" checked>
              <label for="id_light_1" class="form-check-label">Red: &lt;off&gt; plan</label>
            </div>
          </div>
        </fieldset></div>
        """,
    )


def test_scoring_field_radios_with_error_put_the_message_under_the_legend():
    form = _Form({"light": "purple"})
    form.is_valid()

    html = _render(form["light"])

    assertHTMLEqual(
        html,
        """
        <div id="div_id_light" class="mb-3"><fieldset aria-describedby="id_light_error">
          <legend class="form-label fs-6">Your light for Finance</legend>
          <p class="invalid-feedback d-block mb-1" id="id_light_error"><span
            class="visually-hidden">Error: </span>Select a valid choice. purple is not one of
            the available choices.</p>
          <div>
            <div class="form-check">
              <input type="radio" class="form-check-input is-invalid" name="light"
                     value="green" id="id_light_0" aria-invalid="true">
              <label for="id_light_0" class="form-check-label">Green: on plan</label>
            </div>
            <div class="form-check">
              <input type="radio" class="form-check-input is-invalid" name="light"
                     value="red" id="id_light_1" aria-invalid="true">
              <label for="id_light_1" class="form-check-label">Red: &lt;off&gt; plan</label>
            </div>
          </div>
        </fieldset></div>
        """,
    )


def test_scoring_field_textarea_without_error_is_described_by_its_hint():
    form = _Form({"notes": "Typed <b>here</b>"})
    form.is_valid()

    html = _render(form["notes"])

    assertHTMLEqual(
        html,
        """
        <div id="div_id_notes" class="mb-3">
          <label for="id_notes" class="form-label">Notes for the board</label>
          <textarea name="notes" cols="40" rows="2" class="textarea form-control"
                    aria-describedby="id_notes_helptext" id="id_notes">Typed &lt;b&gt;here&lt;/b&gt;</textarea>
          <div id="id_notes_helptext" class="form-text">What the PCT board should read.</div>
        </div>
        """,
    )


def test_scoring_field_textarea_with_error_is_described_by_hint_and_error():
    form = _Form({"notes": "Too long"})
    form.is_valid()
    form.add_error("notes", "Shorten this.")

    html = _render(form["notes"])

    assertHTMLEqual(
        html,
        """
        <div id="div_id_notes" class="mb-3">
          <label for="id_notes" class="form-label">Notes for the board</label>
          <textarea name="notes" cols="40" rows="2" class="textarea form-control is-invalid"
                    aria-describedby="id_notes_helptext id_notes_error" aria-invalid="true"
                    id="id_notes">Too long</textarea>
          <div id="id_notes_error" class="invalid-feedback">
            <span id="error_1_id_notes"><strong>Shorten this.</strong></span>
          </div>
          <div id="id_notes_helptext" class="form-text">What the PCT board should read.</div>
        </div>
        """,
    )


def test_scoring_field_refuses_other_widgets():
    class Other(forms.Form):
        name = forms.CharField()

    with pytest.raises(TypeError, match="TextInput"):
        scoring_field(Other()["name"])


@pytest.mark.django_db
@pytest.mark.parametrize("errors", [False, True])
def test_scoring_field_matches_crispy_for_every_field_of_the_scoring_form(errors):
    """The tag replaced ``|as_crispy_field`` on the scoring page: same markup, field by field."""
    panel = build_scoring_panel(sub_indicators=1)
    view = panel_view(assessment=panel.assessment, seat=panel.seats[1])
    data = {"version": "1", "c1": "3", "c1_notes": "Typed", "finance": "amber"}
    form = ScoringForm(data, rows=view.rows)
    form.is_valid()
    if errors:
        for name in form.fields:
            if name != "version":
                form.add_error(name, f"Wrong {name}.")
    names = [name for name in form.fields if name != "version"]

    for name in names:
        # crispy writes its classes into the widget's attrs: the tag renders first.
        ours = _render(form[name])
        assertHTMLEqual(ours, as_crispy_field(form[name]))
