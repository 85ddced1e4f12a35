"""Values computed from a round's figures, kept in this process under their version.

A report page at 10,000 PCTs must not compute the round on every request. What it shows
is derived from the round's standings and the few other things that carry a
``FiguresVersion`` (``assessments.standings``), so a value computed from them stays right
for as long as the version is the same: callers put the version in the key, and the first
request after a change computes again. Each ``Kept`` holds a few keys (least recently used
dropped first); a value is shared by every request of the process and must be treated as
read-only (a pandas frame is copied by whoever changes it).

Values live per process (each gunicorn worker has its own): nothing needs invalidating
across machines, because the version read from the database decides.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")

_ALL: list["Kept"] = []


class Kept(Generic[Value]):
    """Up to ``size`` values, each under a key that includes the figures version."""

    def __init__(self, name: str, *, size: int = 16):
        self.name = name
        self.size = size
        self._values: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()  # gunicorn's threads share a worker's values
        _ALL.append(self)

    def get(self, key: Hashable, make: Callable[[], Value]) -> Value:
        """The value kept under ``key``, or ``make()``'s, kept from now on."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        # Made outside the lock: two threads may both make it once, with the same result.
        value = make()
        self.put(key, value)
        return value

    def peek(self, key: Hashable) -> Value | None:
        """The value kept under ``key``, or None (nothing is made)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
            return self._values.get(key)

    def put(self, key: Hashable, value: Value) -> None:
        """Keep ``value`` under ``key``, replacing what was kept there."""
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()

    def __len__(self) -> int:
        return len(self._values)


def forget_kept() -> None:
    """Drop every kept value of the process (tests that roll back and reuse primary keys,
    and so could meet a version value again with other data behind it)."""
    for kept in _ALL:
        kept.clear()
