"""Database helpers for tests that write many rows at once."""

from django.db import connection


def analyze() -> None:
    """Refresh PostgreSQL's planner statistics after a bulk load (nothing on SQLite).

    Rows written inside a test's transaction are invisible to autovacuum, so the planner
    still believes the tables are empty and may pick nested loops over thousands of rows.
    ``ANALYZE`` is allowed inside a transaction and counts the transaction's own rows; the
    statistics are rolled back with the data.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
