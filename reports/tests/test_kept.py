"""``reports.kept``: values kept under their key, the oldest dropped, all forgotten at once."""

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.standings import figures_changed
from reports.kept import Kept, forget_kept
from tests.factories import AssessmentRoundFactory


def recorded_makers():
    """``(make, made)``: ``make(value)`` is a maker of ``value`` that records it in ``made``
    when called, so that a test sees which values were made and which were kept."""
    made = []

    def make(value):
        def _make():
            made.append(value)
            return value

        return _make

    return make, made


def test_a_value_is_made_once_per_key():
    kept = Kept("test", size=4)
    make, made = recorded_makers()

    assert kept.get(("round", 1), make("a")) == "a"
    assert kept.get(("round", 1), make("b")) == "a"  # same key: the kept value
    assert kept.get(("round", 2), make("c")) == "c"  # a new version: made again
    assert made == ["a", "c"]


def test_the_least_recently_used_key_is_dropped_first():
    kept = Kept("test", size=2)
    kept.get(1, lambda: "one")
    kept.get(2, lambda: "two")
    kept.get(1, lambda: "not made")  # 1 is now the most recent
    kept.get(3, lambda: "three")  # drops 2
    assert len(kept) == 2
    assert kept.get(1, lambda: "again") == "one"
    assert kept.get(2, lambda: "two again") == "two again"


def test_forget_kept_clears_every_store():
    first, second = Kept("first"), Kept("second")
    first.get(1, lambda: "x")
    second.get(1, lambda: "y")
    forget_kept()
    assert len(first) == 0 and len(second) == 0


def test_threads_share_the_values():
    kept = Kept("test")
    results = []

    def read():
        results.append(kept.get("key", lambda: object()))

    kept.get("key", lambda: "shared")
    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["shared"] * 8


@pytest.mark.django_db
def test_for_round_makes_again_after_a_change_at_publication_and_for_other_extras():
    round_ = AssessmentRoundFactory(published_at=timezone.now() + timedelta(days=1))
    kept = Kept("test", size=8)
    make, made = recorded_makers()

    kept.for_round(round_, make("a"), "x")
    kept.for_round(round_, make("kept"), "x")
    kept.for_round(round_, make("b"), "y")  # another extra
    figures_changed(round_ids=[round_.pk])
    kept.for_round(round_, make("c"), "x")  # a new version
    round_.published_at = timezone.now() - timedelta(seconds=1)  # the embargo lifted
    kept.for_round(round_, make("d"), "x")

    assert made == ["a", "b", "c", "d"]
