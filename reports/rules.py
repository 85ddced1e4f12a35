"""Who may see a round's results, and when (the embargo).

Before a round's publication time its results exist only for the people running the
process: the national team (everything) and SHA staff (their own region, which the league
table view applies). Everyone else gets 404, so that not even the existence of results
leaks. From the publication time, on the clock and with no job having to run, the results
are public, except a PCT held back by an unanswered factual-accuracy comment
(``assessments.factual_accuracy``): its board keeps its draft, and nobody outside the
process sees its results until the comment is answered.
"""

import rules

from assessments.access import RegionRound
from assessments.factual_accuracy import is_held_back as assessment_is_held_back
from assessments.factual_accuracy import window_for
from assessments.models import Assessment, AssessmentRound, Stage
from assessments.rules import (
    is_board_of,
    is_national,
    is_published,
    is_sha_staff,
    is_sha_staff_for,
)
from assessments.selectors import user_scope
from reports.pct_report import sha_id_when_published


def _round_of(obj) -> AssessmentRound | None:
    if isinstance(obj, AssessmentRound):
        return obj
    if isinstance(obj, Assessment | RegionRound):
        return obj.round
    return None


@rules.predicate
def round_is_published(user, obj) -> bool:
    return is_published(user, _round_of(obj))


# The whole league table of a round (object: the round): public once published; before,
# the national team. SHA staff see their own region's rows (reports.views.league).
rules.add_perm("reports.view_league_table", round_is_published | is_national)
# The league table page and its files (object: the round): the whole table as above, and
# before publication SHA staff too, who see their own region's rows only
# (``reports.views.league``).
rules.add_perm("reports.view_league_rows", round_is_published | is_national | is_sha_staff)
# Open data (object: the round): public once published, 404 before, for everyone.
rules.add_perm("reports.view_open_data", round_is_published)


@rules.predicate
def may_see_own_draft(user, obj) -> bool:
    """The assessment is at its factual-accuracy check and its region's window runs (even
    if the board closed its own early with "no comments"), or an unanswered comment holds
    it back (its board still sees the draft it commented on)."""
    if not isinstance(obj, Assessment) or obj.stage != Stage.FACTUAL_ACCURACY:
        return False
    window = window_for(obj)
    return window.draft_visible() or window.held_back


@rules.predicate
def is_held_back(user, obj) -> bool:
    return isinstance(obj, Assessment) and assessment_is_held_back(obj)


@rules.predicate
def was_staff_when_published(user, obj) -> bool:
    """Staff of the SHA the PCT was in when the round was first published, if it has moved
    since: the region that moderated and signed off those results (walk Z). Asked last, so
    its one query (the PCT's own move history, ``sha_id_when_published``) runs only for
    another SHA's staff reading a published report, once a request."""
    if not isinstance(obj, Assessment):
        return False
    scope = user_scope(user)
    return bool(scope.sha_ids) and scope.is_staff_of(sha_id_when_published(obj))


# A PCT's feedback report and page (object: the assessment): the national team and the
# PCT's SHA staff at any time; its board after publication (unless held back by an
# unanswered factual-accuracy comment), or its own draft during its factual-accuracy
# window (and while held back); if the PCT has moved since the round was first published,
# the staff of the SHA it was in then, who moderated and signed off those results, while
# the round is published and not held back (an unpublished round, or one published after
# the move, is the current SHA's only); nobody else.
may_read_pct_report = (
    is_national
    | is_sha_staff_for
    | (is_board_of & round_is_published & ~is_held_back)
    | (is_board_of & may_see_own_draft)
    | (is_sha_staff & round_is_published & ~is_held_back & was_staff_when_published)
)
rules.add_perm("reports.view_pct_report", may_read_pct_report)
# A PCT's results page (object: the assessment): whoever may read its report, and after
# publication everyone (like the league table that links to it), unless held back.
rules.add_perm(
    "reports.view_pct_page",
    may_read_pct_report | (round_is_published & ~is_held_back),
)
# Factual-accuracy comments (object: the assessment): the board comments during its
# window (the service checks the clock); the PCT's SHA staff answer.
rules.add_perm("reports.comment_on_draft", is_board_of & may_see_own_draft)
# Sending a comment (object: the assessment): whoever may read the report, and its board
# at any time, so that a comment sent just after the window closed is answered with what
# was typed rather than 404 (``reports.views.pct.comment``).
rules.add_perm("reports.send_comment", may_read_pct_report | is_board_of)
rules.add_perm("reports.answer_comments", is_sha_staff_for)
# A PCT's development plan (object: the assessment): written by its SHA's staff.
rules.add_perm("reports.plan_development", is_sha_staff_for)

# Regional moderation of one SHA's assessments (object: the SHA in the round): its staff,
# and the national team, who may look but not change (403).
rules.add_perm("reports.moderate_region", is_national | is_sha_staff_for)
rules.add_perm("reports.change_moderation", is_sha_staff_for)
# The national cross-check (object: the round): the national team only.
rules.add_perm("reports.cross_check", is_national)
# Importing agreed ratings from a file (object: the round): the national team (any PCT)
# and staff of any SHA (their own region's PCTs only, which reports.views.imports passes
# to the import as its scope); anyone else gets 404.
rules.add_perm("reports.import_ratings", is_national | is_sha_staff)


# Directed development (object: the round): public once published; before, the national
# team (every region) and SHA staff (their own region's PCTs, ``reports.views.development``).
rules.add_perm("reports.view_development", round_is_published | is_national | is_sha_staff)

# --- England and SHA summaries (reports.views.summaries) ---------------------------------

# England's summary of a round (object: the round): public once published; before, the
# national team only. The rule for SHA staff before publication (README): their own region
# beside England's aggregate figures (their region's summary and the moderation page show
# those), never anything that names another region or PCT; England's page lists every
# SHA's means, so it is not theirs until publication.
rules.add_perm("reports.view_england_summary", round_is_published | is_national)
# One SHA's summary, beside England's (object: a RegionRound): public once published;
# before, the national team and that SHA's staff.
rules.add_perm("reports.view_region_summary", round_is_published | is_national | is_sha_staff_for)
# Generating a round's PDF reports in the background (object: the round): the national
# team only.
rules.add_perm("reports.generate_reports", is_national)
