"""What counts as text: one rule for the services that refuse an empty reason, comment or
rationale, and for the form fields that refuse it before a check page shows it blank."""

import unicodedata


def visible(text: str) -> bool:
    """Whether ``text`` holds something a reader can see: not only spaces, zero-width or
    other invisible characters (a reason of a zero-width space reads as no reason)."""
    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc", "Zs") for c in text)
