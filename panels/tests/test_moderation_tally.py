"""``moderation_tally``: what regional moderation itself changed, apart from later stages."""

import datetime

from assessments.models import ModerationAdjustment, Stage
from panels.selectors import moderation_tally

T0 = datetime.datetime(2010, 1, 4, 9, tzinfo=datetime.UTC)


def adjustment(rating_id, stage, old, new, days):
    return ModerationAdjustment(
        rating_id=rating_id,
        stage=stage,
        old_value=old,
        new_value=new,
        reason="Why.",
        adjusted_at=T0 + datetime.timedelta(days=days),
    )


def test_moderation_tally_counts_moderations_net_changes_and_the_rest_as_later():
    changes = [
        (None, adjustment(1, Stage.MODERATION, "2", "3", 0)),  # changed
        (None, adjustment(2, Stage.MODERATION, "2", "1", 1)),  # made by mistake ...
        (None, adjustment(2, Stage.MODERATION, "1", "2", 2)),  # ... and undone
        (None, adjustment(3, Stage.FACTUAL_ACCURACY, "2", "3", 3)),  # a board's comment
        # A withdrawn round corrected at moderation after its first publication.
        (None, adjustment(4, Stage.MODERATION, "amber", "green", 30)),
    ]

    tally = moderation_tally(changes, first_published_at=T0 + datetime.timedelta(days=20))

    assert (tally.changed, tally.adjustments, tally.later) == (1, 3, 2)


def test_moderation_tally_of_a_round_never_published_counts_every_moderation_change():
    changes = [(None, adjustment(4, Stage.MODERATION, "amber", "green", 30))]

    assert moderation_tally(changes, first_published_at=None).changed == 1
