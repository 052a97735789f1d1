"""12345 in the admin. Work orders and 催办督办 records are read-only (an order changes only
through the loop; the caller's name and phone stay out of this view); the reference data
— categories, routing rules, knowledge articles — may be corrected here; model versions and
Open311 applications are shown (keys are issued and revoked on the hotline's own pages)."""

from django.contrib import admin

from shuzheng.foundation.web.admin_site import ReadOnlyAdmin
from shuzheng.governance.hotline.models import (
    Category,
    ClassifierModel,
    KnowledgeArticle,
    Open311Client,
    RoutingRule,
    Urge,
    WorkOrder,
)


class UrgeInline(admin.TabularInline):
    model = Urge
    fields = ("kind", "deadline", "automatic", "by", "unit", "note", "at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(WorkOrder)
class WorkOrderAdmin(ReadOnlyAdmin):
    list_display = ("number", "title", "category", "unit", "state", "due_at", "created_at")
    list_filter = ("state", "channel", "request_type")
    list_select_related = ("category", "unit")
    search_fields = ("=number",)
    show_full_result_count = False  # a million orders: no second COUNT per page
    ordering = ("-pk",)
    inlines = [UrgeInline]
    # 诉求人姓名、电话 are personal data: the 三员 system administrator does not read them.
    fields = (
        "number",
        "channel",
        "request_type",
        "urgency",
        "category",
        "category_confirmed",
        "title",
        "address",
        "latitude",
        "longitude",
        "grid",
        "district",
        "anonymous",
        "unit",
        "dispatched_by",
        "state",
        "sla_state",
        "sign_due_at",
        "due_at",
        "urge_at",
        "urged",
        "supervised",
        "signed_at",
        "extension_days",
        "replied_at",
        "satisfaction",
        "callback_score",
        "callback_at",
        "rework_count",
        "return_count",
        "closed_at",
        "on_time",
        "master",
        "callers_count",
        "related_case",
        "source_ref",
        "workflow",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields


@admin.register(Urge)
class UrgeAdmin(ReadOnlyAdmin):
    list_display = ("order", "kind", "deadline", "automatic", "unit", "at")
    list_filter = ("kind", "deadline", "automatic")
    list_select_related = ("order", "unit")
    show_full_result_count = False
    ordering = ("-pk",)
    fields = ("order", "kind", "deadline", "automatic", "by", "unit", "note", "at")
    readonly_fields = fields


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "needs_location", "open311", "is_active")
    list_filter = ("level", "needs_location", "open311", "is_active")
    search_fields = ("code", "name")
    ordering = ("code",)
    autocomplete_fields = ("parent",)
    raw_id_fields = ("default_unit",)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "district", "grid", "unit", "by_location", "priority", "active")
    list_filter = ("active", "by_location")
    list_select_related = ("category", "district", "grid", "unit")
    raw_id_fields = ("category", "district", "grid", "unit")
    ordering = ("priority", "id")


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "category", "organisation", "status", "valid_from", "valid_until")
    list_filter = ("status", "public")
    search_fields = ("title", "keywords")
    raw_id_fields = ("category", "organisation", "updated_by")
    readonly_fields = ("version", "uses", "updated_at")


@admin.register(ClassifierModel)
class ClassifierModelAdmin(ReadOnlyAdmin):
    list_display = ("version", "active", "trained_on", "trained_by", "created_at")
    # the parameter archive is binary: its metrics say what it is worth
    fields = ("version", "active", "trained_on", "trained_by", "metrics", "created_at")
    readonly_fields = fields


@admin.register(Open311Client)
class Open311ClientAdmin(ReadOnlyAdmin):
    list_display = ("name", "key_prefix", "active", "requests", "last_used_at", "created_at")
    list_filter = ("active",)
    fields = (
        "name",
        "contact",
        "key_prefix",
        "active",
        "requests",
        "last_used_at",
        "created_at",
    )
    readonly_fields = fields
