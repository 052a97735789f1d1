"""The outbox in the admin: read-only pages, and the dead-letter list with "resend".

The admin site admits the system administrator (system.configure); these pages answer to
that capability too, and resending goes through the service (access check + audit record).
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.events import services
from shuzheng.foundation.events.models import Delivery, DeliveryStatus, OutboxEvent
from shuzheng.foundation.web.admin_site import ReadOnlyAdmin


class ReadOnlyOutboxAdmin(ReadOnlyAdmin):
    """Outbox events and deliveries: for the system administrator, never edited by hand."""


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ("handler", "status", "attempts", "next_attempt_at", "done_at", "last_error")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return access.holds(request.user, "system.configure")


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyOutboxAdmin):
    list_display = ("id", "type", "key", "created_at", "relayed_at", "delivered_at", "attempts")
    list_filter = ("type",)
    search_fields = ("=id", "^type", "=key")
    show_full_result_count = False
    inlines = [DeliveryInline]

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return access.scope(request.user, rows, "system.configure")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyOutboxAdmin):
    list_display = ("pk", "handler", "event_type", "status", "attempts", "next_attempt_at")
    list_filter = ("status", "handler")
    search_fields = ("=event__id", "^handler", "^event__type")
    list_select_related = ("event",)
    show_full_result_count = False
    actions = ["resend"]

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return access.scope(request.user, rows, "system.configure")

    @admin.display(description=_("事件类型"))
    def event_type(self, obj):
        return obj.event.type

    @admin.action(description=_("重新投递所选死信"))
    def resend(self, request, queryset):
        try:
            count = services.resend_dead(
                request.user, queryset.filter(status=DeliveryStatus.DEAD), request=request
            )
        except (PermissionDenied, ValidationError) as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(
            request, gettext("已重新投递 %(n)s 条死信") % {"n": count}, messages.SUCCESS
        )
