"""Who may see a round's results, and when (the embargo).

Before a round's publication time its results exist only for the people running the
process: the national team (everything) and SHA staff (their own region, which the league
table view applies). Everyone else gets 404, so that not even the existence of results
leaks. From the publication time, on the clock and with no job having to run, the results
are public.
"""

import rules

from assessments.models import Assessment, AssessmentRound, Stage
from assessments.rules import is_board_of, is_national, is_published, is_sha_staff_for


def _round_of(obj) -> AssessmentRound | None:
    if isinstance(obj, AssessmentRound):
        return obj
    if isinstance(obj, Assessment):
        return obj.round
    return None


@rules.predicate
def round_is_published(user, obj) -> bool:
    return is_published(user, _round_of(obj))


# The whole league table of a round (object: the round): public once published; before,
# the national team. SHA staff see their own region's rows (reports.views.league).
rules.add_perm("reports.view_league_table", round_is_published | is_national)
# Open data (object: the round): public once published, 404 before, for everyone.
rules.add_perm("reports.view_open_data", round_is_published)


@rules.predicate
def is_in_factual_accuracy_check(user, obj) -> bool:
    """The assessment is at its factual-accuracy check (its board may see its draft)."""
    return isinstance(obj, Assessment) and obj.stage == Stage.FACTUAL_ACCURACY


# A PCT's feedback report (object: the assessment): the national team and the PCT's SHA
# staff at any time; its board after publication, or its own draft during its
# factual-accuracy check; nobody else.
rules.add_perm(
    "reports.view_pct_report",
    is_national
    | is_sha_staff_for
    | (is_board_of & round_is_published)
    | (is_board_of & is_in_factual_accuracy_check),
)

# Regional moderation of one SHA's assessments (object: the SHA): its staff, and the
# national team.
rules.add_perm("reports.moderate_region", is_national | is_sha_staff_for)
# The national cross-check (object: the round): the national team only.
rules.add_perm("reports.cross_check", is_national)
# Generating a round's PDF reports in the background (object: the round): the national
# team only.
rules.add_perm("reports.generate_reports", is_national)
