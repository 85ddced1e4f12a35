"""One rounding rule for every figure shown: half up, as Django's ``floatformat`` rounds.

Python's ``round`` and format specifications round half to even on the float's binary
value, so the same mean read 2.13 on a PCT's page (``floatformat``) and 2.12 in its chart's
description and on the summary page (the data walk: South East Coast's mean of 2.125). The
kept figures stay unrounded; they are rounded once, where they are shown, by ``floatformat``
in the templates and by :func:`fixed` in the charts."""

from decimal import ROUND_HALF_UP, Decimal


def fixed(value: float, places: int) -> str:
    """``value`` with ``places`` decimals, rounded half up from its shortest decimal form
    (``fixed(2.125, 2) == "2.13"``, ``fixed(14.5, 0) == "15"``), as ``floatformat`` does."""
    return str(Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP))


def signed(value: float, places: int) -> str:
    """:func:`fixed` with its sign, "+" too (``signed(0.125, 2) == "+0.13"``)."""
    shown = fixed(value, places)
    return shown if shown.startswith("-") else f"+{shown}"
