"""电子监察 API: the supervision page's figures as JSON (same selectors, same numbers) for
holders of ``cases.supervise``; ``from`` / ``to`` / ``organisation`` as on the page."""

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from shuzheng.foundation import access
from shuzheng.services.cases.selectors import supervision

FILTERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, description=_("统计期间开始日期（默认本月 1 日）")),
    OpenApiParameter("to", OpenApiTypes.DATE, description=_("统计期间结束日期（默认今天）")),
    OpenApiParameter(
        "organisation", OpenApiTypes.INT, description=_("部门或区域（须在本人监察范围内）")
    ),
]


class FiguresSerializer(serializers.Serializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    received = serializers.IntegerField(help_text=_("收件数（期间内申请）"))
    concluded = serializers.IntegerField(help_text=_("办结数（期间内办结）"))
    on_time = serializers.IntegerField(help_text=_("按时办结数"))
    on_time_rate = serializers.FloatField(allow_null=True, help_text=_("按时办结率（百分比）"))
    average_working_days = serializers.FloatField(
        allow_null=True, help_text=_("办结件平均用时（工作日）")
    )
    overdue = serializers.IntegerField(help_text=_("当前超期在办件"))
    approaching = serializers.IntegerField(help_text=_("当前临期在办件"))
    corrected = serializers.IntegerField(help_text=_("期间内申请且曾补正的件数"))
    correction_rate = serializers.FloatField(allow_null=True, help_text=_("补正率（百分比）"))
    rejected = serializers.IntegerField(help_text=_("不予受理"))
    denied = serializers.IntegerField(help_text=_("不予准予（期间内办结且结果为不予）"))


class DepartmentSerializer(FiguresSerializer):
    drill = serializers.BooleanField(help_text=_("可按下级继续统计（以此 id 作 organisation）"))


class ItemFiguresSerializer(FiguresSerializer):
    code = serializers.CharField(help_text=_("实施编码"))


class PeriodSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()


class DepartmentReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    organisation = serializers.IntegerField(allow_null=True)
    total = FiguresSerializer()
    results = DepartmentSerializer(many=True)


class ItemReportSerializer(serializers.Serializer):
    period = PeriodSerializer()
    organisation = serializers.IntegerField(allow_null=True)
    total = FiguresSerializer()
    results = ItemFiguresSerializer(many=True)


class OverdueCaseSerializer(serializers.Serializer):
    number = serializers.CharField()
    item = serializers.CharField()
    organisation = serializers.CharField()
    organisation_id = serializers.IntegerField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    applicant = serializers.CharField()
    handler = serializers.CharField()
    due_at = serializers.DateTimeField()
    overdue_working_days = serializers.IntegerField()


class OverdueSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField(help_text=_("当前超期件总数"))
    results = OverdueCaseSerializer(many=True)


def _report(report: supervision.Report, *, departments: bool) -> dict:
    return {
        "period": {"start": report.period.start, "end": report.period.end},
        "organisation": report.organisation.pk if report.organisation else None,
        "total": report.total.as_dict(),
        "results": [f.as_dict() | ({"drill": f.drill} if departments else {}) for f in report.rows],
    }


class SupervisionView(APIView):
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        access.require(request.user, supervision.CAPABILITY)


class DepartmentsView(SupervisionView):
    """电子监察 · 分部门: received, concluded, on-time rate, average days, overdue … per
    department or area (each row its subtree) within the caller's supervision scope."""

    @extend_schema(parameters=FILTERS, responses=DepartmentReportSerializer)
    def get(self, request):
        period, organisation = supervision.filters(request.user, request.query_params)
        report = supervision.departments(request.user, period, organisation=organisation)
        return Response(DepartmentReportSerializer(_report(report, departments=True)).data)


class ItemsView(SupervisionView):
    """电子监察 · 分事项: the same figures per 实施清单 item, most received first."""

    @extend_schema(parameters=FILTERS, responses=ItemReportSerializer)
    def get(self, request):
        period, organisation = supervision.filters(request.user, request.query_params)
        report = supervision.items(request.user, period, organisation=organisation)
        return Response(ItemReportSerializer(_report(report, departments=False)).data)


class OverdueView(SupervisionView):
    """电子监察 · 超期督办: open cases past their deadline now, longest overdue first."""

    @extend_schema(
        parameters=[
            FILTERS[2],
            OpenApiParameter(
                "limit", OpenApiTypes.INT, description=_("最多返回件数（默认 100，最多 500）")
            ),
        ],
        responses=OverdueSerializer,
    )
    def get(self, request):
        _period, organisation = supervision.filters(
            request.user, {"organisation": request.query_params.get("organisation")}
        )
        try:
            limit = int(request.query_params.get("limit") or 100)
        except ValueError:
            limit = 100
        now = timezone.now()
        cases = supervision.overdue_cases(
            request.user, organisation=organisation, limit=limit, now=now
        )
        return Response(
            OverdueSerializer(
                {
                    "organisation": organisation.pk if organisation else None,
                    "count": supervision.overdue_count(
                        request.user, organisation=organisation, now=now
                    ),
                    "results": supervision.overdue_rows(cases, now),
                }
            ).data
        )


urlpatterns = [
    path("supervision/departments/", DepartmentsView.as_view(), name="supervision-departments"),
    path("supervision/items/", ItemsView.as_view(), name="supervision-items"),
    path("supervision/overdue/", OverdueView.as_view(), name="supervision-overdue"),
]
