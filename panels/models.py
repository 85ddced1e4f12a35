"""Review panels: people, the five seats, and each member's own scores.

A person is affiliated with exactly one organisation: an SHA, a PCT, or an organisation
outside the NHS (with its sector and country). The five seat types carry their
eligibility as data (which job roles, which kind of organisation relative to the assessed
PCT); ``panels.services`` enforces it. Conflict rules are data too: an ``error`` refuses a
seat, a ``warning`` is shown to SHA staff.

Panels never write agreed ratings themselves: consensus goes through
``assessments.services``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from assessments.models import (
    Assessment,
    PrimaryCareTrust,
    ShownStage,
    StrategicHealthAuthority,
)
from competencies.models import ItemRating, item_unique_constraints


class ExternalOrganisation(models.Model):
    """An organisation outside the NHS: an international health system or another industry."""

    name = models.CharField(max_length=200, unique=True)
    sector = models.CharField(max_length=100)
    country = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class JobRole(models.TextChoices):
    SHA_DIRECTOR = "sha_director", "SHA director"
    PEC_CHAIR = "pec_chair", "Professional executive committee chair"
    MEDICAL_DIRECTOR = "medical_director", "Medical director"
    DIRECTOR_ADULT_SERVICES = "director_adult_services", "Director of adult services"
    DIRECTOR_CHILDRENS_SERVICES = "director_childrens_services", "Director of children's services"
    CHIEF_EXECUTIVE = "chief_executive", "Chief executive"
    EXTERNAL_EXECUTIVE = "external_executive", "Executive director (outside the NHS)"
    OTHER = "other", "Other"


class Person(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="person",
    )
    full_name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    job_role = models.CharField(max_length=40, choices=JobRole.choices)
    job_title = models.CharField(max_length=200, blank=True)
    sha = models.ForeignKey(
        StrategicHealthAuthority,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name="SHA",
    )
    pct = models.ForeignKey(
        PrimaryCareTrust,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name="PCT",
    )
    external_organisation = models.ForeignKey(
        ExternalOrganisation, on_delete=models.PROTECT, null=True, blank=True, related_name="people"
    )
    is_active = models.BooleanField(
        "active",
        default=True,
        help_text="Offered for new seats; changed only by panels.services.people.",
    )

    class Meta:
        ordering = ["full_name"]
        verbose_name_plural = "people"
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(sha__isnull=False, pct__isnull=True, external_organisation__isnull=True)
                    | Q(sha__isnull=True, pct__isnull=False, external_organisation__isnull=True)
                    | Q(sha__isnull=True, pct__isnull=True, external_organisation__isnull=False)
                ),
                name="person_exactly_one_affiliation",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def organisation(self):
        return self.sha or self.pct or self.external_organisation

    @property
    def region_id(self) -> int | None:
        """The SHA whose staff look after this person (None for an outside organisation:
        shared by every SHA). Needs ``pct`` loaded for a PCT's person."""
        if self.sha_id is not None:
            return self.sha_id
        if self.pct_id is not None:
            return self.pct.sha_id
        return None


class SeatType(models.Model):
    """One of the five seats, with who may fill it written as data."""

    class Affiliation(models.TextChoices):
        OWN_SHA = "own_sha", "The assessed PCT's own SHA"
        OTHER_PCT = "other_pct", "Another PCT"
        OTHER_SHA_PCT = "other_sha_pct", "A PCT in another SHA area"
        OUTSIDE_NHS = "outside_nhs", "An organisation outside the NHS"

    number = models.PositiveSmallIntegerField(unique=True)
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField()
    eligible_roles = models.JSONField(help_text="Job roles that may fill the seat.")
    affiliation = models.CharField(max_length=20, choices=Affiliation.choices)
    is_chair = models.BooleanField(default=False)

    class Meta:
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(number__gte=1, number__lte=5), name="seat_type_number_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"Seat {self.number}: {self.name}"


class ConflictRule(models.Model):
    class Severity(models.TextChoices):
        ERROR = "error", "Refused"
        WARNING = "warning", "Warning"

    code = models.SlugField(max_length=40, unique=True)
    description = models.TextField()
    severity = models.CharField(max_length=10, choices=Severity.choices)

    class Meta:
        ordering = ["severity", "code"]

    def __str__(self) -> str:
        return self.code


