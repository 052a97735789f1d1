"""Applicant API under /api/v1/: one's applications (drafts: create with Idempotency-Key,
read, PATCH the form, upload materials, submit), 我的办件, and the public progress query.
Thin: parse, call ``services.apply`` or ``selectors.applicant``, render; errors are
problem+json (a stranger's application is a 404, like one that does not exist)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.foundation.api.idempotency import idempotent
from shuzheng.foundation.files.uploads import LimitedUploadHandler
from shuzheng.foundation.identity.login import policy, ratelimit
from shuzheng.services.cases.models import Channel
from shuzheng.services.cases.selectors import applicant as selectors
from shuzheng.services.cases.services import apply
from shuzheng.services.cases.views.portal import progress_rate
from shuzheng.services.catalogue import selectors as catalogue

# --------------------------------------------------------------------------- serializers


class ApplicationMaterialRowSerializer(serializers.Serializer):
    code = serializers.CharField(label=gettext_lazy("材料代码"))
    name = serializers.CharField(label=gettext_lazy("材料名称"))
    necessity = serializers.CharField(label=gettext_lazy("必要性"))
    removed = serializers.BooleanField(label=gettext_lazy("已按五个一律取消"))
    removed_label = serializers.CharField(label=gettext_lazy("取消依据"))
    file = serializers.SerializerMethodField(label=gettext_lazy("文件"))
    file_name = serializers.SerializerMethodField(label=gettext_lazy("文件名"))
    by_commitment = serializers.BooleanField(label=gettext_lazy("以承诺代替"))
    deferred = serializers.BooleanField(label=gettext_lazy("容缺后补"))
    missing = serializers.BooleanField(label=gettext_lazy("尚缺"))
    editable = serializers.BooleanField(label=gettext_lazy("可上传"))

    def get_file(self, row) -> str | None:
        return str(row["file"].pk) if row["file"] else None

    def get_file_name(self, row) -> str:
        return row["file"].name if row["file"] else ""


class ApplicantTimelineSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField(label=gettext_lazy("环节"))
    at = serializers.DateTimeField(label=gettext_lazy("时间"))
    state = serializers.CharField()
    state_label = serializers.CharField(label=gettext_lazy("状态"))
    by = serializers.CharField(label=gettext_lazy("办理方"))
    note = serializers.CharField(label=gettext_lazy("说明"))
    note_label = serializers.CharField()


class ApplicationReceiptSerializer(serializers.Serializer):
    number = serializers.CharField(label=gettext_lazy("办件编号"))
    item_name = serializers.CharField()
    organisation = serializers.CharField()
    applicant_name = serializers.CharField()
    applicant_id_masked = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    promised_limit = serializers.CharField(label=gettext_lazy("承诺办结时限"))
    expected_date = serializers.DateField(label=gettext_lazy("预计办结日期"))
    expected_text = serializers.CharField()


class ApplicationSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    number = serializers.CharField(read_only=True, allow_null=True, label=gettext_lazy("办件编号"))
    state = serializers.CharField(read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    item = serializers.CharField(source="item.implementation_code", read_only=True)
    item_name = serializers.CharField(source="item_version.name", read_only=True)
    item_version = serializers.IntegerField(source="item_version.version", read_only=True)
    organisation = serializers.CharField(source="organisation.name", read_only=True)
    applicant_type = serializers.CharField(read_only=True)
    applicant_name = serializers.CharField(read_only=True)
    enterprise = serializers.IntegerField(source="enterprise_id", read_only=True, allow_null=True)
    channel = serializers.CharField(read_only=True)
    on_behalf = serializers.BooleanField(read_only=True)
    form = serializers.JSONField(source="form_data", read_only=True)
    form_schema = serializers.JSONField(source="item_version.form_schema", read_only=True)
    form_ui = serializers.JSONField(source="item_version.form_ui", read_only=True)
    materials = serializers.SerializerMethodField()
    commitment_available = serializers.BooleanField(
        source="item_version.commitment", read_only=True
    )
    correction_reasons = serializers.JSONField(read_only=True)
    correction_due = serializers.DateField(read_only=True)
    next_step = serializers.SerializerMethodField()
    submitted_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    @extend_schema_field(ApplicationMaterialRowSerializer(many=True))
    def get_materials(self, case):
        return ApplicationMaterialRowSerializer(selectors.material_rows(case), many=True).data

    def get_next_step(self, case) -> str:
        return selectors.next_step(case)


class MyCaseSerializer(ApplicationSerializer):
    accepted_at = serializers.DateTimeField(read_only=True)
    due_at = serializers.DateTimeField(read_only=True, label=gettext_lazy("承诺办结时间"))
    result = serializers.CharField(read_only=True)
    result_description = serializers.CharField(read_only=True)
    licence_name = serializers.CharField(read_only=True)
    licence_number = serializers.CharField(read_only=True)
    concluded_at = serializers.DateTimeField(read_only=True)
    delivered_at = serializers.DateTimeField(read_only=True)
    timeline = serializers.SerializerMethodField()
    receipt = serializers.SerializerMethodField()

    @extend_schema_field(ApplicantTimelineSerializer(many=True))
    def get_timeline(self, case):
        return ApplicantTimelineSerializer(selectors.timeline(case), many=True).data

    @extend_schema_field(ApplicationReceiptSerializer)
    def get_receipt(self, case):
        return ApplicationReceiptSerializer(selectors.receipt(case)).data if case.number else None


class MyCasePageSerializer(serializers.Serializer):
    results = MyCaseSerializer(many=True)
    next = serializers.CharField(allow_null=True)


class ApplicationCreateSerializer(serializers.Serializer):
    item = serializers.CharField(max_length=36, label=gettext_lazy("实施编码"))
    enterprise = serializers.IntegerField(
        required=False, allow_null=True, label=gettext_lazy("以企业身份办理（企业 id）")
    )


class ApplicationFormSerializer(serializers.Serializer):
    form = serializers.DictField(label=gettext_lazy("申请表（部分字段即可）"))


class MaterialUploadSerializer(serializers.Serializer):
    material = serializers.CharField(max_length=40, label=gettext_lazy("材料代码"))
    file = serializers.FileField(label=gettext_lazy("文件"), allow_empty_file=True, use_url=False)


class ApplicationMaterialSerializer(serializers.Serializer):
    material = serializers.CharField(source="material.code")
    name = serializers.CharField(source="material.name")
    file = serializers.UUIDField(source="file_id")
    file_name = serializers.CharField(source="file.name")
    added_at = serializers.DateTimeField()


class ApplicationSubmitSerializer(serializers.Serializer):
    form = serializers.DictField(required=False, label=gettext_lazy("申请表（提交前最后修改）"))
    commitment = serializers.BooleanField(
        required=False, default=False, label=gettext_lazy("签署告知承诺书")
    )


class ApplicationResubmitSerializer(serializers.Serializer):
    form = serializers.DictField(required=False)


class ApplicationWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200, allow_blank=True, label=gettext_lazy("撤回理由"))


class CaseProgressSerializer(serializers.Serializer):
    number = serializers.CharField()
    item_name = serializers.CharField()
    organisation = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True, label=gettext_lazy("承诺办结时间"))
    promised_limit = serializers.CharField(label=gettext_lazy("承诺办结时限"))
    concluded_at = serializers.DateTimeField(allow_null=True)


# --------------------------------------------------------------------------- views


def _detail_url(case) -> str:
    return reverse("cases-application", kwargs={"pk": case.pk})


class Applications(APIView):
    """我的申请: drafts one may continue (GET), or start one (POST, Idempotency-Key)."""

    @extend_schema(operation_id="applications_list", responses=ApplicationSerializer(many=True))
    def get(self, request):
        drafts = selectors.my_drafts(request.user)[:100]
        return Response(ApplicationSerializer(drafts, many=True).data)

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationSerializer})
    @idempotent
    def post(self, request):
        form = ApplicationCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        item = catalogue.item_by_code(form.validated_data["item"])  # 404 if not offered
        enterprise = None
        enterprise_id = form.validated_data.get("enterprise")
        if enterprise_id is not None:
            mine = selectors.apply_enterprises(request.user)
            enterprise = next((e for e in mine if e.pk == enterprise_id), None)
            if enterprise is None:
                raise ValidationError({"enterprise": _("企业不存在或您未获其授权")})
        case = apply.create_draft(request.user, item, enterprise=enterprise, channel=Channel.API)
        return Response(
            ApplicationSerializer(case).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": _detail_url(case)},
        )


class Application(APIView):
    """一件申请: read it, or save part of its form (PATCH; nothing required yet)."""

    @extend_schema(responses=ApplicationSerializer)
    def get(self, request, pk: int):
        return Response(ApplicationSerializer(selectors.my_application(request.user, pk)).data)

    @extend_schema(request=ApplicationFormSerializer, responses=ApplicationSerializer)
    def patch(self, request, pk: int):
        case = selectors.my_application(request.user, pk)
        form = ApplicationFormSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = apply.save_draft(request.user, case, form=form.validated_data["form"])
        return Response(ApplicationSerializer(case).data)


class Materials(APIView):
    """上传申请材料 (multipart: material, file); a new file replaces the material's file."""

    parser_classes = [MultiPartParser]

    def initialize_request(self, request, *args, **kwargs):
        request.upload_handlers = [LimitedUploadHandler(request)]
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": MaterialUploadSerializer},
        responses={201: ApplicationMaterialSerializer},
    )
    @idempotent
    def post(self, request, pk: int):
        case = selectors.my_application(request.user, pk)
        form = MaterialUploadSerializer(data=request.data)
        LimitedUploadHandler.raise_if_too_large(request)
        form.is_valid(raise_exception=True)
        row = apply.attach_material(
            request.user,
            case,
            material_code=form.validated_data["material"],
            upload=form.validated_data["file"],
        )
        return Response(ApplicationMaterialSerializer(row).data, status=status.HTTP_201_CREATED)


