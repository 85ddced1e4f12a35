"""No form of the project cuts what is typed: every form with a length-limited field
inherits ``NoTruncation`` (the accessibility walk: ``maxlength`` kept a pasted reason's
first 1,000 characters without a word; the server's message says the limit instead)."""

import importlib
import pkgutil

from django import forms

from assessments.form_errors import NoTruncation

APPS = ("assessments", "competencies", "panels", "reports", "wcc_site")


def _project_forms():
    for app in APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".tests" in info.name or ".migrations" in info.name or "management" in info.name:
                continue
            module = importlib.import_module(info.name)
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, forms.Form)
                    and value.__module__ == module.__name__
                ):
                    yield value


def test_every_form_with_a_length_limit_lets_the_server_say_it():
    limited = [
        form
        for form in _project_forms()
        if any(getattr(field, "max_length", None) for field in form.base_fields.values())
    ]

    assert len(limited) >= 10  # the scan finds the project's forms
    assert [
        f"{form.__module__}.{form.__name__}"
        for form in limited
        if not issubclass(form, NoTruncation)
    ] == []
