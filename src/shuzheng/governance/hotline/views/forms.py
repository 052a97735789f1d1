"""Forms of the 12345 pages. They check the shape of the input (required fields, choices,
numbers); the rules themselves (a category that needs a location, a unit outside the
dispatcher's scope, a photo that is not an image …) are the services', whose field errors
the views put back onto these forms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.identity.models import Organisation
from shuzheng.governance.hotline.models import (
    Category,
    Channel,
    RequestType,
    Satisfaction,
    UrgeKind,
    Urgency,
)

MAX_PHOTOS = 9
STAFF_CHANNELS = [
    (c.value, c.label)
    for c in (Channel.PHONE, Channel.WECHAT, Channel.MAILBOX, Channel.APP, Channel.WEB)
]


class StyledBoundField(BoundField):
    """Bootstrap classes on every widget, and ``is-invalid`` once the field has errors
    (Django itself adds ``aria-invalid`` and ``aria-describedby``)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.RadioSelect)):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select"
        elif widget.is_hidden:
            css = ""
        else:
            css = "form-control"
        if self.errors and css:
            css += " is-invalid"
        existing = attrs.get("class", "")
        attrs["class"] = f"{existing} {css}".strip()
        return attrs


class StyledForm(forms.Form):
    bound_field_class = StyledBoundField

    def __init__(self, *args, user=None, order=None, **kwargs):
        self.user, self.order = user, order
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; the services decide what an image is (sniffed bytes)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise ValidationError(
                _("最多上传 %(n)s 张照片"), code="too_many", params={"n": MAX_PHOTOS}
            )
        single = super().clean
        return [single(f, initial) for f in files]


# --------------------------------------------------------------------------- categories


def leaf_categories(*, needs_location: bool | None = None):
    """Active leaves of the tree (the categories an order can carry), with their parents."""
    rows = Category.objects.filter(is_active=True, children__isnull=True).select_related(
        "parent", "parent__parent"
    )
    if needs_location is not None:
        rows = rows.filter(needs_location=needs_location)
    return rows.order_by("code")


def category_groups(rows) -> list:
    """Choices grouped by the upper levels: ("01 城乡建设 › 0101 市容环卫", [(pk, "010101
    垃圾清运"), …]) — a searchable select that shows the 6-digit codes."""
    groups: dict[str, list] = {}
    for category in rows:
        path = []
        node = category.parent
        while node is not None:
            path.insert(0, f"{node.code} {node.name}")
            node = node.parent
        groups.setdefault(" › ".join(path) or str(_("其他")), []).append(
            (category.pk, f"{category.code} {category.name}")
        )
    return [("", "—")] + list(groups.items())


class CategoryField(forms.ModelChoiceField):
    def __init__(self, *, needs_location=None, **kwargs):
        rows = leaf_categories(needs_location=needs_location)
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("诉求分类"))
        super().__init__(queryset=rows, **kwargs)
        self.choices = category_groups(rows)
        self.error_messages["invalid_choice"] = _("请选择有效的末级分类")


def unit_field(units, *, required=True, label=None) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(pk__in=[u.pk for u in units]).order_by("path"),
        required=required,
        label=label or _("承办单位"),
        empty_label="—",
    )
    field.error_messages["invalid_choice"] = _("该单位不在您可派单的范围内")
    field.error_messages["required"] = _("请选择承办单位")
    return field


# --------------------------------------------------------------------------- intake


class IntakeForm(StyledForm):
    """来电登记 (the operator's screen)."""

    caller_phone = forms.CharField(
        label=_("来电号码"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        help_text=_("输入后显示该号码的历史工单（号码脱敏显示）"),
    )
    caller_name = forms.CharField(label=_("诉求人姓名"), max_length=60, required=False)
    anonymous = forms.BooleanField(label=_("匿名（不向承办单位显示诉求人）"), required=False)
    channel = forms.ChoiceField(label=_("受理渠道"), choices=STAFF_CHANNELS, initial="phone")
    request_type = forms.ChoiceField(label=_("诉求类型"), choices=[("", "—"), *RequestType.choices])
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial="normal")
    title = forms.CharField(
        label=_("诉求标题"), max_length=120, required=False, help_text=_("留空则取内容开头")
    )
    content = forms.CharField(
        label=_("诉求内容"), widget=forms.Textarea(attrs={"rows": 6}), max_length=4000
    )
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    latitude = forms.FloatField(
        label=_("纬度"), required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        label=_("经度"), required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    related_case = forms.CharField(label=_("关联办件编号"), max_length=32, required=False)
    answer = forms.CharField(
        label=_("直接答复内容"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "id": "answer"}),
        help_text=_("可引用右侧知识库的答复口径；“直接答复办结”时必填"),
    )

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = CategoryField()
        self.fields["unit"] = unit_field(units, required=False, label=_("派往单位"))
        self.fields["content"].error_messages["required"] = _("请填写诉求内容")
        self.fields["request_type"].error_messages["required"] = _("请选择诉求类型")


# --------------------------------------------------------------------------- portal / mobile


