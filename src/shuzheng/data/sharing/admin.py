"""Sharing in the admin: requests and grants are read-only here (a request changes only
through the workflow, a grant only by revocation on the sharing pages, each audited)."""

from django.contrib import admin

from shuzheng.data.sharing.models import Grant, SharingRequest
from shuzheng.foundation.web.admin_site import ReadOnlyAdmin


@admin.register(SharingRequest)
class SharingRequestAdmin(ReadOnlyAdmin):
    list_display = ("number", "kind", "entry", "requester", "provider", "state", "due_at")
    list_filter = ("state", "kind", "share_type")
    list_select_related = ("entry", "requester", "provider")
    search_fields = ("=number",)
    ordering = ("-pk",)
    exclude = ("workflow",)


@admin.register(Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = (
        "number",
        "entry",
        "consumer",
        "provider",
        "status",
        "valid_from",
        "valid_until",
    )
    list_filter = ("status",)
    list_select_related = ("entry", "consumer", "provider")
    search_fields = ("=number",)
    ordering = ("-pk",)
