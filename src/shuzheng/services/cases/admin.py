"""办件 in the admin: read-only, for the system administrator to inspect what happened to a
case (states change only through the workflow; personal data stays out of this view)."""

from django.contrib import admin

from shuzheng.foundation.web.admin_site import ReadOnlyAdmin
from shuzheng.services.cases.models import Case, SpecialProcedure


class SpecialProcedureInline(admin.TabularInline):
    model = SpecialProcedure
    fields = ("kind", "reason", "planned_days", "started_at", "ended_at", "result")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("number", "item_version", "organisation", "state", "due_at", "overdue")
    list_filter = ("state", "organisation")
    list_select_related = ("item_version", "organisation")
    search_fields = ("=number",)
    show_full_result_count = False  # a million cases: no second COUNT per page
    ordering = ("-pk",)
    inlines = [SpecialProcedureInline]
    # 申请人证件号码、联系电话、申请表 are personal data: the 三员 system administrator
    # configures the platform and does not read them.
    fields = (
        "number",
        "item",
        "item_version",
        "organisation",
        "applicant_type",
        "channel",
        "on_behalf",
        "state",
        "review_step",
        "sla_state",
        "due_at",
        "legal_due_at",
        "handler",
        "submitted_at",
        "accepted_at",
        "accepted_by",
        "acceptance_doc_no",
        "corrections",
        "correction_due",
        "decided_at",
        "result",
        "licence_name",
        "licence_number",
        "concluded_at",
        "overdue",
        "working_days_used",
        "delivery_method",
        "delivered_at",
        "workflow",
    )
    readonly_fields = fields
