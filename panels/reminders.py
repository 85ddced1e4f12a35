"""Daily scoring reminders that chase: one digest per person per day.

Run by ``send_reminders`` (and its old name ``send_scoring_reminders``), once a day. For
every seat at scoring whose holder has neither submitted nor been excused:

* before the deadline (when it is at most ``days`` away) the member is reminded that the
  scores are **due**;
* after it, the member is reminded every day that they are **overdue**;
* from ``chase_after`` days after the deadline, the panel's **chair** (its acting chair,
  while there is one: ``panels.models.PRESIDING``) is told too, naming the members who
  are late.

Everything one person is to hear that day goes in **one** message (a member on four panels
gets one message listing the four; a chair's list of late members rides along), and
nobody gets a second one the same day: ``ReminderSent`` records each digest, in the
transaction that queues it (``assessments.mail.mail_enqueue``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction

from assessments.models import Assessment, Stage
from panels.models import PRESIDING, Person, ReminderSent, Seat
from panels.notifications import notify_scoring_digest, person_address

DEFAULT_DAYS = 3
DEFAULT_CHASE_AFTER = 3


@dataclass
class Digest:
    """What one person is told today."""

    person: Person
    due: list[Seat] = field(default_factory=list)  # deadline today or ahead
    overdue: list[Seat] = field(default_factory=list)  # deadline passed
    # Panels this person chairs, with the members late beyond ``chase_after`` days.
    late: list[tuple[Assessment, list[Seat]]] = field(default_factory=list)

    @property
    def address(self) -> str | None:
        return person_address(self.person)

    def summary(self) -> str:
        def panel(seat: Seat) -> str:
            return seat.panel.assessment.pct.ods_code

        parts = []
        if self.overdue:
            parts.append("overdue: " + ", ".join(panel(s) for s in self.overdue))
        if self.due:
            parts.append("due: " + ", ".join(panel(s) for s in self.due))
        if self.late:
            parts.append(
                "late members: "
                + "; ".join(
                    f"{a.pct.ods_code} ({', '.join(str(s.person) for s in seats)})"
                    for a, seats in self.late
                )
            )
        return "; ".join(parts)


def _open_seats(*, today: date, days: int, round_slug: str | None):
    seats = Seat.objects.filter(
        person__isnull=False,
        submitted_at__isnull=True,
        absence_reason="",
        panel__assessment__stage=Stage.SCORING,
        panel__assessment__round__scoring_due__isnull=False,
        panel__assessment__round__scoring_due__lte=today + timedelta(days=days),
    )
    if round_slug is not None:
        seats = seats.filter(panel__assessment__round__slug=round_slug)
    return seats.select_related(
        "seat_type",
        "person__user",
        "panel",
        "panel__assessment__round",
        "panel__assessment__pct",
    ).order_by(
        "panel__assessment__round__scoring_due",
        "panel__assessment__round__slug",
        "panel__assessment__pct__name",
        "seat_type__number",
    )


def scoring_digests(
    *,
    today: date,
    days: int = DEFAULT_DAYS,
    chase_after: int = DEFAULT_CHASE_AFTER,
    round_slug: str | None = None,
) -> list[Digest]:
    """Today's digests, by person name, leaving out whoever was already reminded today."""
    digests: dict[int, Digest] = {}

    def digest_for(person: Person) -> Digest:
        return digests.setdefault(person.pk, Digest(person=person))

    late_by_panel: dict[int, list[Seat]] = defaultdict(list)
    for seat in _open_seats(today=today, days=days, round_slug=round_slug):
        due = seat.panel.assessment.round.scoring_due
        if due >= today:
            digest_for(seat.person).due.append(seat)
        else:
            digest_for(seat.person).overdue.append(seat)
            if today >= due + timedelta(days=chase_after) and not seat.presides:
                late_by_panel[seat.panel_id].append(seat)

    if late_by_panel:
        chairs = (
            Seat.objects.filter(PRESIDING, panel_id__in=late_by_panel, person__isnull=False)
            .select_related("person__user", "panel__assessment__round", "panel__assessment__pct")
            .order_by("panel__assessment__pct__name")
        )
        for chair in chairs:
            digest_for(chair.person).late.append(
                (chair.panel.assessment, late_by_panel[chair.panel_id])
            )

    already = set(
        ReminderSent.objects.filter(
            kind=ReminderSent.Kind.SCORING, day=today, person_id__in=digests
        ).values_list("person_id", flat=True)
    )
    return sorted(
        (d for pk, d in digests.items() if pk not in already),
        key=lambda d: (d.person.full_name, d.person.pk),
    )


def scoring_digest_send(*, digest: Digest, today: date) -> bool:
    """Queue one person's digest and record it, in one transaction. False (nothing sent) if
    the person has no address or was reminded today already (by a concurrent run)."""
    if digest.address is None:
        return False
    try:
        with transaction.atomic():
            ReminderSent.objects.create(
                person=digest.person,
                kind=ReminderSent.Kind.SCORING,
                day=today,
                summary=digest.summary(),
            )
            notify_scoring_digest(digest=digest, today=today)
    except IntegrityError:
        return False
    return True
