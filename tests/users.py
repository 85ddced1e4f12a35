"""Users of the seeded demo (the root conftest's ``demo`` fixture)."""

from django.contrib.auth import get_user_model


def demo_user(username: str):
    """The demo's user of that username (``national``, ``board.5nd``, ``moderator.q30`` …)."""
    return get_user_model().objects.get(username=username)
