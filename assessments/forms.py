"""The board's self-assessment and evidence upload."""

import re

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.utils import timezone

from assessments.form_errors import MarksInvalid, NoTruncation, VisibleTextField, reason_field
from assessments.models import (
    AssessmentRound,
    DevelopmentPriority,
    EvidenceDocument,
    LocalOutcomePriority,
    Supplier,
)
from assessments.services import PriorityInput
from assessments.text import REASON_MAX_CHARS
from competencies.forms import value_choices
from competencies.models import Competency, SubIndicator, value_field
from competencies.selectors import item_label

PRIORITY_FIELD = re.compile(r"^p\d+_(indicator|baseline_year|baseline|target_year|target)$")


def _kind(item) -> str:
    if isinstance(item, Competency):
        return "competency"
    return "sub_indicator" if isinstance(item, SubIndicator) else "area"


class SelfAssessmentForm(MarksInvalid):
    """A level (with the framework's descriptors) or light (with its meanings) for every item
    of the round's framework, each with the board's commentary; blank allowed in a draft."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    commentary = forms.CharField(
        label="The board's overall commentary",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    confirm = forms.BooleanField(
        label="We confirm this is the board's agreed self-assessment.",
        required=False,
    )

    PRIORITY_ROWS = LocalOutcomePriority.MAX_PER_ASSESSMENT
    # No placeholders (GOV.UK: they read as values already typed; the board walk read a
    # grey 2012-13 beside "enter the target year"): the section's hint gives the forms.
    PRIORITY_FIELDS = (
        ("baseline_year", "Baseline year"),
        ("baseline", "Baseline"),
        ("target_year", "Target year"),
        ("target", "Target"),
    )

    def __init__(
        self,
        *args,
        items: list,
        ratings: dict,
        indicators: list | None = None,
        priorities: list | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.items_ = items
        self.indicators_ = {str(i.pk): i for i in indicators or []}
        self._priority_fields(priorities or [])
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        for item in items:
            kind = value_field(item)
            self.fields[item.code] = forms.ChoiceField(
                label=f"Our {kind} for {item_label(item)}",
                choices=value_choices(item),
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"{item.code}_commentary"] = forms.CharField(
                label="Why: the evidence behind this rating",
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
            )
            # The error summary names the item once (see assessments.form_errors).
            label = item_label(item)
            self.fields[item.code].summary_name = label
            self.fields[f"{item.code}_commentary"].summary_name = f"{label}, why"
            self.fields[item.code].summary_item = label
            self.fields[f"{item.code}_commentary"].summary_item = label
            rating = ratings.get(item.code)
            if not self.is_bound and rating is not None:
                self.initial[item.code] = "" if rating.value is None else str(rating.value)
                self.initial[f"{item.code}_commentary"] = rating.commentary
        # In page order, so that the error summary lists problems as the page shows them.
        for name in ("commentary", "confirm"):
            self.fields[name] = self.fields.pop(name)
        # Its message says what to do ("Tick this box…"): no label before it in the summary.
        self.fields["confirm"].summary_item = "Tick this box"

    def _priority_fields(self, priorities: list) -> None:
        """Ten rows of an indicator with its baseline and target: text as typed, checked
        by the service (which names each bad row)."""
        choices = [("", "No priority")] + [(k, i.name) for k, i in self.indicators_.items()]
        for row in range(1, self.PRIORITY_ROWS + 1):
            self.fields[f"p{row}_indicator"] = forms.ChoiceField(
                label=f"Priority {row}: outcome indicator", choices=choices, required=False
            )
            for name, label in self.PRIORITY_FIELDS:
                self.fields[f"p{row}_{name}"] = forms.CharField(
                    label=f"Priority {row}: {label.lower()}",
                    max_length=40,  # the service says what is wrong with a long one
                    required=False,
                    widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
                )
            self.fields[f"p{row}_indicator"].widget.attrs["class"] = "form-select form-select-sm"
        if not self.is_bound:
            for row, priority in enumerate(priorities, start=1):
                self.initial[f"p{row}_indicator"] = str(priority.indicator_id)
                for name, _label in self.PRIORITY_FIELDS:
                    value = getattr(priority, name)
                    self.initial[f"p{row}_{name}"] = "" if value is None else str(value)

    def marks(self, name: str) -> bool:
        return bool(PRIORITY_FIELD.match(name))  # the priorities' table; crispy draws the rest

    @property
    def priority_rows(self) -> list[list]:
        """Each row's ``(column, bound field)``: the indicator, then baseline year, baseline,
        target year and target (the column's name shows beside the field on a phone)."""
        columns = [("indicator", "Outcome indicator"), *self.PRIORITY_FIELDS]
        return [
            [(label, self[f"p{row}_{name}"]) for name, label in columns]
            for row in range(1, self.PRIORITY_ROWS + 1)
        ]

    def priorities(self) -> list[PriorityInput]:
        """The rows the board filled in (wholly blank rows are dropped), in order."""
        data, rows = self.cleaned_data, []
        for row in range(1, self.PRIORITY_ROWS + 1):
            texts = {name: data.get(f"p{row}_{name}", "") for name, _l in self.PRIORITY_FIELDS}
            chosen = data.get(f"p{row}_indicator") or ""
            if not chosen and not any(t.strip() for t in texts.values()):
                continue
            rows.append(PriorityInput(indicator=self.indicators_.get(chosen), number=row, **texts))
        return rows

    @property
    def submitting(self) -> bool:
        return self.data.get("action") == "submit"

    @property
    def items(self) -> list[tuple]:
        """``(item, value field, commentary field, kind)``, kind being ``competency``,
        ``area`` or ``sub_indicator``."""
        return [
            (item, self[item.code], self[f"{item.code}_commentary"], _kind(item))
            for item in self.items_
        ]

    def clean(self):
        """On submit, every problem at once: each item left blank (in the words of
        ``self_assessment_submit``, which still checks) and the board's tick."""
        data = super().clean()
        if self.submitting:
            for item in self.items_:
                if item.code in data and not data[item.code]:
                    self.add_error(item.code, f"{item_label(item)}: choose a {value_field(item)}.")
            if not data.get("confirm"):
                self.add_error("confirm", "Tick this box to submit: the board must have agreed it.")
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            item: (data.get(item.code) or None, data.get(f"{item.code}_commentary", ""))
            for item in self.items_
        }


