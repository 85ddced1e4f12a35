"""Admin for organisations, rounds, assessments and their ratings.

The rule: what a service owns, the admin only shows. A service validates a change,
checks the stage and the optimistic lock, and writes the history row in the same
transaction; an admin form would do none of that. So:

- History (``StageChange``, ``RatingChange``, ``ModerationAdjustment``,
  ``RegionReviewChange``, ``DevelopmentPlanChange``, ``RoundChange``,
  ``OutcomePriorityChange``, ``EvidenceChange``) is read-only: history must not be rewritten.
- Rows written only by services are read-only (``ReadOnlyAdminMixin``, defined here once
  and used by ``panels.admin`` too): agreed ratings (``assessments.services``), region
  reviews (``assessments.regions``), factual-accuracy comments
  (``assessments.factual_accuracy``), self-assessments with their ratings and evidence
  (``assessments.services``), the board's local outcome priorities
  (``outcome_priorities_save``) and its "no comments" confirmation
  (``assessments.factual_accuracy``), development plans with their priorities
  (``assessments.development``).
- A round's ``published_at`` and ``publication_notified_at`` (``assessments.publication``)
  and its factual-accuracy window (``round_set_window``) are read-only fields; the rest of
  a round (name, framework, previous round, due dates) is reference data that no service
  owns, loaded by ``load_reference_data``, so it stays editable here.
- An assessment's stage is read-only; the "advance" action moves it through
  ``assessment_advance``. Its round, PCT and panel day are reference data and stay
  editable.
- Roles change only through ``assessments.accounts.role_grant``/``role_revoke`` (which
  write ``RoleChange``): read-only, as are ``RoleChange`` and ``AccountChange``.
- Organisations, outcome indicators and suppliers are reference data with no service:
  editable. Local outcome priorities are the board's, saved by
  ``outcome_priorities_save`` (with ``OutcomePriorityChange``): read-only.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from assessments.exceptions import ConflictError, TransitionError
from assessments.models import (
    AccountChange,
    AgreedRating,
    Assessment,
    AssessmentRound,
    DevelopmentPlan,
    DevelopmentPlanChange,
    DevelopmentPriority,
    EvidenceChange,
    EvidenceDocument,
    FactualAccuracyComment,
    FactualAccuracyConfirmation,
    FiguresChange,
    FiguresVersion,
    LocalOutcomePriority,
    ModerationAdjustment,
    OutcomeIndicator,
    OutcomePriorityChange,
    PCTChange,
    PrimaryCareTrust,
    RatingChange,
    RegionReview,
    RegionReviewChange,
    Role,
    RoleChange,
    RoundChange,
    SelfAssessment,
    SelfAssessmentRating,
    StageChange,
    Standing,
    StrategicHealthAuthority,
    Supplier,
)
from assessments.services import allowed_transitions, assessment_advance
from competencies.admin import ItemRatingAdminMixin

ASSESSMENT = ("assessment__pct", "assessment__round")


class ReadOnlyAdminMixin:
    """View only: no add, change or delete, for history and service-written rows.

    Used by every app's admin (``panels.admin`` imports it), so that the rule lives once.
    """

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- Organisations and people's roles ------------------------------------------------


@admin.register(StrategicHealthAuthority)
class StrategicHealthAuthorityAdmin(admin.ModelAdmin):
    list_display = ["ods_code", "name", "ons_code"]
    list_display_links = ["ods_code", "name"]
    search_fields = ["ods_code", "name", "ons_code"]


@admin.register(PrimaryCareTrust)
class PrimaryCareTrustAdmin(admin.ModelAdmin):
    list_display = ["ods_code", "name", "org_type", "sha", "closed_on", "code_confidence"]
    list_display_links = ["ods_code", "name"]
    list_filter = ["sha", "org_type", "code_confidence", "closed_on"]
    list_select_related = ["sha"]
    search_fields = ["ods_code", "name", "ons_code"]
    autocomplete_fields = ["sha"]


@admin.register(Role)
class RoleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: roles are given and taken away by ``assessments.accounts`` (history)."""

    list_display = ["user", "kind", "sha", "pct"]
    list_filter = ["kind", "sha"]
    list_select_related = ["user", "sha", "pct"]
    search_fields = ["user__username", "user__email", "sha__ods_code", "pct__ods_code", "pct__name"]


