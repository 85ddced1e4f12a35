from assessments.selectors import user_scope


def roles(request):
    """The signed-in user's scope, for navigation by role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"scope": user_scope(user)}
