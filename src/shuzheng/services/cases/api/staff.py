"""Staff API of 办件 handling under /api/v1/ — thin over ``selectors.workbench`` and
``services.handle``:

GET  cases/?queue=&after=&limit=&item=&organisation=   a workbench queue (keyset, ``next``)
GET  cases/{number}/                                    one case: history, actions, revision (ETag)
POST cases/{number}/actions/{action}/                   one act; revision from If-Match or body
POST cases/bulk/                                        批量签收 / 办结 / 送达 {action, numbers[]}
POST cases/{number}/reveal/                             查看完整信息 {reason} (identity.reveal_pii; audited)

``form_data`` in the detail has every personal number masked by type (``cases.masking``); the
clear answers come only from ``reveal``, which records the reason, and a refusal is 403 and
an audit record too.

A case out of the user's scope is 404; a stale revision 409 problem+json (nothing written);
bad or missing fields 400 with field errors; an act the user may not take 403.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.foundation import access, workflow
from shuzheng.foundation.identity.validators import mask_id_number
from shuzheng.foundation.workflow.models import TransitionRecord
from shuzheng.services.cases import masking
from shuzheng.services.cases.models import (
    Case,
    CaseMaterial,
    DeliveryMethod,
    SpecialKind,
    SpecialProcedure,
)
from shuzheng.services.cases.selectors import workbench as selectors
from shuzheng.services.cases.services import handle, reveal
from shuzheng.services.cases.views.workbench import act_kwargs, action_fields, mask_name

STAFF_ACTIONS = tuple(handle.ACTS)
TAG = ["cases-staff"]


class WorkbenchUser(permissions.BasePermission):
    """Staff only: the handling API is the workbench's (applicants have their own)."""

    message = gettext_lazy("无权访问工作台")

    def has_permission(self, request, view) -> bool:
        return access.holds(request.user, "web.use_workbench")


# --------------------------------------------------------------------------- serializers


class CaseSummarySerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    item = serializers.CharField(source="item.implementation_code", read_only=True)
    item_name = serializers.CharField(source="item_version.name", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    applicant = serializers.SerializerMethodField(help_text=gettext_lazy("申请人（脱敏）"))
    current_step = serializers.SerializerMethodField(help_text=gettext_lazy("当前环节"))
    is_approaching = serializers.SerializerMethodField(help_text=gettext_lazy("即将超期"))
    is_overdue = serializers.SerializerMethodField(help_text=gettext_lazy("已超期"))

    class Meta:
        model = Case
        fields = [
            "number",
            "state",
            "state_label",
            "item",
            "item_name",
            "organisation",
            "organisation_name",
            "applicant",
            "submitted_at",
            "due_at",
            "sla_state",
            "current_step",
            "is_approaching",
            "is_overdue",
        ]
        read_only_fields = fields

    def get_applicant(self, case) -> str:
        return mask_name(case.applicant_name, case.applicant_type)

    def get_current_step(self, case) -> str:
        return str(selectors.current_step(case))

    def get_is_approaching(self, case) -> bool:
        return selectors.is_approaching(case, self.context.get("now"))

    def get_is_overdue(self, case) -> bool:
        return selectors.is_overdue(case, self.context.get("now"))


class HistorySerializer(serializers.ModelSerializer):
    legal_basis = serializers.SerializerMethodField()

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
            "legal_basis",
            "at",
        ]
        read_only_fields = fields

    def get_legal_basis(self, record) -> str:
        return str((record.data or {}).get("legal_basis", ""))


class MaterialSerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="material.code", read_only=True)
    name = serializers.CharField(source="material.name", read_only=True)
    file_name = serializers.CharField(source="file.name", read_only=True, default="")
    download = serializers.SerializerMethodField()

    class Meta:
        model = CaseMaterial
        fields = [
            "id",
            "code",
            "name",
            "file",
            "file_name",
            "by_commitment",
            "deferred",
            "download",
        ]
        read_only_fields = fields

    def get_download(self, supplied) -> str:
        if not supplied.file_id:
            return ""
        return reverse(
            "cases:case-material", kwargs={"number": supplied.case.number, "pk": supplied.pk}
        )


class SpecialSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=gettext_lazy("特别程序种类代码"))
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = SpecialProcedure
        fields = [
            "kind",
            "kind_label",
            "reason",
            "planned_days",
            "started_at",
            "ended_at",
            "result",
        ]
        read_only_fields = fields


class ActionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    fields = serializers.ListField(
        child=serializers.CharField(), help_text=gettext_lazy("请求体字段")
    )
    required = serializers.ListField(child=serializers.CharField())


class CaseDetailSerializer(CaseSummarySerializer):
    applicant_id_number = serializers.SerializerMethodField(
        help_text=gettext_lazy("证件号码（脱敏）")
    )
    handler_name = serializers.SerializerMethodField()
    materials = MaterialSerializer(many=True, read_only=True)
    special_procedures = SpecialSerializer(many=True, read_only=True)
    history = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    revision = serializers.IntegerField(source="workflow.revision", read_only=True)
    form_data = serializers.SerializerMethodField(
        help_text=gettext_lazy("申请表（证件号码、电话号码脱敏）")
    )

    class Meta(CaseSummarySerializer.Meta):
        fields = [
            *CaseSummarySerializer.Meta.fields,
            "applicant_type",
            "applicant_id_number",
            "channel",
            "on_behalf",
            "form_data",
            "accepted_at",
            "acceptance_doc_no",
            "legal_due_at",
            "review_step",
            "handler_name",
            "correction_reasons",
            "correction_due",
            "corrections",
            "decided_at",
            "result",
            "result_description",
            "decision_basis",
            "licence_name",
            "licence_number",
            "concluded_at",
            "overdue",
            "working_days_used",
            "delivery_method",
            "delivered_at",
            "materials",
            "special_procedures",
            "history",
            "actions",
            "revision",
        ]
        read_only_fields = fields

    def get_applicant_id_number(self, case) -> str:
        return mask_id_number(case.applicant_id_number or "")

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_form_data(self, case) -> dict:
        return masking.mask_case_form(case)

    def get_handler_name(self, case) -> str:
        return str(case.handler) if case.handler_id else ""

    @extend_schema_field(HistorySerializer(many=True))
    def get_history(self, case):
        return HistorySerializer(case.workflow.history.order_by("seq"), many=True).data

    @extend_schema_field(ActionSerializer(many=True))
    def get_actions(self, case):
        request = self.context["request"]
        rows = []
        for t in workflow.available_actions(request.user, case.workflow):
            if t.name not in STAFF_ACTIONS:
                continue
            fields = action_fields(t.name)
            rows.append(
                {
                    "name": t.name,
                    "label": t.label,
                    "fields": [f["name"] for f in fields],
                    "required": [f["name"] for f in fields if f.get("required")],
                }
            )
        return ActionSerializer(rows, many=True).data


class CaseRevealSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=200,
        help_text=gettext_lazy("查看事由（将记入审计）"),
    )


class CaseRevealedSerializer(serializers.Serializer):
    applicant_id_number = serializers.CharField(source="id_number", allow_blank=True)
    contact_phone = serializers.CharField(source="mobile", allow_blank=True)
    form_data = serializers.JSONField()


class CasePageSerializer(serializers.Serializer):
    results = CaseSummarySerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text=gettext_lazy("下一页地址（无则为空）"))


class ActSerializer(serializers.Serializer):
    """The fields of every act; each act reads the ones it needs (see ``actions`` of a case)."""

    revision = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=gettext_lazy("读取时的修订号（也可用 If-Match 请求头）；已变化则返回 409"),
    )
    opinion = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    reasons = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=500),
        required=False,
        help_text=gettext_lazy("补齐补正：逐项列明的补正内容"),
    )
    days = serializers.IntegerField(required=False, help_text=gettext_lazy("补正期限（工作日）"))
    kind = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("特别程序种类：%s") % "、".join(SpecialKind.values),
    )
    planned_days = serializers.IntegerField(required=False, allow_null=True)
    result = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    legal_basis = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    licence_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    method = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("送达方式：%s") % "、".join(DeliveryMethod.values),
    )


class BulkSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(a, a) for a in handle.BULK_ACTIONS])
    numbers = serializers.ListField(
        child=serializers.CharField(max_length=32), min_length=1, max_length=200
    )
    method = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=gettext_lazy("批量送达时的送达方式：%s") % "、".join(DeliveryMethod.values),
    )


class BulkOutcomeSerializer(serializers.Serializer):
    number = serializers.CharField()
    ok = serializers.BooleanField()
    message = serializers.CharField(allow_blank=True)


class BulkAnswerSerializer(serializers.Serializer):
    results = BulkOutcomeSerializer(many=True)


# --------------------------------------------------------------------------- views


def _etag(case) -> str:
    return f'"{case.workflow.revision}"'


def _if_match(request) -> int | None:
    """The revision in ``If-Match`` (``"3"``, ``W/"3"``; ``*`` means any)."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return None
    value = header.removeprefix("W/").strip().strip('"')
    try:
        return int(value)
    except ValueError:
        raise ValidationError(
            {"If-Match": ValidationError(_("If-Match 应为办件的修订号"), code="invalid")}
        ) from None


def _detail(request, case, code=status.HTTP_200_OK) -> Response:
    body = CaseDetailSerializer(case, context={"request": request, "now": timezone.now()}).data
    return Response(body, status=code, headers={"ETag": _etag(case)})


class CaseQueue(APIView):
    """办件队列 (workbench): newest first, keyset pagination by ``after``."""

    permission_classes = [permissions.IsAuthenticated, WorkbenchUser]

    @extend_schema(
        tags=TAG,
        operation_id="cases_staff_queue",
        parameters=[
            OpenApiParameter(
                "queue", OpenApiTypes.STR, enum=list(selectors.QUEUES), description="队列，默认 all"
            ),
            OpenApiParameter("after", OpenApiTypes.INT, description="上一页最后一件的 id"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="每页件数（1–200，默认 50）"),
            OpenApiParameter("item", OpenApiTypes.INT, description="实施清单事项 id"),
            OpenApiParameter("organisation", OpenApiTypes.INT, description="受理部门（含下级）"),
        ],
        responses=CasePageSerializer,
    )
    def get(self, request):
        params = request.query_params
        name = params.get("queue") or "all"
        numbers = {}
        for key in ("after", "limit", "item", "organisation"):
            raw = params.get(key)
            if raw in (None, ""):
                continue
            try:
                numbers[key] = int(raw)
            except ValueError:
                raise ValidationError(
                    {key: ValidationError(_("应为整数"), code="invalid")}
                ) from None
        limit = max(1, min(numbers.pop("limit", 50), selectors.LIMIT_MAX))
        now = timezone.now()
        rows = selectors.queue(request.user, name, limit=limit + 1, now=now, **numbers)
        more = len(rows) > limit
        rows = rows[:limit]
        next_url = None
        if more:
            query = {k: v for k, v in params.items() if k != "after"}
            query["after"] = rows[-1].pk
            next_url = request.build_absolute_uri(f"{request.path}?{urlencode(query)}")
        data = CaseSummarySerializer(rows, many=True, context={"now": now}).data
        return Response({"results": data, "next": next_url})


class CaseDetail(APIView):
    """一件办件: history (all opinions), available actions, revision (also as ETag)."""

    permission_classes = [permissions.IsAuthenticated, WorkbenchUser]

    @extend_schema(
        tags=TAG,
        operation_id="cases_staff_detail",
        responses={200: CaseDetailSerializer, 304: None},
    )
    def get(self, request, number: str):
        case = selectors.case_for_staff(request.user, number)
        if request.headers.get("If-None-Match") == _etag(case):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": _etag(case)})
        return _detail(request, case)


class CaseAct(APIView):
    """办理: take one act (accept, reject, request_correction, start_review, pass_step,
    start_special, end_special, approve, deny, conclude, deliver) with its fields; send the
    revision you read in ``If-Match`` (or ``revision``): a case moved since answers 409."""

    permission_classes = [permissions.IsAuthenticated, WorkbenchUser]

    @extend_schema(
        tags=TAG,
        operation_id="cases_staff_act",
        request=ActSerializer,
        parameters=[
            OpenApiParameter(
                "action", OpenApiTypes.STR, OpenApiParameter.PATH, enum=list(STAFF_ACTIONS)
            ),
            OpenApiParameter(
                "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, description="修订号"
            ),
        ],
        responses={
            200: CaseDetailSerializer,
            400: OpenApiResponse(description="字段错误"),
            403: OpenApiResponse(description="无权执行此操作"),
            404: OpenApiResponse(description="办件不存在或不在权限范围内"),
            409: OpenApiResponse(description="该办件已被他人处理"),
        },
    )
    def post(self, request, number: str, action: str):
        case = selectors.case_for_staff(request.user, number)
        if action not in STAFF_ACTIONS:
            raise NotFound(_("没有这个办理操作"))
        form = ActSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        revision = _if_match(request)
        if revision is None:
            revision = data.pop("revision", None)
        handle.ACTS[action](request.user, case, revision=revision, **act_kwargs(action, data))
        case = selectors.case_for_staff(request.user, number)
        return _detail(request, case)


class CaseReveal(APIView):
    """查看完整信息: the applicant's ID and phone numbers and the clear form answers, with a
    stated reason (``identity.reveal_pii`` on the case; every reveal and refusal audited)."""

    permission_classes = [permissions.IsAuthenticated, WorkbenchUser]

    @extend_schema(
        tags=TAG,
        operation_id="cases_staff_reveal",
        request=CaseRevealSerializer,
        responses={
            200: CaseRevealedSerializer,
            400: OpenApiResponse(description="未说明事由"),
            403: OpenApiResponse(description="无权查看完整信息"),
            404: OpenApiResponse(description="办件不存在或不在权限范围内"),
        },
    )
    def post(self, request, number: str):
        case = selectors.case_for_staff(request.user, number)
        form = CaseRevealSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        shown = reveal.reveal_case(
            request.user, case, reason=form.validated_data["reason"], request=request
        )
        return Response(CaseRevealedSerializer(shown).data, headers={"Cache-Control": "no-store"})


class CaseBulk(APIView):
    """批量签收 / 批量办结 / 批量送达: each case on its own; unknown or unseen numbers fail."""

    permission_classes = [permissions.IsAuthenticated, WorkbenchUser]

    @extend_schema(
        tags=TAG,
        operation_id="cases_staff_bulk",
        request=BulkSerializer,
        responses=BulkAnswerSerializer,
    )
    def post(self, request):
        form = BulkSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        numbers = list(dict.fromkeys(data["numbers"]))
        found = {c.number: c for c in selectors.cases_by_numbers(request.user, numbers)}
        kwargs = {"method": data.get("method", "")} if data["action"] == "deliver" else {}
        outcomes = handle.bulk(
            request.user, [found[n] for n in numbers if n in found], data["action"], **kwargs
        )
        by_number = {case.number: (ok, message) for case, ok, message in outcomes}
        results = [
            {
                "number": n,
                "ok": by_number.get(n, (False, ""))[0],
                "message": by_number[n][1] if n in by_number else _("找不到该办件"),
            }
            for n in numbers
        ]
        return Response({"results": results})


urlpatterns = [
    path("cases/", CaseQueue.as_view(), name="cases-staff-queue"),
    path("cases/bulk/", CaseBulk.as_view(), name="cases-staff-bulk"),
    path("cases/<str:number>/", CaseDetail.as_view(), name="cases-staff-detail"),
    path("cases/<str:number>/actions/<str:action>/", CaseAct.as_view(), name="cases-staff-act"),
    path("cases/<str:number>/reveal/", CaseReveal.as_view(), name="cases-staff-reveal"),
]
