"""Versioned workflow definitions, running instances, and their append-only history."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WorkflowDefinition(models.Model):
    """One version of a process. Versions never change once stored: an edit is a new
    version, and every running instance keeps the version it started with."""

    code = models.CharField(_("流程代码"), max_length=80)
    version = models.PositiveIntegerField(_("版本"))
    name = models.CharField(_("流程名称"), max_length=120)
    spec = models.JSONField(_("定义"))
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("流程定义")
        verbose_name_plural = _("流程定义")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="workflow_code_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code} v{self.version})"


class SlaState(models.TextChoices):
    NONE = "", _("未计时")
    RUNNING = "running", _("计时中")
    PAUSED = "paused", _("已暂停")
    STOPPED = "stopped", _("已停止")


class WorkflowInstance(models.Model):
    """A subject (办件, 工单, 公文 …) moving through one definition version.

    ``revision`` is the optimistic lock: a transition updates the row only where the
    revision is still the one it read, so of two concurrent transitions one wins."""

    definition = models.ForeignKey(
        WorkflowDefinition,
        verbose_name=_("流程定义"),
        on_delete=models.PROTECT,
        related_name="instances",
    )
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.CharField(_("业务对象"), max_length=64)
    subject = GenericForeignKey("subject_type", "subject_id")
    state = models.CharField(_("当前状态"), max_length=60)
    revision = models.PositiveIntegerField(_("修订号"), default=0)
    clock = models.JSONField(_("时限计时"), default=dict, blank=True)
    sla_state = models.CharField(
        _("计时状态"), max_length=10, choices=SlaState.choices, default=SlaState.NONE, blank=True
    )
    due_at = models.DateTimeField(_("办结期限"), null=True, blank=True)
    approaching_sent_at = models.DateTimeField(_("临期提醒时间"), null=True, blank=True)
    overdue_sent_at = models.DateTimeField(_("超期提醒时间"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("流程实例")
        verbose_name_plural = _("流程实例")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"], name="workflow_one_instance_per_subject"
            ),
        ]
        indexes = [models.Index(fields=["sla_state", "due_at"], name="workflow_sla_due")]

    def __str__(self) -> str:
        return f"{self.definition.code}:{self.subject_id} @ {self.state}"


class TransitionRecord(models.Model):
    """流转记录: who did what, from which state to which, with what opinion, and when.
    Append-only: rows are written once by the engine and never changed."""

    instance = models.ForeignKey(
        WorkflowInstance,
        verbose_name=_("流程实例"),
        on_delete=models.CASCADE,
        related_name="history",
    )
    seq = models.PositiveIntegerField(_("序号"))
    action = models.CharField(_("操作"), max_length=60)
    from_state = models.CharField(_("原状态"), max_length=60, blank=True)
    to_state = models.CharField(_("新状态"), max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150)
    opinion = models.TextField(_("意见"), blank=True)
    reason = models.TextField(_("理由"), blank=True)
    attachments = models.JSONField(_("附件"), default=list, blank=True)
    data = models.JSONField(_("附加数据"), default=dict, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("流转记录")
        verbose_name_plural = _("流转记录")
        ordering = ["instance", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "seq"], name="workflow_history_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state} → {self.to_state}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RuntimeError("transition records are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("transition records are append-only")
