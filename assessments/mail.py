"""Sending e-mail: every message leaves the request and is sent by the task worker.

Services render their messages where they always have (``panels/notifications.py``,
``assessments/publication.py``) and call ``mail_enqueue`` inside their transaction. Once
the transaction commits, each message is enqueued as its own ``mail_send`` task
(django-tasks; the worker is ``manage.py db_worker``, see the README). Nothing is queued
for a change that is rolled back, and a mail server that is down never turns a saved
change into an error page: the request only queues. Without a worker, mail waits in the
queue (the ``django_tasks_db`` table) until one runs.

One task per message, not one per batch: a bad address or a refused send holds up only
that message, and each message is retried on its own without sending the others twice.

A failed send is recorded and retried. The attempt logs a warning naming the recipients
and the error, then raises, so its task result is FAILED with the traceback (the admin's
"DB task results" list shows it). Before raising, it enqueues the next attempt with
``run_after`` set ``RETRY_DELAYS`` later (django-tasks has no retries of its own, but its
database backend honours ``run_after``). After ``MAX_ATTEMPTS`` failed attempts it gives
up and logs an error. A backend that cannot defer (the immediate backend, as in tests)
retries at once, still at most ``MAX_ATTEMPTS`` times.

Arguments are JSON (the database backend stores them): subject, body, sender (``None``
for ``DEFAULT_FROM_EMAIL``) and a list of recipients.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.backends.immediate import ImmediateBackend

logger = logging.getLogger("wcc.mail")

# The delay before the 2nd, 3rd, 4th and 5th attempt: about an hour and a half in all, long
# enough to outlast a mail server's restart, short enough that "scoring has opened" is news.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=20),
    timedelta(hours=1),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1

# What the services render: (subject, body, sender or None, recipients), the shape of
# Django's ``send_mass_mail`` data tuples.
Message = tuple[str, str, str | None, list[str]]


def rendered(
    template: str, context: dict, to: str | list[str], sender: str | None = None
) -> Message:
    """The message of ``templates/email/<template>_subject.txt`` and ``<template>.txt``
    rendered with ``context``, to ``to`` (an address, or a list), the subject on one line.
    Every e-mail of the project is made here."""
    from django.template.loader import render_to_string

    subject = " ".join(render_to_string(f"email/{template}_subject.txt", context).split())
    to = [to] if isinstance(to, str) else list(to)
    return subject, render_to_string(f"email/{template}.txt", context), sender, to


def mail_enqueue(*, messages: Iterable[Message]) -> int:
    """Queue ``messages`` to be sent, one task each, once the current transaction commits
    (at once outside a transaction). Returns how many were queued."""
    queued = [
        {"subject": subject, "body": body, "from_email": sender, "to": list(to)}
        for subject, body, sender, to in messages
    ]
    if queued:
        transaction.on_commit(lambda: _enqueue_all(queued))
    return len(queued)


def mail_sent_at_once() -> bool:
    """Whether tasks run in the caller's process (the immediate backend): then "queued"
    messages have been sent, or tried and retried, by the time ``mail_enqueue``'s
    transaction ends. Commands use it to say "queued" or "sent"."""
    return isinstance(mail_send.get_backend(), ImmediateBackend)


def mail_outcome(count: int, what: str) -> str:
    """How a command reports ``count`` messages (``what``: "reminder(s)"): queued for the
    worker, or, with the immediate backend, sent (tried) at once, a failure in the log."""
    if mail_sent_at_once():
        return f"{count} {what} sent at once; any that failed are in the log."
    return f"{count} {what} queued for the worker."


def _enqueue_all(queued: list[dict]) -> None:
    for kwargs in queued:
        try:
            mail_send.enqueue(**kwargs)
        except Exception:  # the change is saved: log the lost message, fail nothing else
            logger.exception(
                "Could not queue the e-mail %r to %s", kwargs["subject"], ", ".join(kwargs["to"])
            )


@task()
def mail_send(
    *, subject: str, body: str, from_email: str | None, to: list[str], attempt: int = 1
) -> int:
    """Send one message; on failure queue the next attempt (see the module docstring) and
    raise, so that this attempt's task result records the error."""
    try:
        return EmailMessage(subject, body, from_email, to).send(fail_silently=False)
    except Exception as exc:
        who = ", ".join(to)
        if attempt >= MAX_ATTEMPTS:
            logger.error(
                "Gave up on the e-mail %r to %s after %d attempts: %s: %s",
                subject,
                who,
                attempt,
                type(exc).__name__,
                exc,
            )
            raise
        delay = RETRY_DELAYS[attempt - 1]
        logger.warning(
            "The e-mail %r to %s failed (attempt %d of %d), trying again in %s: %s: %s",
            subject,
            who,
            attempt,
            MAX_ATTEMPTS,
            delay,
            type(exc).__name__,
            exc,
        )
        retry = mail_send
        if retry.get_backend().supports_defer:
            retry = retry.using(run_after=timezone.now() + delay)
        retry.enqueue(subject=subject, body=body, from_email=from_email, to=to, attempt=attempt + 1)
        raise
