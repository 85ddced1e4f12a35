"""Forms of the rounds pages: create a round, its timetable, what to open, the framework's
wording. Each validates and converts input; the services (``assessments.rounds``) decide."""

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError

from assessments.factual_accuracy import WINDOW_DAYS_MAX
from assessments.form_errors import NoTruncation, reason_field
from assessments.models import StrategicHealthAuthority
from assessments.rounds import (
    NAME_REQUIRED,
    TIMETABLE_FIELDS,
    TIMETABLE_REASON_MAX_CHARS,
    framework_sources,
    round_slug_clean,
    timetable_errors,
)
from assessments.text import checked_reason
from competencies.models import LEVELS, Competency, GovernanceArea


class _Form(NoTruncation):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class RoundCreateForm(_Form):
    slug = forms.CharField(
        label="Round",
        max_length=7,
        error_messages={
            "required": "Enter the round's two years, such as 2010-11.",
            "max_length": "Enter the round as two consecutive years, YYYY-YY, such as 2010-11.",
        },
        help_text="Two consecutive years, as YYYY-YY: for example 2010-11.",
    )
    name = forms.CharField(
        label="Name",
        max_length=100,
        error_messages={
            "required": NAME_REQUIRED,
            "max_length": "Keep the name to 100 characters or fewer.",
        },
        help_text="As boards and the public will read it: World Class Commissioning "
        "assurance 2010/11.",
    )
    source = forms.ChoiceField(
        label="Copy the framework of",
        error_messages={"required": "Choose the framework to copy."},
        help_text="Its competencies, level descriptors, governance areas and sub-indicators "
        "are copied; you can change the copy's wording until the round opens.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = framework_sources()

    def clean_slug(self) -> str:
        """The service's rule for a round's years, said with the other fields' problems
        (not on the next try, once they are put right)."""
        try:
            return round_slug_clean(self.cleaned_data["slug"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["slug"]) from None


class RoundNameForm(_Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        error_messages={"required": NAME_REQUIRED},
    )
    # The name the page showed: a rename from another window since is not undone unseen.
    was = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, slug: str, **kwargs):
        super().__init__(*args, **kwargs)
        years = f"{slug[:4]}/{slug[5:]}"  # the round's own years, not another's
        self.fields[
            "name"
        ].help_text = (
            f"As boards and the public will read it: World Class Commissioning assurance {years}."
        )


class TimetableForm(_Form):
    factual_accuracy_working_days = forms.IntegerField(
        label="Factual-accuracy check (working days)",
        min_value=1,
        max_value=WINDOW_DAYS_MAX,
        error_messages={
            key: f"Enter a whole number of working days, from 1 to {WINDOW_DAYS_MAX}."
            for key in ("required", "invalid", "min_value", "max_value")
        },
        help_text="How long each board has to comment on its draft results.",
    )
    # The timetable's version the page was made from (assessments.rounds.timetable_version);
    # missing (an old page): not checked.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        dates = {
            field: forms.DateField(
                label=label[0].upper() + label[1:],
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            )
            for field, label in TIMETABLE_FIELDS.items()
        }
        self.fields = {**dates, **self.fields}

    def clean_factual_accuracy_working_days(self):
        # int() reads Arabic-Indic digits as a number; the ratings import and every other
        # number here take the digits 0 to 9 only.
        raw = str(self.data.get(self.add_prefix("factual_accuracy_working_days"), ""))
        if not raw.strip().isascii():
            raise forms.ValidationError(
                f"Enter a whole number of working days, from 1 to {WINDOW_DAYS_MAX}, with "
                "the digits 0 to 9."
            )
        return self.cleaned_data["factual_accuracy_working_days"]

    @property
    def dates(self) -> dict:
        return {field: self.cleaned_data.get(field) for field in TIMETABLE_FIELDS}

    def clean(self):
        # The dates' range and order beside the fields' own errors, all in one error
        # summary (the service checks them again); a date refused by its field is left out.
        cleaned = super().clean()
        for field, message in timetable_errors(self.dates).items():
            self.add_error(field, message)
        return cleaned


