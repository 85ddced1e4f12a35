from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from assessments.models import Role
from assessments.rules import (
    is_board_of,
    is_national,
    is_published,
    is_sha_staff_for,
)
from tests.factories import (
    AssessmentFactory,
    AssessmentRoundFactory,
    PCTFactory,
    RoleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def national_user():
    return RoleFactory(kind=Role.Kind.NATIONAL).user


def staff_of(sha):
    return RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user


def board_of(pct):
    return RoleFactory(kind=Role.Kind.PCT_BOARD, pct=pct).user


@pytest.fixture
def pct():
    return PCTFactory()


@pytest.fixture
def other_pct():
    return PCTFactory()


@pytest.fixture(params=["sha", "pct", "assessment"])
def regional_object(request, pct):
    """Each kind of object is_sha_staff_for accepts, all in the SHA of ``pct``."""
    return {
        "sha": lambda: pct.sha,
        "pct": lambda: pct,
        "assessment": lambda: AssessmentFactory(pct=pct),
    }[request.param]()


def test_is_national_true_for_national_team():
    assert is_national(national_user()) is True


def test_is_national_false_for_sha_staff(pct):
    assert is_national(staff_of(pct.sha)) is False


def test_is_national_false_for_outsider():
    assert is_national(UserFactory()) is False


def test_is_national_false_for_anonymous():
    assert is_national(AnonymousUser()) is False


def test_is_sha_staff_for_true_for_staff_of_that_sha(pct, regional_object):
    assert is_sha_staff_for(staff_of(pct.sha), regional_object) is True


def test_is_sha_staff_for_false_for_staff_of_another_sha(other_pct, regional_object):
    assert is_sha_staff_for(staff_of(other_pct.sha), regional_object) is False


def test_is_sha_staff_for_false_for_board_of_the_pct(pct, regional_object):
    assert is_sha_staff_for(board_of(pct), regional_object) is False


def test_is_sha_staff_for_false_without_object(pct):
    assert is_sha_staff_for(staff_of(pct.sha), None) is False


@pytest.mark.parametrize("kind", ["pct", "assessment"])
def test_is_board_of_true_for_board_of_that_pct(pct, kind):
    obj = pct if kind == "pct" else AssessmentFactory(pct=pct)
    assert is_board_of(board_of(pct), obj) is True


@pytest.mark.parametrize("kind", ["pct", "assessment"])
def test_is_board_of_false_for_board_of_another_pct(pct, kind):
    colleague = board_of(PCTFactory(sha=pct.sha))
    obj = pct if kind == "pct" else AssessmentFactory(pct=pct)
    assert is_board_of(colleague, obj) is False


@pytest.mark.parametrize("kind", ["pct", "assessment"])
def test_is_board_of_false_for_staff_of_its_sha(pct, kind):
    obj = pct if kind == "pct" else AssessmentFactory(pct=pct)
    assert is_board_of(staff_of(pct.sha), obj) is False


def test_is_board_of_false_for_an_sha(pct):
    assert is_board_of(board_of(pct), pct.sha) is False


@pytest.mark.parametrize(
    ("published_at", "expected"),
    [(timedelta(hours=-1), True), (timedelta(hours=1), False), (None, False)],
)
def test_is_published_follows_the_round_clock(published_at, expected):
    when = timezone.now() + published_at if published_at is not None else None
    round_ = AssessmentRoundFactory(published_at=when)
    assessment = AssessmentFactory(round=round_)
    assert (is_published(None, round_), is_published(UserFactory(), assessment)) == (
        expected,
        expected,
    )


def test_is_published_false_for_other_objects(pct):
    assert is_published(None, pct) is False


def test_view_region_allows_national_team(pct):
    assert national_user().has_perm("assessments.view_region", pct.sha) is True


def test_view_region_allows_staff_of_that_sha(pct):
    assert staff_of(pct.sha).has_perm("assessments.view_region", pct.sha) is True


def test_view_region_refuses_staff_of_another_sha(pct, other_pct):
    assert staff_of(other_pct.sha).has_perm("assessments.view_region", pct.sha) is False


def test_view_region_refuses_board_of_a_pct_in_it(pct):
    assert board_of(pct).has_perm("assessments.view_region", pct.sha) is False


def test_view_region_refuses_outsider(pct):
    assert UserFactory().has_perm("assessments.view_region", pct.sha) is False


@pytest.mark.parametrize("who", ["national", "staff", "board"])
def test_view_pct_allows_national_staff_and_board(pct, who):
    user = {"national": national_user, "staff": lambda: staff_of(pct.sha)}.get(
        who, lambda: board_of(pct)
    )()
    assert user.has_perm("assessments.view_pct", pct) is True


@pytest.mark.parametrize("who", ["other_staff", "other_board", "outsider", "anonymous"])
def test_view_pct_refuses_other_scopes_and_outsiders(pct, other_pct, who):
    user = {
        "other_staff": lambda: staff_of(other_pct.sha),
        "other_board": lambda: board_of(PCTFactory(sha=pct.sha)),
        "outsider": UserFactory,
        "anonymous": AnonymousUser,
    }[who]()
    assert user.has_perm("assessments.view_pct", pct) is False


def test_view_pct_refuses_staff_without_object(pct):
    assert staff_of(pct.sha).has_perm("assessments.view_pct") is False
