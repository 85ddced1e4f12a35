"""Template filters of the error pattern (see ``assessments.form_errors``)."""

from django import template

from assessments.form_errors import summary_entries

register = template.Library()


@register.filter
def error_summary(form) -> list[tuple[str, str]]:
    """The error summary's ``(href, message)`` entries for ``form`` (a form or formset)."""
    if form is None:
        return []
    if hasattr(form, "forms"):  # a formset: its own errors, then each form's, by row
        entries = [("", str(m)) for m in form.non_form_errors()]
        for number, each in enumerate(form.forms, start=1):
            entries += summary_entries(each, row=number)
        return entries
    return summary_entries(form)


@register.filter
def error_summary_with(form, formset) -> list[tuple[str, str]]:
    """A form's entries, then a formset's laid out below it (``formset`` may be blank)."""
    return error_summary(form) + (error_summary(formset) if formset else [])
