"""Forms of the exchange pages. They check the shape of the input (required fields, choices,
numbers); the rules (a code already taken, an entry not published, a remote address the
gateway may not call …) are the services', whose field errors the views put back here."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shuzheng.data.exchange.models import DataService, Outcome, ServiceKind
from shuzheng.data.exchange.views.common import StyledForm

PERIODS = ((7, _("最近 7 天")), (30, _("最近 30 天")))
MAX_EVIDENCE_BYTES = 50 * 1024 * 1024
MAX_EVIDENCE_DAYS = 366


class EntryChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.name}"


class ServiceForm(StyledForm):
    """登记数据服务 (and, without ``entry``/``code``/``version``, 修改)."""

    entry = EntryChoiceField(
        label=_("目录条目"),
        queryset=None,
        empty_label=_("请选择本部门已发布的目录条目"),
        help_text=_("服务提供该条目的数据；调用方只能得到授权的信息项。"),
    )
    code = forms.SlugField(
        label=_("服务编码"),
        max_length=80,
        help_text=_("英文字母、数字、连字符，如 population-basic；与版本一起构成调用地址。"),
    )
    version = forms.CharField(label=_("版本"), max_length=10, initial="v1")
    name = forms.CharField(label=_("服务名称"), max_length=200)
    kind = forms.ChoiceField(
        label=_("数据来源"),
        choices=ServiceKind.choices,
        initial=ServiceKind.STORE,
        widget=forms.RadioSelect,
    )
    remote_url = forms.URLField(
        label=_("提供方接口地址"),
        required=False,
        max_length=200,
        assume_scheme="https",
        help_text=_("数据来源为“提供方接口”时必填，如 https://api.example.gov.cn/persons"),
    )
    remote_token = forms.CharField(
        label=_("提供方接口凭证"),
        required=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("网关调用提供方接口时携带；加密保存，不再显示。"),
    )
    remote_timeout = forms.FloatField(
        label=_("接口超时（秒）"), min_value=0.1, max_value=60, initial=5.0, required=False
    )
    description = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, entries=None, service: DataService | None = None, **kwargs):
        self.service = service
        super().__init__(*args, **kwargs)
        if service is not None:  # the address (entry, code, version) and source stay
            for name in ("entry", "code", "version", "kind"):
                del self.fields[name]
            if service.kind == ServiceKind.STORE:
                for name in ("remote_url", "remote_token", "remote_timeout"):
                    del self.fields[name]
            else:
                self.fields["remote_token"].help_text = _(
                    "留空则保留原凭证；填写则替换。加密保存，不再显示。"
                )
        else:
            self.fields["entry"].queryset = entries

    def clean(self):
        data = super().clean()
        if "remote_timeout" in self.fields and data.get("remote_timeout") is None:
            data["remote_timeout"] = 5.0
        return data


class ClientForm(StyledForm):
    """登记接入应用."""

    organisation = forms.TypedChoiceField(label=_("使用部门"), coerce=int)
    name = forms.CharField(label=_("应用系统名称"), max_length=120)
    system_code = forms.SlugField(
        label=_("子系统编码"),
        max_length=60,
        help_text=_("英文字母、数字、连字符，部门内唯一，如 birth-certificate"),
    )
    allowed_ips = forms.CharField(
        label=_("允许的来源地址"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("每行一个 IP 地址或网段（如 10.1.2.0/24）；留空表示不限制来源。"),
    )

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.pk, o.name) for o in organisations]
        if len(self.fields["organisation"].choices) == 1:
            self.fields["organisation"].initial = organisations[0].pk
            self.fields["organisation"].widget = forms.HiddenInput()


class LogFilterForm(StyledForm):
    """交换日志的筛选条件 (all optional)."""

    org = forms.TypedChoiceField(label=_("部门"), coerce=int, required=False, empty_value=None)
    days = forms.TypedChoiceField(
        label=_("期间"),
        choices=PERIODS,
        coerce=int,
        required=False,
        empty_value=7,
    )
    service = forms.CharField(
        label=_("服务"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("编码 或 编码/版本")}),
    )
    outcome = forms.ChoiceField(
        label=_("结果"), choices=[("", _("全部"))] + list(Outcome.choices), required=False
    )
    message_id = forms.CharField(label=_("消息标识"), max_length=64, required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = list(choices)
        if len(choices) <= 1:
            self.fields["org"].widget = forms.HiddenInput()


class EvidenceExportForm(StyledForm):
    start = forms.DateField(
        label=_("开始日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("结束日期"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    org = forms.TypedChoiceField(label=_("部门"), coerce=int)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = list(choices)
        if len(self.fields["org"].choices) == 1:
            self.fields["org"].initial = choices[0][0]
            self.fields["org"].widget = forms.HiddenInput()
        today = timezone.localdate()
        self.fields["start"].initial = today - dt.timedelta(days=6)
        self.fields["end"].initial = today

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", _("结束日期不能早于开始日期"))
            elif (end - start).days >= MAX_EVIDENCE_DAYS:
                self.add_error("end", _("一次最多导出 %(n)s 天") % {"n": MAX_EVIDENCE_DAYS})
        return data


class EvidenceCheckForm(StyledForm):
    bundle = forms.FileField(
        label=_("存证文件（JSON）"),
        help_text=_("从本页或对方部门导出的交换存证文件"),
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
    )
    public_key = forms.CharField(
        label=_("签名公钥（PEM，可选）"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
        help_text=_("留空时使用存证文件所附公钥；填写后以该公钥核验签名，可证明文件来自本平台。"),
    )

    def clean_bundle(self):
        bundle = self.cleaned_data["bundle"]
        if bundle.size > MAX_EVIDENCE_BYTES:
            raise ValidationError(_("文件过大（上限 50 MB）"))
        return bundle

    def clean_public_key(self):
        text = self.cleaned_data.get("public_key", "").strip()
        if text and "-----BEGIN" not in text:
            raise ValidationError(_("请粘贴 PEM 格式的公钥（以 -----BEGIN PUBLIC KEY----- 开头）"))
        return text
