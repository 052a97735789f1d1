"""Forms of the catalogue pages. They check the shape of the input (required fields, choices,
numbers); the catalogue's rules (就高从严, masking by level, 不予共享 needs its basis …) are the
services', whose field errors the views put back onto these forms."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from shuzheng.data.catalog.models import (
    CatalogueKind,
    Classification,
    DataType,
    Grade,
    ImpactDegree,
    ImpactObject,
    MaskRule,
    OpenType,
    ResourceFormat,
    ShareMethod,
    ShareType,
    UpdateCycle,
)
from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation

BLANK = [("", "—")]
GRADING_FACTORS = ("领域", "群体", "区域", "精度", "规模", "深度", "覆盖度", "重要性")


class StyledBoundField(BoundField):
    """Bootstrap classes on every widget, and ``is-invalid`` once the field has errors
    (Django itself adds ``aria-invalid`` and ``aria-describedby``)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
            css = "form-check-input"
        elif isinstance(widget, forms.CheckboxSelectMultiple):
            css = ""
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


def editable_organisations(user):
    """Organisations whose catalogue ``user`` edits (``datacatalog.edit`` subtrees)."""
    paths = access.org_paths(user, "datacatalog.edit")
    if not paths:
        return Organisation.objects.none()
    within = Q()
    for path in paths:
        within |= Q(path__startswith=path)
    return Organisation.objects.filter(within, is_active=True).order_by("path")


def _codes(value: str) -> list[str]:
    import re

    return [c for c in re.split(r"[\s,，、;；]+", value or "") if c]


