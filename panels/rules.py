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


@rules.predicate
def is_board_of_assessment(user, obj) -> bool:
    assessment = _assessment_of(obj)
    return assessment is not None and user_scope(user).is_board_of(assessment.pct_id)


# SHA staff form the panels of their own PCTs; the national team may too.
rules.add_perm("panels.form_panel", is_national | is_sha_staff_for_panel)
# Seat holders score; only the chair records consensus.
rules.add_perm("panels.score_panel", is_seat_holder)
rules.add_perm("panels.record_consensus", is_panel_chair)
# A PCT's self-assessment and evidence: its board, its panel, its SHA's staff and the
# national team. Registered here, not in assessments.rules, because only panels knows who
# sits on a panel (assessments never imports panels).
rules.add_perm(
    "assessments.view_evidence",
    is_national | is_sha_staff_for_panel | is_board_of_assessment | is_seat_holder,
)
# History of ratings: SHA staff and the national team.
rules.add_perm("panels.view_history", is_national | is_sha_staff_for_panel)
