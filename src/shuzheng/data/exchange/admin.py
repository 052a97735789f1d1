"""The exchange gateway in the admin: everything read-only. Services and clients change only
through their use cases (``services``: access check, audit, cache refresh; a client's secret
is never shown); the log and its seals are append-only evidence."""

from django.contrib import admin

from shuzheng.data.exchange.models import ClientApp, DataService, ExchangeLog, ExchangeSeal
from shuzheng.foundation.web.admin_site import ReadOnlyAdmin


@admin.register(DataService)
class DataServiceAdmin(ReadOnlyAdmin):
    list_display = ("code", "version", "name", "provider", "entry", "kind", "status")
    list_filter = ("kind", "status")
    list_select_related = ("provider", "entry")
    search_fields = ("code", "name")
    exclude = ("remote_token",)


@admin.register(ClientApp)
class ClientAppAdmin(ReadOnlyAdmin):
    list_display = ("name", "organisation", "system_code", "key_id", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("organisation",)
    search_fields = ("name", "=key_id", "system_code")
    exclude = ("secret_hash",)


@admin.register(ExchangeLog)
class ExchangeLogAdmin(ReadOnlyAdmin):
    list_display = (
        "seq",
        "time",
        "service_code",
        "consumer_id",
        "provider_id",
        "outcome",
        "reason",
        "status_code",
        "record_count",
        "latency_ms",
    )
    list_filter = ("outcome", "status_code")
    search_fields = ("=message_id", "=service_code")
    date_hierarchy = "time"
    show_full_result_count = False  # millions of calls: no second COUNT per page


@admin.register(ExchangeSeal)
class ExchangeSealAdmin(ReadOnlyAdmin):
    list_display = ("seq", "first_seq", "last_seq", "row_count", "sealed_at", "key_id")
    show_full_result_count = False
