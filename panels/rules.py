"""Who may see what in panels. Builds on ``assessments.rules``."""

import rules

from assessments.models import Assessment, EvidenceDocument
from assessments.rules import is_national, is_sha_staff, sha_id_of
from assessments.selectors import user_scope
from panels.models import PRESIDING, Panel, Person, Seat


def _assessment_of(obj) -> Assessment | None:
    """The assessment of a panel, an assessment or an evidence document (else None)."""
    if isinstance(obj, Panel):
        return obj.assessment
    if isinstance(obj, Assessment):
        return obj
    if isinstance(obj, EvidenceDocument):
        return obj.assessment
    return None


def _seats_of(user, obj):
    """The user's seats on the panel of ``obj`` (see ``_assessment_of``), or None."""
    if user is None or not user.is_authenticated:
        return None
    if isinstance(obj, Panel):
        return Seat.objects.filter(panel=obj, person__user=user)
    assessment = _assessment_of(obj)
    if assessment is None:
        return None
    return Seat.objects.filter(panel__assessment=assessment, person__user=user)


@rules.predicate
def is_seat_holder(user, obj) -> bool:
    """Holds a seat on the panel (of the assessment)."""
    seats = _seats_of(user, obj)
    return seats is not None and seats.exists()


@rules.predicate
def is_panel_chair(user, obj) -> bool:
    """Chairs the panel (of the assessment) now: holds the chair's seat while the panel
    has no acting chair, or holds the acting chair's seat (``panels.models.PRESIDING``)."""
    seats = _seats_of(user, obj)
    return seats is not None and seats.filter(PRESIDING).exists()


@rules.predicate
def holds_chair_seat(user, obj) -> bool:
    """Holds the chair's seat on the panel (of the assessment), whether or not SHA staff
    handed the chair to another member."""
    seats = _seats_of(user, obj)
    return seats is not None and seats.filter(seat_type__is_chair=True).exists()


@rules.predicate
def is_sha_staff_for_panel(user, obj) -> bool:
    """Staff of the SHA of the panel's PCT."""
    assessment = _assessment_of(obj)
    return assessment is not None and user_scope(user).is_staff_of(sha_id_of(assessment))


rules.add_perm("panels.view_panel", is_national | is_sha_staff_for_panel | is_seat_holder)


# SHA staff form the panels of their own PCTs; the national team may too.
rules.add_perm("panels.form_panel", is_national | is_sha_staff_for_panel)
# Seat holders score; only the chair records consensus.
rules.add_perm("panels.score_panel", is_seat_holder)
rules.add_perm("panels.record_consensus", is_panel_chair)
# History of ratings: SHA staff and the national team.
rules.add_perm("panels.view_history", is_national | is_sha_staff_for_panel)
# The consensus page: the chair records it; SHA staff and the national team look at it, and
# so does a chair for whom an acting chair stands in (read-only: ``record_consensus``).
rules.add_perm(
    "panels.view_consensus",
    is_panel_chair | holds_chair_seat | is_national | is_sha_staff_for_panel,
)
# The region's list of panels to form (no object; the page lists the user's regions).
rules.add_perm("panels.view_formation", is_national | is_sha_staff)


# --- People (``panels.views.people``) ----------------------------------------------------


@rules.predicate
def is_sha_staff_for_person(user, obj) -> bool:
    """Staff of the SHA a person belongs to: the SHA itself or the SHA of their PCT."""
    return isinstance(obj, Person) and user_scope(user).is_staff_of(obj.region_id)


@rules.predicate
def is_shared_person(user, obj) -> bool:
    """A person from an organisation outside the NHS (the international reviewer seat): no
    SHA owns them, every SHA may choose them."""
    return isinstance(obj, Person) and obj.external_organisation_id is not None


# The list and the "add a person" form (no object): SHA staff (their region's people and
# the shared ones) and the national team (everyone).
rules.add_perm("panels.view_people", is_national | is_sha_staff)
rules.add_perm("panels.add_person", is_national | is_sha_staff)
# An organisation outside the NHS is shared by every SHA: only the national team adds one.
rules.add_perm("panels.add_externalorganisation", is_national)
# One person: SHA staff see their region's people and every shared one, and may invite
# them (a reviewer chosen by any SHA needs an account to score). Editing, deactivating and
# reactivating a shared person changes them for every SHA, so only the national team does
# it; SHA staff may change only their own region's people.
rules.add_perm(
    "panels.view_person", is_national | is_sha_staff_for_person | (is_sha_staff & is_shared_person)
)
rules.add_perm(
    "panels.invite_person",
    is_national | is_sha_staff_for_person | (is_sha_staff & is_shared_person),
)
rules.add_perm("panels.change_person", is_national | is_sha_staff_for_person)
