"""A file chosen for a preview, kept in the session between the upload and its preview.

The upload's POST keeps the file and redirects to the preview's address, which shows it by
GET (post/redirect/get): the browser's Back from the confirmation, or a reload, returns to
the preview instead of Chromium's "Confirm Form Resubmission" (the SHA walk), and never
sends the file again. The confirmation forgets it, so that Back after confirming says the
file was dealt with rather than previewing it again."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect


def _key(kind: str) -> str:
    return f"kept-file:{kind}"


def keep_file(request: HttpRequest, kind: str, *, filename: str, text: str) -> None:
    """Keep the file chosen for ``kind`` ("boards", "organisations"), replacing any other."""
    request.session[_key(kind)] = {"filename": filename, "text": text}


def kept_file(request: HttpRequest, kind: str) -> tuple[str, str] | None:
    """The kept file's name and text, or None."""
    kept = request.session.get(_key(kind))
    if not isinstance(kept, dict):
        return None
    return kept.get("filename", ""), kept.get("text", "")


def forget_file(request: HttpRequest, kind: str) -> None:
    request.session.pop(_key(kind), None)


def upload_then_preview(
    request: HttpRequest,
    kind: str,
    *,
    form,
    here: str,
    back: str,
    missing: str,
    refused: Callable[..., HttpResponse],
    show: Callable[[str, str], HttpResponse],
) -> HttpResponse:
    """The upload and its preview at one address: a POST of ``form`` (bound, with a
    ``file`` field cleaned to ``(filename, text)``) keeps the file and redirects to
    ``here``, or answers ``refused(form)``; a GET answers ``show(filename, text)`` for the
    kept file, or sends the user to ``back`` saying ``missing`` (after confirming, say)."""
    if request.method == "POST":
        if not form.is_valid():
            return refused(form)
        filename, text = form.cleaned_data["file"]
        keep_file(request, kind, filename=filename, text=text)
        return redirect(here)
    kept = kept_file(request, kind)
    if kept is None:
        messages.info(request, missing)
        return redirect(back)
    return show(*kept)
