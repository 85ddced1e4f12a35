"""Every page with a crispy form has the error summary at the top: the site draws no
non-field errors inside crispy forms (templates/bootstrap5/errors.html), so that each
message is given once, and the summary is where they are."""

from pathlib import Path

from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_every_template_with_a_crispy_form_includes_the_error_summary():
    crispy_pages = [
        path
        for path in TEMPLATES.rglob("*.html")
        if "{% crispy " in path.read_text(encoding="utf-8")
    ]
    without = [
        str(path.relative_to(TEMPLATES))
        for path in crispy_pages
        if '{% include "includes/error_summary.html"' not in path.read_text(encoding="utf-8")
    ]

    assert len(crispy_pages) >= 10  # the check reads the real templates
    assert without == []


def test_crispy_draws_no_non_field_errors_of_its_own():
    from crispy_forms.utils import render_crispy_form
    from django import forms

    class Form(forms.Form):
        name = forms.CharField()

        def clean(self):
            raise forms.ValidationError("Saved elsewhere meanwhile.")

    form = Form({"name": "x"})
    form.is_valid()

    assert "Saved elsewhere meanwhile." not in render_crispy_form(form)
