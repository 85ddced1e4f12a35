"""Admin for review panels: people, seat types, conflict rules, panels with their seats,
and members' scores.

Seat types and conflict rules are reference data: editable. A person's details are
editable too, but not whether they are active nor their account: those change only through
``panels.services.people`` (the people pages), which writes ``PersonChange`` (read-only). Panels, seats and
members' scores are written only by ``panels.services`` (eligibility, the stage, the
optimistic lock and the ``SeatChange`` history go with every change), and seat history
must not be rewritten: all of them are read-only here (``ReadOnlyAdminMixin``, defined
once in ``assessments.admin``).
"""

from django.contrib import admin

from assessments.admin import ReadOnlyAdminMixin
from competencies.admin import ItemRatingAdminMixin
from panels.models import (
    ConflictRule,
    ExternalOrganisation,
    MemberScore,
    Panel,
    Person,
    PersonChange,
    ReminderSent,
    Seat,
    SeatChange,
    SeatType,
)

PANEL_ASSESSMENT = ("panel__assessment__pct", "panel__assessment__round")


@admin.register(ExternalOrganisation)
class ExternalOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "sector", "country"]
    list_filter = ["sector", "country"]
    search_fields = ["name", "sector", "country"]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["full_name", "job_role", "job_title", "organisation", "user", "is_active"]
    list_filter = ["job_role", "sha", "is_active"]
    readonly_fields = ["user", "is_active"]
    list_select_related = ["sha", "pct", "external_organisation", "user"]
    search_fields = [
        "full_name",
        "email",
        "job_title",
        "sha__ods_code",
        "sha__name",
        "pct__ods_code",
        "pct__name",
        "external_organisation__name",
    ]
    autocomplete_fields = ["sha", "pct", "external_organisation"]

    @admin.display(description="organisation")
    def organisation(self, obj: Person) -> str:
        return str(obj.organisation)


@admin.register(PersonChange)
class PersonChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "person", "action", "changed_by", "note"]
    list_filter = ["action"]
    list_select_related = ["person", "changed_by"]
    search_fields = ["person__full_name", "person__email"]


@admin.register(SeatType)
class SeatTypeAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "affiliation", "is_chair"]
    list_display_links = ["number", "name"]
    search_fields = ["name", "code"]


@admin.register(ConflictRule)
class ConflictRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "severity", "description"]
    list_filter = ["severity"]
    search_fields = ["code", "description"]


class SeatInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Seat
    fields = ["seat_type", "person", "submitted_at", "absence_reason"]
    autocomplete_fields = ["person"]
    extra = 0
    max_num = 5


@admin.register(Panel)
class PanelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["assessment", "sha", "created_at"]
    list_filter = ["assessment__round", "assessment__pct__sha"]
    list_select_related = ["assessment__pct__sha", "assessment__round"]
    search_fields = ["assessment__pct__ods_code", "assessment__pct__name"]
    autocomplete_fields = ["assessment"]
    readonly_fields = ["version"]
    inlines = [SeatInline]

    @admin.display(ordering="assessment__pct__sha__ods_code", description="SHA")
    def sha(self, obj: Panel) -> str:
        return str(obj.assessment.pct.sha)


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["panel", "seat_type", "person", "submitted_at"]
    list_filter = ["seat_type", "panel__assessment__round", "panel__assessment__pct__sha"]
    list_select_related = [*PANEL_ASSESSMENT, "seat_type", "person"]
    search_fields = [
        "person__full_name",
        "panel__assessment__pct__ods_code",
        "panel__assessment__pct__name",
    ]
    autocomplete_fields = ["panel", "person"]
    readonly_fields = ["version"]


@admin.register(MemberScore)
class MemberScoreAdmin(ReadOnlyAdminMixin, ItemRatingAdminMixin, admin.ModelAdmin):
    list_display = ["seat", "item", "value", "updated_at"]
    list_filter = ["seat__seat_type", "seat__panel__assessment__round"]
    list_select_related = [
        *(f"seat__{path}" for path in PANEL_ASSESSMENT),
        "seat__seat_type",
        "seat__person",
        *ItemRatingAdminMixin.ITEM_SELECT_RELATED,
    ]
    search_fields = ["seat__person__full_name", "seat__panel__assessment__pct__ods_code"]
    raw_id_fields = ["seat", "competency", "area", "sub_indicator"]


@admin.register(SeatChange)
class SeatChangeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["changed_at", "seat", "how", "old_person", "new_person", "changed_by"]
    list_filter = ["how", "seat__panel__assessment__round"]
    list_select_related = [
        *(f"seat__{path}" for path in PANEL_ASSESSMENT),
        "seat__seat_type",
        "seat__person",
        "old_person",
        "new_person",
        "changed_by",
    ]
    search_fields = [
        "old_person__full_name",
        "new_person__full_name",
        "seat__panel__assessment__pct__ods_code",
        "note",
    ]
    date_hierarchy = "changed_at"


@admin.register(ReminderSent)
class ReminderSentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What the daily reminders sent, to whom and when (written by ``panels.reminders``)."""

    list_display = ["day", "kind", "person", "summary", "sent_at"]
    list_filter = ["kind", "day"]
    list_select_related = ["person"]
    search_fields = ["person__full_name", "summary"]
