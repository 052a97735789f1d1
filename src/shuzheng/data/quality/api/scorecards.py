"""Scorecards under /api/v1/data/quality/:

GET entries/?provider=&q=&checked=        datasets in scope with their latest score
GET entries/{entry}/                      one dataset: latest run, trend, failures by rule
GET departments/                          departments ranked by average latest score
GET departments/{org}/                    one department: average, open issues, worst, rows
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.data.quality import selectors
from shuzheng.data.quality.api import serializers as s
from shuzheng.data.quality.api.common import TAG, int_param, limit_param


class Datasets(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="dataquality_datasets",
        parameters=[
            OpenApiParameter("provider", OpenApiTypes.INT, description="提供方机构 id"),
            OpenApiParameter("q", OpenApiTypes.STR, description="名称或信息资源代码"),
            OpenApiParameter("checked", OpenApiTypes.BOOL, description="只列出已检查的"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1–200，默认 50"),
        ],
        responses=s.QualityDatasetCardSerializer(many=True),
    )
    def get(self, request):
        params = request.query_params
        provider_pk = int_param(params, "provider")
        provider = (
            selectors.organisation(request.user, provider_pk) if provider_pk is not None else None
        )
        rows = selectors.datasets(
            request.user,
            provider=provider,
            q=(params.get("q") or "").strip()[:100],
            checked_only=str(params.get("checked", "")).lower() in ("1", "true", "yes"),
            limit=limit_param(params),
        )
        return Response(s.QualityDatasetCardSerializer(rows, many=True).data)


class DatasetScorecard(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="dataquality_dataset_scorecard",
        responses=s.QualityDatasetScorecardSerializer,
    )
    def get(self, request, entry: int):
        found = selectors.entry(request.user, entry)
        card = selectors.dataset_scorecard(request.user, found)
        return Response(s.QualityDatasetScorecardSerializer(card).data)


class Departments(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="dataquality_departments",
        responses=s.QualityDepartmentCardSerializer(many=True),
    )
    def get(self, request):
        cards = selectors.department_ranking(request.user)
        return Response(s.QualityDepartmentCardSerializer(cards, many=True).data)


class DepartmentScorecard(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="dataquality_department_scorecard",
        responses=s.QualityDepartmentScorecardSerializer,
    )
    def get(self, request, pk: int):
        org = selectors.organisation(request.user, pk)
        card = selectors.department_scorecard(request.user, org)
        return Response(s.QualityDepartmentScorecardSerializer(card).data)


urlpatterns = [
    path("entries/", Datasets.as_view(), name="dataquality-datasets"),
    path("entries/<int:entry>/", DatasetScorecard.as_view(), name="dataquality-dataset"),
    path("departments/", Departments.as_view(), name="dataquality-departments"),
    path("departments/<int:pk>/", DepartmentScorecard.as_view(), name="dataquality-department"),
]
