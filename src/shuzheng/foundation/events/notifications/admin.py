"""Email and SMS deliveries in the admin, read-only, for the system administrator: status,
attempts and errors, the destination masked. Inbox contents are not shown here — the system
administrator configures the platform and does not read other people's messages (三员)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.events.notifications.models import Delivery
from shuzheng.foundation.web.admin_site import ReadOnlyAdmin


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["pk", "event_type", "channel", "status", "destination", "attempts", "sent_at"]
    list_filter = ["channel", "status"]
    fields = [
        "event_type",
        "channel",
        "status",
        "destination",
        "attempts",
        "last_error",
        "provider_id",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields

    @admin.display(description=_("事件类型"))
    def event_type(self, obj):
        return obj.message.event_type

    def get_queryset(self, request):
        rows = super().get_queryset(request).select_related("message")
        return access.scope(request.user, rows, "system.configure")
