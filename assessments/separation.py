"""What other apps forbid a board's account, asked by ``assessments.role_accounts``.

Apps depend one way (assessments before panels), so a rule that needs another app's data
is added by that app when it loads: ``panels.apps.PanelsConfig.ready`` adds that nobody
acts for the board of a PCT whose panel they sit on. A finder takes account ids and PCT
ids and returns, in a fixed number of queries, ``{(account id, PCT id): why}`` for the
pairs that may not go together; "why" completes "<address> (<username>) ...".

This module imports nothing, so that an app's ``ready`` may import it without loading
services (and the task backends they bind) before the settings are final.
"""

from collections.abc import Callable, Collection

BoardConflictFinder = Callable[[Collection[int], Collection[int]], dict[tuple[int, int], str]]

board_conflict_finders: list[BoardConflictFinder] = []


def board_conflict_finder_add(finder: BoardConflictFinder) -> None:
    if finder not in board_conflict_finders:
        board_conflict_finders.append(finder)
