"""Reads for the panels app: querysets with their joins already applied."""

from django.db.models import QuerySet

from panels.models import Seat


def seats_for_user(user) -> QuerySet[Seat]:
    """The seats the user's person holds, newest round first, then by PCT name.

    Panel, assessment, round, PCT, SHA and seat type come in the same query.
    """
    if user is None or not user.is_authenticated:
        return Seat.objects.none()
    return (
        Seat.objects.filter(person__user=user)
        .select_related(
            "panel__assessment__round",
            "panel__assessment__pct__sha",
            "seat_type",
        )
        .order_by("-panel__assessment__round__slug", "panel__assessment__pct__name")
    )
