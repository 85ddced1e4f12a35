"""The form SHA staff fill to add or edit a person who may sit on panels.

The organisation is one choice among the user's region's SHA and PCTs (every SHA's for
the national team) and the organisations outside the NHS, grouped; it is turned into the
person's one affiliation (``sha``, ``pct`` or ``external_organisation``).
"""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Submit
from django import forms

from panels.models import JobRole, Person
from panels.selectors import Organisations


def organisation_key(person: Person) -> str:
    if person.sha_id is not None:
        return f"sha-{person.sha_id}"
    if person.pct_id is not None:
        return f"pct-{person.pct_id}"
    return f"ext-{person.external_organisation_id}"


class PersonForm(forms.Form):
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(
        label="E-mail address",
        required=False,
        help_text="Needed to invite them: their link to set a password is sent here.",
    )
    organisation = forms.ChoiceField(
        label="Organisation",
        help_text="Their own SHA or PCT, or an organisation outside the NHS (an "
        "international reviewer's health system, another industry).",
    )
    job_role = forms.ChoiceField(
        label="Job role",
        choices=[("", "— Choose —"), *JobRole.choices],
        help_text="Which seats they may hold depends on it.",
    )
    job_title = forms.CharField(label="Job title", max_length=200, required=False)

    def __init__(self, *args, organisations: Organisations, submit: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._organisations = {
            **{f"sha-{s.pk}": ("sha", s) for s in organisations.shas},
            **{f"pct-{p.pk}": ("pct", p) for p in organisations.pcts},
            **{f"ext-{e.pk}": ("external_organisation", e) for e in organisations.external},
        }
        choices = [("", "— Choose —")]
        if organisations.shas:
            choices.append(("SHAs", [(f"sha-{s.pk}", s.name) for s in organisations.shas]))
        if organisations.pcts:
            choices.append(
                ("PCTs", [(f"pct-{p.pk}", f"{p.name} ({p.ods_code})") for p in organisations.pcts])
            )
        if organisations.external:
            choices.append(
                (
                    "Outside the NHS",
                    [(f"ext-{e.pk}", f"{e.name} ({e.country})") for e in organisations.external],
                )
            )
        self.fields["organisation"].choices = choices
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "full_name",
            "email",
            "organisation",
            "job_role",
            "job_title",
            Div(Submit("save", submit), css_class="mt-3"),
        )

    @classmethod
    def initial_for(cls, person: Person) -> dict:
        return {
            "full_name": person.full_name,
            "email": person.email,
            "organisation": organisation_key(person),
            "job_role": person.job_role,
            "job_title": person.job_title,
        }

    def clean(self):
        cleaned = super().clean()
        affiliation = {"sha": None, "pct": None, "external_organisation": None}
        key = cleaned.get("organisation")
        if key:
            name, organisation = self._organisations[key]
            affiliation[name] = organisation
        cleaned.update(affiliation)
        return cleaned

    def service_arguments(self) -> dict:
        """The cleaned data as the people services take it."""
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "full_name",
                "email",
                "job_role",
                "job_title",
                "sha",
                "pct",
                "external_organisation",
            )
        }


class ExternalOrganisationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    sector = forms.CharField(
        label="Sector",
        max_length=100,
        help_text="An international health system, or another industry.",
    )
    country = forms.CharField(label="Country", max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            "name",
            "sector",
            "country",
            Div(Submit("save", "Add the organisation"), css_class="mt-3"),
        )
