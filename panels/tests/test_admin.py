"""The panels admin shows seats and scores but changes them only through the services.

(Every model's admin pages are walked in ``assessments/tests/test_admin.py``; here, the
seat-specific ways an admin form could have changed a holder.)
"""

import pytest
from django.urls import reverse

from panels.models import Seat, SeatChange
from tests.factories import PersonFactory, SeatChangeFactory, SeatFactory

pytestmark = pytest.mark.django_db


def test_admin_seat_change_post_is_403_and_keeps_the_holder(admin_client):
    seat = SeatFactory()
    holder, other = seat.person, PersonFactory()

    response = admin_client.post(
        reverse("admin:panels_seat_change", args=[seat.pk]),
        {"panel": seat.panel_id, "seat_type": seat.seat_type_id, "person": other.pk},
    )

    assert response.status_code == 403
    assert Seat.objects.get(pk=seat.pk).person == holder
    assert list(SeatChange.objects.all()) == []


def test_admin_panel_change_post_cannot_change_a_seat_through_its_inline(admin_client):
    seat = SeatFactory()
    holder, other = seat.person, PersonFactory()

    response = admin_client.post(
        reverse("admin:panels_panel_change", args=[seat.panel_id]),
        {
            "assessment": seat.panel.assessment_id,
            "seats-TOTAL_FORMS": "1",
            "seats-INITIAL_FORMS": "1",
            "seats-0-id": seat.pk,
            "seats-0-panel": seat.panel_id,
            "seats-0-seat_type": seat.seat_type_id,
            "seats-0-person": other.pk,
        },
    )

    assert response.status_code == 403
    assert Seat.objects.get(pk=seat.pk).person == holder


def test_admin_seat_history_is_listed_read_only(admin_client):
    change = SeatChangeFactory()

    response = admin_client.get(reverse("admin:panels_seatchange_changelist"))

    assert list(response.context["cl"].result_list) == [change]
    assert response.context["has_add_permission"] is False
