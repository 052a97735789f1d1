"""The Django admin is the system administrator's configuration tool (三员: 系统管理员)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access


def restrict_admin_site(site) -> None:
    site.site_header = _("数政 · 系统配置")
    site.site_title = _("数政系统配置")
    site.index_title = _("系统配置")

    def has_permission(request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.is_superuser or access.holds(user, "system.configure"))
        )

    site.has_permission = has_permission


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record kept by the platform itself (audit, outbox, deliveries): shown, never edited
    in the admin, and only to holders of ``view_capability``."""

    view_capability = "system.configure"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return access.holds(request.user, self.view_capability)

    def has_module_permission(self, request):
        return access.holds(request.user, self.view_capability)
