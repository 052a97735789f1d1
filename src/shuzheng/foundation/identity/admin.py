from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from shuzheng.foundation.identity.models import (
    Enterprise,
    EnterpriseAgent,
    NaturalPerson,
    Organisation,
    StaffProfile,
    User,
)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "username",
                    "display_name",
                    "preferred_language",
                    "is_active",
                    "is_staff",
                    "last_login",
                    "date_joined",
                )
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")
    list_display = ("username", "display_name", "is_active", "is_staff", "last_login")
    search_fields = ("username", "display_name")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "division_code", "parent", "uncertain", "is_active")
    list_filter = ("kind", "uncertain", "is_active")
    search_fields = ("name", "short_name", "division_code")
    readonly_fields = ("path", "depth")
    ordering = ("path",)

    def has_add_permission(self, request):
        # New nodes get their materialised path from services.create_organisation.
        return False


@admin.register(NaturalPerson)
class NaturalPersonAdmin(admin.ModelAdmin):
    list_display = ("name", "id_type", "created_at")
    search_fields = ("name",)
    exclude = ("id_number", "mobile")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "registry", "uscc", "macau_registration_no", "legal_representative")
    search_fields = ("name", "uscc", "macau_registration_no")

    def has_add_permission(self, request):
        return False


@admin.register(EnterpriseAgent)
class EnterpriseAgentAdmin(admin.ModelAdmin):
    list_display = ("enterprise", "person", "kind", "valid_from", "valid_until", "revoked_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "position", "employee_no", "is_active")
    search_fields = ("user__username", "user__display_name", "position")
    list_filter = ("is_active",)
    raw_id_fields = ("organisation", "user")
