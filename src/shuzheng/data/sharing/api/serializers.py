"""Serializers of the sharing API: input forms (shape only — the rules live in
``services``) and the read models of requests and grants."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shuzheng.data.catalog import masking, snapshot
from shuzheng.data.sharing import selectors
from shuzheng.data.sharing.models import Grant, RequestKind, SharingRequest
from shuzheng.foundation.workflow.models import TransitionRecord


class SharingRequestCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=RequestKind.choices,
        default=RequestKind.SHARE,
        help_text=gettext_lazy(
            "share 共享申请；coordination 申请协调（不予共享数据，须填 reason）"
        ),
    )
    entry = serializers.CharField(help_text=gettext_lazy("信息资源代码，如 1/000001"))
    fields = serializers.ListField(
        child=serializers.CharField(), allow_empty=True, help_text=gettext_lazy("信息项标识")
    )
    clear_fields = serializers.ListField(
        child=serializers.CharField(), required=False, default=list
    )
    purpose = serializers.CharField(allow_blank=True, required=False, default="")
    legal_basis = serializers.CharField(allow_blank=True, required=False, default="")
    scenario = serializers.CharField(allow_blank=True, required=False, default="")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    quota_per_minute = serializers.IntegerField(required=False, default=60)
    quota_per_day = serializers.IntegerField(required=False, default=10000)
    contact_phone = serializers.CharField(allow_blank=True, required=False, default="")
    reason = serializers.CharField(allow_blank=True, required=False, default="")
    submit = serializers.BooleanField(required=False, default=True)


class SharingRequestUpdateSerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, min_value=0)
    fields = serializers.ListField(child=serializers.CharField(), required=False)
    clear_fields = serializers.ListField(child=serializers.CharField(), required=False)
    purpose = serializers.CharField(allow_blank=True, required=False)
    legal_basis = serializers.CharField(allow_blank=True, required=False)
    scenario = serializers.CharField(allow_blank=True, required=False)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    quota_per_minute = serializers.IntegerField(required=False)
    quota_per_day = serializers.IntegerField(required=False)
    contact_phone = serializers.CharField(allow_blank=True, required=False)


class SharingActSerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=gettext_lazy("读取时的修订号（也可用 If-Match 请求头）；已变化则返回 409"),
    )
    opinion = serializers.CharField(allow_blank=True, required=False, default="")
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class SharingRevokeSerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, min_value=0)
    reason = serializers.CharField(allow_blank=True, required=False, default="")


class SharingHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = TransitionRecord
        fields = [
            "seq",
            "action",
            "from_state",
            "to_state",
            "actor_name",
            "opinion",
            "reason",
            "at",
        ]
        read_only_fields = fields


class SharingRequestSummarySerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    entry_code = serializers.CharField(source="entry.code", read_only=True)
    entry_name = serializers.CharField(source="entry.name", read_only=True)
    requester_name = serializers.CharField(source="requester.name", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    is_overdue = serializers.SerializerMethodField()
    is_approaching = serializers.SerializerMethodField()

    class Meta:
        model = SharingRequest
        fields = [
            "number",
            "kind",
            "kind_label",
            "entry_code",
            "entry_name",
            "requester",
            "requester_name",
            "provider",
            "provider_name",
            "share_type",
            "state",
            "state_label",
            "due_at",
            "sla_state",
            "is_overdue",
            "is_approaching",
            "created_at",
            "revision",
        ]
        read_only_fields = fields

    def _flags(self, request) -> dict:
        return selectors.deadline_flags(request, self.context.get("now") or timezone.now())

    def get_is_overdue(self, request) -> bool:
        return self._flags(request)["overdue"]

    def get_is_approaching(self, request) -> bool:
        return self._flags(request)["approaching"]


class SharingRequestDetailSerializer(SharingRequestSummarySerializer):
    applicant_name = serializers.SerializerMethodField()
    delivery = serializers.SerializerMethodField(
        help_text=gettext_lazy("每个信息项的提供方式：clear 明文 / masked 脱敏 / withheld 不提供")
    )
    history = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    grant = serializers.SerializerMethodField()

    class Meta(SharingRequestSummarySerializer.Meta):
        fields = [
            *SharingRequestSummarySerializer.Meta.fields,
            "entry_version",
            "applicant_name",
            "contact_phone",
            "fields",
            "clear_fields",
            "delivery",
            "purpose",
            "legal_basis",
            "scenario",
            "period_start",
            "period_end",
            "quota_per_minute",
            "quota_per_day",
            "decision_reason",
            "dispute_reason",
            "coordination_opinion",
            "updated_at",
            "history",
            "actions",
            "grant",
        ]
        read_only_fields = fields

    def get_applicant_name(self, request) -> str:
        return str(request.applicant)

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_delivery(self, request) -> dict:
        return masking.plan(snapshot.items_of(request.entry), request.fields, request.clear_fields)

    @extend_schema_field(SharingHistorySerializer(many=True))
    def get_history(self, request) -> list:
        return SharingHistorySerializer(selectors.history(request), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_actions(self, request) -> list:
        return self.context.get("actions", [])

    def get_grant(self, request) -> str | None:
        try:
            return request.grant.number
        except Grant.DoesNotExist:
            return None


class SharingGrantSerializer(serializers.ModelSerializer):
    request = serializers.CharField(source="request.number", read_only=True, default=None)
    entry_code = serializers.CharField(source="entry.code", read_only=True)
    entry_name = serializers.CharField(source="entry.name", read_only=True)
    consumer_name = serializers.CharField(source="consumer.name", read_only=True)
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    state = serializers.SerializerMethodField(
        help_text=gettext_lazy("active 有效 / pending 未生效 / expired 已到期 / revoked 已撤销")
    )
    delivery = serializers.SerializerMethodField()

    class Meta:
        model = Grant
        fields = [
            "number",
            "request",
            "entry_code",
            "entry_name",
            "consumer",
            "consumer_name",
            "provider",
            "provider_name",
            "fields",
            "clear_fields",
            "delivery",
            "purpose",
            "valid_from",
            "valid_until",
            "quota_per_minute",
            "quota_per_day",
            "status",
            "state",
            "granted_at",
            "revoked_at",
            "revoke_reason",
            "revision",
        ]
        read_only_fields = fields

    def get_state(self, grant) -> str:
        return selectors.grant_state(grant, self.context.get("now"))

    @extend_schema_field(serializers.DictField(child=serializers.CharField()))
    def get_delivery(self, grant) -> dict:
        return masking.plan(snapshot.items_of(grant.entry), grant.fields, grant.clear_fields)
