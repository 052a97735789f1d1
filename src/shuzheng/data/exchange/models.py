"""数据交换网关 — the exchange gateway's registry and its evidence (X-Road semantics,
shared/domain/data.md).

A provider registers a ``DataService`` (one entry's data, held in the platform's store or
served by its own remote HTTP API). A consumer department calls it through the gateway
with a ``ClientApp``'s credentials. Every call — granted or refused — leaves one
``ExchangeLog`` row (append-only), and the sealing job closes batches of rows into
``ExchangeSeal`` rows: an SM3 chain over the rows' digests, signed with the audit trail's SM2
key and recorded in the audit chain, so that either side can later prove what was exchanged
(``evidence`` export and check).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.trust.models import AppendOnlyModel, SeqField
from shuzheng.foundation.trust.pii import EncryptedField


class ServiceKind(models.TextChoices):
    STORE = "store", _("平台库数据")
    REMOTE = "remote", _("提供方接口（HTTP）")


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("运行中")
    SUSPENDED = "suspended", _("已暂停")


class DataService(models.Model):
    """数据服务: ``code`` + ``version`` address it at the gateway
    (``/gateway/v1/services/<code>/<version>/records``)."""

    code = models.SlugField(_("服务编码"), max_length=80)
    version = models.CharField(_("版本"), max_length=10, default="v1")
    name = models.CharField(_("服务名称"), max_length=200)
    provider = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("提供部门"),
        on_delete=models.PROTECT,
        related_name="data_services",
    )
    entry = models.ForeignKey(
        "datacatalog.CatalogueEntry",
        verbose_name=_("目录条目"),
        on_delete=models.PROTECT,
        related_name="services",
    )
    kind = models.CharField(_("数据来源"), max_length=10, choices=ServiceKind.choices)
    remote_url = models.URLField(_("提供方接口地址"), blank=True)
    remote_token = EncryptedField(_("提供方接口凭证"), blank=True)
    remote_timeout = models.FloatField(_("接口超时（秒）"), default=5.0)
    description = models.TextField(_("说明"), blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    revision = models.PositiveIntegerField(_("修订号"), default=0)

    class Meta:
        verbose_name = _("数据服务")
        verbose_name_plural = _("数据服务")
        ordering = ["code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="service_code_version")
        ]

    def __str__(self) -> str:
        return f"{self.code}/{self.version}"


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("有效")
    DISABLED = "disabled", _("已停用")


class ClientApp(models.Model):
    """使用部门的应用系统 and its gateway credentials: ``key_id`` is public, the secret is
    shown once at creation and stored only as a salted SM3 digest (``secret_hash``,
    ``sm3$<salt>$<hex>``; rows of the first scheme, HMAC-SM3 under the blind-index key, are
    upgraded by the gateway on first use)."""

    organisation = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("使用部门"),
        on_delete=models.PROTECT,
        related_name="client_apps",
    )
    name = models.CharField(_("应用系统名称"), max_length=120)
    system_code = models.SlugField(_("子系统编码"), max_length=60)
    key_id = models.CharField(_("应用标识"), max_length=32, unique=True)
    secret_hash = models.CharField(_("密钥摘要"), max_length=128)
    status = models.CharField(
        _("状态"), max_length=10, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    allowed_ips = models.JSONField(_("允许的来源地址"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    rotated_at = models.DateTimeField(_("密钥更换时间"), null=True, blank=True)
    revision = models.PositiveIntegerField(_("修订号"), default=0)

    class Meta:
        verbose_name = _("接入应用")
        verbose_name_plural = _("接入应用")
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "system_code"], name="client_org_system"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_id})"


class Outcome(models.TextChoices):
    OK = "ok", _("成功")
    DENIED = "denied", _("拒绝")
    OVER_QUOTA = "over_quota", _("超出配额")
    BAD_REQUEST = "bad_request", _("请求有误")
    NOT_FOUND = "not_found", _("服务不存在")
    UNAUTHENTICATED = "unauthenticated", _("认证失败")
    PROVIDER_ERROR = "provider_error", _("提供方错误")


class ExchangeLog(AppendOnlyModel):
    """One gateway call. Personal data never enters the log: the end user is an HMAC-SM3,
    request and response are SM3 digests of exactly the bytes received and sent."""

    seq = SeqField(_("序号"), primary_key=True)
    time = models.DateTimeField(_("时间"), db_index=True)
    message_id = models.CharField(_("消息标识"), max_length=64)
    client = models.ForeignKey(
        ClientApp,
        verbose_name=_("接入应用"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    consumer_id = models.BigIntegerField(_("使用部门"), null=True, blank=True, db_index=True)
    service = models.ForeignKey(
        DataService,
        verbose_name=_("数据服务"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    service_code = models.CharField(_("服务"), max_length=100, help_text=_("编码/版本，按请求记录"))
    provider_id = models.BigIntegerField(_("提供部门"), null=True, blank=True, db_index=True)
    grant_id = models.BigIntegerField(_("授权"), null=True, blank=True)
    end_user_hash = models.CharField(_("最终用户（摘要）"), max_length=64, blank=True)
    purpose = models.CharField(_("用途"), max_length=200, blank=True)
    case_number = models.CharField(_("关联办件/工单编号"), max_length=64, blank=True)
    fields = models.JSONField(_("返回信息项"), default=list, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    reason = models.CharField(_("原因"), max_length=60, blank=True)
    status_code = models.PositiveSmallIntegerField(_("HTTP 状态码"))
    record_count = models.PositiveIntegerField(_("返回记录数"), default=0)
    request_hash = models.CharField(_("请求摘要（SM3）"), max_length=64)
    response_hash = models.CharField(_("响应摘要（SM3）"), max_length=64)
    latency_ms = models.FloatField(_("耗时（毫秒）"))

    class Meta:
        verbose_name = _("交换日志")
        verbose_name_plural = _("交换日志")
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["consumer_id", "time"], name="xlog_consumer_time"),
            models.Index(fields=["provider_id", "time"], name="xlog_provider_time"),
        ]


class ExchangeSeal(AppendOnlyModel):
    """封存: rows ``first_seq``..``last_seq`` (all rows in that range, in order) digested as
    ``digest = SM3(prev_digest ‖ SM3(row₁) ‖ … ‖ SM3(rowₙ))`` and signed with the audit
    trail's SM2 key; ``audit_seq`` is the audit record that carries the seal into the audit
    chain (and so under its anchors)."""

    seq = SeqField(_("序号"), primary_key=True)
    first_seq = models.BigIntegerField(_("起始日志序号"))
    last_seq = models.BigIntegerField(_("截止日志序号"), unique=True)
    row_count = models.PositiveIntegerField(_("日志条数"))
    prev_digest = models.CharField(_("前一封存摘要"), max_length=64)
    digest = models.CharField(_("封存摘要"), max_length=64)
    sealed_at = models.DateTimeField(_("封存时间"), default=timezone.now)
    key_id = models.CharField(_("签名密钥标识"), max_length=16)
    signature = models.TextField(_("SM2 签名"), help_text=_("DER 编码，十六进制"))
    audit_seq = models.BigIntegerField(_("审计记录序号"), null=True, blank=True)

    class Meta:
        verbose_name = _("交换日志封存")
        verbose_name_plural = _("交换日志封存")
        ordering = ["seq"]


class QuotaWindow(models.TextChoices):
    MINUTE = "minute", _("每分钟")
    DAY = "day", _("每日")


class QuotaCounter(models.Model):
    """Calls counted against a grant in one window (the minute or the day it starts);
    incremented with a conditional UPDATE so that concurrent gateway processes never let a
    call past the limit."""

    grant_id = models.BigIntegerField(_("授权"))
    window = models.CharField(_("窗口"), max_length=6, choices=QuotaWindow.choices)
    window_start = models.DateTimeField(_("窗口开始"))
    used = models.PositiveIntegerField(_("已用次数"), default=0)

    class Meta:
        verbose_name = _("配额计数")
        verbose_name_plural = _("配额计数")
        constraints = [
            models.UniqueConstraint(
                fields=["grant_id", "window", "window_start"], name="quota_grant_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.grant_id} {self.window} {self.window_start:%Y-%m-%d %H:%M}"
