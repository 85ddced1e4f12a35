"""Errors the write services raise, for views and commands to turn into messages."""

from __future__ import annotations

from typing import Any


class ConflictError(Exception):
    """Someone else saved first: the caller's copy is stale.

    ``current`` is the object as it is now stored, so that a view can show the user what
    changed and let them try again.
    """

    def __init__(self, message: str, *, current: Any) -> None:
        super().__init__(message)
        self.current = current


class TransitionError(ValueError):
    """The change is not allowed at the object's stage (or the stage change itself is not)."""


def refusal_messages(exc: Exception) -> list[str]:
    """What a refused write says, as messages for the user: a ``ValidationError``'s
    messages, or the text of any other refusal."""
    return list(getattr(exc, "messages", None) or [str(exc)])


def form_add_refusal(form, exc) -> None:
    """A service's ``ValidationError`` on a form: messages keyed by a field of the form on
    that field (so the error summary links to it) unless the form refused that field
    already, any others at the top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            if field in form.fields and field in form.errors:
                # The field's own error says what is wrong; the service read it as blank
                # (the bad-input walk: "enter the baseline" under "at most 20 characters").
                continue
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def kept_on_conflict(form_class, data, *, version: int, what: str, **kwargs):
    """A form of ``form_class`` bound to what the user posted after a ``ConflictError``, so
    that nothing they typed is lost: ``version`` (the stored one now) replaces the stale
    version posted, so that saving again knowingly replaces the colleague's save, and a
    form-wide error (the page's error summary) says that nothing was saved and why.
    ``kwargs`` go to the form as they would on any POST."""
    data = data.copy()
    data["version"] = str(version)
    form = form_class(data, **kwargs)
    form.is_valid()
    form.add_error(
        None,
        f"{what} changed since you opened this page (someone saved in another window or "
        "browser). Your answers are still below. Save again to replace what was saved with "
        "them, or reload the page to see what was saved instead.",
    )
    return form
