"""Checks and problems under /api/v1/data/quality/:

POST entries/{entry}/runs/          发起质量检查 now (Idempotency-Key) → 201 the run
GET  runs/?entry=&after=&limit=     runs, newest first (keyset)
GET  runs/{id}/                     one run with its per-rule results
GET  issues/?entry=&status=&rule=&run=&after=&limit=
                                    problems (open by default; ``status=all`` for every one)
POST issues/{id}/resolve/           已整改 / 不属问题 {status, resolution}; closed meanwhile → 409
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.data.quality import selectors, services
from shuzheng.data.quality.api import serializers as s
from shuzheng.data.quality.api.common import TAG, int_param, limit_param, next_url
from shuzheng.data.quality.models import IssueStatus
from shuzheng.foundation.api.idempotency import idempotent


class EntryRuns(APIView):
    """发起质量检查 of one entry (its enabled rules over the platform store)."""

    @extend_schema(
        tags=TAG,
        operation_id="dataquality_run_create",
        request=None,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="重试时使用同一幂等键，不会重复检查",
            )
        ],
        responses={
            201: s.QualityRunSerializer,
            400: OpenApiResponse(description="没有启用的质量规则"),
            403: OpenApiResponse(description="无权发起检查"),
            404: OpenApiResponse(description="目录不存在或不在权限范围内"),
        },
    )
    @idempotent
    def post(self, request, entry: int):
        found = selectors.entry(request.user, entry)
        run = services.run_check(request.user, found)
        run = selectors.run(request.user, run.pk)
        location = request.build_absolute_uri(f"/api/v1/data/quality/runs/{run.pk}/")
        return Response(
            s.QualityRunSerializer(run).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )


class Runs(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="dataquality_runs_list",
        parameters=[
            OpenApiParameter("entry", OpenApiTypes.INT, description="目录 id"),
            OpenApiParameter("after", OpenApiTypes.INT, description="上一页最后一次检查的 id"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1–200，默认 50"),
        ],
        responses=s.QualityRunSummarySerializer(many=True),
    )
    def get(self, request):
        params = request.query_params
        entry_pk = int_param(params, "entry")
        entry = selectors.entry(request.user, entry_pk) if entry_pk is not None else None
        limit = limit_param(params)
        rows = selectors.runs(
            request.user, entry=entry, after=int_param(params, "after"), limit=limit
        )
        return Response(
            {
                "results": s.QualityRunSummarySerializer(rows, many=True).data,
                "next": next_url(request, rows, limit),
            }
        )


class RunDetail(APIView):
    @extend_schema(
        tags=TAG, operation_id="dataquality_run_detail", responses=s.QualityRunSerializer
    )
    def get(self, request, pk: int):
        return Response(s.QualityRunSerializer(selectors.run(request.user, pk)).data)


STATUS_FILTERS = [*IssueStatus.values, "all"]


class Issues(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="dataquality_issues_list",
        parameters=[
            OpenApiParameter("entry", OpenApiTypes.INT, description="目录 id"),
            OpenApiParameter(
                "status", OpenApiTypes.STR, enum=STATUS_FILTERS, description="默认 open"
            ),
            OpenApiParameter("rule", OpenApiTypes.INT, description="质量规则 id"),
            OpenApiParameter("run", OpenApiTypes.INT, description="质量检查 id"),
            OpenApiParameter("after", OpenApiTypes.INT, description="上一页最后一个问题的 id"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1–200，默认 50"),
        ],
        responses=s.QualityIssueSerializer(many=True),
    )
    def get(self, request):
        params = request.query_params
        user = request.user
        state = params.get("status") or IssueStatus.OPEN
        if state not in STATUS_FILTERS:
            raise ValidationError(
                {"status": ValidationError(_("不支持的状态：%(s)s") % {"s": state}, "invalid")}
            )
        entry_pk, rule_pk, run_pk = (int_param(params, k) for k in ("entry", "rule", "run"))
        limit = limit_param(params)
        rows = selectors.issues(
            user,
            entry=selectors.entry(user, entry_pk) if entry_pk is not None else None,
            status=None if state == "all" else state,
            rule=selectors.rule(user, rule_pk) if rule_pk is not None else None,
            run=selectors.run(user, run_pk) if run_pk is not None else None,
            after=int_param(params, "after"),
            limit=limit,
        )
        return Response(
            {
                "results": s.QualityIssueSerializer(rows, many=True).data,
                "next": next_url(request, rows, limit),
            }
        )


class ResolveIssue(APIView):
    """整改 / 不属问题 of one open problem."""

    @extend_schema(
        tags=TAG,
        operation_id="dataquality_issue_resolve",
        request=s.QualityResolveSerializer,
        responses={
            200: s.QualityIssueSerializer,
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="无权处理"),
            409: OpenApiResponse(description="该问题已被处理"),
        },
    )
    def post(self, request, pk: int):
        issue = selectors.issue(request.user, pk)
        form = s.QualityResolveSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        services.resolve_issue(request.user, issue, **form.validated_data)
        return Response(s.QualityIssueSerializer(selectors.issue(request.user, pk)).data)


urlpatterns = [
    path("entries/<int:entry>/runs/", EntryRuns.as_view(), name="dataquality-entry-runs"),
    path("runs/", Runs.as_view(), name="dataquality-runs"),
    path("runs/<int:pk>/", RunDetail.as_view(), name="dataquality-run"),
    path("issues/", Issues.as_view(), name="dataquality-issues"),
    path("issues/<int:pk>/resolve/", ResolveIssue.as_view(), name="dataquality-issue-resolve"),
]
