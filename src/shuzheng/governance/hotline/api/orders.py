"""12345 order API under /api/v1/hotline/ — thin over ``selectors.orders`` and
``services.intake`` / ``services.loop``:

GET  orders/?state=&unit=&overdue=&approaching=&category=&channel=&q=&after=&limit=
POST orders/                                   登记 (staff) or 我要反映 (others); Idempotency-Key
GET  orders/{number}/                          one order: masked caller, history, urges,
                                               actions, revision (also ETag)
GET  orders/{number}/history/                  流转记录
POST orders/{number}/actions/{action}/         one act; revision from If-Match or body → 409
POST orders/{number}/caller/                   the full caller (identity.reveal_pii; audited)
GET  duplicates/?category=&latitude=&longitude=&exclude=   possible duplicates, nearest first
GET  callers/?phone=                           the caller's earlier orders (scoped)
GET  categories/                               the category tree (read-only)

An order out of the user's scope is 404; bad fields 400 with field errors; an act the user
may not take 403; a stale revision 409 problem+json (nothing written).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.foundation import access, workflow
from shuzheng.foundation.api.idempotency import idempotent
from shuzheng.foundation.files.uploads import LimitedUploadHandler
from shuzheng.governance.hotline.api import serializers as s
from shuzheng.governance.hotline.models import TIMED_STATES, Category
from shuzheng.governance.hotline.selectors import orders as selectors
from shuzheng.governance.hotline.services import intake, loop

TAG = ["hotline"]

# API action → (service, fixed keyword arguments); workflow transition names are accepted
# as aliases of the act that takes them.
ACTIONS = {
    "answer": ("answer", {}),
    "merge": ("merge", {}),
    "dispatch": ("dispatch", {}),
    "forward": ("forward", {}),
    "sign": ("sign", {}),
    "return": ("return", {}),
    "reassign": ("reassign", {}),
    "request_extension": ("request_extension", {}),
    "decide_extension": ("decide_extension", {}),
    "approve_extension": ("decide_extension", {"approve": True}),
    "reject_extension": ("decide_extension", {"approve": False}),
    "reply": ("reply", {}),
    "review": ("review", {}),
    "approve_reply": ("review", {"approve": True}),
    "reject_reply": ("review", {"approve": False}),
    "callback": ("callback", {}),
    "close": ("callback", {}),
    "rework": ("callback", {"satisfaction": "unsatisfied"}),
    "urge": ("urge", {}),
}
# the body fields each act reads
FIELDS = {
    "answer": ("answer", "article"),
    "merge": ("master", "reason"),
    "dispatch": ("unit", "category", "co_units", "opinion"),
    "forward": ("unit", "opinion"),
    "sign": (),
    "return": ("reason",),
    "reassign": ("unit", "opinion"),
    "request_extension": ("days", "reason"),
    "decide_extension": ("approve", "opinion", "reason"),
    "reply": ("reply", "attachments"),
    "review": ("approve", "reason"),
    "callback": ("satisfaction", "score", "comment", "reason"),
    "urge": ("kind", "note"),
}
# a workflow transition → the API action offered for it
OFFERED = {
    "answer": "answer",
    "merge": "merge",
    "dispatch": "dispatch",
    "forward": "forward",
    "sign": "sign",
    "return": "return",
    "reassign": "reassign",
    "request_extension": "request_extension",
    "approve_extension": "decide_extension",
    "reject_extension": "decide_extension",
    "reply": "reply",
    "approve_reply": "review",
    "reject_reply": "review",
    "close": "callback",
    "rework": "callback",
}
LABELS = {
    "decide_extension": gettext_lazy("审批延期"),
    "review": gettext_lazy("审核办理结果"),
    "callback": gettext_lazy("回访"),
    "urge": gettext_lazy("催办督办"),
}


def available_actions(user, order) -> list[dict]:
    """The API actions ``user`` may take on ``order`` now, with the body fields they read."""
    rows: dict[str, dict] = {}
    if order.workflow_id is not None:
        for t in workflow.available_actions(user, order.workflow):
            name = OFFERED.get(t.name)
            if name and name not in rows:
                label = LABELS.get(name, t.label)
                rows[name] = {"name": name, "label": str(label), "fields": list(FIELDS[name])}
    if order.state in TIMED_STATES and _may(user, order, "hotline.supervise"):
        rows["urge"] = {
            "name": "urge",
            "label": str(LABELS["urge"]),
            "fields": list(FIELDS["urge"]),
        }
    return list(rows.values())


def _may(user, order, perm: str) -> bool:
    from django.core.exceptions import PermissionDenied

    try:
        access.check(user, order, perm)
    except PermissionDenied:
        return False
    return True


def _etag(order) -> str:
    return f'"{order.workflow.revision}"' if order.workflow_id else '"0"'


def _if_match(request) -> int | None:
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.removeprefix("W/").strip().strip('"')
    try:
        return int(value)
    except ValueError:
        raise ValidationError(
            {"If-Match": ValidationError(_("If-Match 应为工单的修订号"), code="invalid")}
        ) from None


def _detail(request, order, code=status.HTTP_200_OK, headers=None) -> Response:
    body = s.OrderDetailSerializer(order, context={"request": request, "now": timezone.now()}).data
    return Response(body, status=code, headers={"ETag": _etag(order), **(headers or {})})


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


def act_kwargs(name: str, data: dict) -> dict:
    """The service's keyword arguments for API action ``name`` from the validated body."""
    service, fixed = ACTIONS[name]
    kwargs = {}
    for field in FIELDS[service]:
        if field in fixed:
            continue
        value = data.get(field)
        if field in ("co_units", "attachments"):
            value = value or ()
        elif field in ("opinion", "reason", "comment"):
            value = value or ""
        kwargs[field] = value
    kwargs.update(fixed)
    if service in ("decide_extension", "review") and kwargs.get("approve") is None:
        raise ValidationError(
            {"approve": ValidationError(_("请选择通过或不通过"), code="required")}
        )
    if service == "callback" and name == "close" and not kwargs.get("satisfaction"):
        kwargs["satisfaction"] = "satisfied"
    return kwargs


