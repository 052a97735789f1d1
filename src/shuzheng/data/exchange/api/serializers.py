"""Serializers of the exchange API: output shapes, and input forms that only parse — the
rules live in ``exchange.services``."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from shuzheng.data.exchange.models import ServiceKind


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EntryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class DataServiceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    version = serializers.CharField()
    name = serializers.CharField()
    provider = RefSerializer()
    entry = EntryRefSerializer()
    kind = serializers.CharField()
    remote_url = serializers.CharField()
    remote_timeout = serializers.FloatField()
    has_remote_token = serializers.SerializerMethodField(
        help_text=_("接口凭证已设置（不返回凭证本身）")
    )
    description = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    revision = serializers.IntegerField()
    gateway_path = serializers.SerializerMethodField(help_text=_("网关地址（不含主机）"))

    def get_has_remote_token(self, obj) -> bool:
        return bool(obj.remote_token)

    def get_gateway_path(self, obj) -> str:
        return f"/gateway/v1/services/{obj.code}/{obj.version}/records"


class DataServiceCreateSerializer(serializers.Serializer):
    entry = serializers.IntegerField(help_text=_("目录条目 id"))
    code = serializers.CharField(max_length=80)
    version = serializers.CharField(max_length=10, required=False, default="v1")
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=ServiceKind.choices)
    remote_url = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    remote_token = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", write_only=True
    )
    remote_timeout = serializers.FloatField(required=False, default=5.0)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class DataServiceUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    remote_url = serializers.CharField(max_length=200, required=False, allow_blank=True)
    remote_token = serializers.CharField(
        max_length=500, required=False, allow_blank=True, write_only=True
    )
    remote_timeout = serializers.FloatField(required=False)
    revision = serializers.IntegerField(required=False, help_text=_("或用 If-Match 头"))


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField(max_length=10)
    revision = serializers.IntegerField(required=False, help_text=_("或用 If-Match 头"))


class RevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False, help_text=_("或用 If-Match 头"))


class ClientAppSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organisation = RefSerializer()
    name = serializers.CharField()
    system_code = serializers.CharField()
    key_id = serializers.CharField()
    status = serializers.CharField()
    allowed_ips = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    rotated_at = serializers.DateTimeField(allow_null=True)
    revision = serializers.IntegerField()


class ClientCreatedSerializer(ClientAppSerializer):
    secret = serializers.CharField(help_text=_("应用密钥，只在此处返回一次"))
    authorization = serializers.CharField(help_text=_("调用网关时的 Authorization 头"))


class ClientCreateSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(
        required=False, help_text=_("使用部门 id（默认：本人所在部门）")
    )
    name = serializers.CharField(max_length=120)
    system_code = serializers.CharField(max_length=60)
    allowed_ips = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list
    )


class ClientUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    allowed_ips = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    revision = serializers.IntegerField(required=False, help_text=_("或用 If-Match 头"))


class SecretSerializer(serializers.Serializer):
    key_id = serializers.CharField()
    secret = serializers.CharField(help_text=_("新密钥，只在此处返回一次"))
    authorization = serializers.CharField()
    revision = serializers.IntegerField()


class ExchangeLogSerializer(serializers.Serializer):
    seq = serializers.IntegerField()
    time = serializers.DateTimeField()
    message_id = serializers.CharField()
    client_id = serializers.IntegerField(allow_null=True)
    consumer_id = serializers.IntegerField(allow_null=True)
    service_id = serializers.IntegerField(allow_null=True)
    service_code = serializers.CharField()
    provider_id = serializers.IntegerField(allow_null=True)
    grant_id = serializers.IntegerField(allow_null=True)
    end_user_hash = serializers.CharField()
    purpose = serializers.CharField()
    case_number = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())
    outcome = serializers.CharField()
    reason = serializers.CharField()
    status_code = serializers.IntegerField()
    record_count = serializers.IntegerField()
    request_hash = serializers.CharField()
    response_hash = serializers.CharField()
    latency_ms = serializers.FloatField()
