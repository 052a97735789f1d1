"""数据质量 — rules per 信息项, scheduled checks, scorecards per dataset and department,
and the problems sent back to the owning department (shared/domain/data.md).

Checks run over the platform store (``datacatalog.DatasetRecord``). A problem names the
record (its store id) and the rule, never the offending value in clear: the value may be an
ID number.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RuleKind(models.TextChoices):
    REQUIRED = "required", _("非空")
    PATTERN = "pattern", _("格式（正则表达式）")
    VALUE_SET = "value_set", _("值域（枚举）")
    RANGE = "range", _("取值范围")
    UNIQUE = "unique", _("唯一")
    REFERENCE = "reference", _("关联一致（参照其他目录信息项）")
    TIMELINESS = "timeliness", _("及时性")
    ID_NUMBER = "id_number", _("证件号码校验")


class Severity(models.TextChoices):
    ERROR = "error", _("错误")
    WARNING = "warning", _("警告")


class QualityRule(models.Model):
    """``params`` by kind: pattern {"pattern"}; value_set {"values": [...]}; range
    {"min", "max"} (numbers or ISO dates); reference {"entry": code, "item": code};
    timeliness {"max_age_days"} (default: the entry's 更新周期) on a date item, or on the
    entry's last data update when ``item_code`` is blank."""

    entry = models.ForeignKey(
        "datacatalog.CatalogueEntry",
        verbose_name=_("目录条目"),
        on_delete=models.CASCADE,
        related_name="quality_rules",
    )
    item_code = models.CharField(_("信息项标识"), max_length=60, blank=True)
    kind = models.CharField(_("规则类型"), max_length=12, choices=RuleKind.choices)
    params = models.JSONField(_("规则参数"), default=dict, blank=True)
    severity = models.CharField(
        _("严重程度"), max_length=8, choices=Severity.choices, default=Severity.ERROR
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)
    enabled = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    revision = models.PositiveIntegerField(_("修订号"), default=0)

    class Meta:
        verbose_name = _("质量规则")
        verbose_name_plural = _("质量规则")
        ordering = ["entry", "item_code", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.item_code}"


class QualityRun(models.Model):
    entry = models.ForeignKey(
        "datacatalog.CatalogueEntry",
        verbose_name=_("目录条目"),
        on_delete=models.CASCADE,
        related_name="quality_runs",
    )
    started_at = models.DateTimeField(_("开始时间"), default=timezone.now)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    records_checked = models.PositiveIntegerField(_("检查记录数"), default=0)
    checks = models.PositiveIntegerField(_("检查项次"), default=0)
    failures = models.PositiveIntegerField(_("不合格项次"), default=0)
    score = models.DecimalField(_("质量得分"), max_digits=5, decimal_places=2, null=True)
    by_rule = models.JSONField(
        _("分规则结果"), default=list, blank=True, help_text=_("[{rule, checks, failures}]")
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发起人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("为空表示定时检查"),
    )

    class Meta:
        verbose_name = _("质量检查")
        verbose_name_plural = _("质量检查")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["entry", "-started_at"], name="qrun_entry_started")]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.started_at:%Y-%m-%d %H:%M}"


class IssueStatus(models.TextChoices):
    OPEN = "open", _("待整改")
    FIXED = "fixed", _("已整改")
    DISMISSED = "dismissed", _("不属问题")


class QualityIssue(models.Model):
    """A problem found by a run, sent back to the owner (the entry's provider)."""

    run = models.ForeignKey(
        QualityRun, verbose_name=_("质量检查"), on_delete=models.CASCADE, related_name="issues"
    )
    entry = models.ForeignKey(
        "datacatalog.CatalogueEntry",
        verbose_name=_("目录条目"),
        on_delete=models.CASCADE,
        related_name="quality_issues",
    )
    owner = models.ForeignKey(
        "identity.Organisation",
        verbose_name=_("责任部门"),
        on_delete=models.PROTECT,
        related_name="quality_issues",
    )
    rule = models.ForeignKey(
        QualityRule, verbose_name=_("质量规则"), on_delete=models.CASCADE, related_name="issues"
    )
    record_id = models.BigIntegerField(_("记录"), null=True, blank=True)
    item_code = models.CharField(_("信息项标识"), max_length=60, blank=True)
    message = models.CharField(_("问题描述"), max_length=300)
    status = models.CharField(
        _("状态"), max_length=10, choices=IssueStatus.choices, default=IssueStatus.OPEN
    )
    created_at = models.DateTimeField(_("发现时间"), default=timezone.now)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolution = models.TextField(_("处理说明"), blank=True)

    class Meta:
        verbose_name = _("质量问题")
        verbose_name_plural = _("质量问题")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["owner", "status"], name="qissue_owner_status")]

    def __str__(self) -> str:
        return self.message
