"""The reports app's records in the admin, read-only: stored PDFs and background batches
(and their items) are written by ``reports.storage`` and ``reports.tasks`` only."""

from django.contrib import admin

from reports.models import ReportBatch, ReportBatchItem, StoredReport


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StoredReport)
class StoredReportAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "draft", "path", "generated_at"]
    list_filter = ["draft", "assessment__round"]
    list_select_related = ["assessment__pct", "assessment__round"]
    search_fields = ["assessment__pct__name", "assessment__pct__ods_code"]


@admin.register(ReportBatch)
class ReportBatchAdmin(ReadOnlyAdmin):
    list_display = ["round", "status", "done", "total", "rendered", "unchanged", "created_at"]
    list_filter = ["status", "round"]
    list_select_related = ["round", "requested_by"]


@admin.register(ReportBatchItem)
class ReportBatchItemAdmin(ReadOnlyAdmin):
    list_display = ["batch", "assessment", "status", "rendered", "worker", "finished_at"]
    list_filter = ["status", "batch__round"]
    list_select_related = ["batch__round", "assessment__pct", "assessment__round"]
    search_fields = ["assessment__pct__name", "assessment__pct__ods_code", "worker"]
