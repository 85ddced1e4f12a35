"""Who may see what in assessments: small predicates combined into permissions.

Every predicate takes the user and, where it needs one, an object; with no object (or an
object of another kind) it answers False, so a permission never opens by accident.
Scopes come from ``assessments.selectors.user_scope`` (one query per request).
"""

import rules

from assessments.access import RegionRound
from assessments.models import (
    Assessment,
    AssessmentRound,
    EvidenceDocument,
    PrimaryCareTrust,
    Role,
    StrategicHealthAuthority,
)
from assessments.selectors import user_scope


def sha_id_of(obj) -> int | None:
    """The SHA an SHA, a region in a round, a PCT, an assessment, its evidence or a board's
    role belongs to (None for anything else)."""
    if isinstance(obj, StrategicHealthAuthority):
        return obj.pk
    if isinstance(obj, RegionRound):
        return obj.sha.pk
    if isinstance(obj, PrimaryCareTrust):
        return obj.sha_id
    if isinstance(obj, Assessment):
        return obj.pct.sha_id
    if isinstance(obj, EvidenceDocument):
        return obj.assessment.pct.sha_id
    if isinstance(obj, Role) and obj.pct_id is not None:
        return obj.pct.sha_id
    return None


def pct_id_of(obj) -> int | None:
    """The PCT a PCT, an assessment or its evidence belongs to (None for anything else)."""
    if isinstance(obj, PrimaryCareTrust):
        return obj.pk
    if isinstance(obj, Assessment):
        return obj.pct_id
    if isinstance(obj, EvidenceDocument):
        return obj.assessment.pct_id
    return None


@rules.predicate
def is_national(user) -> bool:
    return user_scope(user).is_national


@rules.predicate
def is_sha_staff(user) -> bool:
    """Staff of any SHA (no object): for navigation, never for access to one region."""
    return user_scope(user).is_sha_staff


@rules.predicate
def is_sha_staff_for(user, obj) -> bool:
    """Staff of the SHA of ``obj``: an SHA, a PCT or an assessment."""
    return user_scope(user).is_staff_of(sha_id_of(obj))


@rules.predicate
def is_board_of(user, obj) -> bool:
    """The board of ``obj``: a PCT, or the PCT of an assessment."""
    return user_scope(user).is_board_of(pct_id_of(obj))


@rules.predicate
def is_published(user, obj) -> bool:
    """The round (or the assessment's round) is past its publication time (for anyone)."""
    if isinstance(obj, AssessmentRound):
        return obj.is_published()
    if isinstance(obj, Assessment | RegionRound):
        return obj.round.is_published()
    return False


rules.add_perm("assessments.view_region", is_national | is_sha_staff_for)
rules.add_perm("assessments.view_pct", is_national | is_sha_staff_for | is_board_of)

# Only the PCT's own board writes its self-assessment and uploads its evidence (object:
# the assessment); its SHA's staff and the national team read them too. The PCT's panel
# reads them through the panel's own pages (``panels.views.scoring``), whose permission
# ``panels`` defines: this app never needs to know who sits on a panel.
rules.add_perm("assessments.edit_self_assessment", is_board_of)
rules.add_perm("assessments.view_evidence", is_national | is_sha_staff_for | is_board_of)
# A board that never submits would hold up its region: past the round's deadline the people
# who form the PCT's panel (its SHA's staff, and the national team, as ``panels.form_panel``)
# may move it on to panel formation without the self-assessment (object: the assessment).
rules.add_perm("assessments.proceed_without_self_assessment", is_national | is_sha_staff_for)
# A board that submitted a wrong level or the wrong file cannot correct it: before scoring
# opens, the same people may send its self-assessment back to it (``assessments.reopening``;
# object: the assessment).
rules.add_perm("assessments.send_back_self_assessment", is_national | is_sha_staff_for)
# Pages for any signed-in user that list only their own work (no object), and pages for
# everyone (login, help, the health check).
rules.add_perm("assessments.signed_in", rules.is_authenticated)
rules.add_perm("assessments.anyone", rules.always_allow)

# Rounds and organisations (``assessments.rounds``, ``assessments.organisations``): the
# national team creates rounds, sets their timetables, edits their frameworks until they
# open, opens them, and keeps the list of PCTs; SHA staff read the rounds (every region's
# progress: only counts of PCTs per stage). Object: a round, a round's item, or none.
rules.add_perm("assessments.view_rounds", is_national | is_sha_staff)
rules.add_perm("assessments.manage_rounds", is_national)
rules.add_perm("assessments.manage_organisations", is_national)

# Board accounts (``assessments.boards``): SHA staff give and take away access to their
# region's PCTs' board pages, the national team to any PCT's. Object: a PCT, or a board's
# role; the list of PCTs has none.
rules.add_perm("assessments.view_board_accounts", is_national | is_sha_staff)
rules.add_perm("assessments.manage_board_accounts", is_national | is_sha_staff_for)
# Staff accounts (``assessments.staff_views``): the national team gives and takes away the
# national team's and every SHA's staff roles.
rules.add_perm("assessments.manage_staff_accounts", is_national)
