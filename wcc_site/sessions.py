"""Database sessions that remember when the stored session expires, so that
``SessionIdleMiddleware`` renews a session only when it has aged (``SESSION_ENGINE``)."""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    stored_expiry = None  # the expiry of the row as loaded; None for a new session

    def _get_session_from_db(self):
        session = super()._get_session_from_db()
        self.stored_expiry = session.expire_date if session is not None else None
        return session