@admin.register(RoleChange)
class RoleChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "user", "action", "kind", "sha", "pct", "changed_by"]
    list_filter = ["action", "kind", "sha"]
    list_select_related = ["user", "sha", "pct", "changed_by"]
    search_fields = ["user__username", "user__email"]


@admin.register(AccountChange)
class AccountChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "user", "action", "changed_by"]
    list_filter = ["action"]
    list_select_related = ["user", "changed_by"]
    search_fields = ["user__username", "user__email"]


# --- Rounds and assessments -------------------------------------------------------------


@admin.register(AssessmentRound)
class AssessmentRoundAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "framework", "published_at", "published"]
    list_display_links = ["slug", "name"]
    list_select_related = ["framework"]
    search_fields = ["slug", "name"]
    autocomplete_fields = ["framework", "previous"]
    # Owned by round_set_publication, publication_notices_send and round_set_window.
    readonly_fields = ["published_at", "publication_notified_at", "factual_accuracy_working_days"]

    @admin.display(boolean=True, description="published")
    def published(self, obj: AssessmentRound) -> bool:
        return obj.is_published()


class StageChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = StageChange
    fields = ["changed_at", "from_stage", "to_stage", "changed_by", "note"]
    readonly_fields = fields
    extra = 0


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["pct", "ods_code", "sha", "round", "stage", "panel_day"]
    list_filter = ["round", "stage", "pct__sha"]
    list_select_related = ["pct__sha", "round"]
    search_fields = ["pct__ods_code", "pct__name"]
    autocomplete_fields = ["round", "pct"]
    readonly_fields = ["stage", "version"]
    inlines = [StageChangeInline]
    actions = ["advance"]

    @admin.display(ordering="pct__ods_code", description="ODS code")
    def ods_code(self, obj: Assessment) -> str:
        return obj.pct.ods_code

    @admin.display(ordering="pct__sha__ods_code", description="SHA")
    def sha(self, obj: Assessment) -> StrategicHealthAuthority:
        return obj.pct.sha

    @admin.action(description="Advance to the next stage", permissions=["change"])
    def advance(self, request, queryset) -> None:
        for assessment in queryset.select_related("pct", "round"):
            forward = [s for s in allowed_transitions(assessment.stage) if s > assessment.stage]
            if not forward:
                self.message_user(request, f"{assessment} is already published.", messages.WARNING)
                continue
            try:
                assessment_advance(assessment=assessment, to_stage=forward[0], by=request.user)
            except (TransitionError, ConflictError, ValidationError) as exc:
                self.message_user(request, f"{assessment}: {exc}", messages.ERROR)
            else:
                self.message_user(
                    request, f"{assessment} is now at {assessment.get_stage_display()}."
                )


@admin.register(StageChange)
class StageChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "assessment", "from_stage", "to_stage", "changed_by"]
    list_filter = ["to_stage", "assessment__round", "assessment__pct__sha"]
    list_select_related = [*ASSESSMENT, "changed_by"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name", "note"]
    date_hierarchy = "changed_at"


# --- Self-assessment and evidence --------------------------------------------------------


class SelfAssessmentRatingInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = SelfAssessmentRating
    fields = ["competency", "area", "sub_indicator", "level", "light", "commentary"]
    raw_id_fields = ["competency", "area", "sub_indicator"]
    extra = 0


@admin.register(SelfAssessment)
class SelfAssessmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["assessment", "status", "submitted_at", "submitted_by"]
    list_filter = ["status", "assessment__round", "assessment__pct__sha"]
    list_select_related = [*ASSESSMENT, "submitted_by"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name"]
    autocomplete_fields = ["assessment", "submitted_by"]
    readonly_fields = ["version"]
    inlines = [SelfAssessmentRatingInline]


@admin.register(SelfAssessmentRating)
class SelfAssessmentRatingAdmin(ReadOnlyAdminMixin, ItemRatingAdminMixin, admin.ModelAdmin):
    list_display = ["self_assessment", "item", "value"]
    list_filter = ["self_assessment__assessment__round"]
    list_select_related = [
        "self_assessment__assessment__pct",
        "self_assessment__assessment__round",
        *ItemRatingAdminMixin.ITEM_SELECT_RELATED,
    ]
    search_fields = [
        "self_assessment__assessment__pct__ods_code",
        "self_assessment__assessment__pct__name",
    ]
    raw_id_fields = ["self_assessment", "competency", "area", "sub_indicator"]


@admin.register(EvidenceDocument)
class EvidenceDocumentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "doc_type", "assessment", "uploaded_by", "uploaded_at"]
    list_filter = ["doc_type", "assessment__round"]
    list_select_related = [*ASSESSMENT, "uploaded_by"]
    search_fields = ["title", "assessment__pct__ods_code", "assessment__pct__name"]
    autocomplete_fields = ["assessment", "uploaded_by"]


@admin.register(EvidenceChange)
class EvidenceChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "assessment", "action", "title", "stored_name", "size", "by"]
    list_filter = ["action", "doc_type", "assessment__round"]
    list_select_related = [*ASSESSMENT, "by"]
    search_fields = ["title", "stored_name", "assessment__pct__ods_code", "assessment__pct__name"]
    date_hierarchy = "at"