class EvidenceForm(NoTruncation):
    """A document of evidence. Its fields sit outside the self-assessment's ``<form>`` but
    post with it (``form="self-assessment"``), so an upload saves the typed answers first."""

    doc_type = forms.ChoiceField(
        label="Type of document",
        choices=[("", "Choose the type of document"), *EvidenceDocument.DocType.choices],
        error_messages={"required": "Choose the type of document."},
    )
    title = forms.CharField(label="Title", max_length=200, required=False)
    file = forms.FileField(
        label="File",
        help_text="PDF, Word (DOCX), Excel (XLSX), PowerPoint (PPTX), ODT, CSV or text.",
        error_messages={
            "required": "Choose the file to upload.",
            "empty": "The file is empty: choose the document itself.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.EVIDENCE_MAX_BYTES / 1_048_576
        self.fields["file"].help_text += f" Up to {limit:.0f} MB."
        for field in self.fields.values():
            field.widget.attrs["form"] = "self-assessment"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class FactualAccuracyCommentForm(NoTruncation):
    """The board's comment on one item of its draft results."""

    GENERAL = 0  # the choice for a comment on the draft as a whole

    rating = forms.TypedChoiceField(
        label="Item",
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={
            "required": "Choose the item the comment is about, or the draft as a whole.",
            "invalid_choice": "Choose one of the items listed.",
        },
    )
    comment = VisibleTextField(
        label="What is factually inaccurate, and what the evidence shows",
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        max_length=4000,
        error_messages={
            "required": "Write the comment: what is factually wrong, and why.",
            "max_length": "Keep the comment to 4,000 characters or fewer.",
        },
    )

    def __init__(self, *args, ratings: list[tuple], **kwargs):
        """``ratings``: ``(agreed rating, label)`` for each item the board may comment on."""
        super().__init__(*args, **kwargs)
        self.ratings_ = {rating.pk: rating for rating, _label in ratings}
        self.fields["rating"].choices = [
            ("", "Choose the item…"),
            (self.GENERAL, "The draft as a whole (not one item)"),
        ] + [(rating.pk, label) for rating, label in ratings]

    def clean_rating(self):
        """The agreed rating commented on, or None for the draft as a whole."""
        chosen = self.cleaned_data["rating"]
        return None if chosen == self.GENERAL else self.ratings_[chosen]


class FactualAccuracyAnswerForm(NoTruncation):
    """SHA staff's answer to a comment, and optionally a changed rating (the answer is the
    reason for it)."""

    response = VisibleTextField(
        label="Answer",
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        max_length=4000,
        error_messages={
            "required": "Write the answer the board will read.",
            "max_length": "Keep the answer to 4,000 characters or fewer.",
        },
    )
    value = forms.ChoiceField(
        label="Change the rating to",
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm d-inline-block w-auto"}),
    )

    def __init__(self, *args, rating=None, **kwargs):
        super().__init__(*args, **kwargs)
        if rating is None:
            del self.fields["value"]
        else:
            self.fields["value"].choices = [("", "Keep it unchanged")] + [
                (key, label.split(":")[0]) for key, label in value_choices(rating.item)
            ]


class DevelopmentPlanForm(NoTruncation):
    """The plan's owner, review date and summary; its priorities are a formset."""

    owner = forms.CharField(
        label="Owner",
        max_length=200,
        help_text="Who answers for the plan, e.g. a director.",
        error_messages={
            "required": "Enter who answers for the plan, such as the director of commissioning.",
            "max_length": "Keep the owner to 200 characters or fewer.",
        },
    )
    review_date = forms.DateField(
        label="Review date",
        # ISO, the only form a date input reads: a saved date shows again when editing
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Enter the date the plan will be reviewed.",
            "invalid": "Enter the review date as a real date, such as 30/06/2010.",
        },
    )
    summary = forms.CharField(
        label="Why the SHA directs this PCT's development",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    # The plan as the page showed it (``assessments.development.plan_version``): a save or
    # withdrawal from a page that showed another is refused, what was typed kept.
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)

    def __init__(self, *args, round_: AssessmentRound, **kwargs):
        super().__init__(*args, **kwargs)
        self.round = round_
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_review_date(self):
        """From the start of the round's year to ten years ahead: a plan for 2009-10
        reviewed in 2001, or in 2109, is a slip of the keyboard."""
        value = self.cleaned_data["review_date"]
        earliest = self.round.begins
        latest = timezone.localdate().replace(year=timezone.localdate().year + 10, day=1)
        if not earliest <= value <= latest:
            raise forms.ValidationError(
                f"Enter a review date from {earliest:%-d %B %Y}, when {self.round.slug} "
                f"began, to {latest:%-d %B %Y}."
            )
        return value

    def plan_fields(self) -> dict:
        """What ``development_plan_save`` takes of the form."""
        data = self.cleaned_data
        return {k: data[k] for k in ("owner", "review_date", "summary")}


class DevelopmentPriorityForm(MarksInvalid):
    """One competency to develop, with the support chosen: share, learn or buy."""

    competency = forms.ModelChoiceField(
        queryset=Competency.objects.none(),
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    support = forms.ChoiceField(
        choices=[("", "—"), *DevelopmentPriority.Support.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    supplier = forms.ModelChoiceField(
        queryset=Supplier.objects.all(),
        required=False,
        empty_label="No supplier",
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    action = forms.CharField(
        label="What will be done",
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )

    def __init__(self, *args, competencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        if competencies is not None:
            self.fields["competency"].queryset = competencies

    def clean(self):
        data = super().clean()
        filled = [name for name in ("competency", "support", "action") if data.get(name)]
        if filled and len(filled) < 3:
            for name in ("competency", "support", "action"):
                if not data.get(name):
                    self.add_error(name, "Needed for this priority.")
        return data

    @property
    def is_blank(self) -> bool:
        return not any(self.cleaned_data.get(n) for n in ("competency", "support", "action"))


class _DevelopmentPriorities(forms.BaseFormSet):
    # Django's own words are for developers ("tampered with… file a bug report"; the
    # bad-input walk): the page's words instead.
    default_error_messages = {
        "missing_management_form": "The page was sent without its list of priorities (an "
        "old or altered copy of the page): nothing was saved. Reload the page and enter the "
        "plan again.",
        "too_many_forms": "A plan has at most %(num)d priorities: remove some.",
    }


DevelopmentPriorityFormSet = forms.formset_factory(
    DevelopmentPriorityForm,
    formset=_DevelopmentPriorities,
    extra=0,
    min_num=0,
    max_num=12,
    validate_max=True,
)


class ReasonForm(NoTruncation):
    """A reason (the subclass's ``reason``: ``reason_field``) and the assessment's version
    the page was made from, inside the page's own form tag: the pages of a step others are
    told of (sending a self-assessment back, proceeding without one)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True


class SendBackForm(ReasonForm):
    """What the board should correct, as SHA staff send its submitted self-assessment back
    (``assessments.reopening``), and the assessment's version the page was made from."""

    reason = reason_field(
        label="What the board should correct",
        help_text=f"At most {REASON_MAX_CHARS:,} characters. The board is e-mailed it and sees "
        "it above its self-assessment; the assessment's history keeps it.",
        missing="Say what the board should correct.",
    )
