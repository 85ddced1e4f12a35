"""Template filters of the e-mails (``templates/email/``)."""

import re

from django import template

register = template.Library()

# Words that say what kind of body it is, not which: "the West Midlands SHA" is named by
# "West Midlands".
_KIND_WORDS = frozenset({"the", "of", "sha"})


def _words(text: str) -> set[str]:
    return set(re.findall(r"[^\W_]+", text.casefold()))


@register.filter
def acting_for(name: str, body: str) -> str:
    """Who did it, then the body they act for, once: "Sam Lee of the West Midlands SHA",
    "Nadia Okafor of the national assurance team". A name that already names the body
    (the demo's role accounts, "SHA Staff (West Midlands)" and "National Assurance Team";
    or "the national assurance team" itself, when no one is named) stands alone (walk W:
    "National Assurance Team of the national assurance team", "SHA Staff (West Midlands)
    (West Midlands)")."""
    name, body = str(name or "").strip(), str(body or "").strip()
    if not body:
        return name
    if not name:
        return body
    if _words(body) - _KIND_WORDS <= _words(name):
        return name
    return f"{name} of {body}"
