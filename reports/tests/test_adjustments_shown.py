"""Which changes after consensus a PCT's report shows (``adjustments_shown``, walk AC): a
moderator's change put back to the panel's value before the board saw its draft is not
published; everything else is, in order."""

from datetime import UTC, datetime, timedelta

from assessments.models import ModerationAdjustment, Stage
from reports.pct_report import adjustments_shown

T0 = datetime(2010, 1, 4, 9, 0, tzinfo=UTC)


def steps(*changes, stage=Stage.MODERATION, start=T0):
    """Adjustments ``old -> new`` one hour apart; a change may be ``(old, new, stage)``."""
    out = []
    for n, change in enumerate(changes):
        old, new, *own = change
        out.append(
            ModerationAdjustment(
                stage=own[0] if own else stage,
                old_value=old,
                new_value=new,
                reason=f"step {n + 1}",
                adjusted_at=start + timedelta(hours=n),
            )
        )
    return out


def reasons(adjustments):
    return [a.reason for a in adjustments]


def test_a_change_put_back_at_moderation_is_not_shown():
    assert adjustments_shown(steps(("2", "4"), ("4", "2")), None) == []


def test_what_follows_the_last_return_to_the_panels_value_is_shown():
    shown = adjustments_shown(steps(("2", "4"), ("4", "2"), ("2", "3")), None)

    assert reasons(shown) == ["step 3"]
    assert (shown[0].old_value, shown[0].new_value) == ("2", "3")


def test_a_change_not_put_back_is_shown_step_by_step():
    assert reasons(adjustments_shown(steps(("2", "4"), ("4", "3")), None)) == ["step 1", "step 2"]


def test_a_light_put_back_at_the_cross_check_is_not_shown_either():
    changes = steps(("amber", "red", Stage.MODERATION), ("red", "amber", Stage.CROSS_CHECK))

    assert adjustments_shown(changes, None) == []


def test_once_the_board_saw_its_draft_every_change_is_shown():
    changes = steps(("2", "3", Stage.FACTUAL_ACCURACY), ("3", "2", Stage.FACTUAL_ACCURACY))

    assert reasons(adjustments_shown(changes, None)) == ["step 1", "step 2"]


def test_a_correction_after_publication_and_its_undoing_are_shown():
    published = T0 - timedelta(days=30)
    changes = steps(("2", "3"), ("3", "2"))  # at moderation again, after a withdrawal

    assert reasons(adjustments_shown(changes, published)) == ["step 1", "step 2"]


def test_a_moderation_change_undone_then_a_board_answer_shows_the_answer_only():
    changes = steps(("2", "4"), ("4", "2"), ("2", "3", Stage.FACTUAL_ACCURACY))

    assert reasons(adjustments_shown(changes, None)) == ["step 3"]
