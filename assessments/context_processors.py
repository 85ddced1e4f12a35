from django.utils.functional import SimpleLazyObject

from assessments.models import ShownStage, Stage
from assessments.selectors import EMPTY_SCOPE, user_scope
from competencies.vocabulary import LEVELS, Light


def roles(request):
    """The signed-in user's scope (``scope``), for navigation by role and the header.

    Lazy: a page that never shows it (the login page, the health check) runs no query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"scope": EMPTY_SCOPE}
    return {"scope": SimpleLazyObject(lambda: user_scope(user))}


def vocabulary(request):
    """The domain's names for templates: ``Stage`` (compare ``assessment.stage`` with
    ``Stage.SCORING``, never with the number behind it), ``Light`` and ``LEVELS`` (offer
    ``Light.choices`` and ``LEVELS``, never a hand-written list)."""
    return {"Stage": Stage, "ShownStage": ShownStage, "Light": Light, "LEVELS": LEVELS}
