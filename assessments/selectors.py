def user_scope(user):
    return None
