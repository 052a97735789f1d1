"""Admin pages for the login controls: lift a lock, reset an authenticator. Neither shows a
secret: deleting a TOTP device makes its owner set up a new one at the next login."""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

from shuzheng.foundation.identity.login.models import LoginLock


class _DeleteOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(LoginLock)
class LoginLockAdmin(_DeleteOnly):
    """Deleting a row unlocks that account or address at once."""

    list_display = ("key", "user", "failures", "last_failure_at", "locked_until")
    search_fields = ("key", "user__username")
    fields = list_display


# django-otp's own TOTP admin shows (and edits) the shared secret; nobody needs to read it.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(_DeleteOnly):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    search_fields = ("user__username", "user__display_name")
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
