"""The optimistic lock every write service uses, written once.

A row with a ``version`` column is claimed by ``filter(pk=…, version=v).update(…,
version=v + 1)``: one row updated means nobody saved since the caller read version ``v``;
none means someone else saved first. This works on SQLite, where ``select_for_update()``
does nothing, as well as on PostgreSQL (see PITFALLS.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from assessments.exceptions import ConflictError


def claim(
    model_or_queryset: type[models.Model] | models.QuerySet,
    *,
    pk: Any,
    expected_version: int,
    conflict: Callable[[], ConflictError],
    **updates: Any,
) -> int:
    """Move the row ``pk`` from ``expected_version`` to the next version, setting ``updates``
    in the same UPDATE; the new version is returned.

    If the stored version is no longer ``expected_version``, nothing is written and
    ``conflict()`` is raised: the caller builds the ``ConflictError`` (its own message and
    the current object), since only the caller knows what to tell the user.
    """
    queryset = (
        model_or_queryset
        if isinstance(model_or_queryset, models.QuerySet)
        else model_or_queryset._default_manager.all()
    )
    new_version = expected_version + 1
    if not queryset.filter(pk=pk, version=expected_version).update(**updates, version=new_version):
        raise conflict()
    return new_version
