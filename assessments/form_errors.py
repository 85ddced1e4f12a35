"""The server half of the GOV.UK error pattern, shared by every form of the site.

``assessments.exceptions.form_add_refusal`` puts a service's refusal on the fields it is
about: services raise ``ValidationError`` keyed by the form field's name (an item's code
such as ``c5``, or ``c5_rationale``), so each message stands beside its item as well as in
the summary. ``summary_entries`` lists the summary's links: one per message, to the field (to an item's
first radio), each message reading once. A field may set ``summary_name`` (say the item's
label) when its label alone does not say which item it is, and ``summary_item`` (the item's
label) so that a message already naming the item is not prefixed again.
"""

from django import forms

from assessments.text import REASON_MAX_CHARS, visible


class NoTruncation(forms.Form):
    """A form whose fields never cut what is typed or pasted: Django gives a field with a
    ``max_length`` the HTML ``maxlength``, with which the browser drops the rest silently
    (the accessibility walk: a 1,200-character reason kept its first 1,000 without a word).
    The length is checked on the server instead, whose message says the limit, with the
    whole text given back. Taken off as each field is rendered, so that fields a form adds
    in its ``__init__`` are covered too."""

    def __getitem__(self, name):
        bound = super().__getitem__(name)
        bound.field.widget.attrs.pop("maxlength", None)
        return bound


class MarksInvalid(NoTruncation):
    """A form whose fields are laid out by hand (``includes/field_error.html``; crispy marks
    its own): each field with an error, from validation or from a service's refusal put on
    it later (``form_add_refusal``), gets Bootstrap's ``is-invalid``. (The GET filter
    forms validate in their ``__init__``, their filters being read from ``cleaned_data``
    without ``is_valid``, and mark their fields there.)"""

    def marks(self, name: str) -> bool:
        """Whether the form lays ``name`` out by hand: every field, unless a form that lets
        crispy draw the others says which."""
        return True

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields and self.marks(name):
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "")
                if "is-invalid" not in classes.split():
                    widget.attrs["class"] = f"{classes} is-invalid".strip()


class VisibleTextField(forms.CharField):
    """A text field for which text of invisible characters only (zero-width or no-break
    spaces) is empty, as spaces are: ``required`` refuses it before any check page shows a
    blank reason (``assessments.text.visible``, which the services apply too)."""

    def to_python(self, value):
        value = super().to_python(value)
        return value if visible(value) else self.empty_value


def reason_field(
    *, label: str, help_text: str, missing: str, limit: int = REASON_MAX_CHARS
) -> VisibleTextField:
    """A reason typed in a box of four lines: required (``missing`` says what to give), at
    most ``limit`` characters (the message says how many it has), with the messages the
    services' ``assessments.text.checked_reason`` gives."""
    return VisibleTextField(
        label=label,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=limit,
        error_messages={
            "required": missing,
            "max_length": f"Keep the reason to {limit:,} characters or fewer "
            "(it has %(show_value)d).",
            "null_characters_not_allowed": "The reason holds a character that is not text "
            "(NUL): type it again.",
        },
    )


def field_anchor(bound_field: forms.BoundField) -> str:
    """The id an error links to: the input, or for radios and tick lists the first option."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return f"{bound_field.auto_id}_0"
    return bound_field.auto_id


def _reads_once(name: str, message: str, item: str = "") -> str:
    """``name: message``, unless the message already names the field (``Seat 3: …``) or
    the item it belongs to."""
    head = name.split(":")[0].strip()
    if not name or name in message or (head and message.startswith(head)):
        return message
    if item and item in message:
        return message
    return f"{name}: {message}"


def summary_entries(form: forms.Form, *, row: int | None = None) -> list[tuple[str, str]]:
    """``(href, message)`` for each error of ``form`` in page order; href is empty for an
    error about the form as a whole. ``row``: the form's number in a formset, named first."""
    entries = [("", str(message)) for message in form.non_field_errors()]
    for bound_field in form:
        name = str(getattr(bound_field.field, "summary_name", "") or bound_field.label or "")
        if row is not None:
            name = f"Row {row}, {name[:1].lower()}{name[1:]}"
        item = str(getattr(bound_field.field, "summary_item", ""))
        entries.extend(
            (f"#{field_anchor(bound_field)}", _reads_once(name, str(message), item))
            for message in bound_field.errors
        )
    return entries
