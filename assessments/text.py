"""What counts as text: one rule for the services that refuse an empty reason, comment or
rationale, and for the form fields that refuse it before a check page shows it blank."""

import unicodedata

from django.core.exceptions import ValidationError

# The longest reason a person gives for a step that others are told of (proceeding without
# a self-assessment, sending one back, replacing a panel member).
REASON_MAX_CHARS = 1000
# A reason is typed in a textarea: its line breaks (and tabs) are text; any other control
# character (NUL, a bell) is not.
_LINE_CONTROLS = frozenset("\n\r\t")


def visible(text: str) -> bool:
    """Whether ``text`` holds something a reader can see: not only spaces, zero-width or
    other invisible characters (a reason of a zero-width space reads as no reason)."""
    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc", "Zs") for c in text)


def checked_reason(reason: str, *, missing: str, limit: int = REASON_MAX_CHARS) -> str:
    """``reason`` stripped, or ``ValidationError`` keyed ``reason``: ``missing`` when it
    holds nothing visible, or it holds a control character other than a line break, or it is
    longer than ``limit`` characters (saying how long it is)."""
    reason = (reason or "").strip()
    if not visible(reason):
        raise ValidationError({"reason": missing})
    if any(unicodedata.category(c) == "Cc" and c not in _LINE_CONTROLS for c in reason):
        raise ValidationError(
            {"reason": "The reason holds a character that is not text: type it again."}
        )
    if len(reason) > limit:
        raise ValidationError(
            {
                "reason": f"Keep the reason to {limit:,} characters or fewer (it has {len(reason):,})."
            }
        )
    return reason


# The two joiners are letters' business in Persian, the Indic scripts and emoji. Every other
# invisible format character (a zero-width space, a byte-order mark, a direction mark or
# override, which reverses how the rest of a line reads) only hides what a name really is.
JOINERS = frozenset("\u200c\u200d")


def has_controls(text: str) -> bool:
    """Whether ``text`` holds control characters (NUL, a bell, a tab) or invisible format
    characters other than the joiners (a right-to-left override, a zero-width space):
    nothing a one-line name shown to others should carry."""
    return any(
        unicodedata.category(c) == "Cc" or (unicodedata.category(c) == "Cf" and c not in JOINERS)
        for c in text
    )


# Letters that Unicode does not decompose into a plain letter and a mark, so that NFKD and
# an ASCII encoding would drop them ("Łukasz" -> "ukasz"): spelt as English writes them.
_NOT_DECOMPOSED = str.maketrans(
    {
        "Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Ð": "D", "ð": "d",
        "Ħ": "H", "ħ": "h", "\u0131": "i", "ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE",
        "œ": "oe", "Þ": "Th", "þ": "th",
    }
)  # fmt: skip


def ascii_letters(text: str) -> str:
    """``text`` in plain ASCII for a username or a file name: accents taken off
    ("Siân Ó Brádaigh-Łukasz" -> "Sian O Bradaigh-Lukasz"), anything else left out."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_NOT_DECOMPOSED))
    return decomposed.encode("ascii", "ignore").decode()
