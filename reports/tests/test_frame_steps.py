"""A kept ratings frame brought up to date by the recorded steps (``FiguresChange``):
after any sequence of changes, the frame a request gets equals the frame read afresh, and
only the changed assessments' rows are read again."""

import random

import pandas as pd
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from assessments.models import AgreedRating, FiguresChange
from assessments.standings import (
    STEPS_FOLLOWED,
    changed_between,
    figures_changed,
    figures_versions,
    rating_changed,
)
from reports import tables
from reports.ranking import rank_rows
from tests.factories import (
    AgreedRatingFactory,
    AssessmentFactory,
    AssessmentRoundFactory,
    CompetencyFactory,
    GovernanceAreaFactory,
    SHAFactory,
)

pytestmark = pytest.mark.django_db

LIGHTS = ["red", "amber", "green"]


@pytest.fixture
def round_():
    """A round of eight PCTs in two SHAs, each rated on three competencies and three areas,
    with ties."""
    round_ = AssessmentRoundFactory()
    framework = round_.framework
    competencies = [CompetencyFactory(framework=framework, number=n) for n in (1, 2, 3)]
    areas = [
        GovernanceAreaFactory(framework=framework, code=code, position=position)
        for position, code in enumerate(("strategy", "finance", "board"), start=1)
    ]
    shas = [SHAFactory(), SHAFactory()]
    for index in range(8):
        assessment = AssessmentFactory(round=round_, pct__sha=shas[index % 2])
        for competency in competencies:
            AgreedRatingFactory(assessment=assessment, competency=competency, level=1 + index % 3)
        for area in areas:
            AgreedRatingFactory(assessment=assessment, area=area, light=LIGHTS[index % 2])
    return round_


def fresh(round_, sha_codes=None) -> pd.DataFrame:
    rows = tables._standing_rows(
        round_=round_, sha_codes=sha_codes, published=round_.is_published()
    )
    return tables._ranked(tables._frame_of(rows, tables.competency_columns(round_)))


def change(rating: AgreedRating, rnd: random.Random) -> None:
    """What a service does: change the rating, then note it (``rating_changed``)."""
    if rating.competency_id:
        AgreedRating.objects.filter(pk=rating.pk).update(level=rnd.randint(1, 4))
    else:
        AgreedRating.objects.filter(pk=rating.pk).update(light=rnd.choice(LIGHTS))
    rating_changed(assessment_id=rating.assessment_id)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_after_any_changes_the_kept_frame_equals_a_fresh_one(round_, seed):
    rnd = random.Random(seed)
    ratings = list(AgreedRating.objects.filter(assessment__round=round_))
    sha = [ratings[0].assessment.pct.sha.ods_code]
    tables.ratings_frame(round_=round_)
    tables.ratings_frame(round_=round_, sha_codes=sha)

    for _step in range(12):
        for _rating in range(rnd.randint(1, 3)):
            change(rnd.choice(ratings), rnd)
        if rnd.random() < 0.2:  # a rating removed: the PCT is no longer complete
            victim = rnd.choice(ratings)
            ratings.remove(victim)
            assessment_id = victim.assessment_id
            victim.delete()
            rating_changed(assessment_id=assessment_id)

        pd.testing.assert_frame_equal(tables.ratings_frame(round_=round_), fresh(round_))
        pd.testing.assert_frame_equal(
            tables.ratings_frame(round_=round_, sha_codes=sha), fresh(round_, sha)
        )


def test_a_new_pct_joins_the_kept_frame(round_):
    tables.ratings_frame(round_=round_)
    competency = round_.framework.competencies.get(number=1)

    AgreedRatingFactory(assessment=AssessmentFactory(round=round_), competency=competency)

    pd.testing.assert_frame_equal(tables.ratings_frame(round_=round_), fresh(round_))
    assert len(tables.ratings_frame(round_=round_)) == 9


