"""The demo's ratings for any seed (``panels.demo.ratings``): the bad-input walk found
``seed_demo --seed 7`` (and -1, 2010) refused with "leaders are not ranked 1-3 outright"."""

import csv
from pathlib import Path

import pytest
from django.conf import settings

from panels.demo import ratings as shape


def _codes() -> tuple[list[str], list[str]]:
    with Path(settings.BASE_DIR, "fixtures", "pcts_2009.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return sorted(r["ods_code"] for r in rows), [
        r["ods_code"] for r in rows if r["sha_ods_code"] != "Q34"
    ]


@pytest.mark.parametrize("seed", [7, -1, 2010])
def test_every_seed_gives_ratings_with_the_published_leaders(seed):
    codes, scored = _codes()

    one = shape.year_one(codes, seed=seed)
    two = shape.year_two(one, scored, seed=seed)
    # the West Midlands' year two, as seed_demo and demo_advance make it (seed 2010 failed
    # here: Birmingham East and North tied the third leader)
    rest = shape.year_two_rest(one, [c for c in codes if c not in two], scored=two)
    two = two | rest

    def leaders(ratings):
        return sorted(ratings, key=lambda c: (ratings[c].governance, ratings[c].total))[::-1][:3]

    assert tuple(leaders(one)) == shape.YEAR_ONE_LEADERS
    assert tuple(leaders(two)) == shape.YEAR_TWO_LEADERS
    assert shape.year_one(codes, seed=seed) == one  # the same seed, the same demo


def test_a_seed_that_never_fits_says_so():
    def never(_rng):
        raise shape.ShapeError("leaders tied")

    with pytest.raises(shape.ShapeError, match="no draw of x fits in 50 tries; the last: leaders"):
        shape._first_that_fits(never, "x")
