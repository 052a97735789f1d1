"""Shared bits of the sharing pages: the page decorator, the forms, the mapping of a
service's errors onto a form, and the list of actions a user may take on a request."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access

CONFLICT = _("该申请已被他人处理，请刷新后重试")
GRANT_CONFLICT = _("该授权已被他人处理，请刷新后重试")


def staff_page(perm: str):
    """Workbench page decorator: signed in, may use the workbench, and holds ``perm``
    somewhere (the rows themselves are then reached through scoped selectors)."""

    def decorate(view):
        @login_required
        def wrapper(request, *args, **kwargs):
            access.require(request.user, "web.use_workbench")
            access.require(request.user, perm)
            return view(request, *args, **kwargs)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorate


def int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def apply_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto ``form``: the fields it names under those fields
    (the rest, and messages for fields the form lacks, as the form's own errors)."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            target = name if name in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _textarea(rows: int = 3):
    return forms.Textarea(attrs={"rows": rows, "class": "form-control"})


def _text():
    return forms.TextInput(attrs={"class": "form-control"})


class RequestForm(forms.Form):
    """提出共享申请 / 申请协调. The item checkboxes are drawn in the items table; the rules
    (which items, which clear, the period, the rate) are the service's."""

    fields = forms.MultipleChoiceField(label=_("申请信息项"), required=False)
    clear_fields = forms.MultipleChoiceField(label=_("申请明文的信息项"), required=False)
    purpose = forms.CharField(
        label=_("用途"),
        required=False,
        max_length=2000,
        widget=_textarea(),
        help_text=_("数据用于哪项履职事项、办理哪类业务"),
    )
    legal_basis = forms.CharField(
        label=_("申请依据"),
        required=False,
        max_length=2000,
        widget=_textarea(2),
        help_text=_("法律法规、政策文件或履职事项清单"),
    )
    scenario = forms.CharField(label=_("应用场景"), required=False, max_length=200, widget=_text())
    period_start = forms.DateField(
        label=_("使用期限起"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    period_end = forms.DateField(
        label=_("使用期限止"),
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    quota_per_minute = forms.IntegerField(
        label=_("每分钟调用上限"),
        initial=60,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 1}),
    )
    quota_per_day = forms.IntegerField(
        label=_("每日调用上限"),
        initial=10000,
        widget=forms.NumberInput(attrs={"class": "form-control", "min": 1}),
    )
    contact_phone = forms.CharField(
        label=_("联系电话"), required=False, max_length=30, widget=_text()
    )
    reason = forms.CharField(
        label=_("申请协调的理由"),
        required=False,
        max_length=2000,
        widget=_textarea(),
        help_text=_("说明履职必需、无法通过其他途径取得的理由"),
    )

    def __init__(self, *args, codes=(), coordination=False, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(c, c) for c in codes]
        self.fields["fields"].choices = choices
        self.fields["clear_fields"].choices = choices
        if not coordination:
            del self.fields["reason"]

    def detail_fields(self):
        """The fields drawn below the items table, in order."""
        return [self[name] for name in self.fields if name not in ("fields", "clear_fields")]


class ActForm(forms.Form):
    """One action on a request: the text its transition requires (a reason or an opinion,
    checked by the service), or an optional opinion."""

    opinion = forms.CharField(label=_("意见"), required=False, max_length=2000, widget=_textarea(2))
    reason = forms.CharField(label=_("理由"), required=False, max_length=2000, widget=_textarea(2))

    def __init__(self, *args, require=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.required_names = set(require)
        if "reason" in require:
            del self.fields["opinion"]
        else:
            del self.fields["reason"]


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("撤销理由"), required=False, max_length=2000, widget=_textarea(2)
    )
    required_names = {"reason"}
