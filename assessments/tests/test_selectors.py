import pytest
from django.contrib.auth.models import AnonymousUser

from assessments.models import Role, Stage
from assessments.selectors import (
    EMPTY_SCOPE,
    UserScope,
    board_pcts,
    national_overview,
    region_overview,
    user_scope,
)
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    PCTFactory,
    RoleFactory,
    SHAFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_user_scope_collects_every_role_in_one_query(django_assert_num_queries):
    user = UserFactory()
    sha_a, sha_b = SHAFactory(name="Alpha"), SHAFactory(name="Beta")
    pct = PCTFactory(name="Gamma PCT")
    RoleFactory(user=user, kind=Role.Kind.NATIONAL)
    RoleFactory(user=user, kind=Role.Kind.SHA_STAFF, sha=sha_a)
    RoleFactory(user=user, kind=Role.Kind.SHA_STAFF, sha=sha_b)
    RoleFactory(user=user, kind=Role.Kind.PCT_BOARD, pct=pct)

    with django_assert_num_queries(1):
        scope = user_scope(user)

    assert scope == UserScope(
        is_national=True, sha_ids=frozenset({sha_a.pk, sha_b.pk}), pct_ids=frozenset({pct.pk})
    )
    assert scope.labels == (
        "National assurance team",
        "PCT board: Gamma PCT",
        "SHA staff: Alpha",
        "SHA staff: Beta",
    )


def test_user_scope_is_cached_on_the_user(django_assert_num_queries):
    user = RoleFactory(kind=Role.Kind.NATIONAL).user
    first = user_scope(user)

    with django_assert_num_queries(0):
        second = user_scope(user)

    assert second is first


def test_user_scope_empty_for_user_without_role():
    scope = user_scope(UserFactory())

    assert (scope, scope.has_role, scope.is_sha_staff, scope.is_pct_board) == (
        EMPTY_SCOPE,
        False,
        False,
        False,
    )


def test_user_scope_empty_for_anonymous_without_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        scope = user_scope(AnonymousUser())

    assert scope == EMPTY_SCOPE


def test_user_scope_empty_for_inactive_user():
    user = RoleFactory(kind=Role.Kind.NATIONAL, user=UserFactory(is_active=False)).user

    assert user_scope(user) == EMPTY_SCOPE


def test_region_overview_groups_by_round_newest_first(django_assert_num_queries):
    sha = SHAFactory(name="West")
    old, new = AssessmentRoundFactory(slug="2008-09"), AssessmentRoundFactory(slug="2009-10")
    a, b = PCTFactory(sha=sha, name="A PCT"), PCTFactory(sha=sha, name="B PCT")
    AssessmentFactory(round=old, pct=b, stage=Stage.PUBLISHED)
    AssessmentFactory(round=old, pct=a, stage=Stage.PUBLISHED)
    AssessmentFactory(round=new, pct=a, stage=Stage.SCORING)
    AssessmentFactory(round=new, pct=b, stage=Stage.MODERATION)
    AssessmentFactory(round=new)  # another SHA

    with django_assert_num_queries(1):
        overview = region_overview(sha_ids=frozenset({sha.pk}))

    assert [
        (
            block.round_slug,
            [(c.stage, c.count) for c in block.stage_counts],
            [x.pct.name for x in block.assessments],
        )
        for block in overview
    ] == [
        ("2009-10", [(Stage.SCORING, 1), (Stage.MODERATION, 1)], ["A PCT", "B PCT"]),
        ("2008-09", [(Stage.PUBLISHED, 2)], ["A PCT", "B PCT"]),
    ]


def test_board_pcts_brings_assessments_newest_first(django_assert_num_queries):
    pct = PCTFactory()
    AssessmentFactory(pct=pct, round=AssessmentRoundFactory(slug="2008-09"))
    AssessmentFactory(pct=pct, round=AssessmentRoundFactory(slug="2009-10"))

    with django_assert_num_queries(2):
        pcts = list(board_pcts(pct_ids=frozenset({pct.pk})))
        slugs = [a.round.slug for a in pcts[0].assessments.all()]
        sha_name = pcts[0].sha.name

    assert (pcts, slugs, sha_name) == ([pct], ["2009-10", "2008-09"], pct.sha.name)


def test_national_overview_counts_sha_by_stage_in_one_query(django_assert_num_queries):
    round_ = AssessmentRoundFactory(slug="2009-10")
    north, south = (
        SHAFactory(name="North", ods_code="Q31"),
        SHAFactory(name="South", ods_code="Q39"),
    )
    for stage in (Stage.SCORING, Stage.SCORING, Stage.MODERATION):
        AssessmentFactory(round=round_, pct=PCTFactory(sha=north), stage=stage)
    AssessmentFactory(round=round_, pct=PCTFactory(sha=south), stage=Stage.PUBLISHED)

    with django_assert_num_queries(1):
        overview = national_overview()

    assert [
        (b.round_slug, [(r.sha_code, r.counts, r.total) for r in b.rows]) for b in overview
    ] == [
        (
            "2009-10",
            [("Q31", [0, 0, 2, 0, 1, 0, 0, 0], 3), ("Q39", [0, 0, 0, 0, 0, 0, 0, 1], 1)],
        )
    ]
    assert (overview[0].stage_totals, overview[0].total) == ([0, 0, 2, 0, 1, 0, 0, 1], 4)
