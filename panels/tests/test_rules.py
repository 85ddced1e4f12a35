import pytest
from django.contrib.auth.models import AnonymousUser

from assessments.models import Role
from panels.rules import is_panel_chair, is_seat_holder
from tests.factories import (
    PanelFactory,
    PCTFactory,
    PersonFactory,
    RoleFactory,
    SeatFactory,
    SeatTypeFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def seat_holder(panel, *, number=2, is_chair=False):
    user = UserFactory()
    SeatFactory(
        panel=panel,
        seat_type=SeatTypeFactory(number=number, is_chair=is_chair),
        person=PersonFactory(user=user, pct=PCTFactory()),
    )
    return user


@pytest.fixture
def panel():
    return PanelFactory()


@pytest.fixture(params=["panel", "assessment"])
def target(request, panel):
    """is_seat_holder and is_panel_chair take a panel or its assessment."""
    return panel if request.param == "panel" else panel.assessment


def test_is_seat_holder_true_for_member(panel, target):
    assert is_seat_holder(seat_holder(panel), target) is True


def test_is_seat_holder_false_for_member_of_another_panel(target):
    assert is_seat_holder(seat_holder(PanelFactory()), target) is False


def test_is_seat_holder_false_for_outsider_with_a_person(target):
    outsider = UserFactory()
    PersonFactory(user=outsider)
    assert is_seat_holder(outsider, target) is False


def test_is_seat_holder_false_for_anonymous(target):
    assert is_seat_holder(AnonymousUser(), target) is False


def test_is_panel_chair_true_for_chair(panel, target):
    assert is_panel_chair(seat_holder(panel, number=1, is_chair=True), target) is True


def test_is_panel_chair_false_for_other_member(panel, target):
    SeatFactory(panel=panel, seat_type=SeatTypeFactory(number=1, is_chair=True))
    assert is_panel_chair(seat_holder(panel, number=2), target) is False


def test_is_panel_chair_false_for_chair_of_another_panel(target):
    other_chair = seat_holder(PanelFactory(), number=1, is_chair=True)
    assert is_panel_chair(other_chair, target) is False


def test_is_panel_chair_false_for_outsider(target):
    assert is_panel_chair(UserFactory(), target) is False


@pytest.mark.parametrize("who", ["national", "staff", "member"])
def test_view_panel_allows_national_staff_of_its_sha_and_members(panel, who):
    sha = panel.assessment.pct.sha
    user = {
        "national": lambda: RoleFactory(kind=Role.Kind.NATIONAL).user,
        "staff": lambda: RoleFactory(kind=Role.Kind.SHA_STAFF, sha=sha).user,
        "member": lambda: seat_holder(panel),
    }[who]()
    assert user.has_perm("panels.view_panel", panel) is True


@pytest.mark.parametrize("who", ["other_staff", "board", "other_member", "outsider"])
def test_view_panel_refuses_other_scopes_and_outsiders(panel, who):
    user = {
        "other_staff": lambda: RoleFactory(kind=Role.Kind.SHA_STAFF, sha=PCTFactory().sha).user,
        "board": lambda: RoleFactory(kind=Role.Kind.PCT_BOARD, pct=panel.assessment.pct).user,
        "other_member": lambda: seat_holder(PanelFactory()),
        "outsider": UserFactory,
    }[who]()
    assert user.has_perm("panels.view_panel", panel) is False