def test_only_the_changed_rows_are_read_again(round_):
    tables.ratings_frame(round_=round_)
    rating = AgreedRating.objects.filter(assessment__round=round_, level=1).first()

    change(rating, random.Random(4))
    with CaptureQueriesContext(connection) as queries:
        tables.ratings_frame(round_=round_)

    standing = [q["sql"] for q in queries.captured_queries if '"assessments_standing"' in q["sql"]]
    assert len(standing) == 1
    assert "IN (" in standing[0]  # the changed assessment's row, not the round's
    assert len(queries.captured_queries) == 4  # version, steps, ODS codes, rows


def test_a_change_of_anything_reads_the_whole_round(round_):
    tables.ratings_frame(round_=round_)

    figures_changed(round_ids=[round_.pk])  # a PCT renamed, publication, a bulk load …
    with CaptureQueriesContext(connection) as queries:
        frame = tables.ratings_frame(round_=round_)

    standing = [q["sql"] for q in queries.captured_queries if '"assessments_standing"' in q["sql"]]
    assert len(standing) == 1 and "IN (" not in standing[0]
    pd.testing.assert_frame_equal(frame, fresh(round_))


def test_changed_between_follows_the_steps_back():
    round_id = AssessmentRoundFactory().pk
    start = figures_versions([round_id])[round_id]
    figures_changed(round_ids=[round_id], assessments={round_id: [1, 2]})
    middle = figures_versions([round_id])[round_id]
    figures_changed(round_ids=[round_id], assessments={round_id: [3]})
    end = figures_versions([round_id])[round_id]

    assert changed_between(round_id=round_id, since=end, until=end) == set()
    assert changed_between(round_id=round_id, since=middle, until=end) == {3}
    assert changed_between(round_id=round_id, since=start, until=end) == {1, 2, 3}
    assert changed_between(round_id=round_id, since=12345, until=end) is None  # unknown

    figures_changed(round_ids=[round_id])  # anything
    assert changed_between(round_id=round_id, since=end, until=_now(round_id)) is None


def test_changed_between_gives_up_beyond_the_steps_it_follows():
    round_id = AssessmentRoundFactory().pk
    start = _now(round_id)
    for n in range(STEPS_FOLLOWED + 1):
        figures_changed(round_ids=[round_id], assessments={round_id: [n]})

    assert changed_between(round_id=round_id, since=start, until=_now(round_id)) is None
    assert FiguresChange.objects.filter(round_id=round_id).count() == STEPS_FOLLOWED + 1


def _now(round_id: int) -> int:
    return figures_versions([round_id])[round_id]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Aston", "Barnet", "Camden", "Derby"]),  # names shared too
            st.integers(0, 6),
            st.integers(10, 40),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_ranked_applies_the_ranking_rule_of_reports_ranking(rows):
    """``_ranked`` works on whole columns; ``rank_rows`` is the rule, row by row."""
    wide = pd.DataFrame(
        {
            "ods_code": pd.Series([f"Q{n:02d}" for n in range(len(rows))], dtype="str"),
            "pct": pd.Series([name for name, *_ in rows], dtype="str"),
            "governance": pd.array([g for _n, g, _t, _c in rows], dtype="Int64"),
            "total": pd.array([t for _n, _g, t, _c in rows], dtype="Int64"),
            "complete": pd.Series([c for *_, c in rows], dtype=bool),
        }
    )

    ranked = tables._ranked(wide)

    expected = rank_rows(
        (f"Q{n:02d}", name, g, t) for n, (name, g, t, complete) in enumerate(rows) if complete
    )
    complete = ranked[ranked["complete"]]
    assert list(complete["ods_code"]) == [row.key for row in expected]
    assert list(complete["rank"]) == [row.rank for row in expected]
    rest = ranked[~ranked["complete"]]
    assert rest["rank"].isna().all()
    assert list(rest["pct"]) == sorted(rest["pct"])
    assert ranked["complete"].tolist() == sorted(ranked["complete"], reverse=True)
