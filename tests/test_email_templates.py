"""E-mail is plain text: no template under templates/email/ may write HTML entities.

Walk L: a PCT renamed "Dudley & Walsall's "PCT"" was e-mailed the subject "...Dudley &amp;
Walsall&#x27;s &quot;PCT&quot; ...": the bodies turned autoescaping off, none of the
subjects did."""

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.template.loader import render_to_string

EMAIL = Path(settings.BASE_DIR) / "templates" / "email"
NAME = 'Dudley & Walsall\'s "PCT" <1>'


class Anything(SimpleNamespace):
    """Any attribute a template asks for: the name above, so that each variable shown is
    one that autoescaping would change."""

    def __getattr__(self, _name):
        return NAME

    def __str__(self):
        return NAME

    def __iter__(self):
        return iter(())


@pytest.mark.parametrize("name", sorted(p.name for p in EMAIL.glob("*.txt")))
def test_every_email_template_turns_autoescaping_off(name):
    text = (EMAIL / name).read_text().strip()
    assert text.startswith("{% autoescape off %}"), f"{name}: autoescape is on"
    assert text.endswith("{% endautoescape %}"), f"{name}: autoescape is on at the end"


@pytest.mark.parametrize("name", sorted(p.name for p in EMAIL.glob("*_subject.txt")))
def test_every_subject_writes_names_as_typed(name):
    text = (EMAIL / name).read_text()
    rendered = render_to_string(f"email/{name}", {key: Anything() for key in _variables(text)})
    assert "&amp;" not in rendered and "&#x27;" not in rendered and "&quot;" not in rendered


def _variables(text: str) -> set[str]:
    import re

    return set(re.findall(r"{{\s*([a-z_]+)", text)) | set(
        re.findall(r"{%\s*(?:if|for \w+(?:, \w+)? in)\s+([a-z_]+)", text)
    )
