"""The consensus and scoring pages name each member above their column, with the seat
(issue 11, finding 9); My panels stacks on a phone (each cell says its column)."""

import html

import pytest

from panels.models import Seat
from tests.users import demo_user

pytestmark = pytest.mark.django_db


def test_consensus_columns_name_the_members_with_their_seats(client, demo):
    client.force_login(demo_user("chair.q34"))

    page = html.unescape(client.get("/panels/2008-09/5PG/consensus/").content.decode())

    seats = Seat.objects.filter(
        panel__assessment__round__slug="2008-09", panel__assessment__pct__ods_code="5PG"
    ).select_related("person", "seat_type")
    assert seats.count() == 5
    for seat in seats:
        assert (
            f'<th scope="col" data-test="member-col">{seat.person.full_name}<br>'
            f'<span class="wcc-muted small fw-normal">Seat {seat.seat_type.number}: '
            f"{seat.seat_type.name}</span></th>"
        ) in page
    assert '<th scope="col">Seat 1</th>' not in page


def test_my_panels_cells_carry_their_column_names_for_the_phone_layout(client, demo):
    client.force_login(demo_user("janet.richards"))

    page = client.get("/panels/mine/").content.decode()

    assert 'class="table wcc-table wcc-stack"' in page
    for label in ("Round", "Your seat", "Stage", "Scoring deadline", "Your scores"):
        assert f'data-label="{label}"' in page