class Submit(APIView):
    """提交申请 (idempotent: a repeat returns the submitted case with its 办件编号)."""

    @extend_schema(request=ApplicationSubmitSerializer, responses=MyCaseSerializer)
    @idempotent
    def post(self, request, pk: int):
        case = selectors.my_application(request.user, pk)
        form = ApplicationSubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        case = apply.submit(
            request.user, case, form=data.get("form"), commitment=data["commitment"]
        )
        return Response(MyCaseSerializer(case).data)


class Resubmit(APIView):
    """补正后重新提交."""

    @extend_schema(request=ApplicationResubmitSerializer, responses=MyCaseSerializer)
    @idempotent
    def post(self, request, pk: int):
        case = selectors.my_application(request.user, pk)
        form = ApplicationResubmitSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = apply.resubmit(request.user, case, form=form.validated_data.get("form"))
        return Response(MyCaseSerializer(case).data)


class Withdraw(APIView):
    """撤件 with a reason."""

    @extend_schema(request=ApplicationWithdrawSerializer, responses=MyCaseSerializer)
    def post(self, request, pk: int):
        case = selectors.my_application(request.user, pk)
        form = ApplicationWithdrawSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        case = apply.withdraw(request.user, case, reason=form.validated_data["reason"])
        return Response(MyCaseSerializer(case).data)


