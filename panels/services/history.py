"""The history rows the panel services write, built in one place.

The services build a row here, ``full_clean()`` it and save it in the transaction of the
change. (The demo seed seats its panels as they stand and writes no seat history; a seed
that did would build its rows here too, as it does with ``assessments.history``.)
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from panels.models import Person, Seat, SeatChange


def seat_change_row(
    *,
    seat: Seat,
    how: str,
    old_person: Person | None,
    new_person: Person | None,
    by: AbstractBaseUser | None,
    note: str = "",
    changed_at: datetime | None = None,
) -> SeatChange:
    """An unsaved ``SeatChange``: ``seat`` went from ``old_person`` to ``new_person``."""
    return SeatChange(
        seat=seat,
        how=how,
        old_person=old_person,
        new_person=new_person,
        changed_by=by,
        changed_at=changed_at or timezone.now(),
        note=note,
    )


def seat_change_record(**row) -> SeatChange:
    """``seat_change_row(**row)``, checked and saved in the caller's transaction: the history
    row every seat service writes (formation, replacing, excusing, handing the chair on)."""
    change = seat_change_row(**row)
    change.full_clean()
    change.save()
    return change
