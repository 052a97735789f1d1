"""Quality rules under /api/v1/data/quality/:

GET    entries/{entry}/rules/      the entry's rules
POST   entries/{entry}/rules/      新增规则 (Idempotency-Key); bad params → 400 with
                                   ``params.pattern`` / ``params.min`` … field errors
GET    rules/{id}/                 one rule (ETag = revision)
PATCH  rules/{id}/                 change it (also ``enabled``); revision from If-Match or
                                   body, stale → 409
DELETE rules/{id}/                 remove it with its issues (revision required)
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.data.quality import selectors, services
from shuzheng.data.quality.api import serializers as s
from shuzheng.data.quality.api.common import TAG, etag, if_match
from shuzheng.foundation.api.idempotency import idempotent

IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="规则的修订号"
)


def _rule_response(rule, code=status.HTTP_200_OK, headers=None) -> Response:
    return Response(
        s.QualityRuleSerializer(rule).data,
        status=code,
        headers={"ETag": etag(rule), **(headers or {})},
    )


class EntryRules(APIView):
    """一个目录的质量规则."""

    @extend_schema(
        tags=TAG,
        operation_id="dataquality_rules_list",
        responses=s.QualityRuleSerializer(many=True),
    )
    def get(self, request, entry: int):
        found = selectors.entry(request.user, entry)
        return Response(
            s.QualityRuleSerializer(selectors.rules(request.user, found), many=True).data
        )

    @extend_schema(
        tags=TAG,
        operation_id="dataquality_rules_create",
        request=s.QualityRuleWriteSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="重试时使用同一幂等键，不会重复创建",
            )
        ],
        responses={
            201: s.QualityRuleSerializer,
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="无权维护该目录的质量规则"),
            404: OpenApiResponse(description="目录不存在或不在权限范围内"),
        },
    )
    @idempotent
    def post(self, request, entry: int):
        found = selectors.entry(request.user, entry)
        form = s.QualityRuleWriteSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        rule = services.create_rule(request.user, entry=found, **form.validated_data)
        location = request.build_absolute_uri(f"/api/v1/data/quality/rules/{rule.pk}/")
        return _rule_response(rule, status.HTTP_201_CREATED, {"Location": location})


class RuleDetail(APIView):
    """一条质量规则: read, change (PATCH, optimistic lock), delete."""

    @extend_schema(
        tags=TAG, operation_id="dataquality_rule_detail", responses=s.QualityRuleSerializer
    )
    def get(self, request, pk: int):
        return _rule_response(selectors.rule(request.user, pk))

    @extend_schema(
        tags=TAG,
        operation_id="dataquality_rule_update",
        request=s.QualityRuleUpdateSerializer,
        parameters=[IF_MATCH],
        responses={
            200: s.QualityRuleSerializer,
            400: OpenApiResponse(description="字段错误"),
            409: OpenApiResponse(description="规则已被他人修改"),
        },
    )
    def patch(self, request, pk: int):
        rule = selectors.rule(request.user, pk)
        form = s.QualityRuleUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = if_match(request)
        body_revision = data.pop("revision", None)
        revision = body_revision if revision is None else revision
        if set(data) == {"enabled"}:
            rule = services.set_rule_enabled(
                request.user, rule, enabled=data["enabled"], revision=revision
            )
        else:
            rule = services.update_rule(request.user, rule, revision=revision, **data)
        return _rule_response(rule)

    @extend_schema(
        tags=TAG,
        operation_id="dataquality_rule_delete",
        request=s.QualityRevisionSerializer,
        parameters=[IF_MATCH],
        responses={204: None, 409: OpenApiResponse(description="规则已被他人修改")},
    )
    def delete(self, request, pk: int):
        rule = selectors.rule(request.user, pk)
        revision = if_match(request)
        if revision is None:
            form = s.QualityRevisionSerializer(data=request.data or {})
            form.is_valid(raise_exception=True)
            revision = form.validated_data.get("revision")
        services.delete_rule(request.user, rule, revision=revision)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns = [
    path("entries/<int:entry>/rules/", EntryRules.as_view(), name="dataquality-rules"),
    path("rules/<int:pk>/", RuleDetail.as_view(), name="dataquality-rule"),
]
