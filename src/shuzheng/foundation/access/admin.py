from django.contrib import admin

from shuzheng.foundation.access.models import Permission, Role, RoleGrant


@admin.register(Permission)
class PermissionAdmin(admin.ModelAdmin):
    list_display = ("code", "label", "self_service", "delegable", "public")
    search_fields = ("code", "label")

    def has_add_permission(self, request):
        return False  # capabilities are declared in code and mirrored here

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "triad")
    filter_horizontal = ("permissions",)
    search_fields = ("code", "name")


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    """Read-only: the security administrator grants in the workbench (三员分立)."""

    list_display = ("user", "role", "organisation", "granted_by", "granted_at", "revoked_at")
    list_filter = ("role",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
