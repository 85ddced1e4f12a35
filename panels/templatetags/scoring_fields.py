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
  ``is-invalid`` and ``aria-invalid``, and the messages come under the legend, before the
  options, as GOV.UK places them (the site overrides crispy's
  ``bootstrap5/layout/radio_checkbox_select.html`` to the same);
- a text area under its ``<label>``, described by its hint and its error, then the error
  and the hint;
- each message in an element with id ``<field id>_error``, the id the error summary's
  links and ``aria-describedby`` point to.

The attributes come from Django itself (``build_widget_attrs`` and the widget's
``optgroups``), so ``aria-invalid``, ``checked`` and the ids are Django's. Text is escaped
with the standard library's ``html.escape`` (what Django's ``escape`` does, without its lazy
wrappers: ``format_html`` alone cost a third of the tag's time); ``SafeString`` passes.
"""

import html

from django import forms, template
from django.utils.safestring import SafeData, SafeString, mark_safe

register = template.Library()


@register.simple_tag
def scoring_field(field: forms.BoundField) -> SafeString:
    """The field wrapped as crispy-bootstrap5 wraps it: radios or a text area only."""
    widget = field.field.widget
    if isinstance(widget, forms.RadioSelect):
        return mark_safe(_radios(field))  # noqa: S308 (every value escaped by _e)
    if isinstance(widget, forms.Textarea):
        return mark_safe(_textarea(field))  # noqa: S308 (every value escaped by _e)
    raise TypeError(
        f"scoring_field draws radios and text areas, not {type(widget).__name__} "
        f"({field.html_name}); use |as_crispy_field."
    )


def _e(value) -> str:
    """``value`` escaped for HTML text or a quoted attribute, unless it is already safe."""
    return value if isinstance(value, SafeData) else html.escape(str(value))


def _attrs(attrs: dict) -> str:
    """`` name="value"`` each, as Django's ``flatatt``: True alone, False and None left out."""
    return "".join(
        f" {name}" if value is True else f' {name}="{_e(value)}"'
        for name, value in attrs.items()
        if value is not False and value is not None
    )


def _label(field: forms.BoundField, tag: str, css: str, for_id: str = "") -> str:
    required = field.field.required
    css = f"{css} requiredField" if required else css
    star = '<span class="asteriskField">*</span>' if required else ""
    target = f' for="{_e(for_id)}"' if for_id else ""
    return f'<{tag}{target} class="{css}">{_e(field.label)}{star}</{tag}>'


def _help(field: forms.BoundField, auto_id: str) -> str:
    # The help text is trusted markup, as in Django's and crispy's templates.
    if not field.help_text:
        return ""
    return f'<div id="{_e(auto_id)}_helptext" class="form-text">{field.help_text}</div>'


def _errors(errors, auto_id: str, *, tag: str) -> str:
    """The messages under a text area, ``<span>`` each (as crispy's inline error
    template)."""
    if not errors:
        return ""
    auto_id = _e(auto_id)
    messages = "".join(
        f'<{tag} id="error_{number}_{auto_id}"><strong>{_e(error)}</strong></{tag}>'
        for number, error in enumerate(errors, start=1)
    )
    return f'<div id="{auto_id}_error" class="invalid-feedback">{messages}</div>'


def _radios(field: forms.BoundField) -> str:
    widget, auto_id, errors, name = field.field.widget, field.auto_id, field.errors, field.html_name
    input_css = "form-check-input is-invalid" if errors else "form-check-input"
    id_ = widget.attrs.get("id") or auto_id
    attrs = field.build_widget_attrs({"id": id_} if id_ else {})
    options = [
        option
        for _group, group_options, _index in widget.optgroups(
            name, widget.format_value(field.value()), attrs
        )
        for option in group_options
    ]
    rows = [
        f'<div class="form-check"><input type="{_e(option["type"])}" class="{input_css}" '
        f'name="{_e(name)}" value="{_e(option["value"])}"{_attrs(option["attrs"])}>'
        f'<label for="{_e(option["attrs"].get("id", ""))}" class="form-check-label">'
        f"{_e(option['label'])}</label></div>"
        for option in options
    ]
    described = field.aria_describedby
    described = f' aria-describedby="{_e(described)}"' if described else ""
    return (
        f'<div id="div_{_e(auto_id)}" class="mb-3"><fieldset{described}>'
        f"{_label(field, 'legend', 'form-label fs-6')}{_radio_errors(errors, auto_id)}"
        f"<div>{''.join(rows)}</div>{_help(field, auto_id)}</fieldset></div>"
    )


def _radio_errors(errors, auto_id: str) -> str:
    """Under the legend, before the options (templates/bootstrap5/layout/
    radio_checkbox_select.html, through includes/field_error.html)."""
    if not errors:
        return ""
    messages = "<br>".join(
        f'<span class="visually-hidden">Error: </span>{_e(error)}' for error in errors
    )
    return f'<p class="invalid-feedback d-block mb-1" id="{_e(auto_id)}_error">{messages}</p>'


def _textarea(field: forms.BoundField) -> str:
    widget, auto_id, errors = field.field.widget, field.auto_id, field.errors
    css = " ".join(c for c in (widget.attrs.get("class", ""), "textarea", "form-control") if c)
    if errors:
        css += " is-invalid"
    attrs = field.build_widget_attrs({"class": css}, widget)
    if auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", auto_id)
    value = widget.format_value(field.value())
    return (
        f'<div id="div_{_e(auto_id)}" class="mb-3">'
        f"{_label(field, 'label', 'form-label', field.id_for_label)}"
        f'<textarea name="{_e(field.html_name)}"{_attrs(widget.build_attrs(widget.attrs, attrs))}>'
        f"\n{_e(value) if value else ''}</textarea>"
        f"{_errors(errors, auto_id, tag='span')}{_help(field, auto_id)}</div>"
    )
