"""The audit tables in the admin: read-only, and only for holders of "audit.view".

The admin site itself admits the system administrator (system.configure), who under 三员分立
must not read audit records; so these pages answer only to an account that also holds
"audit.view" (e.g. a superuser given the audit-admin role). The audit administrator's
everyday page is the workbench (/workbench/audit/), which has the same verification.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.trust import audit
from shuzheng.foundation.trust.models import AuditAnchor, AuditPurge, AuditRecord
from shuzheng.foundation.web.admin_site import ReadOnlyAdmin


class ReadOnlyAuditAdmin(ReadOnlyAdmin):
    """三员: audit records answer only to the audit administrator, even in the admin."""

    view_capability = "audit.view"


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnlyAuditAdmin):
    list_display = ("seq", "time", "actor_username", "action", "target", "result", "channel")
    list_filter = ("result", "channel")
    search_fields = ("=actor_username", "^action", "=object_id")
    date_hierarchy = None
    show_full_result_count = False
    actions = ["verify_chain"]

    def get_queryset(self, request):
        return access.scope(request.user, super().get_queryset(request), "audit.view")

    @admin.action(description=_("校验整条审计链"))
    def verify_chain(self, request, queryset):
        report = audit.run_verification(request.user, request=request)
        if report.ok:
            self.message_user(
                request,
                gettext("审计链完整：已校验 %(n)s 条记录") % {"n": report.checked},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                gettext("审计链在序号 %(seq)s 处断裂：%(message)s")
                % {"seq": report.problem.seq, "message": report.problem.message},
                messages.ERROR,
            )


@admin.register(AuditAnchor)
class AuditAnchorAdmin(ReadOnlyAuditAdmin):
    list_display = ("pk", "first_seq", "head_seq", "signed_at", "key_id")


@admin.register(AuditPurge)
class AuditPurgeAdmin(ReadOnlyAuditAdmin):
    list_display = ("pk", "last_seq", "record_count", "before", "purged_at")
