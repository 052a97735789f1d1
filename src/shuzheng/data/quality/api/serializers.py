"""Serializers of the data-quality API. Issues carry the record's store id and a message
that never quotes the value; rules their revision (also the ETag) for optimistic locking."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from shuzheng.data.quality.models import (
    IssueStatus,
    QualityIssue,
    QualityRule,
    QualityRun,
    RuleKind,
    Severity,
)

# how an open issue may be closed (ENUM_NAME_OVERRIDES can name it QualityResolveStatusEnum)
RESOLVE_STATUSES = [(IssueStatus.FIXED, _("已整改")), (IssueStatus.DISMISSED, _("不属问题"))]


class QualityEntryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    provider = serializers.IntegerField(source="provider_id")
    provider_name = serializers.CharField(source="provider.name")


# --------------------------------------------------------------------------- rules


class QualityRuleSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    severity_label = serializers.CharField(source="get_severity_display", read_only=True)
    entry_code = serializers.CharField(source="entry.code", read_only=True)

    class Meta:
        model = QualityRule
        fields = [
            "id",
            "entry",
            "entry_code",
            "item_code",
            "kind",
            "kind_label",
            "params",
            "severity",
            "severity_label",
            "description",
            "enabled",
            "created_at",
            "revision",
        ]
        read_only_fields = fields


class QualityRuleWriteSerializer(serializers.Serializer):
    """The body of a new rule; the service checks ``item_code`` and ``params`` against the
    entry (field errors ``item_code``, ``params.pattern``, ``params.min`` …)."""

    kind = serializers.ChoiceField(choices=RuleKind.choices)
    item_code = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=60,
        help_text=_("信息项标识；及时性规则留空表示检查整个目录的数据更新时间"),
    )
    params = serializers.JSONField(
        required=False,
        default=dict,
        help_text=_(
            "pattern {pattern}; value_set {values: [...]}; range {min, max}（数值或 ISO 日期）；"
            "reference {entry: 信息资源代码, item: 信息项}; timeliness {max_age_days}"
        ),
    )
    severity = serializers.ChoiceField(choices=Severity.choices, default=Severity.ERROR)
    description = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200
    )
    enabled = serializers.BooleanField(required=False, default=True)


class QualityRuleUpdateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=RuleKind.choices, required=False)
    item_code = serializers.CharField(required=False, allow_blank=True, max_length=60)
    params = serializers.JSONField(required=False)
    severity = serializers.ChoiceField(choices=Severity.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    enabled = serializers.BooleanField(required=False)
    revision = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=_("读取时的修订号（也可用 If-Match 请求头）；已变化则返回 409"),
    )


class QualityRevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, min_value=0)


# --------------------------------------------------------------------------- runs


class QualityRuleResultSerializer(serializers.Serializer):
    rule = serializers.IntegerField()
    kind = serializers.CharField()
    item_code = serializers.CharField(allow_blank=True)
    item_name = serializers.CharField(allow_blank=True, required=False)
    severity = serializers.CharField()
    checks = serializers.IntegerField()
    failures = serializers.IntegerField()
    note = serializers.CharField(
        allow_blank=True,
        required=False,
        help_text=_(
            "未能检查的原因：item_missing（信息项已删除）、reference_unavailable"
            "（参照目录已下线或不再有共享授权）"
        ),
    )
    new = serializers.IntegerField(help_text=_("本次新发现的问题数"))
    open = serializers.IntegerField(help_text=_("本次检查后待整改的问题数"))
    fixed = serializers.IntegerField(help_text=_("本次复查通过而关闭的问题数"))
    capped = serializers.BooleanField(help_text=_("为真时问题数超过上限，只记录了一部分"))
    not_stored = serializers.IntegerField(help_text=_("超过上限未记录的不合格记录数"))


class QualityRunSerializer(serializers.ModelSerializer):
    entry = QualityEntryRefSerializer(read_only=True)
    triggered_by_name = serializers.SerializerMethodField()
    scheduled = serializers.SerializerMethodField()
    by_rule = QualityRuleResultSerializer(many=True, read_only=True)

    class Meta:
        model = QualityRun
        fields = [
            "id",
            "entry",
            "started_at",
            "finished_at",
            "records_checked",
            "checks",
            "failures",
            "score",
            "by_rule",
            "scheduled",
            "triggered_by_name",
        ]
        read_only_fields = fields

    def get_triggered_by_name(self, run) -> str:
        user = run.triggered_by
        return (getattr(user, "display_name", "") or getattr(user, "username", "")) if user else ""

    def get_scheduled(self, run) -> bool:
        return run.triggered_by_id is None


class QualityRunSummarySerializer(QualityRunSerializer):
    class Meta(QualityRunSerializer.Meta):
        fields = [f for f in QualityRunSerializer.Meta.fields if f != "by_rule"]
        read_only_fields = fields


# --------------------------------------------------------------------------- issues


class QualityIssueSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    entry_code = serializers.CharField(source="entry.code", read_only=True)
    entry_name = serializers.CharField(source="entry.name", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True)
    rule_kind = serializers.CharField(source="rule.kind", read_only=True)
    severity = serializers.CharField(source="rule.severity", read_only=True)

    class Meta:
        model = QualityIssue
        fields = [
            "id",
            "entry",
            "entry_code",
            "entry_name",
            "owner",
            "owner_name",
            "rule",
            "rule_kind",
            "severity",
            "run",
            "record_id",
            "item_code",
            "message",
            "status",
            "status_label",
            "created_at",
            "resolved_at",
            "resolution",
        ]
        read_only_fields = fields


class QualityResolveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=RESOLVE_STATUSES)
    resolution = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_("整改说明；不属问题时必填理由"),
    )


# --------------------------------------------------------------------------- scorecards


class QualityTrendPointSerializer(serializers.Serializer):
    run = serializers.IntegerField()
    at = serializers.DateTimeField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class QualityDatasetCardSerializer(serializers.Serializer):
    """A row of the dataset list: the latest score and open issues."""

    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()
    provider = serializers.IntegerField(source="provider_id")
    provider_name = serializers.CharField(source="provider.name")
    update_cycle = serializers.CharField()
    latest_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    latest_at = serializers.DateTimeField(allow_null=True)
    latest_run = serializers.IntegerField(allow_null=True)
    open_issues = serializers.SerializerMethodField()
    has_rules = serializers.BooleanField()

    def get_open_issues(self, row) -> int:
        return row.open_issues or 0


class QualityByRuleCardSerializer(QualityRuleResultSerializer):
    description = serializers.CharField(allow_blank=True)
    rate = serializers.DecimalField(
        max_digits=6, decimal_places=2, allow_null=True, help_text=_("不合格率（%）")
    )


class QualityDatasetScorecardSerializer(serializers.Serializer):
    entry = QualityEntryRefSerializer()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    latest = QualityRunSummarySerializer(allow_null=True)
    trend = QualityTrendPointSerializer(many=True)
    by_rule = QualityByRuleCardSerializer(many=True)
    open_issues = serializers.IntegerField()
    rules = serializers.IntegerField()


class QualityOrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()


class QualityWorstSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    code = serializers.CharField()
    name = serializers.CharField()
    latest_score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)


class QualityDepartmentCardSerializer(serializers.Serializer):
    rank = serializers.IntegerField(allow_null=True, required=False)
    organisation = QualityOrganisationRefSerializer()
    average = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text=_("各数据集最近一次质量得分的平均值"),
    )
    datasets = serializers.IntegerField()
    checked = serializers.IntegerField()
    open_issues = serializers.IntegerField()
    worst = QualityWorstSerializer(many=True)


class QualityDepartmentScorecardSerializer(QualityDepartmentCardSerializer):
    rows = QualityDatasetCardSerializer(many=True)
