"""The catalogue in the admin. The classification tree is reference data and may be corrected
here; entries, their items, publications and grading records are read-only (they change
only through the catalogue's reviewed use cases, each audited). The platform store's rows
(``DatasetRecord``) are personal data and are not shown to the system administrator."""

from django.contrib import admin

from shuzheng.data.catalog.models import (
    CatalogueEntry,
    Classification,
    DataItem,
    EntryVersion,
    GradingRecord,
)
from shuzheng.foundation.web.admin_site import ReadOnlyAdmin


@admin.register(Classification)
class ClassificationAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "parent", "sort_order")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    ordering = ("code",)
    autocomplete_fields = ("parent",)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.entries.exists():
            return False  # entries' codes are built on it
        return super().has_delete_permission(request, obj)


class DataItemInline(admin.TabularInline):
    model = DataItem
    fields = (
        "sort_order",
        "code",
        "name",
        "data_type",
        "length",
        "is_key",
        "personal",
        "sensitive_personal",
        "mask",
        "grade",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("sort_order", "pk")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CatalogueEntry)
class CatalogueEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "code",
        "name",
        "provider",
        "kind",
        "share_type",
        "grade",
        "status",
        "version",
        "published_at",
    )
    list_filter = ("status", "kind", "share_type", "open_type", "grade", "update_cycle")
    list_select_related = ("provider",)
    search_fields = ("=code", "name")
    show_full_result_count = False
    ordering = ("code",)
    exclude = ("related", "sources")
    inlines = [DataItemInline]


@admin.register(EntryVersion)
class EntryVersionAdmin(ReadOnlyAdmin):
    list_display = ("entry", "version", "published_at", "submitted_by", "reviewed_by")
    list_select_related = ("entry", "submitted_by", "reviewed_by")
    search_fields = ("=entry__code",)
    ordering = ("-published_at", "-pk")


@admin.register(GradingRecord)
class GradingRecordAdmin(ReadOnlyAdmin):
    list_display = (
        "entry",
        "item_code",
        "from_grade",
        "to_grade",
        "status",
        "proposed_by",
        "proposed_at",
        "reviewed_by",
        "reviewed_at",
    )
    list_filter = ("status", "to_grade")
    list_select_related = ("entry", "proposed_by", "reviewed_by")
    search_fields = ("=entry__code", "item_code")
    ordering = ("-proposed_at", "-pk")
