"""The tamper-evident audit trail (安全审计, 等保 2.0 level 3): hash-chained records, SM2-signed
anchors over the chain head, and the points up to which old records were purged.

All three tables are append-only. The model refuses ``save()`` of an existing row and
``delete()``, their querysets refuse ``update()`` / ``delete()``; on PostgreSQL a trigger
refuses UPDATE and DELETE as well (migration 0002), except the one DELETE that
:func:`shuzheng.foundation.trust.audit.purge` makes. What the layers cannot stop (someone
with the database file or superuser rights) the chain makes visible: ``audit.verify()``.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AppendOnlyViolation(RuntimeError):
    """An attempt to change or remove a row of an append-only audit table."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are append-only: update refused")

    def delete(self):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are append-only: delete refused")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are append-only: update refused")

    def update_or_create(self, *args, **kwargs):
        raise AppendOnlyViolation(f"{self.model.__name__} rows are append-only: update refused")


class AppendOnlyModel(models.Model):
    """Rows are written once (always as an INSERT) and never changed or deleted here."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyViolation(f"{type(self).__name__} rows are append-only: save refused")
        kwargs["force_insert"] = True  # never the UPDATE-then-INSERT probe of a set pk
        kwargs.pop("force_update", None)
        kwargs.pop("update_fields", None)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation(f"{type(self).__name__} rows are append-only: delete refused")


class SeqField(models.BigIntegerField):
    """A 64-bit sequence number declared ``integer`` on SQLite, so that as the primary key
    it is the table's rowid (one B-tree, the head is one lookup) — as a plain autoincrement
    table would be."""

    def db_type(self, connection):
        if connection.vendor == "sqlite":
            return "integer"
        return super().db_type(connection)


class Channel(models.TextChoices):
    WEB = "web", _("网页")
    API = "api", _("接口")
    CLI = "cli", _("命令行")
    SYSTEM = "system", _("系统")


class Result(models.TextChoices):
    SUCCESS = "success", _("成功")
    DENIED = "denied", _("拒绝")
    ERROR = "error", _("出错")


class AuditRecord(AppendOnlyModel):
    """审计记录: who did what to which object, from where, with what result.

    ``hash`` = SM3 over the canonical serialisation of every other column (``seq`` and
    ``prev_hash`` included), so each record seals its own content and its predecessor's
    hash; see ``audit.record_message``. ``details`` holds codes and digests, never raw
    personal data.
    """

    seq = SeqField(_("序号"), primary_key=True)
    time = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人账号"),
        null=True,
        blank=True,
        # The record must outlive the account unchanged: no cascade, no SET NULL (both would
        # rewrite history) and no database constraint (deleting an account stays possible;
        # the username snapshot keeps the record readable).
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    actor_username = models.CharField(_("操作人登录名"), max_length=150, blank=True, db_index=True)
    actor_org_id = models.BigIntegerField(_("操作人所属机构"), null=True, blank=True)
    actor_roles = models.CharField(
        _("操作人角色"), max_length=255, blank=True, help_text=_("记录时有效的角色代码，逗号分隔")
    )
    client_ip = models.CharField(_("来源地址"), max_length=45, blank=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    user_agent = models.CharField(_("客户端"), max_length=255, blank=True)
    action = models.CharField(_("操作"), max_length=100, help_text=_("如 identity.person.register"))
    object_type = models.CharField(_("对象类型"), max_length=100, blank=True)
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    result = models.CharField(_("结果"), max_length=10, choices=Result.choices)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    prev_hash = models.CharField(_("前一记录哈希"), max_length=64)
    hash = models.CharField(_("记录哈希"), max_length=64)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-seq"]
        indexes = [
            # varchar_pattern_ops (PostgreSQL only; ignored elsewhere) serves the "action
            # starts with" filter in any database locale.
            models.Index(
                fields=["action"], name="trust_audit_action_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["object_type", "object_id"], name="trust_audit_object_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.result}"

    @property
    def target(self) -> str:
        return f"{self.object_type}:{self.object_id}" if self.object_id else self.object_type

    @property
    def roles(self) -> list[str]:
        return [r for r in self.actor_roles.split(",") if r]


class AuditAnchor(AppendOnlyModel):
    """审计锚点: an SM2 signature over the chain head, so that a whole period can be proven.

    Anchors are contiguous: each covers ``first_seq..head_seq`` right after the previous one.
    The signature is over ``audit.anchor_message(...)``; ``key_id`` names the SM2 key.
    """

    first_seq = models.BigIntegerField(_("起始序号"))
    head_seq = models.BigIntegerField(_("链头序号"), unique=True)
    head_hash = models.CharField(_("链头哈希"), max_length=64)
    signed_at = models.DateTimeField(_("签名时间"), default=timezone.now)
    key_id = models.CharField(_("签名密钥标识"), max_length=16)
    signature = models.TextField(_("SM2 签名"), help_text=_("DER 编码，十六进制"))

    class Meta:
        verbose_name = _("审计锚点")
        verbose_name_plural = _("审计锚点")
        ordering = ["-head_seq"]

    def __str__(self) -> str:
        return f"{self.first_seq}..{self.head_seq} @ {self.signed_at:%Y-%m-%d %H:%M}"


class AuditPurge(AppendOnlyModel):
    """清理点: records up to ``last_seq`` (an anchor head) were removed after their retention
    period; the chain is verified from ``last_seq + 1`` with ``last_hash`` as predecessor."""

    purged_at = models.DateTimeField(_("清理时间"), default=timezone.now)
    before = models.DateTimeField(_("清理截止时间"))
    anchor = models.ForeignKey(
        AuditAnchor, verbose_name=_("清理至锚点"), on_delete=models.PROTECT, related_name="+"
    )
    last_seq = models.BigIntegerField(_("最后清理序号"), unique=True)
    last_hash = models.CharField(_("最后清理记录哈希"), max_length=64)
    record_count = models.BigIntegerField(_("清理条数"))
    record_seq = models.BigIntegerField(_("清理审计记录序号"))

    class Meta:
        verbose_name = _("审计清理点")
        verbose_name_plural = _("审计清理点")
        ordering = ["-last_seq"]

    def __str__(self) -> str:
        return f"≤ {self.last_seq} @ {self.purged_at:%Y-%m-%d}"
