"""Grant API under /api/v1/data/sharing/:

GET  grants/?side=consumer|provider|all&active=&entry=&after=&limit=
GET  grants/{number}/                   one grant (items and delivery, period, quotas, state)
POST grants/{number}/revoke/            撤销 (provider or authority; reason; revision → 409)
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.data.catalog.models import CatalogueEntry
from shuzheng.data.sharing import selectors, services
from shuzheng.data.sharing.api import serializers as s
from shuzheng.data.sharing.api.requests import _bool, _int, if_match

TAG = ["data-sharing"]


def _detail(grant, status_code=200) -> Response:
    body = s.SharingGrantSerializer(grant, context={"now": timezone.now()}).data
    return Response(body, status=status_code, headers={"ETag": f'"{grant.revision}"'})


class Grants(APIView):
    """共享授权列表, newest first."""

    @extend_schema(
        tags=TAG,
        operation_id="datasharing_grants_list",
        parameters=[
            OpenApiParameter("side", OpenApiTypes.STR, enum=list(selectors.SIDES)),
            OpenApiParameter("active", OpenApiTypes.BOOL, description="当前有效"),
            OpenApiParameter("entry", OpenApiTypes.STR, description="信息资源代码"),
            OpenApiParameter("after", OpenApiTypes.INT),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ],
        responses=s.SharingGrantSerializer(many=True),
    )
    def get(self, request):
        params = request.query_params
        side = params.get("side") or "consumer"
        if side not in selectors.SIDES:
            raise ValidationError({"side": ValidationError(_("应为 consumer、provider 或 all"))})
        entry = None
        if params.get("entry"):
            entry = CatalogueEntry.objects.filter(code=params["entry"]).first()
            if entry is None:
                return Response({"results": [], "next": None})
        limit = max(1, min(_int(params, "limit") or 50, selectors.LIMIT_MAX))
        now = timezone.now()
        rows = list(
            selectors.grants_for(
                request.user,
                side=side,
                active=_bool(params, "active"),
                entry=entry,
                after=_int(params, "after"),
                limit=limit + 1,
                now=now,
            )
        )
        more = len(rows) > limit
        rows = rows[:limit]
        next_url = None
        if more:
            query = {k: v for k, v in params.items() if k != "after"}
            query["after"] = rows[-1].pk
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        data = s.SharingGrantSerializer(rows, many=True, context={"now": now}).data
        return Response({"results": data, "next": next_url})


class GrantDetail(APIView):
    @extend_schema(
        tags=TAG, operation_id="datasharing_grant_detail", responses=s.SharingGrantSerializer
    )
    def get(self, request, number: str):
        return _detail(selectors.get_grant(request.user, number))


class GrantRevoke(APIView):
    """撤销授权 — immediately effective at the gateway."""

    @extend_schema(
        tags=TAG,
        operation_id="datasharing_grant_revoke",
        request=s.SharingRevokeSerializer,
        responses={
            200: s.SharingGrantSerializer,
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="无权撤销"),
            409: OpenApiResponse(description="授权已变化"),
        },
    )
    def post(self, request, number: str):
        grant = selectors.get_grant(request.user, number)
        form = s.SharingRevokeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        revision = if_match(request)
        if revision is None:
            revision = form.validated_data.get("revision")
        services.revoke(
            request.user, grant, reason=form.validated_data["reason"], revision=revision
        )
        return _detail(selectors.get_grant(request.user, number))


urlpatterns = [
    path("grants/", Grants.as_view(), name="datasharing-grants"),
    path("grants/<str:number>/", GrantDetail.as_view(), name="datasharing-grant"),
    path("grants/<str:number>/revoke/", GrantRevoke.as_view(), name="datasharing-grant-revoke"),
]
