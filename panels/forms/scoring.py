"""Forms for a member's scores and the chair's consensus, built from the round's framework.

Choices carry the framework's words: each level is offered with its descriptor, each light
with what it means for that area, so the choice is made where the descriptors are read.
The pages lay the fields out item by item beside the panel's scores, so the forms render
field by field (``as_crispy_field``) rather than as one block; the helper only switches
off crispy's own ``<form>`` tag and error summary, which the pages draw once at the top.
"""

from crispy_forms.helper import FormHelper
from django import forms

from assessments.form_errors import NoTruncation, VisibleTextField
from competencies.forms import level_choices, light_choices
from competencies.models import value_field
from competencies.selectors import item_label
from panels.selectors import ItemRow
from panels.services.scoring import AgreedInput, MemberInput


class _ItemForm(forms.Form):
    """Shared machinery: one group of fields per item, keyed by the item's code."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, rows: list[ItemRow], **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = rows
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.form_show_errors = True
        self.helper.disable_csrf = True

    suffixes: tuple[str, ...] = ()

    def _name_fields(self, row: ItemRow) -> None:
        """Say which item each field is about in the error summary (its labels repeat), and
        to a screen reader moving from field to field: the accessibility walk heard thirty
        "Notes for the board". The accessible name starts with the visible label."""
        label = item_label(row.item)
        for suffix in self.suffixes:
            field = self.fields[f"{row.code}{suffix}"]
            field.summary_item = label
            field.summary_name = (
                label if not suffix else f"{label}, {field.label[0].lower()}{field.label[1:]}"
            )
            if suffix:  # a text box (the radios' legend names the item already)
                field.widget.attrs["aria-label"] = f"{field.label}: {label}"

    @property
    def items(self) -> list[tuple]:
        """Each row with its bound fields (value first), for the page to lay out item by item."""
        return [
            (row, *[self[f"{row.code}{suffix}"] for suffix in self.suffixes]) for row in self.rows
        ]


class ScoringForm(_ItemForm):
    """A member's level or light for every item, with notes; blank allowed in a draft."""

    suffixes = ("", "_notes", "_internal")

    def __init__(self, *args, rows: list[ItemRow], **kwargs):
        super().__init__(*args, rows=rows, **kwargs)
        for row in rows:
            item = row.item
            choices = level_choices(item) if row.is_competency else light_choices(item)
            self.fields[row.code] = forms.ChoiceField(
                label=f"Your {value_field(item)} for {item}",
                choices=choices,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"{row.code}_notes"] = forms.CharField(
                label="Notes for the board",
                help_text="What the PCT board should read about this item.",
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
            )
            self.fields[f"{row.code}_internal"] = forms.CharField(
                label="Internal notes (seen by the panel only)",
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
            )
            if not self.is_bound and row.mine is not None:
                self.initial[row.code] = str(row.mine.value) if row.mine.value is not None else ""
                self.initial[f"{row.code}_notes"] = row.mine.notes_for_board
                self.initial[f"{row.code}_internal"] = row.mine.internal_notes
            self._name_fields(row)

    @property
    def submitting(self) -> bool:
        return self.data.get("action") == "submit"

    def inputs(self) -> dict:
        data = self.cleaned_data
        return {
            row.item: MemberInput(
                value=data.get(row.code) or None,
                notes_for_board=data.get(f"{row.code}_notes", "").strip(),
                internal_notes=data.get(f"{row.code}_internal", "").strip(),
            )
            for row in self.rows
        }


class ConsensusForm(_ItemForm):
    """The chair's agreed value and rationale for every item."""

    suffixes = ("", "_rationale")

    def __init__(self, *args, rows: list[ItemRow], **kwargs):
        super().__init__(*args, rows=rows, **kwargs)
        for row in rows:
            item = row.item
            choices = (
                level_choices(item, with_descriptors=False)
                if row.is_competency
                else light_choices(item, with_meanings=False)
            )
            self.fields[row.code] = forms.ChoiceField(
                label=f"Agreed {value_field(item)}",
                choices=choices,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"{row.code}_rationale"] = forms.CharField(
                label="Rationale (the board reads this)",
                widget=forms.Textarea(attrs={"rows": 3}),
                required=False,
            )
            if not self.is_bound and row.agreed is not None:
                self.initial[row.code] = str(row.agreed.value)
                self.initial[f"{row.code}_rationale"] = row.agreed.rationale
            self._name_fields(row)

    def inputs(self) -> dict:
        data = self.cleaned_data
        return {
            row.item: AgreedInput(
                value=data.get(row.code) or None,
                rationale=data.get(f"{row.code}_rationale", ""),
            )
            for row in self.rows
        }


class AbsenceForm(NoTruncation):
    reason = VisibleTextField(
        label="Why the member could not take part",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=1000,
        error_messages={
            "max_length": "Keep the reason to 1,000 characters or fewer (it has %(show_value)d).",
            "null_characters_not_allowed": "The reason holds a character that is not text "
            "(NUL): type it again.",
        },
    )
