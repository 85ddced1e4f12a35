"""Template filters of the error pattern (see ``assessments.form_errors``)."""

from django import template

from assessments.form_errors import summary_entries

register = template.Library()


@register.filter
def error_summary(form) -> list[tuple[str, str]]:
    """The error summary's ``(href, message)`` entries for ``form`` (a form or formset)."""
    if form is None:
        return []
    if hasattr(form, "forms"):  # a formset: its own errors, then each form's
        entries = [("", str(m)) for m in form.non_form_errors()]
        for each in form.forms:
            entries += summary_entries(each)
        return entries
    return summary_entries(form)
