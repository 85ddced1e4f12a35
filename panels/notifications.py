"""E-mail to panel members: scoring has opened, the daily reminder (a digest of the scores
due and overdue, and for a chair the members who are late: ``panels.reminders``), the
chair's notice that every member has submitted, a member replaced while scoring (the
new holder, the old one and the chair are told), and the chair handed to another member
(who chairs now and who chaired until now are told). "The chair" is whoever chairs the
panel now (``panels.models.PRESIDING``): the acting chair while there is one.

Messages are plain text rendered here from ``templates/email/`` (``<name>_subject.txt``
and ``<name>.txt``); ``assessments.mail.mail_enqueue`` queues each one for the task worker
once the caller's transaction commits, so that nobody is told of a change that was rolled
back and a failing mail server never fails the change (the worker retries: see that
module). Links are absolute, built from ``SITE_URL``. Services call these functions inside
their transaction. Each returns the number of messages queued; a member with no e-mail
address is skipped (and logged).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from assessments.mail import mail_enqueue, rendered
from assessments.models import Assessment, SelfAssessment, Stage
from panels.models import PRESIDING, Seat
from panels.selectors import person_address, recipient

logger = logging.getLogger("wcc.panels")

DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def absolute_url(path: str) -> str:
    return getattr(settings, "SITE_URL", DEFAULT_SITE_URL).rstrip("/") + path


def _panel_url(name: str, assessment: Assessment) -> str:
    return absolute_url(reverse(name, args=[assessment.round.slug, assessment.pct.ods_code]))


def _context(seat: Seat, assessment: Assessment) -> dict:
    return {
        "seat": seat,
        "person": seat.person,
        "assessment": assessment,
        "pct": assessment.pct,
        "round": assessment.round,
        "deadline": assessment.round.scoring_due,
        "consensus_due": assessment.round.consensus_due,
        "today": timezone.localdate(),
        "score_url": _panel_url("panels:score", assessment),
        "panel_url": _panel_url("panels:panel_detail", assessment),
        "consensus_url": _panel_url("panels:consensus", assessment),
    }


def _send(template: str, seats: list[Seat], assessment: Assessment) -> int:
    # Whether the board submitted a self-assessment (SHA staff may proceed without one):
    # the e-mail does not send members looking for one that is not there.
    self_assessed = SelfAssessment.objects.filter(
        assessment=assessment, status=SelfAssessment.Status.SUBMITTED
    ).exists()
    messages = []
    for seat in seats:
        to = recipient(seat)
        if to is None:
            logger.warning("No e-mail address for %s (%s): not told", seat.person, template)
            continue
        context = _context(seat, assessment) | {"self_assessed": self_assessed}
        messages.append(rendered(template, context, to))
    return mail_enqueue(messages=messages)


def _held_seats(assessment: Assessment):
    return (
        Seat.objects.filter(panel__assessment=assessment, person__isnull=False)
        .select_related("seat_type", "person__user")
        .order_by("seat_type__number")
    )


def _with_round(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_related("round", "pct__sha").get(pk=assessment.pk)


def notify_scoring_opened(*, assessment: Assessment) -> int:
    """Tell every seat holder that scoring is open: the PCT, the deadline, the link."""
    assessment = _with_round(assessment)
    return _send("scoring_opened", list(_held_seats(assessment)), assessment)


def notify_scoring_digest(*, digest, today) -> int:
    """One person's daily reminder (``panels.reminders.Digest``): their scores due soon and
    overdue, and, for a chair, the members of their panels who are late."""
    person = digest.person
    to = person_address(person)
    if to is None:
        logger.warning("No e-mail address for %s (scoring_digest): not told", person)
        return 0

    def entry(seat: Seat) -> dict:
        assessment = seat.panel.assessment
        return {
            "seat": seat,
            "pct": assessment.pct,
            "round": assessment.round,
            "deadline": assessment.round.scoring_due,
            "days_late": (today - assessment.round.scoring_due).days,
            "score_url": _panel_url("panels:score", assessment),
        }

    context = {
        "person": person,
        "today": today,
        "overdue": [entry(seat) for seat in digest.overdue],
        "due": [entry(seat) for seat in digest.due],
        "late": [
            {
                "pct": assessment.pct,
                "round": assessment.round,
                "members": seats,
                "consensus_url": _panel_url("panels:consensus", assessment),
            }
            for assessment, seats in digest.late
        ],
    }
    return mail_enqueue(messages=[rendered("scoring_digest", context, to)])


def notify_all_submitted(*, assessment: Assessment) -> int:
    """Tell the chair (the acting chair, while there is one) that every member has
    submitted: consensus can start."""
    assessment = _with_round(assessment)
    chairs = list(_held_seats(assessment).filter(PRESIDING))
    return _send("all_submitted", chairs, assessment)


def _by_name(by) -> str:
    if by is None:
        return "SHA staff"
    return by.get_full_name() or by.get_username()


def notify_seat_replaced(*, assessment: Assessment, seat: Seat, old_person, by, reason: str) -> int:
    """A member replaced while scoring (``seat`` holds the new one): the new holder is told
    they joined the panel (scoring is open, the deadline, the link), the old holder that
    they are no longer on it (by whom, why), and whoever chairs the panel (the acting
    chair, while there is one), when the seat is not theirs, who now holds it."""
    assessment = _with_round(assessment)
    context = {
        "old_person": old_person,
        "new_person": seat.person,
        "by_name": _by_name(by),
        "reason": reason,
    }
    messages = []
    for template, person, whose in (
        ("seat_replaced_new", seat.person, seat),
        ("seat_replaced_old", old_person, seat),
    ):
        to = person_address(person) if person is not None else None
        if to is None:
            logger.warning("No e-mail address for %s (%s): not told", person, template)
            continue
        messages.append(rendered(template, _context(whose, assessment) | context, to))
    for chair in _held_seats(assessment).filter(PRESIDING).exclude(pk=seat.pk):
        to = recipient(chair)
        if to is None:
            logger.warning("No e-mail address for %s (seat_replaced_chair)", chair.person)
            continue
        messages.append(
            rendered(
                "seat_replaced_chair",
                _context(seat, assessment) | context | {"chair": chair.person},
                to,
            )
        )
    return mail_enqueue(messages=messages)


def notify_acting_chair(
    *, assessment: Assessment, chair_seat: Seat, old_person, by, reason: str
) -> int:
    """The chair handed on (``chair_seat`` is the seat whose holder chairs now: the chair's
    own when it is handed back): who chairs now is told what they now do (the link to the
    consensus page), and ``old_person``, who chaired until now, that they no longer do,
    who does and why."""
    assessment = _with_round(assessment)
    chair = (
        Seat.objects.filter(panel_id=chair_seat.panel_id, seat_type__is_chair=True)
        .select_related("person")
        .first()
    )
    context = {
        "old_person": old_person,
        "new_person": chair_seat.person,
        "chair": chair.person if chair is not None else None,
        "back": chair_seat.seat_type.is_chair,
        "by_name": _by_name(by),
        "reason": reason,
        "scoring": assessment.stage == Stage.SCORING,
    }
    messages = []
    for template, person in (
        ("acting_chair_new", chair_seat.person),
        ("acting_chair_old", old_person),
    ):
        to = person_address(person) if person is not None else None
        if to is None:
            logger.warning("No e-mail address for %s (%s): not told", person, template)
            continue
        messages.append(rendered(template, _context(chair_seat, assessment) | context, to))
    return mail_enqueue(messages=messages)


def notify_person_deactivated(*, person, told, by, reason: str, kept: bool) -> int:
    """``person`` deactivated on the people list while panels wait for their scores
    (``told``: ``panels.selectors.deactivation_told``): each chair is e-mailed once,
    listing the panels they chair that wait for ``person`` (excuse them, or ask SHA staff
    to replace them while scoring); for the panels ``person`` chairs, the region's SHA
    staff are e-mailed instead, to hand the chair to another member. ``kept``: the
    account keeps other access and can still log in."""

    def panels(seats: list[Seat]) -> list[dict]:
        return [
            {
                "seat": seat,
                "assessment": seat.panel.assessment,
                "pct": seat.panel.assessment.pct,
                "round": seat.panel.assessment.round,
                "scoring": seat.panel.assessment.stage == Stage.SCORING,
                "consensus_url": _panel_url("panels:consensus", seat.panel.assessment),
                "formation_url": _panel_url("panels:formation_panel", seat.panel.assessment),
                "hand_chair_url": _panel_url("panels:hand_chair", seat.panel.assessment),
            }
            for seat in seats
        ]

    context = {"person": person, "by_name": _by_name(by), "reason": reason, "kept": kept}
    messages = []
    for chair, seats in told.chairs:
        to = person_address(chair)
        if to is None:  # deactivation_told leaves them out: said here for safety
            logger.warning("No e-mail address for %s (person_deactivated_chair)", chair)
            continue
        messages.append(
            rendered(
                "person_deactivated_chair",
                context | {"chair": chair, "panels": panels(seats)},
                to,
            )
        )
    for user, seats in told.staff:
        messages.append(
            rendered(
                "person_deactivated_staff",
                context
                | {"name": user.get_full_name() or user.get_username(), "panels": panels(seats)},
                user.email,
            )
        )
    return mail_enqueue(messages=messages)


def notify_email_changed(*, person, old_email: str, by) -> int:
    """A person's address changed on the people list (and so their account's, where their
    set-password links now go): the old address is told the new one and by whom, so that
    an unexpected change is noticed by whoever still reads it (walk Y)."""
    if not old_email:
        return 0
    context = {
        "person": person,
        "old_email": old_email,
        "by_name": _by_name(by),
        "has_account": person.user_id is not None,
        "site_url": settings.SITE_URL,
    }
    return mail_enqueue(messages=[rendered("email_changed", context, old_email)])
