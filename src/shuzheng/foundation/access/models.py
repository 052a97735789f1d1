"""Named capabilities, the roles that bundle them, and grants of a role on an org subtree."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Permission(models.Model):
    """A named capability ("identity.view_staff"). Rows mirror the code registry."""

    code = models.CharField(_("权限代码"), max_length=80, primary_key=True)
    label = models.CharField(_("名称"), max_length=120)
    self_service = models.BooleanField(
        _("本人可用"), default=False, help_text=_("每个用户对本人的记录自动拥有此权限")
    )
    delegable = models.BooleanField(
        _("可委托经办人"), default=False, help_text=_("企业可授权经办人在本企业范围内使用")
    )
    public = models.BooleanField(
        _("公开"), default=False, help_text=_("任何人（含未登录）均可使用")
    )

    class Meta:
        verbose_name = _("权限")
        verbose_name_plural = _("权限")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class Triad(models.TextChoices):
    """三员: no account may hold two of these (等保 2.0 访问控制)."""

    SYSTEM = "system", _("系统管理员")
    SECURITY = "security", _("安全管理员")
    AUDIT = "audit", _("审计管理员")


class Role(models.Model):
    code = models.SlugField(_("角色代码"), max_length=60, unique=True)
    name = models.CharField(_("角色名称"), max_length=60)
    description = models.TextField(_("说明"), blank=True)
    triad = models.CharField(_("三员类别"), max_length=10, choices=Triad.choices, blank=True)
    permissions = models.ManyToManyField(Permission, verbose_name=_("权限"), blank=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class RoleGrant(models.Model):
    """A role held by a staff account on an organisation and everything below it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("账号"),
        on_delete=models.CASCADE,
        related_name="role_grants",
    )
    role = models.ForeignKey(
        Role, verbose_name=_("角色"), on_delete=models.PROTECT, related_name="grants"
    )
    organisation = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("授权范围（机构）"),
        on_delete=models.PROTECT,
        related_name="role_grants",
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now, editable=False)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("角色授权")
        verbose_name_plural = _("角色授权")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "organisation"],
                condition=Q(revoked_at__isnull=True),
                name="grant_unique_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.role} @ {self.organisation}"