class MyCases(APIView):
    """我的办件: submitted cases, newest first; ``?after=<id>`` continues (keyset)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("after", OpenApiTypes.INT, required=False),
            OpenApiParameter("limit", OpenApiTypes.INT, required=False),
        ],
        responses=MyCasePageSerializer,
        operation_id="my_cases_list",
    )
    def get(self, request):
        after, limit = request.query_params.get("after"), request.query_params.get("limit")
        limit = int(limit) if limit and limit.isdigit() else 20
        cases = selectors.my_cases(
            request.user, after=int(after) if after and after.isdigit() else None, limit=limit
        )
        following = None
        if len(cases) == max(1, min(limit, 200)):
            following = request.build_absolute_uri(
                f"{request.path}?after={cases[-1].pk}&limit={limit}"
            )
        return Response({"results": MyCaseSerializer(cases, many=True).data, "next": following})


class MyCase(APIView):
    """One of my cases by 办件编号: state, timeline, materials, result, receipt."""

    @extend_schema(operation_id="my_cases_retrieve", responses=MyCaseSerializer)
    def get(self, request, number: str):
        return Response(MyCaseSerializer(selectors.my_case(request.user, number)).data)


class Progress(APIView):
    """办件进度查询 (public): ``number`` and ``id_tail`` (last four characters of the
    applicant's document number); any miss is the same 404. Limited per address."""

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter("number", OpenApiTypes.STR, required=True),
            OpenApiParameter("id_tail", OpenApiTypes.STR, required=True),
        ],
        responses=CaseProgressSerializer,
    )
    def get(self, request):
        wait = ratelimit.hit("progress", policy.client_ip(request), progress_rate())
        if wait:
            raise exceptions.Throttled(wait, detail=_("查询过于频繁，请稍后再试"))
        params = request.query_params
        result = selectors.progress(params.get("number", "")[:40], params.get("id_tail", "")[:8])
        if result is None:
            raise exceptions.NotFound(_("未查询到相符的办件，请核对办件编号和证件号码后四位"))
        return Response(CaseProgressSerializer(result).data)


urlpatterns = [
    path("applications/", Applications.as_view(), name="cases-applications"),
    path("applications/<int:pk>/", Application.as_view(), name="cases-application"),
    path("applications/<int:pk>/materials/", Materials.as_view(), name="cases-materials"),
    path("applications/<int:pk>/submit/", Submit.as_view(), name="cases-submit"),
    path("applications/<int:pk>/resubmit/", Resubmit.as_view(), name="cases-resubmit"),
    path("applications/<int:pk>/withdraw/", Withdraw.as_view(), name="cases-withdraw"),
    path("my/cases/", MyCases.as_view(), name="cases-my-cases"),
    path("my/cases/<str:number>/", MyCase.as_view(), name="cases-my-case"),
    path("progress/", Progress.as_view(), name="cases-progress"),
]
