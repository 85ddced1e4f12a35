"""Values computed from a round's figures, kept in this process under their version.

A report page at 10,000 PCTs must not compute the round on every request. What it shows
is derived from the round's standings and the few other things that carry a
``FiguresVersion`` (``assessments.standings``), so a value computed from them stays right
for as long as the version is the same: callers put the version in the key, and the first
request after a change computes again. Each ``Kept`` holds a few keys (least recently used
dropped first); a value is shared by every request of the process and must be treated as
read-only (a pandas frame is copied by whoever changes it).

Values live per process (each gunicorn worker has its own): nothing needs invalidating
across machines, because the version read from the database decides. Where
``CACHE_URL`` names a cache that processes share (Redis, memcached, a directory), a
``Kept`` made with ``shared=True`` also looks there before computing, and leaves what it
computed there, so that a worker new since the last change (a restart, ``max_requests``,
another server) reads the figures instead of computing them again (``shared_value``).
"""

import hashlib
import logging
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import cache
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Generic, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache

from assessments.standings import figures_versions

logger = logging.getLogger(__name__)

Value = TypeVar("Value")

_ALL: list["Kept"] = []


class Kept(Generic[Value]):
    """Up to ``size`` values, each under a key that includes the figures version."""

    def __init__(self, name: str, *, size: int = 16, shared: bool = False):
        self.name = name
        self.size = size
        self.shared = shared
        self._values: OrderedDict[Hashable, Value] = OrderedDict()
        self._lock = threading.Lock()  # gunicorn's threads share a worker's values
        _ALL.append(self)

    def get(self, key: Hashable, make: Callable[[], Value], *, versions: tuple = ()) -> Value:
        """The value kept under ``key``, or ``make()``'s, kept from now on. ``versions``:
        the figures versions in ``key``, for a shared ``Kept`` (``shared_value``)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        # Made outside the lock: two threads may both make it once, with the same result.
        value = self.made(key, make, versions=versions)
        self.put(key, value)
        return value

    def for_round(self, round_, make: Callable[[], Value], *extra: Hashable) -> Value:
        """``get`` for a value computed from ``round_``'s figures as they stand: kept under
        the round, its figures version (one query) and whether it is published (an embargo
        lifts at its time, with no change to mark it), then ``extra`` (whatever else the
        value is made from: an SHA, the competencies' names, a fingerprint)."""
        version = figures_versions([round_.pk])[round_.pk]
        key = (round_.pk, version, round_.is_published(), *extra)
        return self.get(key, make, versions=(version,))

    def made(self, key: Hashable, make: Callable[[], Value], *, versions: tuple = ()) -> Value:
        """``make()``'s value; for a shared ``Kept``, the one another process made under the
        same key if the shared cache has it (``shared_value``). Kept nowhere in this
        process: the caller puts it."""
        if not self.shared:
            return make()
        return shared_value(self.name, key, make, versions=versions)

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


# --- Shared between processes ---------------------------------------------------------

# A shared value outlives its worker, not the figures it was computed from (their version
# is in the key); a week bounds what a cache without an eviction policy holds.
SHARED_FOR = 7 * 24 * 3600
# The apps whose code computes the shared values: a release that changes any of it reads
# none of the values an earlier one left (``code_token``).
_CODE = ("competencies", "assessments", "panels", "reports")


def shared_cache() -> BaseCache | None:
    """Django's default cache when processes share it (``CACHE_URL``: Redis, memcached, a
    directory); None for one process's memory (``locmem://``, the default) or the dummy
    cache, where each ``Kept`` already does all a cache could."""
    cache_ = caches["default"]
    return None if isinstance(cache_, LocMemCache | DummyCache) else cache_


@cache
def code_token() -> str:
    """A digest of the code behind the shared values (the apps' Python files) and of the
    Python and pandas that pickle them: values computed by another release, or unpickled
    by another pandas, are never read."""
    digest = hashlib.sha256(f"{sys.version}|pandas {package_version('pandas')}".encode())
    base = Path(settings.BASE_DIR)
    for app in _CODE:
        for path in sorted((base / app).rglob("*.py")):
            digest.update(str(path.relative_to(base)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def shared_key(name: str, key: Hashable) -> str:
    """The shared cache's key for ``key`` of the ``Kept`` called ``name``: a digest of
    their ``repr`` (ids, versions, codes, booleans and times, the same in every process)
    and of the code (``code_token``)."""
    text = repr((code_token(), name, key))
    return "wcc-kept:" + hashlib.sha256(text.encode()).hexdigest()


def shared_value(
    name: str, key: Hashable, make: Callable[[], Value], *, versions: tuple | None
) -> Value:
    """The value under ``key`` in the shared cache, else ``make()``'s, left there for the
    other processes.

    ``versions``: the figures versions ``key`` includes, all of which must be set: a
    version is a random number given in the same transaction as the change it marks, so
    two databases (a copy restored from a backup, say) meet the same version only with the
    same figures behind it; version 0 (a round nothing has changed yet) would be the same
    in any database, so it is never shared. None when ``key`` holds everything the value
    is made from (a chart's numbers and labels): shared whatever the database. A cache
    that cannot be reached or answers something unreadable costs a warning and the
    computation, never an error page."""
    cache_ = shared_cache()
    if cache_ is None or (versions is not None and not (versions and all(versions))):
        return make()
    cache_key = shared_key(name, key)
    try:
        value = cache_.get(cache_key)
    except Exception:  # any backend's connection or unpickling error
        logger.warning("Shared cache: could not read %s; computing it.", name, exc_info=True)
        value = None
    if value is not None:
        return value
    value = make()
    try:
        cache_.set(cache_key, value, timeout=SHARED_FOR)
    except Exception:
        logger.warning("Shared cache: could not keep %s.", name, exc_info=True)
    return value
