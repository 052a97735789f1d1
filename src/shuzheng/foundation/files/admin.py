from django.contrib import admin

from shuzheng.foundation.files.models import StoredFile


@admin.register(StoredFile)
class StoredFileAdmin(admin.ModelAdmin):
    """Read-only: files change only through their services (audited)."""

    list_display = ("name", "purpose", "content_type", "size", "owner", "created_at", "purged_at")
    list_filter = ("purpose", "content_type")
    search_fields = ("name", "sm3")
    readonly_fields = [f.name for f in StoredFile._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
