"""Serializers of the 12345 order API. The caller's name and phone are shown masked
(李*明, 138****8000; an anonymous caller as 匿名) — the full values only through the audited
reveal endpoint."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from shuzheng.foundation.identity.validators import mask_mobile
from shuzheng.foundation.workflow.models import TransitionRecord
from shuzheng.governance.hotline.models import TIMED_STATES, Category, Urge, WorkOrder
from shuzheng.governance.hotline.selectors import orders as selectors


def mask_name(name: str) -> str:
    """李*明, 李*: the first (and last) character only."""
    if not name:
        return ""
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def masked_caller(order: WorkOrder) -> dict:
    return {
        "name": _("匿名") if order.anonymous else mask_name(order.caller_name or ""),
        "phone": mask_mobile(order.caller_phone) if order.caller_phone else "",
    }


def deadline_flags(order: WorkOrder, now) -> dict:
    timed = order.state in TIMED_STATES and order.sla_state == "running"
    overdue = bool(timed and order.due_at and now > order.due_at)
    return {
        "overdue": overdue,
        "approaching": bool(
            timed and not overdue and order.urge_at and order.due_at and now >= order.urge_at
        ),
        "sign_overdue": bool(
            order.state == "dispatched" and order.sign_due_at and now > order.sign_due_at
        ),
    }


# --------------------------------------------------------------------------- reference


class HotlineCategorySerializer(serializers.ModelSerializer):
    children = serializers.SerializerMethodField()

    class Meta:
        model = Category
        fields = ["id", "code", "name", "level", "needs_location", "open311", "children"]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_children(self, category) -> list:
        below = self.context.get("children", {}).get(category.pk, [])
        return HotlineCategorySerializer(below, many=True, context=self.context).data


# --------------------------------------------------------------------------- orders


class OrderSummarySerializer(serializers.ModelSerializer):
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    channel_label = serializers.CharField(source="get_channel_display", read_only=True)
    request_type_label = serializers.CharField(source="get_request_type_display", read_only=True)
    urgency_label = serializers.CharField(source="get_urgency_display", read_only=True)
    category_code = serializers.CharField(source="category.code", read_only=True, default="")
    category_name = serializers.CharField(source="category.name", read_only=True, default="")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    district_name = serializers.CharField(source="district.name", read_only=True, default="")
    grid_name = serializers.CharField(source="grid.name", read_only=True, default="")
    caller_name = serializers.SerializerMethodField(help_text=gettext_lazy("诉求人（脱敏）"))
    caller_phone = serializers.SerializerMethodField(help_text=gettext_lazy("联系电话（脱敏）"))
    is_overdue = serializers.SerializerMethodField(help_text=gettext_lazy("已超期"))
    is_approaching = serializers.SerializerMethodField(help_text=gettext_lazy("即将超期"))
    sign_overdue = serializers.SerializerMethodField(help_text=gettext_lazy("签收超时"))

    class Meta:
        model = WorkOrder
        fields = [
            "id",
            "number",
            "state",
            "state_label",
            "channel",
            "channel_label",
            "request_type",
            "request_type_label",
            "urgency",
            "urgency_label",
            "category",
            "category_code",
            "category_name",
            "title",
            "unit",
            "unit_name",
            "district",
            "district_name",
            "grid_name",
            "caller_name",
            "caller_phone",
            "callers_count",
            "created_at",
            "sign_due_at",
            "due_at",
            "urge_at",
            "sla_state",
            "urged",
            "supervised",
            "is_overdue",
            "is_approaching",
            "sign_overdue",
        ]
        read_only_fields = fields

    def _flags(self, order) -> dict:
        from django.utils import timezone

        return deadline_flags(order, self.context.get("now") or timezone.now())

    def get_caller_name(self, order) -> str:
        return masked_caller(order)["name"]

    def get_caller_phone(self, order) -> str:
        return masked_caller(order)["phone"]

    def get_is_overdue(self, order) -> bool:
        return self._flags(order)["overdue"]

    def get_is_approaching(self, order) -> bool:
        return self._flags(order)["approaching"]

    def get_sign_overdue(self, order) -> bool:
        return self._flags(order)["sign_overdue"]


class OrderHistorySerializer(serializers.ModelSerializer):
    unit_name = serializers.SerializerMethodField()

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
            "unit_name",
            "at",
        ]
        read_only_fields = fields

    def get_unit_name(self, record) -> str:
        return str((record.data or {}).get("unit_name", ""))


class OrderUrgeSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    deadline_label = serializers.CharField(source="get_deadline_display", read_only=True)
    by_name = serializers.SerializerMethodField()
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Urge
        fields = [
            "kind",
            "kind_label",
            "deadline",
            "deadline_label",
            "automatic",
            "by_name",
            "unit",
            "unit_name",
            "note",
            "at",
        ]
        read_only_fields = fields

    def get_by_name(self, urge) -> str:
        return str(urge.by) if urge.by_id else _("系统")


class OrderActionSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()
    fields = serializers.ListField(child=serializers.CharField())


class OrderPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField(allow_blank=True)


class OrderDetailSerializer(OrderSummarySerializer):
    dispatched_by_name = serializers.CharField(
        source="dispatched_by.name", read_only=True, default=""
    )
    co_unit_names = serializers.SerializerMethodField()
    master_number = serializers.CharField(source="master.number", read_only=True, default="")
    followers = serializers.SerializerMethodField()
    photos = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()
    urges = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    revision = serializers.IntegerField(source="workflow.revision", read_only=True)
    satisfaction_label = serializers.CharField(source="get_satisfaction_display", read_only=True)

    class Meta(OrderSummarySerializer.Meta):
        fields = [
            *OrderSummarySerializer.Meta.fields,
            "content",
            "address",
            "latitude",
            "longitude",
            "anonymous",
            "dispatched_by",
            "dispatched_by_name",
            "co_unit_names",
            "suggestion",
            "category_confirmed",
            "signed_at",
            "extension_days",
            "extension_reason",
            "reply",
            "replied_at",
            "satisfaction",
            "satisfaction_label",
            "callback_score",
            "callback_comment",
            "callback_at",
            "callback_due",
            "rework_count",
            "return_count",
            "closed_at",
            "on_time",
            "related_case",
            "master_number",
            "followers",
            "photos",
            "history",
            "urges",
            "actions",
            "revision",
        ]
        read_only_fields = fields

    def get_co_unit_names(self, order) -> list[str]:
        return [u.name for u in order.co_units.order_by("path")]

    def get_followers(self, order) -> list[str]:
        return [f.number for f in selectors.followers(order)]

    @extend_schema_field(OrderPhotoSerializer(many=True))
    def get_photos(self, order):
        rows = []
        for photo in selectors.photos(order):
            try:
                url = reverse(
                    "hotline:order-photo", kwargs={"number": order.number, "pk": photo.pk}
                )
            except NoReverseMatch:
                url = ""
            rows.append({"id": photo.pk, "name": photo.file.name, "url": url})
        return OrderPhotoSerializer(rows, many=True).data

    @extend_schema_field(OrderHistorySerializer(many=True))
    def get_history(self, order):
        return OrderHistorySerializer(selectors.history(order), many=True).data

    @extend_schema_field(OrderUrgeSerializer(many=True))
    def get_urges(self, order):
        return OrderUrgeSerializer(selectors.urges(order), many=True).data

    @extend_schema_field(OrderActionSerializer(many=True))
    def get_actions(self, order):
        from shuzheng.governance.hotline.api.orders import available_actions

        request = self.context.get("request")
        if request is None:
            return []
        return OrderActionSerializer(available_actions(request.user, order), many=True).data


class OrderPageSerializer(serializers.Serializer):
    results = OrderSummarySerializer(many=True)
    next = serializers.CharField(allow_null=True, help_text=gettext_lazy("下一页地址（无则为空）"))


class DuplicateCandidateSerializer(serializers.Serializer):
    order = OrderSummarySerializer()
    distance_m = serializers.FloatField(help_text=gettext_lazy("距离（米）"))


# --------------------------------------------------------------------------- requests


class OrderRegisterSerializer(serializers.Serializer):
    """登记工单: the service checks every field and answers in Chinese field errors."""

    channel = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=gettext_lazy("受理渠道；工作人员默认电话，市民默认网站"),
    )
    request_type = serializers.CharField(required=False, allow_blank=True, default="")
    content = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    title = serializers.CharField(required=False, allow_blank=True, default="")
    category = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text=gettext_lazy("诉求分类 id 或 6 位编码"),
    )
    urgency = serializers.CharField(required=False, allow_blank=True, default="normal")
    address = serializers.CharField(required=False, allow_blank=True, default="")
    latitude = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None
    )
    longitude = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None
    )
    caller_name = serializers.CharField(required=False, allow_blank=True, default="")
    caller_phone = serializers.CharField(required=False, allow_blank=True, default="")
    anonymous = serializers.BooleanField(required=False, default=False)
    related_case = serializers.CharField(required=False, allow_blank=True, default="")


class OrderActSerializer(serializers.Serializer):
    """The fields of every action; each action reads the ones it needs (``actions`` of an
    order lists them)."""

    revision = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text=gettext_lazy("读取时的修订号（也可用 If-Match 请求头）；已变化则返回 409"),
    )
    answer = serializers.CharField(required=False, allow_blank=True)
    article = serializers.IntegerField(required=False, allow_null=True)
    master = serializers.CharField(
        required=False, allow_blank=True, help_text=gettext_lazy("主工单编号")
    )
    unit = serializers.IntegerField(required=False, allow_null=True)
    category = serializers.CharField(required=False, allow_blank=True, allow_null=True)
    co_units = serializers.ListField(child=serializers.IntegerField(), required=False)
    opinion = serializers.CharField(required=False, allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True)
    days = serializers.IntegerField(required=False, allow_null=True)
    approve = serializers.BooleanField(required=False, allow_null=True, default=None)
    reply = serializers.CharField(required=False, allow_blank=True)
    attachments = serializers.ListField(child=serializers.CharField(), required=False)
    satisfaction = serializers.CharField(required=False, allow_blank=True)
    score = serializers.IntegerField(required=False, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.CharField(required=False, allow_blank=True)
    note = serializers.CharField(required=False, allow_blank=True)


class CallerRevealSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CallerDetailSerializer(serializers.Serializer):
    caller_name = serializers.CharField()
    caller_phone = serializers.CharField()
    anonymous = serializers.BooleanField()
