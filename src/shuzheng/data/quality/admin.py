"""数据质量 in the admin, shown and not edited: rules are written on the workbench, where they
are checked against the entry's 信息项 (a pattern that does not compile must never reach
the checker); runs and issues are records the platform keeps, issues resolved by the owner."""

from django.contrib import admin

from shuzheng.data.quality.models import QualityIssue, QualityRule, QualityRun
from shuzheng.foundation.web.admin_site import ReadOnlyAdmin


@admin.register(QualityRule)
class QualityRuleAdmin(ReadOnlyAdmin):
    list_display = ("entry", "item_code", "kind", "severity", "enabled", "revision")
    list_filter = ("kind", "severity", "enabled")
    list_select_related = ("entry",)
    search_fields = ("entry__code", "entry__name", "item_code")
    fields = (
        "entry",
        "item_code",
        "kind",
        "params",
        "severity",
        "description",
        "enabled",
        "created_by",
        "created_at",
        "revision",
    )
    readonly_fields = fields


@admin.register(QualityRun)
class QualityRunAdmin(ReadOnlyAdmin):
    list_display = ("entry", "started_at", "records_checked", "checks", "failures", "score")
    list_select_related = ("entry",)
    search_fields = ("entry__code",)
    show_full_result_count = False
    ordering = ("-pk",)
    fields = (
        "entry",
        "started_at",
        "finished_at",
        "records_checked",
        "checks",
        "failures",
        "score",
        "by_rule",
        "triggered_by",
    )
    readonly_fields = fields


@admin.register(QualityIssue)
class QualityIssueAdmin(ReadOnlyAdmin):
    list_display = ("entry", "owner", "item_code", "message", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("entry", "owner")
    search_fields = ("entry__code",)
    show_full_result_count = False
    ordering = ("-pk",)
    fields = (
        "run",
        "entry",
        "owner",
        "rule",
        "record_id",
        "item_code",
        "message",
        "status",
        "created_at",
        "resolved_by",
        "resolved_at",
        "resolution",
    )
    readonly_fields = fields
