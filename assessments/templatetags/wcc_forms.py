"""Template filters of the error pattern (see ``assessments.form_errors``) and of the
names people read on history rows (``person_name``)."""

from django import template

from assessments.form_errors import summary_entries

register = template.Library()


@register.filter
def error_summary(form) -> list[tuple[str, str]]:
    """The error summary's ``(href, message)`` entries for ``form``: a form, a formset, or
    a list of them in page order (a form and the formset below it); or the entries
    themselves, for a refusal that is no form's (a list of ``(href, message)`` pairs)."""
    if form is None:
        return []
    if isinstance(form, tuple) and len(form) == 2 and all(isinstance(x, str) for x in form):
        return [form]  # one ``(href, message)`` entry, from a view's own check
    if isinstance(form, list | tuple):
        return [entry for each in form for entry in error_summary(each)]
    if hasattr(form, "forms"):  # a formset: its own errors, then each form's, by row
        entries = [("", str(m)) for m in form.non_form_errors()]
        for number, each in enumerate(form.forms, start=1):
            entries += summary_entries(each, row=number)
        return entries
    return summary_entries(form)


@register.filter
def person_name(user, fallback: str = "") -> str:
    """The name people read for ``user`` on a history row: the account's full name, its
    username when it has none, ``fallback`` when there is no account (a change made from
    the command line): ``{{ change.changed_by|person_name:"command line" }}``."""
    if user is None:
        return fallback
    return user.get_full_name() or user.get_username()
