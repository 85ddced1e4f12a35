"""Two writers racing read-then-write transactions on a SQLite file (PITFALLS.md).

With Django's default SQLite options such transactions fail with "database is locked"
(two readers cannot both upgrade to writers); the project's options (IMMEDIATE
transactions, a busy timeout, WAL) make the second writer wait its turn instead. The
connections are Django's own, built from ``settings.DATABASES["default"]["OPTIONS"]`` on a
separate file, so the test checks the settings in use, not a copy of them.
"""

import threading
import time

import pytest
from django.conf import settings
from django.db import OperationalError, connections, transaction

from wcc_site.settings import SQLITE_OPTIONS

WORKERS = 2
TRANSACTIONS_PER_WORKER = 50

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="SQLite only: the suite also runs on PostgreSQL",
)


@pytest.fixture
def file_database(tmp_path, django_db_blocker):
    """Register a SQLite file database under a new alias with the given OPTIONS.

    Returns a function ``(options) -> alias``; the counter table starts at 0.
    """
    aliases = []

    def register(options: dict) -> str:
        alias = f"race_{len(aliases)}"
        database = {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(tmp_path / f"{alias}.sqlite3"),
            "OPTIONS": dict(options),
        }
        configured = connections.configure_settings({"default": {}, alias: database})
        connections.settings[alias] = configured[alias]
        aliases.append(alias)
        with connections[alias].cursor() as cursor:
            cursor.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, value INTEGER)")
            cursor.execute("INSERT INTO counter (id, value) VALUES (1, 0)")
        return alias

    with django_db_blocker.unblock():
        yield register
        for alias in aliases:
            connections[alias].close()
            del connections[alias]
            del connections.settings[alias]


def _race(alias: str) -> tuple[list[Exception], int]:
    """Run the workers; return the errors they met and the final counter."""
    start = threading.Barrier(WORKERS)
    errors: list[Exception] = []

    def work():
        try:
            start.wait()
            for _ in range(TRANSACTIONS_PER_WORKER):
                with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                    cursor.execute("SELECT value FROM counter WHERE id = 1")
                    (value,) = cursor.fetchone()
                    time.sleep(0.001)  # let the other writer read the same value
                    cursor.execute("UPDATE counter SET value = %s WHERE id = 1", [value + 1])
        except OperationalError as error:
            errors.append(error)
        finally:
            connections[alias].close()

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT value FROM counter WHERE id = 1")
        (final,) = cursor.fetchone()
    return errors, final


def test_sqlite_settings_include_project_options():
    options = settings.DATABASES["default"]["OPTIONS"]

    assert {key: options[key] for key in SQLITE_OPTIONS} == SQLITE_OPTIONS


def test_sqlite_concurrent_writers_with_project_options_lose_nothing(file_database):
    alias = file_database(settings.DATABASES["default"]["OPTIONS"])

    errors, final = _race(alias)

    assert errors == []
    assert final == WORKERS * TRANSACTIONS_PER_WORKER


def test_sqlite_concurrent_writers_with_default_options_are_locked_out(file_database):
    # The control: without the project's options the same race fails, so the test above
    # shows the options at work, not a race that never happens.
    alias = file_database({})

    errors, final = _race(alias)

    assert [str(error) for error in errors][:1] == ["database is locked"]
    assert final < WORKERS * TRANSACTIONS_PER_WORKER
