"""Exchange log API under /api/v1/data/exchange/:

GET  logs/?organisation=&side=consumer|provider&service=&client=&outcome=&reason=
          &since=&until=&message_id=&cursor=&page_size=     newest first (cursor pagination)
GET  logs/{seq}/                     one call
GET  dashboard/?organisation=&side=provider|consumer&days=7    调用统计 (see selectors.dashboard)
GET  evidence/?start=&end=&organisation=     交换存证: a signed JSON bundle (download)
POST evidence/check/                 check a bundle (the request body) → report
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.data.exchange import evidence, selectors
from shuzheng.data.exchange.api import serializers as s
from shuzheng.data.exchange.models import Outcome
from shuzheng.foundation.api.pagination import KeysetPagination
from shuzheng.foundation.identity.models import Organisation

TAG = ["data-exchange"]
MAX_BUNDLE = 200 * 1024 * 1024


def _moment(params, name: str, *, required=False) -> dt.datetime | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        if required:
            raise ValidationError({name: ValidationError(_("请填写时间"), code="required")})
        return None
    value = parse_datetime(raw)
    if value is None:
        day = parse_date(raw)
        if day is None:
            raise ValidationError(
                {name: ValidationError(_("时间格式应为 YYYY-MM-DD 或 ISO 8601"), code="invalid")}
            )
        value = dt.datetime.combine(day, dt.time.min)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _int(params, name: str) -> int | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({name: ValidationError(_("应为整数"), code="invalid")}) from None


def _organisation(params, *, required=False) -> Organisation | None:
    pk = _int(params, "organisation")
    if pk is None:
        if required:
            raise ValidationError(
                {"organisation": ValidationError(_("请选择部门"), code="required")}
            )
        return None
    found = Organisation.objects.filter(pk=pk).first()
    if found is None:
        raise ValidationError({"organisation": ValidationError(_("没有这个部门"))})
    return found


class LogPagination(KeysetPagination):
    ordering = "-seq"
    page_size = 50


class Logs(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="exchange_logs_list",
        parameters=[
            OpenApiParameter("organisation", OpenApiTypes.INT, description="部门 id"),
            OpenApiParameter("side", OpenApiTypes.STR, enum=list(selectors.SIDES)),
            OpenApiParameter("service", OpenApiTypes.INT),
            OpenApiParameter("client", OpenApiTypes.INT),
            OpenApiParameter("outcome", OpenApiTypes.STR, enum=Outcome.values),
            OpenApiParameter("reason", OpenApiTypes.STR),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
            OpenApiParameter("message_id", OpenApiTypes.STR),
        ],
        responses=s.ExchangeLogSerializer(many=True),
    )
    def get(self, request):
        params = request.query_params
        side = params.get("side") or None
        if side is not None and side not in selectors.SIDES:
            raise ValidationError({"side": ValidationError(_("应为 provider 或 consumer"))})
        outcome = params.get("outcome") or None
        if outcome is not None and outcome not in Outcome.values:
            raise ValidationError({"outcome": ValidationError(_("没有这个结果类型"))})
        rows = selectors.logs(
            request.user,
            organisation=_organisation(params),
            side=side,
            service=_int(params, "service"),
            client=_int(params, "client"),
            outcome=outcome,
            reason=params.get("reason") or None,
            since=_moment(params, "since"),
            until=_moment(params, "until"),
            message_id=params.get("message_id") or None,
        )
        paginator = LogPagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(s.ExchangeLogSerializer(page, many=True).data)


class LogDetail(APIView):
    @extend_schema(tags=TAG, operation_id="exchange_log_detail", responses=s.ExchangeLogSerializer)
    def get(self, request, seq: int):
        return Response(s.ExchangeLogSerializer(selectors.log_entry(request.user, seq)).data)


class Dashboard(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="exchange_dashboard",
        parameters=[
            OpenApiParameter("organisation", OpenApiTypes.INT, required=True),
            OpenApiParameter("side", OpenApiTypes.STR, enum=list(selectors.SIDES)),
            OpenApiParameter("days", OpenApiTypes.INT, description="1–90，默认 7"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        """调用统计: calls, errors by outcome, latency p50/p95, a per-day series and quota use
        per grant (keys: ``exchange.selectors.dashboard``)."""
        params = request.query_params
        side = params.get("side") or "provider"
        if side not in selectors.SIDES:
            raise ValidationError({"side": ValidationError(_("应为 provider 或 consumer"))})
        days = _int(params, "days") or 7
        if not 1 <= days <= selectors.MAX_DAYS:
            raise ValidationError(
                {"days": ValidationError(_("应在 1 到 %(n)s 之间") % {"n": selectors.MAX_DAYS})}
            )
        data = selectors.dashboard(
            request.user, organisation=_organisation(params, required=True), side=side, days=days
        )
        return Response(data)


class EvidenceExport(APIView):
    @extend_schema(
        tags=TAG,
        operation_id="exchange_evidence_export",
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter("end", OpenApiTypes.DATETIME, required=True),
            OpenApiParameter(
                "organisation",
                OpenApiTypes.INT,
                description="导出方部门（省略：全部，仅数据主管部门）",
            ),
        ],
        responses={200: OpenApiResponse(description="JSON 存证包（下载）")},
    )
    def get(self, request):
        """交换存证: the seals covering the period with the exporting party's rows in full,
        other parties' rows as digests; signed with SM2."""
        params = request.query_params
        start, end = _moment(params, "start", required=True), _moment(params, "end", required=True)
        organisation = _organisation(params)
        data = evidence.export(request.user, start=start, end=end, organisation=organisation)
        name = (
            f"exchange-evidence-{timezone.localtime(start):%Y%m%d}-{timezone.localtime(end):%Y%m%d}"
        )
        if organisation is not None:
            name += f"-{organisation.pk}"
        response = HttpResponse(data, content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        return response


class RawBody(BaseParser):
    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream.read(MAX_BUNDLE + 1) if stream is not None else b""


class EvidenceCheck(APIView):
    parser_classes = [RawBody]

    @extend_schema(
        tags=TAG,
        operation_id="exchange_evidence_check",
        request={"application/json": OpenApiTypes.BINARY},
        responses={200: OpenApiTypes.OBJECT},
    )
    def post(self, request):
        """核验存证包 (the request body, as downloaded) with the keys it carries; the same
        check anyone can run offline (``manage.py exchange_evidence check``)."""
        data = request.data or b""
        if len(data) > MAX_BUNDLE:
            raise ValidationError({"file": ValidationError(_("存证包过大"))})
        return Response(evidence.check(bytes(data)).as_dict())


urlpatterns = [
    path("logs/", Logs.as_view(), name="exchange-logs"),
    path("logs/<int:seq>/", LogDetail.as_view(), name="exchange-log"),
    path("dashboard/", Dashboard.as_view(), name="exchange-dashboard"),
    path("evidence/", EvidenceExport.as_view(), name="exchange-evidence"),
    path("evidence/check/", EvidenceCheck.as_view(), name="exchange-evidence-check"),
]
