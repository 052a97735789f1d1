"""Sharing request API under /api/v1/data/sharing/ — thin over ``selectors`` and ``services``:

GET   requests/?box=mine|to_check|to_decide|to_coordinate|all&state=&overdue=&after=&limit=
POST  requests/                         提出共享申请 (kind=coordination: 申请协调); Idempotency-Key
GET   requests/{number}/                one request: items and how each is delivered, history,
                                        the actions the user may take, revision (also ETag)
PATCH requests/{number}/                修改 a draft or returned request (revision → 409)
POST  requests/{number}/actions/{action}/   one workflow transition (``workflow.yaml``);
                                        revision from If-Match or the body → 409 when stale

Out of scope is 404; bad fields 400 problem+json naming each field; an act the user may not
take 403; a stale revision 409.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.data.sharing import selectors, services
from shuzheng.data.sharing.api import serializers as s
from shuzheng.foundation import workflow
from shuzheng.foundation.api.idempotency import idempotent
from shuzheng.foundation.workflow.services import spec_of

TAG = ["data-sharing"]


def available_actions(user, request) -> list[dict]:
    """The transitions ``user`` may take on ``request`` now, with the body fields they read."""
    if request.workflow_id is None:
        return []
    rows = []
    for t in workflow.available_actions(user, request.workflow):
        if t.name == "grant_unconditional" and request.share_type != "unconditional":
            continue
        if t.name == "to_provider" and request.share_type != "conditional":
            continue
        if t.name in ("submit", "resubmit") and request.kind == "coordination":
            continue
        if t.name == "request_coordination" and request.kind != "coordination":
            continue
        rows.append(
            {
                "name": t.name,
                "label": str(t.label),
                "fields": ["opinion", "reason"],
                "required": list(t.require),
            }
        )
    return rows


def if_match(http_request) -> int | None:
    header = http_request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.removeprefix("W/").strip().strip('"')
    try:
        return int(value)
    except ValueError:
        raise ValidationError(
            {"If-Match": ValidationError(_("If-Match 应为修订号"), code="invalid")}
        ) from None


def _etag(request) -> str:
    return f'"{request.revision}"'


def _detail(http_request, request, code=status.HTTP_200_OK, headers=None) -> Response:
    context = {
        "now": timezone.now(),
        "actions": available_actions(http_request.user, request),
    }
    body = s.SharingRequestDetailSerializer(request, context=context).data
    return Response(body, status=code, headers={"ETag": _etag(request), **(headers or {})})


def _int(params, key):
    raw = params.get(key)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({key: ValidationError(_("应为整数"), code="invalid")}) from None


def _bool(params, key):
    raw = params.get(key)
    if raw in (None, ""):
        return None
    return str(raw).lower() in ("1", "true", "yes", "on")


class Requests(APIView):
    """共享申请列表 (newest first, keyset by ``after``) and 提出申请."""

    @extend_schema(
        tags=TAG,
        operation_id="datasharing_requests_list",
        parameters=[
            OpenApiParameter("box", OpenApiTypes.STR, enum=list(selectors.BOXES)),
            OpenApiParameter("state", OpenApiTypes.STR, description="状态，可用逗号分隔多个"),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="已超期"),
            OpenApiParameter("after", OpenApiTypes.INT, description="上一页最后一件的 id"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="每页件数（1–200，默认 50）"),
        ],
        responses=s.SharingRequestSummarySerializer(many=True),
    )
    def get(self, request):
        params = request.query_params
        box = params.get("box") or "mine"
        if box not in selectors.BOXES:
            raise ValidationError(
                {"box": ValidationError(_("没有这个申请队列"), code="invalid_choice")}
            )
        limit = max(1, min(_int(params, "limit") or 50, selectors.LIMIT_MAX))
        states = [x.strip() for x in (params.get("state") or "").split(",") if x.strip()]
        now = timezone.now()
        rows = list(
            selectors.requests_for(
                request.user,
                box=box,
                state=states or None,
                overdue=_bool(params, "overdue"),
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
        data = s.SharingRequestSummarySerializer(rows, many=True, context={"now": now}).data
        return Response({"results": data, "next": next_url})

    @extend_schema(
        tags=TAG,
        operation_id="datasharing_requests_create",
        request=s.SharingRequestCreateSerializer,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="重试时使用同一幂等键，不会重复提交",
            )
        ],
        responses={
            201: s.SharingRequestDetailSerializer,
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="无权提出共享申请"),
        },
    )
    @idempotent
    def post(self, request):
        """提出共享申请 for the user's department (submitted to the compliance check unless
        ``submit`` is false); ``kind=coordination`` asks the data authority to coordinate a
        不予共享 entry (``reason`` required)."""
        form = s.SharingRequestCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        kind = data.pop("kind")
        reason = data.pop("reason")
        if kind == "coordination":
            created = services.request_coordination(request.user, reason=reason, **data)
        else:
            created = services.create_request(request.user, **data)
        found = selectors.get_request(request.user, created.number)
        location = request.build_absolute_uri(f"{request.path}{found.number}/")
        return _detail(request, found, status.HTTP_201_CREATED, headers={"Location": location})


class RequestDetail(APIView):
    """一件共享申请: items and delivery, history, actions, revision."""

    @extend_schema(
        tags=TAG,
        operation_id="datasharing_request_detail",
        responses={200: s.SharingRequestDetailSerializer, 304: None},
    )
    def get(self, request, number: str):
        found = selectors.get_request(request.user, number)
        if request.headers.get("If-None-Match") == _etag(found):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": _etag(found)})
        return _detail(request, found)

    @extend_schema(
        tags=TAG,
        operation_id="datasharing_request_update",
        request=s.SharingRequestUpdateSerializer,
        responses={
            200: s.SharingRequestDetailSerializer,
            400: OpenApiResponse(description="字段错误"),
            409: OpenApiResponse(description="申请已变化"),
        },
    )
    def patch(self, request, number: str):
        found = selectors.get_request(request.user, number)
        form = s.SharingRequestUpdateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = if_match(request)
        body_revision = data.pop("revision", None)
        services.update_request(
            request.user,
            found,
            revision=revision if revision is not None else body_revision,
            **data,
        )
        return _detail(request, selectors.get_request(request.user, number))


class RequestAct(APIView):
    """One transition on a request (``actions`` of the request lists those the user may
    take); send the revision you read in ``If-Match`` (or ``revision``): a request changed
    since answers 409 and nothing is written."""

    @extend_schema(
        tags=TAG,
        operation_id="datasharing_request_act",
        request=s.SharingActSerializer,
        parameters=[
            OpenApiParameter(
                "action",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=[
                    "submit",
                    "resubmit",
                    "withdraw",
                    "grant_unconditional",
                    "to_provider",
                    "return",
                    "approve",
                    "reject",
                    "dispute",
                    "accept_rejection",
                    "coordinate_grant",
                    "coordinate_refuse",
                    "request_coordination",
                ],
            ),
            OpenApiParameter(
                "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="修订号"
            ),
        ],
        responses={
            200: s.SharingRequestDetailSerializer,
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="无权执行此操作"),
            404: OpenApiResponse(description="申请不存在或不在权限范围内"),
            409: OpenApiResponse(description="该申请已被他人处理"),
        },
    )
    def post(self, request, number: str, action: str):
        found = selectors.get_request(request.user, number)
        spec = spec_of(found.workflow.definition) if found.workflow_id else None
        if spec is None or spec.transition(action) is None:
            raise NotFound(_("没有这个办理操作"))
        form = s.SharingActSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = if_match(request)
        if revision is None:
            revision = data.pop("revision", None)
        data.pop("revision", None)
        services.act(request.user, found, action, revision=revision, **data)
        try:
            found = selectors.get_request(request.user, number)
        except Http404:  # pragma: no cover - both sides keep seeing their requests
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _detail(request, found)


urlpatterns = [
    path("requests/", Requests.as_view(), name="datasharing-requests"),
    path("requests/<str:number>/", RequestDetail.as_view(), name="datasharing-request"),
    path(
        "requests/<str:number>/actions/<str:action>/",
        RequestAct.as_view(),
        name="datasharing-request-act",
    ),
]