class TimetableReasonForm(_Form):
    """The timetable's check page, when the change is e-mailed (an opened round): why, if
    the national team says; kept in the round's history and quoted in the e-mail."""

    reason = reason_field(
        label="Reason for the change (told to those e-mailed)",
        help_text="Optional. Quoted in the e-mail about the new dates, and kept in the "
        "round's history.",
        missing="",
        limit=TIMETABLE_REASON_MAX_CHARS,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = False

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"]
        if not reason:
            return ""
        try:  # the service's own check (a control character), said on the field
            return checked_reason(reason, missing="", limit=TIMETABLE_REASON_MAX_CHARS)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["reason"]) from None


class OpenRoundForm(_Form):
    """The SHAs to open; with ``counts`` (``assessments.rounds.sha_open_counts``) each SHA
    says how many PCTs would start and how many already have."""

    shas = forms.ModelMultipleChoiceField(
        label="Open for these SHAs",
        queryset=StrategicHealthAuthority.objects.order_by("ods_code"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one SHA."},
    )

    def __init__(self, *args, counts: dict[int, tuple[int, int]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if counts is not None:
            field = self.fields["shas"]

            def label(sha) -> str:
                waiting, started = counts.get(sha.pk, (0, 0))
                return (
                    f"{sha.name} ({sha.ods_code}): {waiting} PCT{'s' * (waiting != 1)} to "
                    f"start, {started} already started"
                )

            field.label_from_instance = label


class _ItemForm(_Form):
    # The item as the page showed it (``assessments.rounds.framework_item_version``): an
    # edit from a page that showed another is refused, what was typed kept.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class CompetencyForm(_ItemForm):
    short_name = forms.CharField(label="Short name", max_length=100)
    statement = forms.CharField(
        label="Competency statement", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, competency: Competency, **kwargs):
        super().__init__(*args, **kwargs)
        descriptors = {d.level: d.descriptor for d in competency.levels.all()}
        for level in LEVELS:
            self.fields[f"level_{level}"] = forms.CharField(
                label=f"Level {level}" + (" (world class)" if level == 4 else ""),
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=descriptors.get(level, ""),
            )
        self.initial.setdefault("short_name", competency.short_name)
        self.initial.setdefault("statement", competency.statement)

    @property
    def levels(self) -> dict[int, str]:
        return {level: self.cleaned_data[f"level_{level}"] for level in LEVELS}


class GovernanceAreaForm(_ItemForm):
    description = forms.CharField(
        label="Description", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    green_meaning = forms.CharField(label="Green means", widget=forms.Textarea(attrs={"rows": 2}))
    amber_meaning = forms.CharField(label="Amber means", widget=forms.Textarea(attrs={"rows": 2}))
    red_meaning = forms.CharField(label="Red means", widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, area: GovernanceArea, **kwargs):
        super().__init__(*args, **kwargs)
        self.subs_ = list(area.sub_indicators.all())
        for field in ("description", "green_meaning", "amber_meaning", "red_meaning"):
            self.initial.setdefault(field, getattr(area, field))
        for sub in self.subs_:
            self.fields[f"sub_{sub.number}_name"] = forms.CharField(
                label=f"Sub-indicator {sub.number}", max_length=200, initial=sub.name
            )
            self.fields[f"sub_{sub.number}_description"] = forms.CharField(
                label=f"Sub-indicator {sub.number}: description",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=sub.description,
            )
        self.fields["new_name"] = forms.CharField(
            label="Add a sub-indicator", max_length=200, required=False
        )
        self.fields["new_description"] = forms.CharField(
            label="The new sub-indicator's description",
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
        )

    @property
    def values(self) -> dict[str, str]:
        return {
            f: self.cleaned_data[f]
            for f in ("description", "green_meaning", "amber_meaning", "red_meaning")
        }

    @property
    def sub_indicators(self) -> list[tuple]:
        data = self.cleaned_data
        rows = [
            (sub, data[f"sub_{sub.number}_name"], data[f"sub_{sub.number}_description"])
            for sub in self.subs_
        ]
        return [*rows, (None, data["new_name"], data["new_description"])]
