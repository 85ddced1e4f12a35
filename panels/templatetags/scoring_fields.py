"""``{% scoring_field field %}``: one field of the scoring and consensus forms, as HTML.

Why not ``|as_crispy_field``: these pages draw three fields for each of thirty-odd items, and
crispy renders every field through half a dozen nested templates (and Django renders each
widget through its own): about three quarters of the scoring page's time went there
(issue 13). The forms use only two widgets, radios and text areas, so this tag writes
them in Python with ``format_html``, and the markup stays the one crispy-bootstrap5 gives
(the same elements, classes and ids), which the styles, ``static/js/forms.js`` and the
browser tests rely on:

- radios in a ``<fieldset>`` with a ``<legend>``; the fieldset is described by the error
  (``aria-describedby``, Django's ``BoundField.aria_describedby``); each radio is marked
  ``is-invalid`` and ``aria-invalid``, and the messages follow the last option;
- a text area under its ``<label>``, described by its hint and its error, then the error
  and the hint;
- each message in an element with id ``<field id>_error``, the id the error summary's
  links and ``aria-describedby`` point to.

The attributes come from Django itself (``build_widget_attrs`` and the widget's
``optgroups``), so ``aria-invalid``, ``checked`` and the ids are Django's.
"""

from django import forms, template
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def scoring_field(field: forms.BoundField) -> SafeString:
    """The field wrapped as crispy-bootstrap5 wraps it: radios or a text area only."""
    widget = field.field.widget
    if isinstance(widget, forms.RadioSelect):
        return _radios(field)
    if isinstance(widget, forms.Textarea):
        return _textarea(field)
    raise TypeError(
        f"scoring_field draws radios and text areas, not {type(widget).__name__} "
        f"({field.html_name}); use |as_crispy_field."
    )


def _label_text(field: forms.BoundField) -> SafeString:
    if field.field.required:
        return format_html('{}<span class="asteriskField">*</span>', field.label)
    return format_html("{}", field.label)


def _label_class(field: forms.BoundField, base: str) -> str:
    return f"{base} requiredField" if field.field.required else base


def _help(field: forms.BoundField) -> SafeString:
    if not field.help_text:
        return mark_safe("")
    # The help text is trusted markup, as in Django's and crispy's templates.
    return format_html(
        '<div id="{}_helptext" class="form-text">{}</div>',
        field.auto_id,
        mark_safe(field.help_text),  # noqa: S308
    )


def _errors(field: forms.BoundField, *, tag: str) -> SafeString:
    """The messages, ``<p>`` each under radios and ``<span>`` each under a text area (as
    crispy's block and inline error templates)."""
    if not field.errors:
        return mark_safe("")
    auto_id = field.auto_id
    messages = format_html_join(
        "",
        "<" + tag + ' id="error_{}_{}"><strong>{}</strong></' + tag + ">",
        ((number, auto_id, error) for number, error in enumerate(field.errors, start=1)),
    )
    return format_html('<div id="{}_error" class="invalid-feedback">{}</div>', auto_id, messages)


def _radios(field: forms.BoundField) -> SafeString:
    widget = field.field.widget
    invalid = " is-invalid" if field.errors else ""
    id_ = widget.attrs.get("id") or field.auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    options = [
        option
        for _group, group_options, _index in widget.optgroups(
            field.html_name, widget.format_value(field.value()), attrs
        )
        for option in group_options
    ]
    rows = []
    for number, option in enumerate(options, start=1):
        option_attrs = flatatt(option["attrs"])
        rows.append(
            format_html(
                '<div class="form-check"><input type="{}" class="form-check-input{}" '
                'name="{}" value="{}"{}><label for="{}" class="form-check-label">{}</label>'
                "{}</div>",
                option["type"],
                invalid,
                field.html_name,
                option["value"],
                option_attrs,
                option["attrs"].get("id", ""),
                option["label"],
                _errors(field, tag="p") if number == len(options) else "",
            )
        )
    described = field.aria_describedby
    return format_html(
        '<div id="div_{}" class="mb-3"><fieldset{}><legend class="{}">{}</legend>'
        "<div>{}</div>{}</fieldset></div>",
        field.auto_id,
        format_html(' aria-describedby="{}"', described) if described else "",
        _label_class(field, "form-label") + " fs-6",
        _label_text(field),
        mark_safe("".join(rows)),  # noqa: S308 (each row built by format_html)
        _help(field),
    )


def _textarea(field: forms.BoundField) -> SafeString:
    widget = field.field.widget
    css = " ".join(c for c in (widget.attrs.get("class", ""), "textarea", "form-control") if c)
    if field.errors:
        css += " is-invalid"
    attrs = field.build_widget_attrs({"class": css}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    value = widget.format_value(field.value())
    return format_html(
        '<div id="div_{}" class="mb-3"><label for="{}" class="{}">{}</label>'
        '<textarea name="{}"{}>\n{}</textarea>{}{}</div>',
        field.auto_id,
        field.id_for_label,
        _label_class(field, "form-label"),
        _label_text(field),
        field.html_name,
        flatatt(widget.build_attrs(widget.attrs, attrs)),
        value or "",
        _errors(field, tag="span"),
        _help(field),
    )
