"""Who is assessed, when, and what was decided.

SHAs and PCTs are the organisations of 2008-10, named by ODS code. A round is one yearly
cycle scored under one framework version. Each PCT has one assessment per round, which
moves through the stages of ``Assessment.Stage``; the stage changes only through
``assessments.services.assessment_advance`` (one service, so that every change writes its
history row).

Ratings: the PCT's own view (``SelfAssessmentRating``), and the agreed view
(``AgreedRating``) that panels write through this app's services. An agreed rating keeps
the panel's value beside the current one; every moderation change is a
``ModerationAdjustment`` with its reason, and every change to any rating is a
``RatingChange`` row (who, when, old, new).
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property

from competencies.models import (
    Competency,
    FrameworkVersion,
    ItemRating,
    Light,
    item_unique_constraints,
    item_value_required_constraint,
)


class StrategicHealthAuthority(models.Model):
    ods_code = models.CharField("ODS code", max_length=3, unique=True)
    name = models.CharField(max_length=100)
    ons_code = models.CharField("ONS code (2012)", max_length=9, blank=True)

    class Meta:
        ordering = ["ods_code"]
        verbose_name = "strategic health authority"
        verbose_name_plural = "strategic health authorities"
        constraints = [
            models.CheckConstraint(
                condition=Q(ods_code__regex=r"^[A-Z0-9]{3}$"), name="sha_ods_code_upper_3"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PrimaryCareTrust(models.Model):
    class OrgType(models.TextChoices):
        PCT = "pct", "Primary care trust"
        CARE_TRUST = "care_trust", "Care trust"
        CARE_TRUST_PLUS = "care_trust_plus", "Care trust plus"

    ods_code = models.CharField("ODS code", max_length=3, unique=True)
    name = models.CharField(max_length=100)
    org_type = models.CharField("type", max_length=20, choices=OrgType.choices)
    sha = models.ForeignKey(
        StrategicHealthAuthority, on_delete=models.PROTECT, related_name="pcts", verbose_name="SHA"
    )
    ons_code = models.CharField("ONS code (2012)", max_length=9, blank=True)
    code_confidence = models.CharField(
        max_length=20, default="confirmed", help_text="Whether the ODS code is sourced."
    )
    closed_on = models.DateField(
        null=True,
        blank=True,
        help_text="Closed (e.g. merged into another PCT) from this day: it keeps its history "
        "and published results, and gets no assessment in rounds opened afterwards.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "primary care trust"
        constraints = [
            models.CheckConstraint(
                condition=Q(ods_code__regex=r"^[A-Z0-9]{3}$"), name="pct_ods_code_upper_3"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """What a user may do: the national team, staff of one SHA, or the board of one PCT.

    Panel members are not a role here: a person's seats say which panels they sit on.
    """

    class Kind(models.TextChoices):
        NATIONAL = "national", "National assurance team"
        SHA_STAFF = "sha_staff", "SHA staff"
        PCT_BOARD = "pct_board", "PCT board"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sha = models.ForeignKey(
        StrategicHealthAuthority, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    pct = models.ForeignKey(
        PrimaryCareTrust, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="national", sha__isnull=True, pct__isnull=True)
                    | Q(kind="sha_staff", sha__isnull=False, pct__isnull=True)
                    | Q(kind="pct_board", sha__isnull=True, pct__isnull=False)
                ),
                name="role_scope_fits_kind",
            ),
            # One constraint per kind: a unique index treats NULLs as distinct, so a single
            # (user, kind, sha, pct) constraint would never refuse a duplicate.
            models.UniqueConstraint(
                fields=["user"], condition=Q(kind="national"), name="role_unique_national"
            ),
            models.UniqueConstraint(
                fields=["user", "sha"], condition=Q(kind="sha_staff"), name="role_unique_sha_staff"
            ),
            models.UniqueConstraint(
                fields=["user", "pct"], condition=Q(kind="pct_board"), name="role_unique_pct_board"
            ),
        ]

    def __str__(self) -> str:
        scope = self.sha or self.pct
        return f"{self.user} — {self.get_kind_display()}" + (f" ({scope})" if scope else "")


class AssessmentRound(models.Model):
    """One yearly cycle, named by its slug (``2008-09``), scored under one framework."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100)
    framework = models.ForeignKey(FrameworkVersion, on_delete=models.PROTECT, related_name="rounds")
    previous = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next_round"
    )
    self_assessment_due = models.DateField(null=True, blank=True)
    panel_formation_due = models.DateField(null=True, blank=True)
    scoring_due = models.DateField(null=True, blank=True)
    consensus_due = models.DateField(null=True, blank=True)
    moderation_due = models.DateField(null=True, blank=True)
    cross_check_due = models.DateField(null=True, blank=True)
    publication_due = models.DateField(
        "target publication date",
        null=True,
        blank=True,
        help_text="The date the results are planned for; the publication time itself is set "
        "once every region is confirmed.",
    )
    opened_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When self-assessment first opened (``assessments.rounds.round_open``); its "
        "framework is fixed from then on.",
    )
    factual_accuracy_working_days = models.PositiveSmallIntegerField(default=10)
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="Results are embargoed until this time."
    )
    first_published_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the results were first published: follows the publication time until "
        "the round is first published, then never moves (a withdrawal and a corrected "
        "republication keep it).",
    )
    publication_notified_at = models.DateTimeField(
        null=True, blank=True, help_text="When the boards were told their results are out."
    )
    illustrative = models.BooleanField(
        default=False,
        help_text="The round's per-PCT ratings are invented (the demo): every page and report "
        "that shows them says so.",
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def begins(self) -> date:
        """1 April of its first year (``2009-10``: 1 April 2009), when the NHS's year began."""
        return date(int(self.slug[:4]), 4, 1)

    def is_published(self, now=None) -> bool:
        """Publication is on the clock: no job has to run for results to appear."""
        return self.published_at is not None and self.published_at <= (now or timezone.now())

    def is_withdrawn(self, now=None) -> bool:
        """Published once and now offline (``publication_withdraw``), until it is published
        again: changes then are corrections, each with its reason."""
        now = now or timezone.now()
        return (
            self.first_published_at is not None
            and self.first_published_at <= now
            and not self.is_published(now)
        )

    @property
    def corrected(self) -> bool:
        """Republished after a withdrawal: its pages say "Published <first date>; republished
        <new date>" (``templates/includes/published_on.html``)."""
        return (
            self.published_at is not None
            and self.first_published_at is not None
            and self.first_published_at != self.published_at
        )


class Stage(models.IntegerChoices):
    """The stages of an assessment, in order (the values sort as the cycle runs)."""

    SELF_ASSESSMENT = 10, "Self-assessment"
    PANEL_FORMATION = 20, "Panel formation"
    SCORING = 30, "Scoring"
    CONSENSUS = 40, "Panel consensus"
    MODERATION = 50, "Regional moderation"
    CROSS_CHECK = 60, "National cross-check"
    FACTUAL_ACCURACY = 70, "Factual-accuracy check"
    PUBLISHED = 80, "Published"


# Staff, panel members and the board read this of a PCT held back after its round's
# publication time by a comment still to answer (``assessments.factual_accuracy``).
HELD_BACK_LABEL = "Held back: a comment to answer"

# The stage as pages show it (``Assessment.stage_shown``): the stages, and, between the
# check and Published, a PCT held back past the publication time. Display only: no field
# stores it, so ``Stage`` and its constraint stay as they are.
ShownStage = models.IntegerChoices(
    "ShownStage",
    [
        *((stage.name, (stage.value, stage.label)) for stage in Stage if stage < Stage.PUBLISHED),
        ("HELD_BACK", (75, HELD_BACK_LABEL)),
        ("PUBLISHED", (int(Stage.PUBLISHED), Stage.PUBLISHED.label)),
    ],
)


def shown_stages(*, published: bool) -> list["ShownStage"]:
    """The columns of a count by stage (``ShownStage``): Held back only once the round's
    publication time has passed, so that before it nothing changes."""
    return [stage for stage in ShownStage if published or stage != ShownStage.HELD_BACK]


class Assessment(models.Model):
    """One PCT in one round. Change ``stage`` only through ``assessment_advance``."""

    Stage = Stage

    round = models.ForeignKey(AssessmentRound, on_delete=models.PROTECT, related_name="assessments")
    pct = models.ForeignKey(PrimaryCareTrust, on_delete=models.PROTECT, related_name="assessments")
    stage = models.PositiveSmallIntegerField(choices=Stage.choices, default=Stage.SELF_ASSESSMENT)
    panel_day = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock.")

    class Meta:
        ordering = ["round", "pct__name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "pct"], name="assessment_one_per_pct_round"),
            models.CheckConstraint(
                condition=Q(stage__in=Stage.values), name="assessment_stage_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pct} — {self.round.slug}"

    @cached_property
    def stage_shown(self) -> "ShownStage":
        """The stage as pages show it: Published once the round's publication time has
        passed for an assessment at the factual-accuracy check that no unanswered comment
        holds back, though ``stage`` moves on only when the publication notices are sent;
        Held back for one that a comment holds back then. Read from the ``shown_stage``
        annotation of a list's query (``assessments.factual_accuracy.shown_stage``), else
        worked out here: one query, only at the check of a round past its publication
        time."""
        shown = getattr(self, "shown_stage", None)
        if shown is not None:
            return ShownStage(shown)
        if self.stage == Stage.FACTUAL_ACCURACY and self.round.is_published():
            from assessments.factual_accuracy import is_held_back

            return ShownStage.HELD_BACK if is_held_back(self) else ShownStage.PUBLISHED
        return ShownStage(self.stage)


class StageChange(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.PositiveSmallIntegerField(choices=Assessment.Stage.choices)
    to_stage = models.PositiveSmallIntegerField(choices=Assessment.Stage.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    # SHA staff moved the assessment on without the board's self-assessment (the note is
    # their reason): ``assessments.proceeding.assessment_proceed_without_self_assessment``.
    without_self_assessment = models.BooleanField(default=False)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.get_from_stage_display()} → {self.get_to_stage_display()}"


class SelfAssessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="self_assessment"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    commentary = models.TextField(blank=True, help_text="The board's overall commentary.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock.")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | Q(submitted_at__isnull=False),
                name="self_assessment_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Self-assessment of {self.assessment}"


class SelfAssessmentRating(ItemRating):
    self_assessment = models.ForeignKey(
        SelfAssessment, on_delete=models.CASCADE, related_name="ratings"
    )
    commentary = models.TextField(blank=True)

    class Meta:
        constraints = [
            *ItemRating.Meta.constraints,
            *item_unique_constraints("self_assessment", "self_rating"),
        ]


class EvidenceDocument(models.Model):
    class DocType(models.TextChoices):
        STRATEGIC_PLAN = "strategic_plan", "Five-year strategic plan"
        OD_PLAN = "od_plan", "Organisational development plan"
        FINANCIAL_STRATEGY = "financial_strategy", "Financial strategy"
        COMMUNICATIONS_STRATEGY = "communications_strategy", "Communications strategy"
        OTHER = "other", "Other"

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    doc_type = models.CharField("type", max_length=30, choices=DocType.choices)
    title = models.CharField(max_length=200)
    file = models.FileField(upload_to="evidence/%Y/")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # The content's SHA-256, so that the same file is not attached twice (blank on
    # documents uploaded before it was kept).
    sha256 = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["doc_type", "title"]

    def __str__(self) -> str:
        return self.title


class EvidenceChange(models.Model):
    """History: each evidence document added to or removed from a self-assessment, by whom
    and when, with what the document was (its title, type, stored file, size and SHA-256),
    so that the row outlives the document it describes.

    Written only by ``assessments.services.evidence_upload`` and ``evidence_delete``, in the
    transaction of the change. Kept from migration 0022 on
    (``assessments.evidence.HISTORY_KEPT_FROM``): nothing earlier was recorded.
    """

    class Action(models.TextChoices):
        ADDED = "added", "Uploaded"
        REMOVED = "removed", "Removed"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="evidence_changes"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    doc_type = models.CharField("type", max_length=30, choices=EvidenceDocument.DocType.choices)
    title = models.CharField(max_length=200)
    stored_name = models.CharField(
        max_length=100, help_text="The file's name in storage (``evidence/<year>/<name>``)."
    )
    size = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="In bytes; empty when the stored file was missing."
    )
    sha256 = models.CharField(max_length=64, blank=True)
    file_name = models.CharField(
        max_length=255,
        blank=True,
        help_text="The file's name as the board uploaded it (the stored name may carry a "
        "suffix the storage added to keep it apart from another of the same name).",
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(action__in=["added", "removed"]), name="evidence_change_action_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.title} {self.get_action_display().lower()}"

    @property
    def filename(self) -> str:
        """The file's name as uploaded (``strategy.pdf``; walk AD: two uploads of
        ``fin.csv`` read "fin_gIHjCOW.csv"), else the stored file's own name."""
        return self.file_name or self.stored_name.rsplit("/", 1)[-1]


class AgreedRating(ItemRating):
    """The panel's agreed level or light for one item, with the rationale the board reads.

    ``level``/``light`` is the current value; ``panel_level``/``panel_light`` is what the
    panel agreed at consensus and never changes afterwards, so that moderation keeps it.
    Written only through ``assessments.services``.
    """

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="agreed_ratings"
    )
    panel_level = models.PositiveSmallIntegerField(null=True, blank=True)
    panel_light = models.CharField(max_length=5, choices=Light.choices, blank=True)
    # Blank while the chair has agreed the value but not yet written why (a draft);
    # closing consensus needs every rationale.
    rationale = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1, help_text="Optimistic lock.")

    class Meta:
        ordering = ["assessment", "competency__number", "area__position", "sub_indicator__number"]
        constraints = [
            *ItemRating.Meta.constraints,
            *item_unique_constraints("assessment", "agreed"),
            item_value_required_constraint("agreed"),
            models.CheckConstraint(
                condition=(
                    Q(
                        competency__isnull=False,
                        panel_level__isnull=False,
                        panel_level__gte=1,
                        panel_level__lte=4,
                        panel_light="",
                    )
                    | Q(
                        competency__isnull=True,
                        panel_level__isnull=True,
                        panel_light__in=Light.values,
                    )
                ),
                name="agreed_panel_value_fits_item",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.item} = {self.value}"

    @property
    def panel_value(self) -> int | str:
        return self.panel_level if self.competency_id else self.panel_light

    @property
    def is_moderated(self) -> bool:
        return self.value != self.panel_value


class RatingChange(models.Model):
    """History: every change to a self-assessment, member score or agreed rating."""

    class Source(models.TextChoices):
        SELF_ASSESSMENT = "self_assessment", "Self-assessment"
        MEMBER_SCORE = "member_score", "Panel member's score"
        CONSENSUS = "consensus", "Panel consensus"
        MODERATION = "moderation", "Regional moderation"
        CROSS_CHECK = "cross_check", "National cross-check"
        FACTUAL_ACCURACY = "factual_accuracy", "Factual-accuracy check"
        IMPORT = "import", "Import"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="rating_changes"
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    competency = models.ForeignKey(
        Competency, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area = models.ForeignKey(
        "competencies.GovernanceArea",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    sub_indicator = models.ForeignKey(
        "competencies.SubIndicator",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    old_value = models.CharField(max_length=10, blank=True)
    new_value = models.CharField(max_length=10, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["assessment", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.old_value or '—'} → {self.new_value or '—'}"


class ModerationAdjustment(models.Model):
    """A change to an agreed rating after consensus, always with a reason."""

    rating = models.ForeignKey(AgreedRating, on_delete=models.CASCADE, related_name="adjustments")
    stage = models.PositiveSmallIntegerField(choices=Assessment.Stage.choices)
    old_value = models.CharField(max_length=10)
    new_value = models.CharField(max_length=10)
    reason = models.TextField()
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    adjusted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["adjusted_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="adjustment_reason_required"),
            models.CheckConstraint(
                condition=~Q(old_value=models.F("new_value")), name="adjustment_changes_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}: {self.old_value} → {self.new_value}"


class RegionReview(models.Model):
    """One SHA's moderation of one round, and the national team's decision on it: the
    current state only, written by ``assessments.regions``; each decision is kept in
    ``RegionReviewChange``."""

    class Status(models.TextChoices):
        MODERATING = "moderating", "Regional moderation"
        SIGNED_OFF = "signed_off", "Signed off, awaiting national cross-check"
        SENT_BACK = "sent_back", "Sent back by the national team"
        CONFIRMED = "confirmed", "Confirmed nationally"

    round = models.ForeignKey(
        AssessmentRound, on_delete=models.CASCADE, related_name="region_reviews"
    )
    sha = models.ForeignKey(StrategicHealthAuthority, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.MODERATING)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    national_comment = models.TextField(blank=True)
    factual_accuracy_closes = models.DateTimeField(null=True, blank=True)
    closed_notice_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the boards were told that their factual-accuracy window had closed.",
    )

    class Meta:
        ordering = ["round", "sha"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "sha"], name="region_review_one_per_sha_round"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sha} — {self.round.slug}: {self.get_status_display()}"


class RegionReviewChange(models.Model):
    """History: each decision on a region's review (signed off by its staff, confirmed or sent
    back by the national team), with who, when and the comment. ``RegionReview`` keeps only
    the current state; these rows are written by ``assessments.regions`` with the decision.
    """

    class Decision(models.TextChoices):
        SIGNED_OFF = "signed_off", "Signed off"
        CONFIRMED = "confirmed", "Confirmed"
        SENT_BACK = "sent_back", "Sent back"
        WINDOW_CLOSED = "window_closed", "Factual-accuracy window closed early"

    review = models.ForeignKey(RegionReview, on_delete=models.CASCADE, related_name="changes")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.review}: {self.get_decision_display().lower()}"


class FactualAccuracyComment(models.Model):
    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="factual_accuracy_comments"
    )
    rating = models.ForeignKey(
        AgreedRating, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    comment = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField(default=timezone.now)
    response = models.TextField(blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    # The rating's change the answer made, if any (the board reads it with the answer).
    rating_change = models.OneToOneField(
        "RatingChange", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["raised_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.assessment}"


class FactualAccuracyConfirmation(models.Model):
    """The board's statement that it has no factual-accuracy comments: it closes that PCT's
    window early (``assessments.factual_accuracy.factual_accuracy_confirm``). The row is its
    own record of who confirmed and when."""

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="factual_accuracy_confirmation"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    confirmed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"No factual-accuracy comments on {self.assessment}"


class OutcomeIndicator(models.Model):
    """A health outcome a PCT may choose as a local priority (reference data)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=50)
    higher_is_better = models.BooleanField()
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def name_with_unit(self) -> str:
        """The name, with its unit unless the name already says it ("... per 100,000
        population" is not followed by "(per 100,000)", nor "Percentage of ..." by "(%)")."""
        name, unit = self.name.lower(), self.unit.strip().lower()
        said = unit in name or (unit == "%" and ("percentage" in name or "per cent" in name))
        return self.name if said or not unit else f"{self.name} ({self.unit})"


class LocalOutcomePriority(models.Model):
    """A PCT's chosen outcome with its baseline and target (and, optionally, a five-year
    trajectory). The board enters up to ``MAX_PER_ASSESSMENT`` with its self-assessment,
    only through ``assessments.services.outcome_priorities_save`` (or
    ``self_assessment_save``); each save writes an ``OutcomePriorityChange``."""

    MAX_PER_ASSESSMENT = 10

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="outcome_priorities"
    )
    indicator = models.ForeignKey(OutcomeIndicator, on_delete=models.PROTECT, related_name="+")
    baseline_year = models.CharField(max_length=7, help_text="For example 2007-08.")
    baseline = models.DecimalField(max_digits=10, decimal_places=2)
    target_year = models.CharField(max_length=7, blank=True, help_text="For example 2012-13.")
    target = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    year1 = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    year2 = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    year3 = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    year4 = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    year5 = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["assessment", "indicator__name"]
        verbose_name_plural = "local outcome priorities"
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "indicator"], name="outcome_priority_unique_indicator"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment}: {self.indicator}"

    @property
    def trajectory(self) -> list:
        """Years 1 to 5, or an empty list where none was given (the board enters a target)."""
        years = [self.year1, self.year2, self.year3, self.year4, self.year5]
        return [] if all(v is None for v in years) else years


class OutcomePriorityChange(models.Model):
    """History: each save of a board's local outcome priorities, with the list as saved."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="outcome_priority_changes"
    )
    summary = models.TextField(help_text="The priorities as saved, one a line.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.assessment}: outcome priorities saved"


class Supplier(models.Model):
    """A pre-qualified development-support supplier ("buy" in share, learn or buy)."""

    name = models.CharField(max_length=200, unique=True)
    services = models.JSONField(default=list)
    description = models.TextField(blank=True)
    illustrative = models.BooleanField(default=True, help_text="Invented for the demo.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DevelopmentPlan(models.Model):
    class Reason(models.TextChoices):
        RED_ALL_THREE = "red_all_three", "Red on all three governance areas"
        SHA_FLAGGED = "sha_flagged", "Flagged by the SHA"

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, related_name="development_plan"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)
    owner = models.CharField(max_length=200)
    review_date = models.DateField()
    summary = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"Development plan for {self.assessment}"


class DevelopmentPriority(models.Model):
    class Support(models.TextChoices):
        SHARE = "share", "Share: peer support"
        LEARN = "learn", "Learn: a development programme"
        BUY = "buy", "Buy: a supplier from the framework"

    plan = models.ForeignKey(DevelopmentPlan, on_delete=models.CASCADE, related_name="priorities")
    competency = models.ForeignKey(Competency, on_delete=models.PROTECT, related_name="+")
    support = models.CharField(max_length=10, choices=Support.choices)
    supplier = models.ForeignKey(
        Supplier, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.TextField()

    class Meta:
        ordering = ["plan", "competency__number"]
        verbose_name_plural = "development priorities"
        constraints = [
            models.CheckConstraint(
                condition=Q(support="buy", supplier__isnull=False) | ~Q(support="buy"),
                name="priority_buy_names_supplier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.competency}"


class DevelopmentPlanChange(models.Model):
    """History: each time SHA staff save or withdraw a PCT's development plan, with what the
    plan said then (the plan itself keeps only its current priorities)."""

    class Action(models.TextChoices):
        SAVED = "saved", "Saved"
        WITHDRAWN = "withdrawn", "Withdrawn"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="development_plan_changes"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    summary = models.TextField(help_text="The plan as saved: owner, review date, priorities.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.assessment}: plan {self.get_action_display().lower()}"


class RoundChange(models.Model):
    """History: the national team's changes to a round: its creation, its name, its timetable, each
    edit of its framework before it opens, each opening for a set of SHAs, its publication
    time, the length of the boards' factual-accuracy window, and the withdrawal of its
    publication (``new_value`` "withdrawn", with its ``reason``)."""

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=50)
    old_value = models.CharField(max_length=1000, blank=True)
    # Blank: a value taken away (a timetable date cleared).
    new_value = models.CharField(max_length=100, blank=True)
    reason = models.TextField(blank=True, help_text="Why, where the action needs a reason.")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty for a change made from the command line (``open_round``).",
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.round.slug}: {self.field} {self.old_value or '—'} → {self.new_value or '—'}"


class RoleChange(models.Model):
    """History: who was given or lost which role, by whom and when.

    Written only by ``assessments.accounts.role_grant`` and ``role_revoke``, in the
    transaction of the change; ``Role`` keeps the current state. The role's scope is copied
    here (kind, SHA, PCT), so the row outlives the role it describes.
    """

    class Action(models.TextChoices):
        GRANTED = "granted", "Given"
        REVOKED = "revoked", "Taken away"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="role_changes"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    kind = models.CharField(max_length=20, choices=Role.Kind.choices)
    sha = models.ForeignKey(
        StrategicHealthAuthority, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pct = models.ForeignKey(
        PrimaryCareTrust, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    # Why the access was taken away, asked on the check page of a board account's removal
    # (walk U: the history said who took it, never why); empty for access given.
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        scope = self.sha or self.pct
        return (
            f"{self.user}: {self.get_kind_display()}"
            + (f" ({scope})" if scope else "")
            + f" {self.get_action_display().lower()}"
        )


class AccountChange(models.Model):
    """History: an account invited (or invited again), deactivated, reactivated, renamed by
    its owner (``note``: the old and new name), its password set by its owner (through a
    link or the change-password page), or its e-mail address corrected on a board's or
    staff's accounts page (``note``: the old and new address).

    Written only by ``assessments.accounts``, in the transaction of the change.
    """

    class Action(models.TextChoices):
        INVITED = "invited", "Invited"
        REINVITED = "reinvited", "Invited again"
        DEACTIVATED = "deactivated", "Deactivated"
        REACTIVATED = "reactivated", "Reactivated"
        RENAMED = "renamed", "Name changed"
        PASSWORD_SET = "password_set", "Password set"
        EMAIL_CHANGED = "email_changed", "E-mail address corrected"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_changes"
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    # An invitation's link (invited, invited again): the SHA-256 of its token, and the address
    # it went to. A link that no longer works is matched to the row that sent it, so that its
    # page can say why (replaced by a newer one, used, withdrawn) to whoever holds it and to
    # nobody else: the digest tells nothing of the token, and a made-up link matches no row.
    link_digest = models.CharField(max_length=64, blank=True, db_index=True)
    sent_to = models.EmailField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_action_display().lower()}"


class PCTChange(models.Model):
    """History: the national team's changes to a PCT (added, renamed, moved to another SHA,
    its type changed, closed or reopened), written by ``assessments.organisations``."""

    pct = models.ForeignKey(PrimaryCareTrust, on_delete=models.CASCADE, related_name="changes")
    field = models.CharField(max_length=50)
    old_value = models.CharField(max_length=100, blank=True)
    new_value = models.CharField(max_length=100, blank=True)
    note = models.CharField(max_length=200, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["changed_at", "pk"]
        verbose_name = "PCT change"

    def __str__(self) -> str:
        return f"{self.pct.ods_code}: {self.field} {self.old_value or '—'} → {self.new_value}"

    @property
    def field_label(self) -> str:
        """The kind of change as the PCT's history names it ("SHA", "Closed from")."""
        from assessments.organisations import PCT_CHANGE_LABELS

        return PCT_CHANGE_LABELS.get(self.field, self.field)


# --- The read model: what the reports read of a round's agreed ratings ---------------------


class Standing(models.Model):
    """One assessment's agreed ratings (sub-indicators aside) as the reports read them.

    Derived data, not a record: ``assessments.standings`` rewrites the row in the same
    transaction as every change of an agreed rating, so the league table, the PCT pages and
    moderation read one row per PCT instead of pivoting every rating of the round. No
    history of its own: the ``RatingChange`` rows are the history.
    """

    assessment = models.OneToOneField(
        Assessment, on_delete=models.CASCADE, primary_key=True, related_name="standing"
    )
    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="+")
    # {item code: level (int) or light (str)}: the current agreed values.
    values = models.JSONField(default=dict)
    # {item code: the panel's value as text} for the items changed after consensus.
    moderated = models.JSONField(default=dict)
    governance = models.PositiveSmallIntegerField(null=True)
    total = models.PositiveSmallIntegerField(null=True)  # null while no competency is rated
    complete = models.BooleanField(default=False)  # every item of the framework agreed

    class Meta:
        indexes = [models.Index(fields=["round", "complete"], name="standing_round_complete")]

    def __str__(self) -> str:
        return f"Standing of assessment {self.assessment_id}"


class FiguresVersion(models.Model):
    """A value changed, in the same transaction, by every change that alters what a round's
    reports show (a rating, a comment holding a PCT back, a PCT's name or SHA, publication).
    Figures computed from the round are kept under ``(round, value)``, so a change is seen on
    the next request (``assessments.standings``). Its own table, so that saving the round
    never writes it back stale."""

    round = models.OneToOneField(
        AssessmentRound, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Figures of round {self.round_id}: version {self.value}"


class FiguresChange(models.Model):
    """One step of a round's ``FiguresVersion``: from ``previous`` to ``value``, and the
    assessments whose rows it changed (null when it may have changed anything, such as a
    bulk load or publication).

    A process that keeps a round's figures at one version can follow these steps to the
    current one and recompute only the assessments they name, instead of the whole round
    (``reports.tables``): what keeps the league table cheap right after a moderator's
    adjustment at 10,000 PCTs. Written in the same transaction as the version, after
    locking it, so the steps form one chain. Old steps are pruned as new ones are written.
    """

    round = models.ForeignKey(AssessmentRound, on_delete=models.CASCADE, related_name="+")
    value = models.PositiveBigIntegerField()
    previous = models.PositiveBigIntegerField()
    assessments = models.JSONField(null=True)  # [assessment id, …], or null: anything

    class Meta:
        indexes = [models.Index(fields=["round", "-id"], name="figureschange_round_latest")]

    def __str__(self) -> str:
        return f"Figures of round {self.round_id}: {self.previous} to {self.value}"
