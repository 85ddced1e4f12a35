"""Admin for the framework: versions, competencies with their level descriptors, governance
areas with their sub-indicators. Reference data: ``load_reference_data`` loads it."""

from django.contrib import admin

from competencies.models import (
    Competency,
    FrameworkVersion,
    GovernanceArea,
    LevelDescriptor,
    SubIndicator,
)


class LevelDescriptorInline(admin.TabularInline):
    model = LevelDescriptor
    extra = 0
    max_num = 4


class CompetencyInline(admin.TabularInline):
    model = Competency
    fields = ["number", "short_name"]
    extra = 0
    show_change_link = True


class GovernanceAreaInline(admin.TabularInline):
    model = GovernanceArea
    fields = ["position", "code", "name"]
    extra = 0
    show_change_link = True


class SubIndicatorInline(admin.TabularInline):
    model = SubIndicator
    fields = ["number", "name", "description"]
    extra = 0


@admin.register(FrameworkVersion)
class FrameworkVersionAdmin(admin.ModelAdmin):
    list_display = ["slug", "name"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CompetencyInline, GovernanceAreaInline]


@admin.register(Competency)
class CompetencyAdmin(admin.ModelAdmin):
    list_display = ["number", "short_name", "framework"]
    list_display_links = ["number", "short_name"]
    list_filter = ["framework"]
    list_select_related = ["framework"]
    search_fields = ["short_name", "statement", "framework__slug"]
    inlines = [LevelDescriptorInline]


@admin.register(LevelDescriptor)
class LevelDescriptorAdmin(admin.ModelAdmin):
    list_display = ["competency", "level", "framework"]
    list_filter = ["competency__framework", "level"]
    list_select_related = ["competency__framework"]
    search_fields = ["descriptor", "competency__short_name"]
    autocomplete_fields = ["competency"]

    @admin.display(ordering="competency__framework__slug")
    def framework(self, obj: LevelDescriptor) -> FrameworkVersion:
        return obj.competency.framework


@admin.register(GovernanceArea)
class GovernanceAreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "position", "framework"]
    list_filter = ["framework", "code"]
    list_select_related = ["framework"]
    search_fields = ["name", "code", "framework__slug"]
    inlines = [SubIndicatorInline]


@admin.register(SubIndicator)
class SubIndicatorAdmin(admin.ModelAdmin):
    list_display = ["name", "number", "area", "framework"]
    list_filter = ["area__framework", "area__code"]
    list_select_related = ["area__framework"]
    search_fields = ["name", "area__name"]
    autocomplete_fields = ["area"]

    @admin.display(ordering="area__framework__slug")
    def framework(self, obj: SubIndicator) -> FrameworkVersion:
        return obj.area.framework


class ItemRatingAdminMixin:
    """List columns for an ``ItemRating``: the item rated and its value.

    Add ``ITEM_SELECT_RELATED`` (under the rating's own path) to ``list_select_related``
    so that the item's name costs no query per row.
    """

    ITEM_SELECT_RELATED = ("competency", "area", "sub_indicator__area")
    ITEM_AUTOCOMPLETE = ("competency", "area", "sub_indicator")

    @admin.display(description="item")
    def item(self, obj) -> str:
        return str(obj.item)

    @admin.display(description="value")
    def value(self, obj) -> str:
        return "" if obj.value is None else str(obj.value)
