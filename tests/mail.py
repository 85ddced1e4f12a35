"""E-mail backends for tests of a mail server that fails (set ``settings.EMAIL_BACKEND``).

``BrokenBackend`` refuses every message, as a mail server that is down. ``FlakyBackend``
refuses the next ``FlakyBackend.failures`` messages, then delivers to ``mail.outbox`` like
Django's locmem backend; the ``flaky_mail`` fixture resets it.
"""

import logging
from smtplib import SMTPServerDisconnected

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend


class BrokenBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise SMTPServerDisconnected("Connection unexpectedly closed (test: server down)")


class FlakyBackend(LocmemBackend):
    failures = 0

    def send_messages(self, messages):
        if FlakyBackend.failures > 0:
            FlakyBackend.failures -= 1
            raise SMTPServerDisconnected("Connection unexpectedly closed (test: flaky server)")
        return super().send_messages(messages)


def given_up(caplog) -> list[str]:
    """The recipients ``assessments.mail`` gave up on (its error log lines), sorted."""
    return sorted(
        r.args[1] for r in caplog.records if r.name == "wcc.mail" and r.levelno == logging.ERROR
    )