# --- Agreed ratings and their history -----------------------------------------------------


@admin.register(AgreedRating)
class AgreedRatingAdmin(ReadOnlyAdminMixin, ItemRatingAdminMixin, admin.ModelAdmin):
    list_display = ["assessment", "item", "value", "panel_value", "is_moderated", "version"]
    list_filter = ["assessment__round", "assessment__pct__sha", "level", "light"]
    list_select_related = [*ASSESSMENT, *ItemRatingAdminMixin.ITEM_SELECT_RELATED]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name", "rationale"]

    @admin.display(description="panel's value")
    def panel_value(self, obj: AgreedRating) -> str:
        return str(obj.panel_value)

    @admin.display(boolean=True, description="moderated")
    def is_moderated(self, obj: AgreedRating) -> bool:
        return obj.is_moderated


@admin.register(RatingChange)
class RatingChangeAdmin(ReadOnlyAdminMixin, ItemRatingAdminMixin, admin.ModelAdmin):
    list_display = [
        "changed_at",
        "assessment",
        "item",
        "source",
        "old_value",
        "new_value",
        "changed_by",
    ]
    list_filter = ["source", "assessment__round", "assessment__pct__sha"]
    list_select_related = [*ASSESSMENT, *ItemRatingAdminMixin.ITEM_SELECT_RELATED, "changed_by"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name", "note"]
    date_hierarchy = "changed_at"

    @admin.display(description="item")
    def item(self, obj: RatingChange) -> str:
        return str(obj.competency or obj.area or obj.sub_indicator)


@admin.register(ModerationAdjustment)
class ModerationAdjustmentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["adjusted_at", "rating", "stage", "old_value", "new_value", "adjusted_by"]
    list_filter = ["stage", "rating__assessment__round", "rating__assessment__pct__sha"]
    list_select_related = [
        "rating__assessment__pct",
        "rating__assessment__round",
        *(f"rating__{path}" for path in ItemRatingAdminMixin.ITEM_SELECT_RELATED),
        "adjusted_by",
    ]
    search_fields = ["rating__assessment__pct__ods_code", "rating__assessment__pct__name", "reason"]
    date_hierarchy = "adjusted_at"


# --- Moderation, cross-check and factual accuracy ---------------------------------------


@admin.register(RegionReview)
class RegionReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["sha", "round", "status", "signed_off_at", "decided_at"]
    list_filter = ["round", "status", "sha"]
    list_select_related = ["sha", "round"]
    search_fields = ["sha__ods_code", "sha__name"]
    autocomplete_fields = ["round", "sha", "signed_off_by", "decided_by"]


@admin.register(FactualAccuracyComment)
class FactualAccuracyCommentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["assessment", "raised_by", "raised_at", "responded_by", "responded_at"]
    list_filter = ["assessment__round", "assessment__pct__sha"]
    list_select_related = [*ASSESSMENT, "raised_by", "responded_by"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name", "comment"]
    autocomplete_fields = ["assessment", "raised_by", "responded_by"]
    raw_id_fields = ["rating"]


@admin.register(RegionReviewChange)
class RegionReviewChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["decided_at", "review", "decision", "decided_by"]
    list_filter = ["decision", "review__round", "review__sha"]
    list_select_related = ["review__round", "review__sha", "decided_by"]
    search_fields = ["review__sha__ods_code", "review__sha__name", "comment"]
    date_hierarchy = "decided_at"


# --- Local outcomes and development ------------------------------------------------------


@admin.register(OutcomeIndicator)
class OutcomeIndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "unit", "higher_is_better"]
    list_filter = ["higher_is_better"]
    search_fields = ["name", "code"]


@admin.register(LocalOutcomePriority)
class LocalOutcomePriorityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["assessment", "indicator", "baseline_year", "baseline", "target_year", "target"]
    list_filter = ["assessment__round", "indicator"]
    list_select_related = [*ASSESSMENT, "indicator"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name", "indicator__name"]
    autocomplete_fields = ["assessment", "indicator"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["name", "illustrative"]
    list_filter = ["illustrative"]
    search_fields = ["name", "description"]


class DevelopmentPriorityInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = DevelopmentPriority
    fields = ["competency", "support", "supplier", "action"]
    raw_id_fields = ["competency", "supplier"]
    extra = 0


@admin.register(DevelopmentPlan)
class DevelopmentPlanAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["assessment", "reason", "owner", "review_date"]
    list_filter = ["reason", "assessment__round"]
    list_select_related = ASSESSMENT
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name", "owner"]
    autocomplete_fields = ["assessment"]
    inlines = [DevelopmentPriorityInline]


@admin.register(DevelopmentPriority)
class DevelopmentPriorityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["plan", "competency", "support", "supplier"]
    list_filter = ["support"]
    list_select_related = [
        "plan__assessment__pct",
        "plan__assessment__round",
        "competency",
        "supplier",
    ]
    search_fields = ["plan__assessment__pct__ods_code", "plan__assessment__pct__name", "action"]
    autocomplete_fields = ["plan", "supplier"]
    raw_id_fields = ["competency"]


@admin.register(DevelopmentPlanChange)
class DevelopmentPlanChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "assessment", "action", "changed_by"]
    list_filter = ["action", "assessment__round", "assessment__pct__sha"]
    list_select_related = [*ASSESSMENT, "changed_by"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name", "summary"]
    date_hierarchy = "changed_at"


@admin.register(RoundChange)
class RoundChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "round", "field", "old_value", "new_value", "changed_by"]
    list_filter = ["round", "field"]
    list_select_related = ["round", "changed_by"]


@admin.register(PCTChange)
class PCTChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "pct", "field", "old_value", "new_value", "changed_by", "note"]
    list_filter = ["field", "pct__sha"]
    list_select_related = ["pct", "changed_by"]
    search_fields = ["pct__ods_code", "pct__name", "note"]
    date_hierarchy = "changed_at"


@admin.register(OutcomePriorityChange)
class OutcomePriorityChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "assessment", "changed_by"]
    list_filter = ["assessment__round", "assessment__pct__sha"]
    list_select_related = [*ASSESSMENT, "changed_by"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name", "summary"]
    date_hierarchy = "changed_at"


@admin.register(FactualAccuracyConfirmation)
class FactualAccuracyConfirmationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["confirmed_at", "assessment", "confirmed_by"]
    list_filter = ["assessment__round", "assessment__pct__sha"]
    list_select_related = [*ASSESSMENT, "confirmed_by"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name"]


@admin.register(Standing)
class StandingAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The reports' read model (``assessments.standings``), to look at, never to edit."""

    list_display = ["assessment", "governance", "total", "complete"]
    list_filter = ["round", "complete"]
    list_select_related = ["assessment__pct", "assessment__round"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name"]


@admin.register(FiguresVersion)
class FiguresVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["round", "value"]


@admin.register(FiguresChange)
class FiguresChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The recorded steps of the rounds' figures versions (``assessments.standings``)."""

    list_display = ["round", "previous", "value", "assessments"]
    list_filter = ["round"]