class Panel(models.Model):
    """A PCT's review panel. The holder of the chair's seat chairs it, unless SHA staff
    named an ``acting_chair`` (another of its seats, while scoring or at consensus: the
    chair fell ill or left); then that seat's holder does everything the chair does, and
    the chair's seat holder stays a member. Written only by ``panels.services``, which
    keeps each hand-over in ``SeatChange`` (how: acting, on the chair's seat)."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="panel")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock.")
    acting_chair = models.ForeignKey(
        "Seat",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="acting_for",
        help_text="Another seat of this panel whose holder chairs it in the chair's place; "
        "changed only by panels.services.formation.panel_acting_chair_set.",
    )

    def __str__(self) -> str:
        return f"Panel for {self.assessment}"


class Seat(models.Model):
    """Who holds one of a panel's five seats now; written only by ``panels.services``, which
    keeps each change of holder (and each excused member) in ``SeatChange``."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="seats")
    seat_type = models.ForeignKey(SeatType, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="seats"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    absence_reason = models.TextField(
        blank=True, help_text="Recorded by the chair when the member could not take part."
    )
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock.")

    class Meta:
        ordering = ["panel", "seat_type__number"]
        constraints = [
            models.UniqueConstraint(fields=["panel", "seat_type"], name="seat_one_per_type"),
            models.UniqueConstraint(fields=["panel", "person"], name="seat_one_person_one_seat"),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(person__isnull=False),
                name="seat_submitted_needs_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seat_type} on {self.panel}: {self.person or 'vacant'}"

    @property
    def presides(self) -> bool:
        """Its holder chairs the panel now: the chair's seat while the panel has no acting
        chair, else the acting chair's seat (``PRESIDING``). Reads ``seat_type`` and
        ``panel``: load them with the seat."""
        acting = self.panel.acting_chair_id
        return self.pk == acting if acting is not None else self.seat_type.is_chair

    @property
    def stage_shown(self) -> ShownStage:
        """The stage of the panel's assessment as pages show it: Published once the round's
        publication time has passed and no comment holds it back, Held back while one does
        (``shown_stage``, read as ``shown_stage`` with the seat by
        ``panels.selectors.seats_for_user`` and ``my_seats``), else as stored."""
        shown = getattr(self, "shown_stage", None)
        return ShownStage(shown) if shown is not None else self.panel.assessment.stage_shown

    @property
    def scoring_overdue(self) -> bool:
        """Its member still owes scores after the round's scoring deadline (not submitted,
        not excused, the panel still scoring). Reads ``panel.assessment.round``: load them
        with the seat."""
        assessment = self.panel.assessment
        due = assessment.round.scoring_due
        return (
            assessment.stage == Assessment.Stage.SCORING
            and self.submitted_at is None
            and not self.absence_reason
            and due is not None
            and due < timezone.localdate()
        )


# The seats whose holder chairs their panel now (``Seat.presides`` in the database): the
# chair's seat while the panel has no acting chair, else the acting chair's seat.
PRESIDING = Q(seat_type__is_chair=True, panel__acting_chair__isnull=True) | Q(
    panel__acting_chair=models.F("pk")
)


class MemberScore(ItemRating):
    """A panel member's own level or light for one item (blank while a draft)."""

    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="scores")
    notes_for_board = models.TextField(blank=True)
    internal_notes = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            *ItemRating.Meta.constraints,
            *item_unique_constraints("seat", "member_score"),
        ]


class SeatChange(models.Model):
    """History: each change of who holds a seat, or of whether they take part.

    Written only by ``panels.services`` (formation, copying last year's panel, the chair
    excusing a member, SHA staff replacing a member who has not submitted while scoring,
    SHA staff handing the chair to another member), in the transaction of the change;
    ``Seat`` keeps the current state. ``note`` holds the reason given for an excuse, a
    replacement or a hand-over. A hand-over is a row on the chair's seat: ``old_person``
    who chaired until then (the chair, the first time), ``new_person`` who chairs from then
    on (the chair again when it is handed back).
    """

    class How(models.TextChoices):
        FORMATION = "formation", "Set by panel formation"
        COPIED = "copied", "Copied from last year's panel"
        EXCUSED = "excused", "Excused by the chair"
        REPLACED = "replaced", "Replaced while scoring"
        ACTING = "acting", "Chair handed to another member"

    seat = models.ForeignKey(Seat, on_delete=models.CASCADE, related_name="changes")
    how = models.CharField(max_length=20, choices=How.choices)
    old_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    new_person = models.ForeignKey(
        Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.seat}: {self.old_person or 'vacant'} → {self.new_person or 'vacant'}"


class PersonChange(models.Model):
    """History: a person added, edited, invited, deactivated or reactivated.

    Written only by ``panels.services.people``, in the transaction of the change.
    """

    class Action(models.TextChoices):
        ADDED = "added", "Added"
        EDITED = "edited", "Edited"
        INVITED = "invited", "Invited"
        DEACTIVATED = "deactivated", "Deactivated"
        REACTIVATED = "reactivated", "Reactivated"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="changes")
    action = models.CharField(max_length=20, choices=Action.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.person}: {self.get_action_display().lower()}"


class ReminderSent(models.Model):
    """A daily reminder that went to one person, so that nobody gets two of a kind in one day
    (``panels.reminders``: one digest per person per day, however many panels it lists).
    Written in the transaction that queues the message."""

    class Kind(models.TextChoices):
        SCORING = "scoring", "Scoring reminder (digest)"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="reminders_sent")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    day = models.DateField(help_text="The local day it was sent for.")
    sent_at = models.DateTimeField(default=timezone.now)
    summary = models.TextField(blank=True, help_text="What the reminder listed.")

    class Meta:
        ordering = ["-day", "person"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "kind", "day"], name="reminder_one_per_person_kind_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.person} on {self.day}"