# --------------------------------------------------------------------------- views


class Orders(APIView):
    """工单列表 (newest first, keyset by ``after``) and 登记."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def initialize_request(self, request, *args, **kwargs):
        request.upload_handlers = [LimitedUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        tags=TAG,
        operation_id="hotline_orders_list",
        parameters=[
            OpenApiParameter("state", OpenApiTypes.STR, description="状态，可用逗号分隔多个"),
            OpenApiParameter("unit", OpenApiTypes.INT, description="承办单位（含下级）"),
            OpenApiParameter("overdue", OpenApiTypes.BOOL, description="已超期"),
            OpenApiParameter("approaching", OpenApiTypes.BOOL, description="即将超期"),
            OpenApiParameter("category", OpenApiTypes.INT, description="诉求分类（含下级）"),
            OpenApiParameter("channel", OpenApiTypes.STR, description="受理渠道"),
            OpenApiParameter("q", OpenApiTypes.STR, description="工单编号或标题、内容关键词"),
            OpenApiParameter("after", OpenApiTypes.INT, description="上一页最后一件的 id"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="每页件数（1–200，默认 50）"),
        ],
        responses=s.OrderPageSerializer,
    )
    def get(self, request):
        params = request.query_params
        limit = max(1, min(_int(params, "limit") or 50, selectors.LIMIT_MAX))
        states = [x for x in (params.get("state") or "").split(",") if x.strip()]
        now = timezone.now()
        rows = selectors.queue(
            request.user,
            state=[x.strip() for x in states] or None,
            unit=_int(params, "unit"),
            overdue=_bool(params, "overdue"),
            approaching=_bool(params, "approaching"),
            category=_int(params, "category"),
            channel=params.get("channel") or None,
            q=params.get("q") or None,
            after=_int(params, "after"),
            limit=limit + 1,
            now=now,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        next_url = None
        if more:
            query = {k: v for k, v in params.items() if k != "after"}
            query["after"] = rows[-1].pk
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        data = s.OrderSummarySerializer(rows, many=True, context={"now": now}).data
        return Response({"results": data, "next": next_url})

    @extend_schema(
        tags=TAG,
        operation_id="hotline_orders_register",
        request={
            "application/json": s.OrderRegisterSerializer,
            "multipart/form-data": s.OrderRegisterSerializer,
        },
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="重试时使用同一幂等键，不会重复登记",
            )
        ],
        responses={201: s.OrderDetailSerializer, 400: OpenApiResponse(description="字段错误")},
    )
    @idempotent
    def post(self, request):
        """登记工单: staff with ``hotline.register`` register any channel; any other signed-in
        user reports for themselves (我要反映: channel web / app / wechat, grid officers
        ``grid``). Photos: multipart ``photos`` (JPEG / PNG)."""
        LimitedUploadHandler.raise_if_too_large(request)
        form = s.OrderRegisterSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        photos = request.FILES.getlist("photos") if request.FILES else []
        channel = data.pop("channel", "")
        if access.holds(request.user, "hotline.register"):
            order = intake.register(request.user, channel=channel or "phone", photos=photos, **data)
        else:
            order = intake.report(request.user, channel=channel or "web", photos=photos, **data)
        order = selectors.order(request.user, order.number)
        location = request.build_absolute_uri(f"{request.path}{order.number}/")
        return _detail(request, order, status.HTTP_201_CREATED, headers={"Location": location})


class OrderDetail(APIView):
    """一张工单: masked caller, history, urges, the actions the user may take, revision."""

    @extend_schema(
        tags=TAG,
        operation_id="hotline_order_detail",
        responses={200: s.OrderDetailSerializer, 304: None},
    )
    def get(self, request, number: str):
        order = selectors.order(request.user, number)
        if request.headers.get("If-None-Match") == _etag(order):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": _etag(order)})
        return _detail(request, order)


class OrderHistory(APIView):
    """流转记录 of one order (who did what, with which opinion, when)."""

    @extend_schema(
        tags=TAG,
        operation_id="hotline_order_history",
        responses=s.OrderHistorySerializer(many=True),
    )
    def get(self, request, number: str):
        order = selectors.order(request.user, number)
        return Response(s.OrderHistorySerializer(selectors.history(order), many=True).data)


class OrderAct(APIView):
    """One act on an order (``actions`` of the order lists those the user may take and the
    body fields each reads); send the revision you read in ``If-Match`` (or ``revision``):
    an order moved since answers 409 and nothing is written."""

    @extend_schema(
        tags=TAG,
        operation_id="hotline_order_act",
        request=s.OrderActSerializer,
        parameters=[
            OpenApiParameter("action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(ACTIONS)),
            OpenApiParameter(
                "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="修订号"
            ),
        ],
        responses={
            200: s.OrderDetailSerializer,
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="无权执行此操作"),
            404: OpenApiResponse(description="工单不存在或不在权限范围内"),
            409: OpenApiResponse(description="该工单已被他人处理"),
        },
    )
    def post(self, request, number: str, action: str):
        order = selectors.order(request.user, number)
        if action not in ACTIONS:
            raise NotFound(_("没有这个办理操作"))
        form = s.OrderActSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = _if_match(request)
        if revision is None:
            revision = data.pop("revision", None)
        service, _fixed = ACTIONS[action]
        kwargs = act_kwargs(action, data)
        if service == "merge":
            master = kwargs.pop("master")
            loop.merge(request.user, order, master, revision=revision, **kwargs)
        else:
            loop.ACTS[service](request.user, order, revision=revision, **kwargs)
        try:
            order = selectors.order(request.user, number)
        except Http404:  # the act moved the order out of the user's sight (退单)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _detail(request, order)


class OrderCaller(APIView):
    """查看完整诉求人信息 (``identity.reveal_pii`` on the order; the reason is recorded)."""

    @extend_schema(
        tags=TAG,
        operation_id="hotline_order_caller",
        request=s.CallerRevealSerializer,
        responses={200: s.CallerDetailSerializer, 403: OpenApiResponse(description="无权查看")},
    )
    def post(self, request, number: str):
        order = selectors.order(request.user, number)
        form = s.CallerRevealSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        shown = intake.reveal_caller(
            request.user, order, reason=form.validated_data["reason"], request=request
        )
        return Response(s.CallerDetailSerializer(shown).data, headers={"Cache-Control": "no-store"})


class Duplicates(APIView):
    """疑似重复工单: the same category within R metres and T hours, nearest first."""

    @extend_schema(
        tags=TAG,
        operation_id="hotline_duplicates",
        parameters=[
            OpenApiParameter("category", OpenApiTypes.INT, required=True),
            OpenApiParameter("latitude", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("longitude", OpenApiTypes.NUMBER, required=True),
            OpenApiParameter("exclude", OpenApiTypes.STR, description="排除的工单编号"),
        ],
        responses=s.DuplicateCandidateSerializer(many=True),
    )
    def get(self, request):
        params = request.query_params
        category = _int(params, "category")
        errors = {}
        for key in ("latitude", "longitude"):
            try:
                float(params.get(key, ""))
            except ValueError:
                errors[key] = ValidationError(_("应为数字"), code="invalid")
        if category is None:
            errors["category"] = ValidationError(_("请选择诉求分类"), code="required")
        if errors:
            raise ValidationError(errors)
        exclude = None
        if params.get("exclude"):
            exclude = (
                selectors.visible(request.user)
                .filter(number=params["exclude"])
                .values_list("pk", flat=True)
                .first()
            )
        now = timezone.now()
        found = selectors.duplicate_candidates(
            request.user,
            category=category,
            latitude=params["latitude"],
            longitude=params["longitude"],
            exclude=exclude,
            at=now,
        )
        rows = [{"order": o, "distance_m": d} for o, d in found]
        return Response(s.DuplicateCandidateSerializer(rows, many=True, context={"now": now}).data)


class Callers(APIView):
    """来电人历史: the orders of this phone number the user may see, newest first."""

    @extend_schema(
        tags=TAG,
        operation_id="hotline_callers",
        parameters=[OpenApiParameter("phone", OpenApiTypes.STR, required=True)],
        responses=s.OrderSummarySerializer(many=True),
    )
    def get(self, request):
        phone = str(request.query_params.get("phone") or "").strip()
        if not phone:
            raise ValidationError({"phone": ValidationError(_("请填写电话号码"), code="required")})
        try:
            intake.normalise_phone(phone)
        except ValidationError as exc:
            raise ValidationError({"phone": exc.error_list}) from None
        rows = selectors.by_caller(request.user, phone)
        return Response(
            s.OrderSummarySerializer(rows, many=True, context={"now": timezone.now()}).data
        )


class Categories(APIView):
    """诉求分类 (three levels, active ones), as a tree."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(
        tags=TAG,
        operation_id="hotline_categories",
        responses=s.HotlineCategorySerializer(many=True),
    )
    def get(self, request):
        rows = list(Category.objects.filter(is_active=True).order_by("sort_order", "code"))
        children: dict = {}
        for row in rows:
            children.setdefault(row.parent_id, []).append(row)
        roots = children.get(None, [])
        return Response(
            s.HotlineCategorySerializer(roots, many=True, context={"children": children}).data
        )


urlpatterns = [
    path("orders/", Orders.as_view(), name="hotline-orders"),
    path("orders/<str:number>/", OrderDetail.as_view(), name="hotline-order"),
    path("orders/<str:number>/history/", OrderHistory.as_view(), name="hotline-order-history"),
    path(
        "orders/<str:number>/actions/<str:action>/",
        OrderAct.as_view(),
        name="hotline-order-act",
    ),
    path("orders/<str:number>/caller/", OrderCaller.as_view(), name="hotline-order-caller"),
    path("duplicates/", Duplicates.as_view(), name="hotline-duplicates"),
    path("callers/", Callers.as_view(), name="hotline-callers"),
    path("categories/", Categories.as_view(), name="hotline-categories"),
]
