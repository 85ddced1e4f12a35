"""Who may see what in panels. Builds on ``assessments.rules``."""

import rules

from assessments.models import Assessment
from assessments.rules import is_national, sha_id_of
from assessments.selectors import user_scope
from panels.models import Panel, Seat


def _assessment_of(obj) -> Assessment | None:
    if isinstance(obj, Panel):
        return obj.assessment
    if isinstance(obj, Assessment):
        return obj
    return None


def _seats_of(user, obj):
    """The user's seats on the panel of ``obj`` (a Panel or an Assessment), or None."""
    if user is None or not user.is_authenticated:
        return None
    if isinstance(obj, Panel):
        return Seat.objects.filter(panel=obj, person__user=user)
    if isinstance(obj, Assessment):
        return Seat.objects.filter(panel__assessment=obj, person__user=user)
    return None


@rules.predicate
def is_seat_holder(user, obj) -> bool:
    """Holds a seat on the panel (of the assessment)."""
    seats = _seats_of(user, obj)
    return seats is not None and seats.exists()


@rules.predicate
def is_panel_chair(user, obj) -> bool:
    """Holds the chair's seat on the panel (of the assessment)."""
    seats = _seats_of(user, obj)
    return seats is not None and seats.filter(seat_type__is_chair=True).exists()


@rules.predicate
def is_sha_staff_for_panel(user, obj) -> bool:
    """Staff of the SHA of the panel's PCT."""
    assessment = _assessment_of(obj)
    return assessment is not None and user_scope(user).is_staff_of(sha_id_of(assessment))


rules.add_perm("panels.view_panel", is_national | is_sha_staff_for_panel | is_seat_holder)
