"""Two writes at once on PostgreSQL, in a fixed order, for tests of row locks.

``race(first, second)`` runs ``first`` in a transaction that stays open, then ``second`` in
another thread (its own connection), and commits ``first`` only once ``second`` waits for a
row lock (or after ``WAIT_SECONDS`` if it never does). So ``second`` always reads what it
reads before ``first`` commits: the interleaving a check-then-write race needs, every time,
not by luck. Tests using it are marked ``postgres`` and ``django_db(transaction=True)``:
SQLite takes no row locks (PITFALLS.md), and each thread commits for real.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections, transaction

WAIT_SECONDS = 10.0


@dataclass
class Outcome:
    """What a write returned, or the exception it raised."""

    value: Any = None
    error: BaseException | None = None


def _waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        (waiting,) = cursor.fetchone()
    return waiting > 0


def race(first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Outcome, Outcome]:
    """Run ``first`` and ``second`` as described above; their outcomes, in that order."""
    outcomes = (Outcome(), Outcome())
    written, release = threading.Event(), threading.Event()

    def run_first():
        try:
            with transaction.atomic():
                try:
                    outcomes[0].value = first()
                except Exception as error:
                    outcomes[0].error = error
                written.set()
                release.wait(WAIT_SECONDS * 2)
        finally:
            written.set()
            connections.close_all()

    def run_second():
        try:
            outcomes[1].value = second()
        except Exception as error:
            outcomes[1].error = error
        finally:
            connections.close_all()

    one = threading.Thread(target=run_first)
    one.start()
    written.wait(WAIT_SECONDS)
    two = threading.Thread(target=run_second)
    two.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while two.is_alive() and not _waiting_for_a_lock() and time.monotonic() < deadline:
        time.sleep(0.01)
    release.set()
    one.join()
    two.join()
    return outcomes
