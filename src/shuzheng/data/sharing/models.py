"""政务数据共享 — sharing requests between departments and the grants they lead to
(《政务数据共享条例》, shared/domain/data.md).

A ``SharingRequest`` runs on the workflow engine (``workflow.yaml``, code ``data.sharing``);
``state``, ``due_at`` and ``sla_state`` are copied onto the row in the same transaction as
every transition. The statutory clocks in working days: the compliance check ≤ 2, the
provider's decision ≤ 5 (data already on the platform) or ≤ 10 (not yet).

A ``Grant`` is what an approved request (or a coordination) yields: which items, for which
purpose, from when until when, at which rate. The gateway enforces it; revocation and expiry
take effect at the next call.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    SHARE = "share", _("共享申请")
    COORDINATION = "coordination", _("协调申请（不予共享数据）")


class RequestState(models.TextChoices):
    """The states of ``workflow.yaml`` (copied from the engine's instance)."""

    DRAFT = "draft", _("草稿")
    CHECKING = "checking", _("合规审查中")
    RETURNED = "returned", _("退回修改")
    PROVIDER_REVIEW = "provider_review", _("提供方审核中")
    REJECTED = "rejected", _("提供方不同意")
    COORDINATING = "coordinating", _("数据主管部门协调中")
    GRANTED = "granted", _("已授权")
    REFUSED = "refused", _("协调后不予共享")
    CLOSED = "closed", _("已结束")
    WITHDRAWN = "withdrawn", _("已撤回")


OPEN_STATES = (
    RequestState.DRAFT,
    RequestState.CHECKING,
    RequestState.RETURNED,
    RequestState.PROVIDER_REVIEW,
    RequestState.REJECTED,
    RequestState.COORDINATING,
)


class SharingRequest(models.Model):
    number = models.CharField(_("申请编号"), max_length=24, unique=True)
    kind = models.CharField(
        _("申请类型"), max_length=14, choices=RequestKind.choices, default=RequestKind.SHARE
    )
    entry = models.ForeignKey(
        "datacatalog.CatalogueEntry",
        verbose_name=_("目录条目"),
        on_delete=models.PROTECT,
        related_name="sharing_requests",
    )
    entry_version = models.PositiveIntegerField(_("申请时目录版本"))
    share_type = models.CharField(
        _("共享类型"), max_length=14, help_text=_("申请时条目的共享类型（datacatalog.ShareType）")
    )
    requester = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("申请部门"),
        on_delete=models.PROTECT,
        related_name="sharing_requests",
    )
    provider = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("提供部门"),
        on_delete=models.PROTECT,
        related_name="sharing_requests_received",
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    fields = models.JSONField(_("申请信息项"), help_text=_("信息项标识列表"))
    clear_fields = models.JSONField(
        _("申请明文信息项"),
        default=list,
        blank=True,
        help_text=_("需要不脱敏提供的信息项（须说明理由，重要数据不可申请明文）"),
    )
    purpose = models.TextField(_("用途"))
    legal_basis = models.TextField(_("申请依据"), help_text=_("法律法规、政策文件或履职事项"))
    scenario = models.CharField(
        _("应用场景"), max_length=200, blank=True, help_text=_("如 出生医学证明核验、办件编号")
    )
    period_start = models.DateField(_("使用期限起"))
    period_end = models.DateField(_("使用期限止"))
    quota_per_minute = models.PositiveIntegerField(_("每分钟调用上限"), default=60)
    quota_per_day = models.PositiveIntegerField(_("每日调用上限"), default=10000)
    # the workflow's copy
    workflow = models.OneToOneField(
        "workflow.WorkflowInstance",
        verbose_name=_("流程实例"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    state = models.CharField(
        _("状态"), max_length=16, choices=RequestState.choices, default=RequestState.DRAFT
    )
    due_at = models.DateTimeField(_("当前环节时限"), null=True, blank=True)
    sla_state = models.CharField(_("时限状态"), max_length=10, blank=True)
    decision_reason = models.TextField(_("不同意理由"), blank=True)
    dispute_reason = models.TextField(_("异议理由"), blank=True)
    coordination_opinion = models.TextField(_("协调意见"), blank=True)
    revision = models.PositiveIntegerField(_("修订号"), default=0)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("共享申请")
        verbose_name_plural = _("共享申请")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["provider", "state"], name="sharing_provider_state"),
            models.Index(fields=["requester", "state"], name="sharing_requester_state"),
            models.Index(fields=["state", "due_at"], name="sharing_state_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="sharing_period_order"
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def decision_limit_text(self) -> str:
        """The provider's decision limit (read by the workflow engine)."""
        return self.entry.decision_limit_text

    @property
    def check_limit_text(self) -> str:
        return f"{getattr(settings, 'DATA_SHARING_CHECK_DAYS', 2)} working_days"

    @property
    def coordination_limit_text(self) -> str:
        return f"{getattr(settings, 'DATA_SHARING_COORDINATION_DAYS', 10)} working_days"


class GrantStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    REVOKED = "revoked", _("已撤销")


class Grant(models.Model):
    """数据共享授权 (the gateway's access rule): consumer, entry, items, purpose, period and
    rate. Expired is not a stored state: ``valid_until`` passes and the gateway refuses."""

    number = models.CharField(_("授权编号"), max_length=24, unique=True)
    request = models.OneToOneField(
        SharingRequest,
        verbose_name=_("共享申请"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grant",
    )
    entry = models.ForeignKey(
        "datacatalog.CatalogueEntry",
        verbose_name=_("目录条目"),
        on_delete=models.PROTECT,
        related_name="grants",
    )
    consumer = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("使用部门"),
        on_delete=models.PROTECT,
        related_name="data_grants",
    )
    provider = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("提供部门"),
        on_delete=models.PROTECT,
        related_name="data_grants_given",
    )
    fields = models.JSONField(_("授权信息项"))
    clear_fields = models.JSONField(_("明文提供的信息项"), default=list, blank=True)
    purpose = models.TextField(_("用途"))
    valid_from = models.DateTimeField(_("生效时间"))
    valid_until = models.DateTimeField(_("失效时间"))
    quota_per_minute = models.PositiveIntegerField(_("每分钟调用上限"))
    quota_per_day = models.PositiveIntegerField(_("每日调用上限"))
    status = models.CharField(
        _("状态"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.ACTIVE
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("授权人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("授权时间"), default=timezone.now)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("撤销人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoke_reason = models.TextField(_("撤销理由"), blank=True)
    revision = models.PositiveIntegerField(_("修订号"), default=0)

    class Meta:
        verbose_name = _("共享授权")
        verbose_name_plural = _("共享授权")
        ordering = ["-granted_at", "-pk"]
        indexes = [
            models.Index(fields=["consumer", "entry", "status"], name="grant_consumer_entry"),
            models.Index(fields=["provider", "status"], name="grant_provider_status"),
        ]

    def __str__(self) -> str:
        return self.number

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return self.status == GrantStatus.ACTIVE and self.valid_from <= at < self.valid_until
