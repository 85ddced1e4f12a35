"""The form SHA staff fill to add or edit a person who may sit on panels.

The organisation is one choice among the user's region's SHA and PCTs (every SHA's for
the national team) and the organisations outside the NHS, grouped; it is turned into the
person's one affiliation (``sha``, ``pct`` or ``external_organisation``). Where the user has
more PCTs than a list can sensibly hold (``panels.selectors.PCT_CHOICES``), the list offers
"A PCT" and the PCT is given by its ODS code in a field of its own.
"""

from urllib.parse import urlencode

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Layout, Submit
from django import forms

from assessments.form_errors import NoTruncation, reason_field
from assessments.text import REASON_MAX_CHARS
from panels.models import JobRole, Person
from panels.selectors import Organisations, person_version
from panels.services.people import DEACTIVATE_REASON_MISSING

# The list's one PCT option when the PCTs are too many to list (``Organisations.pcts`` None).
PCT_BY_CODE = "pct-by-code"


def organisation_key(person: Person) -> str:
    if person.sha_id is not None:
        return f"sha-{person.sha_id}"
    if person.pct_id is not None:
        return f"pct-{person.pct_id}"
    return f"ext-{person.external_organisation_id}"


class PersonForm(NoTruncation):
    # The person's details as the edit page showed them (panels.selectors.person_version);
    # not on the page that adds someone.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    full_name = forms.CharField(
        label="Full name",
        max_length=200,
        error_messages={
            "required": "Enter their full name.",
            "max_length": "Enter a name of at most %(limit_value)d characters.",
        },
    )
    email = forms.EmailField(
        label="E-mail address",
        required=False,
        help_text="Needed to invite them: their link to set a password is sent here.",
        error_messages={
            "invalid": "Enter an e-mail address in the right form, like name@example.nhs.uk."
        },
    )
    organisation = forms.ChoiceField(
        label="Organisation",
        help_text="Their own SHA or PCT, or an organisation outside the NHS (an "
        "international reviewer's health system, another industry).",
        error_messages={
            "required": "Choose their organisation.",
            "invalid_choice": "Choose their organisation from the list.",
        },
    )
    pct_code = forms.CharField(
        label="ODS code of the PCT",
        max_length=3,
        required=False,
        help_text="Only when the organisation is a PCT: its ODS code, for example 5PG "
        "(Organisations lists them).",
    )
    job_role = forms.ChoiceField(
        label="Job role",
        choices=[("", "— Choose —"), *JobRole.choices],
        help_text="Which seats they may hold depends on it.",
        error_messages={
            "required": "Choose their job role.",
            "invalid_choice": "Choose their job role from the list.",
        },
    )
    job_title = forms.CharField(label="Job title", max_length=200, required=False)

    def __init__(self, *args, organisations: Organisations, submit: str, **kwargs):
        super().__init__(*args, **kwargs)
        self._scope = organisations
        by_code = organisations.pcts is None
        self._organisations = {
            **{f"sha-{s.pk}": ("sha", s) for s in organisations.shas},
            **{f"pct-{p.pk}": ("pct", p) for p in organisations.pcts or []},
            **{f"ext-{e.pk}": ("external_organisation", e) for e in organisations.external},
        }
        choices = [("", "— Choose —")]
        if organisations.shas:
            choices.append(("SHAs", [(f"sha-{s.pk}", s.name) for s in organisations.shas]))
        if by_code:
            choices.append(("PCTs", [(PCT_BY_CODE, "A PCT: give its ODS code below")]))
            if str(self.initial.get("organisation", "")).startswith("pct-"):
                self.initial["organisation"] = PCT_BY_CODE
        elif organisations.pcts:
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
        if not by_code:
            del self.fields["pct_code"]
        self.helper.layout = Layout(
            "version",
            "full_name",
            "email",
            "organisation",
            *(["pct_code"] if by_code else []),
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
            "pct_code": person.pct.ods_code if person.pct_id is not None else "",
            "job_role": person.job_role,
            "job_title": person.job_title,
            "version": person_version(person),
        }

    def clean(self):
        cleaned = super().clean()
        affiliation = {"sha": None, "pct": None, "external_organisation": None}
        key = cleaned.get("organisation")
        if key == PCT_BY_CODE:
            code = (cleaned.get("pct_code") or "").strip()
            pct = self._scope.pct_by_code(code) if code else None
            if not code:
                self.add_error("pct_code", "Enter the ODS code of their PCT, for example 5PG.")
            elif pct is None:
                where = "England" if self._scope.sha_ids is None else "your region"
                self.add_error("pct_code", f"No PCT of {where} has the ODS code {code.upper()}.")
            affiliation["pct"] = pct
        elif key:
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


class ExternalOrganisationForm(NoTruncation):
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


class PeopleFilterForm(NoTruncation):
    """The people list's search (GET): part of a name, an e-mail address, an organisation's
    name or a PCT's ODS code. ``search()`` is what is valid (too long a text searches for
    nothing, and the page shows why in its error summary); ``query()`` the same as a query
    string for the page links."""

    q = forms.CharField(
        label="Name, e-mail or organisation",
        required=False,
        max_length=100,
        help_text="Part of a name, an e-mail address or an organisation, or a PCT's ODS code.",
        error_messages={"max_length": "Enter at most %(limit_value)d characters."},
    )

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        attrs = {"class": "form-control", "autocomplete": "off", "spellcheck": "false"}
        self.fields["q"].widget.attrs.update(attrs)
        for name in self.errors:  # an unbound form has none
            self.fields[name].widget.attrs["class"] += " is-invalid"

    def search(self) -> str:
        return (getattr(self, "cleaned_data", {}).get("q") or "").strip()

    def query(self) -> str:
        return urlencode({"q": search}) if (search := self.search()) else ""


class DeactivateForm(NoTruncation):
    """Why a person is deactivated: asked on the check page of the deactivation, kept in
    their history and shown in that of each panel they sit on."""

    reason = reason_field(
        label="Reason",
        help_text=f"Why they are deactivated (left the NHS, long-term illness), in at most "
        f"{REASON_MAX_CHARS:,} characters. Their history and that of each panel they sit on "
        "show it; those named above as e-mailed are told it.",
        missing=DEACTIVATE_REASON_MISSING,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