class EntryForm(StyledForm):
    """编目 / 修改目录: the entry's own fields. The classification and the provider are chosen
    once (the code follows the classification)."""

    classification = forms.ModelChoiceField(
        label=_("信息资源分类"), queryset=Classification.objects.none(), empty_label="—"
    )
    provider = forms.ModelChoiceField(
        label=_("信息资源提供方"), queryset=Organisation.objects.none(), empty_label=None
    )
    name = forms.CharField(label=_("信息资源名称"), max_length=200)
    summary = forms.CharField(
        label=_("信息资源摘要"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )
    kind = forms.ChoiceField(label=_("目录类别"), choices=BLANK + CatalogueKind.choices)
    theme = forms.CharField(label=_("主题"), max_length=40, required=False)
    resource_format = forms.ChoiceField(
        label=_("信息资源格式"), choices=BLANK + ResourceFormat.choices
    )
    keywords = forms.CharField(
        label=_("关键字"), max_length=500, required=False, help_text=_("多个关键字用顿号或逗号分隔")
    )
    update_cycle = forms.ChoiceField(label=_("更新周期"), choices=BLANK + UpdateCycle.choices)
    share_type = forms.ChoiceField(label=_("共享类型"), choices=BLANK + ShareType.choices)
    share_condition = forms.CharField(
        label=_("共享条件"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("有条件共享时必填"),
    )
    share_method = forms.ChoiceField(label=_("共享方式"), choices=BLANK + ShareMethod.choices)
    not_shared_basis = forms.CharField(
        label=_("不予共享依据"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("不予共享时必须写明法律、行政法规或政策依据"),
    )
    open_type = forms.ChoiceField(label=_("开放类型"), choices=BLANK + OpenType.choices)
    open_condition = forms.CharField(
        label=_("开放条件"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("有条件开放时必填"),
    )
    on_platform = forms.BooleanField(
        label=_("已汇聚到共享平台"),
        required=False,
        initial=True,
        help_text=_("决定有条件共享的答复时限：已汇聚 5 个工作日，未汇聚 10 个工作日"),
    )
    maintainer = forms.ModelChoiceField(
        label=_("元数据维护方"),
        queryset=Organisation.objects.none(),
        required=False,
        empty_label=_("同提供方"),
    )
    related = forms.CharField(
        label=_("关联资源代码"),
        max_length=1000,
        required=False,
        help_text=_("已发布目录的信息资源代码，多个用逗号分隔"),
    )
    sources = forms.CharField(
        label=_("来源资源代码（派生数据）"),
        max_length=1000,
        required=False,
        help_text=_("本资源由哪些已发布目录派生；就高从严，级别不低于来源资源"),
    )

    def __init__(self, *args, user=None, entry=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user, self.entry = user, entry
        orgs = editable_organisations(user)
        if entry is not None:  # fixed once created
            del self.fields["classification"]
            del self.fields["provider"]
            orgs = orgs | Organisation.objects.filter(pk=entry.maintainer_id)
        else:
            self.fields["classification"].queryset = Classification.objects.order_by("code")
            self.fields["provider"].queryset = orgs
            self.fields["classification"].error_messages["required"] = _("请选择信息资源分类")
        self.fields["maintainer"].queryset = orgs.distinct()
        for name in ("kind", "resource_format", "update_cycle", "share_type", "share_method"):
            self.fields[name].error_messages["required"] = _("请选择%(label)s") % {
                "label": self.fields[name].label
            }
        self.fields["open_type"].error_messages["required"] = _("请选择开放类型")
        self.fields["name"].error_messages["required"] = _("请填写信息资源名称")
        self.fields["summary"].error_messages["required"] = _("请填写信息资源摘要")

    @staticmethod
    def initial_of(entry) -> dict:
        return {
            "name": entry.name,
            "summary": entry.summary,
            "kind": entry.kind,
            "theme": entry.theme,
            "resource_format": entry.resource_format,
            "keywords": "、".join(entry.keywords or []),
            "update_cycle": entry.update_cycle,
            "share_type": entry.share_type,
            "share_condition": entry.share_condition,
            "share_method": entry.share_method,
            "not_shared_basis": entry.not_shared_basis,
            "open_type": entry.open_type,
            "open_condition": entry.open_condition,
            "on_platform": entry.on_platform,
            "maintainer": entry.maintainer_id if entry.maintainer_id != entry.provider_id else None,
            "related": "，".join(sorted(entry.related.values_list("code", flat=True))),
            "sources": "，".join(sorted(entry.sources.values_list("code", flat=True))),
        }

    def service_values(self) -> dict:
        """The cleaned data as the services take it."""
        data = dict(self.cleaned_data)
        data["related"] = _codes(data.get("related", ""))
        data["sources"] = _codes(data.get("sources", ""))
        if self.entry is not None:
            data["maintainer"] = data.get("maintainer") or self.entry.provider
        elif data.get("maintainer") is None:
            data.pop("maintainer", None)
        return data


class ItemForm(StyledForm):
    """One 信息项 row of the items editor."""

    code = forms.CharField(label=_("信息项标识"), max_length=60)
    name = forms.CharField(label=_("信息项名称"), max_length=100)
    data_type = forms.ChoiceField(label=_("数据类型"), choices=BLANK + DataType.choices)
    length = forms.IntegerField(label=_("长度"), min_value=1, required=False)
    grade = forms.ChoiceField(label=_("数据级别"), choices=BLANK + Grade.choices)
    personal = forms.BooleanField(label=_("个人信息"), required=False)
    sensitive_personal = forms.BooleanField(label=_("敏感个人信息"), required=False)
    mask = forms.ChoiceField(label=_("脱敏方式"), choices=MaskRule.choices, initial="none")
    is_key = forms.BooleanField(label=_("查询主键"), required=False)
    description = forms.CharField(label=_("说明"), max_length=300, required=False)
    impact_object = forms.ChoiceField(
        label=_("影响对象"), choices=BLANK + ImpactObject.choices, required=False
    )
    impact_degree = forms.ChoiceField(
        label=_("影响程度"), choices=BLANK + ImpactDegree.choices, required=False
    )
    grade_basis = forms.CharField(label=_("定级依据"), max_length=2000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].error_messages["required"] = _("请填写信息项标识")
        self.fields["name"].error_messages["required"] = _("请填写信息项名称")
        self.fields["data_type"].error_messages["required"] = _("请选择数据类型")
        self.fields["grade"].error_messages["required"] = _("请选择数据级别")


ItemFormSet = forms.formset_factory(ItemForm, extra=0, can_delete=True, max_num=500)


class GradingForm(StyledForm):
    """定级建议: the entry as a whole or one item, to a level, with its impact and basis."""

    item_code = forms.ChoiceField(label=_("定级对象"), required=False)
    to_grade = forms.ChoiceField(label=_("拟定级别"), choices=BLANK + Grade.choices)
    impact_object = forms.ChoiceField(label=_("影响对象"), choices=BLANK + ImpactObject.choices)
    impact_degree = forms.ChoiceField(label=_("影响程度"), choices=BLANK + ImpactDegree.choices)
    factors = forms.MultipleChoiceField(
        label=_("定级要素"),
        choices=[(f, f) for f in GRADING_FACTORS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    basis = forms.CharField(
        label=_("定级依据"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, entry=None, **kwargs):
        super().__init__(*args, **kwargs)
        items = list(entry.items.order_by("sort_order", "pk")) if entry is not None else []
        self.fields["item_code"].choices = [("", _("整个信息资源（条目定级）"))] + [
            (i.code, f"{i.name}（{i.code}）· {i.get_grade_display()}") for i in items
        ]
        self.fields["to_grade"].error_messages["required"] = _("请选择拟定级别")
        self.fields["impact_object"].error_messages["required"] = _("请选择影响对象")
        self.fields["impact_degree"].error_messages["required"] = _("请选择影响程度")
        self.fields["basis"].error_messages["required"] = _("请写明定级依据")


class OpinionForm(StyledForm):
    opinion = forms.CharField(
        label=_("审核意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("驳回时必填"),
    )


class NoteForm(StyledForm):
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReasonForm(StyledForm):
    reason = forms.CharField(
        label=_("理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _("请填写理由")


class EmptyForm(StyledForm):
    pass


class ImportForm(StyledForm):
    file = forms.FileField(
        label=_("目录文件"),
        help_text=_("省政务信息资源目录模板（.xlsx）或本平台导出的 JSON 文件"),
        widget=forms.ClearableFileInput(
            attrs={
                "accept": ".xlsx,.json,application/json,"
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].error_messages["required"] = _("请选择要导入的文件")