class ReportForm(StyledForm):
    """我要反映 (portal)."""

    request_type = forms.ChoiceField(label=_("诉求类型"), choices=[("", "—"), *RequestType.choices])
    title = forms.CharField(label=_("标题"), max_length=120, required=False)
    content = forms.CharField(
        label=_("反映内容"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=4000,
        help_text=_("请写明事情经过、时间和具体位置，便于尽快处理"),
    )
    address = forms.CharField(label=_("详细地址"), max_length=200, required=False)
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    photos = PhotosField(
        label=_("照片"), help_text=_("可选，最多 9 张，仅限 JPEG 或 PNG 图片，每张不超过 10 MB")
    )
    anonymous = forms.BooleanField(
        label=_("匿名反映（承办单位看不到我的姓名和电话）"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["content"].error_messages["required"] = _("请填写反映内容")
        self.fields["request_type"].error_messages["required"] = _("请选择诉求类型")


class GridReportForm(StyledForm):
    """网格员上报 (mobile): on-site categories only."""

    urgency = forms.ChoiceField(label=_("紧急程度"), choices=Urgency.choices, initial="normal")
    content = forms.CharField(
        label=_("现场情况"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000
    )
    address = forms.CharField(label=_("详细地址"), max_length=200, required=False)
    latitude = forms.FloatField(
        required=False, min_value=-90, max_value=90, widget=forms.HiddenInput
    )
    longitude = forms.FloatField(
        required=False, min_value=-180, max_value=180, widget=forms.HiddenInput
    )
    photos = PhotosField(
        label=_("现场照片"),
        widget=MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"}),
        help_text=_("拍照或从相册选择，最多 9 张"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"] = CategoryField(
            needs_location=True, required=True, label=_("问题类别")
        )
        self.fields["category"].error_messages["required"] = _("请选择问题类别")
        self.fields["content"].error_messages["required"] = _("请描述现场情况")
        self.order_fields(["category", "urgency", "content", "address", "photos"])


# --------------------------------------------------------------------------- order actions


class EmptyForm(StyledForm):
    pass


class DispatchForm(StyledForm):
    """派单: to a unit in the dispatcher's scope, confirming or correcting the category."""

    opinion = forms.CharField(
        label=_("派单意见"), required=False, max_length=500, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from shuzheng.governance.hotline.selectors import orders

        units = orders.dispatch_targets(self.user, self.order)
        self.fields["unit"] = unit_field(units)
        self.fields["category"] = CategoryField(
            label=_("确认分类"),
            help_text=_("确认或更正分类；更正后的分类用于训练分类模型"),
        )
        self.fields["co_units"] = forms.ModelMultipleChoiceField(
            queryset=self.fields["unit"].queryset,
            required=False,
            label=_("协办单位"),
            widget=forms.SelectMultiple(attrs={"size": 4}),
        )
        self.initial.setdefault("category", getattr(self.order, "category_id", None))
        suggested = ((getattr(self.order, "suggestion", None) or {}).get("unit") or {}).get("id")
        if suggested:
            self.initial.setdefault("unit", suggested)
        self.order_fields(["unit", "category", "co_units", "opinion"])


class UnitForm(StyledForm):
    """下派 / 改派."""

    opinion = forms.CharField(
        label=_("意见"), required=False, max_length=500, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from shuzheng.governance.hotline.selectors import orders

        self.fields["unit"] = unit_field(orders.dispatch_targets(self.user, self.order))
        self.order_fields(["unit", "opinion"])


class AnswerForm(StyledForm):
    answer = forms.CharField(
        label=_("答复内容"), max_length=4000, widget=forms.Textarea({"rows": 4})
    )


class MergeForm(StyledForm):
    master = forms.CharField(
        label=_("主工单编号"), max_length=20, help_text=_("本工单并入该工单，随其答复")
    )
    reason = forms.CharField(
        label=_("合并理由"), max_length=500, widget=forms.Textarea({"rows": 2})
    )

    def clean_master(self):
        from shuzheng.governance.hotline.selectors import orders

        number = self.cleaned_data["master"].strip()
        try:
            master = orders.order(self.user, number)
        except Http404:
            raise ValidationError(_("找不到工单 %(number)s"), params={"number": number}) from None
        if self.order is not None and master.pk == self.order.pk:
            raise ValidationError(_("不能并入工单本身"))
        return master


class ReasonForm(StyledForm):
    reason = forms.CharField(label=_("理由"), max_length=500, widget=forms.Textarea({"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _("请填写理由")


class OpinionForm(StyledForm):
    opinion = forms.CharField(
        label=_("审批意见"), max_length=500, widget=forms.Textarea({"rows": 2})
    )


class ExtensionForm(StyledForm):
    days = forms.IntegerField(label=_("延期（工作日）"), min_value=1, max_value=30, initial=5)
    reason = forms.CharField(
        label=_("延期理由"), max_length=500, widget=forms.Textarea({"rows": 3})
    )


class ReplyForm(StyledForm):
    reply = forms.CharField(
        label=_("办理结果"),
        max_length=4000,
        widget=forms.Textarea({"rows": 4}),
        help_text=_("写明处理情况与结果；审核通过后回访诉求人"),
    )


class CallbackForm(StyledForm):
    """回访: 满意 / 基本满意 / 无法联系 → 办结归档; 不满意 → 重办."""

    satisfaction = forms.ChoiceField(
        label=_("回访结果"), choices=[("", "—"), *Satisfaction.choices]
    )
    score = forms.IntegerField(
        label=_("满意度评分（1–5）"), min_value=1, max_value=5, required=False
    )
    comment = forms.CharField(
        label=_("回访意见"), max_length=500, required=False, widget=forms.Textarea({"rows": 2})
    )
    reason = forms.CharField(
        label=_("重办理由"),
        max_length=500,
        required=False,
        help_text=_("不满意时填写；留空则取回访意见"),
    )

    def clean(self):
        data = super().clean()
        if data.get("satisfaction") == Satisfaction.UNSATISFIED and not (
            data.get("reason") or data.get("comment")
        ):
            self.add_error("reason", _("不满意重办须写明理由或回访意见"))
        return data


class UrgeForm(StyledForm):
    kind = forms.ChoiceField(label=_("类型"), choices=UrgeKind.choices, initial="urge")
    note = forms.CharField(label=_("督办意见"), max_length=500, widget=forms.Textarea({"rows": 2}))
