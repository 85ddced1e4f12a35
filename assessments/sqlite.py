"""SQLite's ``LIKE`` folds the case of ASCII letters only, so that ``icontains`` searches
missed every name with an accented capital: "élise" did not find "Élise Durand", nor
"ÅSA" "Åsa Lind" (PostgreSQL's ``ILIKE`` folds them all). For each SQLite connection,
``LIKE`` is replaced by one that folds case as Python's ``str.casefold`` does, with the same
wildcards (``%``, ``_``) and ``ESCAPE`` character Django's lookups write. It is case-blind
for every letter, as SQLite's own ``LIKE`` is for ASCII (Django documents ``contains`` as
case-insensitive on SQLite)."""

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def _compiled(pattern: str, escape: str) -> re.Pattern:
    parts = []
    chars = iter(pattern.casefold())
    for char in chars:
        if escape and char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def like(pattern, value, escape=None):
    """SQL's ``value LIKE pattern [ESCAPE escape]``: 1, 0 or NULL."""
    if pattern is None or value is None:
        return None
    return int(_compiled(str(pattern), escape or "").fullmatch(str(value).casefold()) is not None)


def register_like(sender, connection, **kwargs) -> None:
    """``connection_created`` receiver: a SQLite connection's ``LIKE`` folds every letter."""
    if connection.vendor == "sqlite":
        connection.connection.create_function("like", 2, like, deterministic=True)
        connection.connection.create_function("like", 3, like, deterministic=True)
