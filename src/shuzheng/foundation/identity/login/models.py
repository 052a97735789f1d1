"""What the login controls remember: password history, failure counters and recovery codes.

The TOTP devices themselves are django-otp's ``TOTPDevice`` rows."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PasswordHistory(models.Model):
    """One password an account has had (its hash only); the newest row dates the current one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="password_history",
    )
    password = models.CharField(_("密码摘要"), max_length=128)
    created_at = models.DateTimeField(_("设置时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("历史密码")
        verbose_name_plural = _("历史密码")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.created_at:%Y-%m-%d %H:%M}"


class LoginLock(models.Model):
    """Consecutive login failures of one account (``user:<id>``) or one client address
    (``ip:<address>``, for usernames that do not exist), and the lock they caused."""

    key = models.CharField(_("对象"), max_length=80, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    last_failure_at = models.DateTimeField(_("最近失败时间"), null=True, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)

    class Meta:
        verbose_name = _("登录锁定")
        verbose_name_plural = _("登录锁定")

    def __str__(self) -> str:
        return self.key


class RecoveryCode(models.Model):
    """A one-time code that stands in for a TOTP code; only its salted SM3 digest is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="recovery_codes",
    )
    digest = models.CharField(_("摘要"), max_length=160)
    created_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")

    def __str__(self) -> str:
        return f"{self.user_id} #{self.pk}"
