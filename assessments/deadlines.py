"""Who works to each of a round's deadlines, asked when the national team changes one of an
opened round (``assessments.rounds.round_set_timetable``), so that each is told by e-mail.

Apps depend one way (assessments before panels), so the panels' members and chairs, who
work to the scoring and consensus deadlines, are found by a finder that
``panels.apps.PanelsConfig.ready`` adds; this app's own finder (``assessments.notices``)
finds the boards, the SHA staff and the national team. A finder takes the round and the
changed fields and returns, in a fixed number of queries, ``Work`` rows: this account works
to that deadline for ``what`` (a PCT's self-assessment, its panel, a region's moderation),
on the page at ``path``.

This module imports nothing, so that an app's ``ready`` may import it without loading
services (and the task backends they bind) before the settings are final.
"""

from collections.abc import Callable, Collection, Iterable
from typing import Any, NamedTuple


class Work(NamedTuple):
    user: Any  # the account to tell (active, with an e-mail address)
    field: str  # a key of ``assessments.rounds.TIMETABLE_FIELDS``
    what: str  # what they do by that date, e.g. "Birmingham East and North PCT's panel"
    path: str  # the page they do it on
    address: str = ""  # where to write, if not the account's own address


DeadlineFinder = Callable[[Any, Collection[str]], Iterable[Work]]

deadline_finders: list[DeadlineFinder] = []


def deadline_finder_add(finder: DeadlineFinder) -> None:
    if finder not in deadline_finders:
        deadline_finders.append(finder)
