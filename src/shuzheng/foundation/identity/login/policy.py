"""Who gets which control: the settings and the few facts about a user they depend on."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone


def setting(name: str, default):
    return getattr(settings, name, default)


def max_failures() -> int:
    return setting("LOGIN_MAX_FAILURES", 5)


def lockout_period() -> timedelta:
    return timedelta(minutes=setting("LOGIN_LOCKOUT_MINUTES", 15))


def is_privileged(user) -> bool:
    """Staff, a holder of a 三员 role, or an admin-site account: two factors and the short
    idle timeout (等保 2.0: 管理用户 need two factors, one of them cryptographic)."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff or user.is_superuser or hasattr(user, "staff"):
        return True
    from shuzheng.foundation.access.models import RoleGrant

    return (
        RoleGrant.objects.filter(user=user, revoked_at__isnull=True)
        .exclude(role__triad="")
        .exists()
    )


def confirmed_device(user):
    """The user's confirmed TOTP device, or None."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def needs_second_factor(user) -> bool:
    """Mandatory for privileged accounts (unless switched off); asked of anyone with a device."""
    if setting("MFA_REQUIRED_FOR_STAFF", True) and is_privileged(user):
        return True
    return confirmed_device(user) is not None


def idle_timeout(privileged: bool) -> timedelta:
    minutes = (
        setting("STAFF_IDLE_TIMEOUT_MINUTES", 30)
        if privileged
        else setting("IDLE_TIMEOUT_MINUTES", 120)
    )
    return timedelta(minutes=minutes)


def password_set_at(user):
    """When the current password was set: its history row, else when the account was made."""
    latest = user.password_history.order_by("-created_at", "-pk").first()
    return latest.created_at if latest else user.date_joined


def password_expired(user) -> bool:
    days = setting("PASSWORD_MAX_AGE_DAYS", 90)
    if not days or not user.has_usable_password():
        return False
    return password_set_at(user) + timedelta(days=days) <= timezone.now()


def client_ip(request) -> str | None:
    """``REMOTE_ADDR``, like the audit trail: behind a reverse proxy, the proxy (or granian)
    must set it to the client's address; forwarded headers are never trusted here."""
    if request is None:
        return None
    return (request.META.get("REMOTE_ADDR") or "")[:64] or None
