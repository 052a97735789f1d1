"""Shared bits of the exchange pages: the page decorator, the styled forms, the department a
page is about (one's own, or any within reach for the data authority), and the mapping of a
service's errors onto a form."""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.boundfield import BoundField
from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.identity import selectors as identity
from shuzheng.foundation.identity.models import Organisation, OrgKind

CONFLICT = _("该记录已被他人修改，请刷新页面后重试。")
# the kinds of organisation that take part in exchanges (a department or a district)
PARTY_KINDS = (OrgKind.CITY, OrgKind.DEPARTMENT, OrgKind.DISTRICT, OrgKind.ZONE, OrgKind.UNIT)


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


# --------------------------------------------------------------------------- departments


def departments(user, perm: str) -> list[Organisation]:
    """The departments whose exchange pages ``user`` may open with ``perm``: each organisation
    on which the capability is granted and the one level below it — one's own department for
    a department's staff, the city and its departments and districts for the data
    authority's city-wide grant."""
    roots = {p: p.rstrip("/").count("/") for p in access.org_paths(user, perm)}
    if not roots:
        return []
    orgs = identity.organisations_where(user, perm).filter(
        kind__in=PARTY_KINDS, depth__lte=max(roots.values()) + 1
    )
    return [
        org
        for org in orgs.order_by("depth", "sort_order", "pk")
        if any(org.path.startswith(p) and org.depth <= d + 1 for p, d in roots.items())
    ]


def city_wide(user, perm: str) -> bool:
    """Whether ``user`` holds ``perm`` at the root of the tree (the data authority)."""
    roots = Organisation.objects.filter(parent__isnull=True).values_list("path", flat=True)
    paths = access.org_paths(user, perm)
    return any(root.startswith(p) for root in roots for p in paths)


def home_department(user, perm: str, choices: list[Organisation]) -> Organisation | None:
    """The department a page shows by default: the user's own when it is within reach,
    else the first one within reach."""
    staff = getattr(user, "staff", None)
    own = getattr(staff, "organisation_id", None)
    for org in choices:
        if org.pk == own:
            return org
    # a department's staff whose own unit is below it: the department above
    if staff is not None:
        for org in sorted(choices, key=lambda o: -o.depth):
            if staff.organisation.path.startswith(org.path):
                return org
    return choices[0] if choices else None


def chosen_department(request, perm: str) -> tuple[Organisation, list[Organisation]]:
    """The department named by ``?org=`` (only one within reach) or the default one; 403 when
    the user reaches none."""
    choices = departments(request.user, perm)
    if not choices:
        raise PermissionDenied(_("您没有可查看的部门"))
    wanted = int_or_none(request.GET.get("org") or request.POST.get("org"))
    if wanted is not None:
        for org in choices:
            if org.pk == wanted:
                return org, choices
        raise PermissionDenied(_("无权查看该部门的交换情况"))
    return home_department(request.user, perm, choices), choices


# --------------------------------------------------------------------------- forms


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


def apply_errors(form, exc: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError onto ``form``: a field it names gets its message under
    that field (``aliases`` rename service fields to form fields), the rest become the form's
    own errors."""
    if hasattr(exc, "error_dict"):
        for name, messages in exc.message_dict.items():
            target = (aliases or {}).get(name, name)
            for message in messages:
                form.add_error(target if target in form.fields else None, message)
    else:
        for message in exc.messages:
            form.add_error(None, message)


def is_conflict(exc: Exception) -> bool:
    """A stale ``revision`` (someone else saved first): the workflow engine's ``Conflict`` or
    the API's 409."""
    return getattr(exc, "http_status", None) == 409 or getattr(exc, "status_code", None) == 409


GATEWAY_PATH = "/gateway/v1/services/{code}/{version}/records"


def address_of(request, service) -> str:
    """The URL consumers call for ``service`` (the gateway's records path)."""
    return request.build_absolute_uri(
        GATEWAY_PATH.format(code=service.code, version=service.version)
    )


# the gateway's reason codes (``ExchangeLog.reason``) in words
REASON_LABELS = {
    "missing_credentials": _("未提供凭证"),
    "bad_credentials": _("凭证错误"),
    "client_disabled": _("接入应用已停用"),
    "ip_not_allowed": _("来源地址不在允许范围内"),
    "service_not_found": _("数据服务不存在"),
    "service_suspended": _("数据服务已暂停"),
    "entry_unavailable": _("目录条目未发布或已下线"),
    "no_grant": _("没有共享授权"),
    "grant_not_yet_valid": _("授权尚未生效"),
    "grant_expired": _("授权已过期"),
    "grant_revoked": _("授权已撤销"),
    "field_not_granted": _("请求了未授权的信息项"),
    "field_withheld": _("请求了不提供的信息项"),
    "unknown_parameter": _("未知的查询参数"),
    "bad_parameter": _("查询参数有误"),
    "bad_header": _("请求头有误"),
    "bad_message_id": _("消息标识格式有误"),
    "purpose_required": _("未说明用途或关联编号"),
    "method_not_allowed": _("不支持的请求方法"),
    "quota_minute": _("超出每分钟调用上限"),
    "quota_day": _("超出每日调用上限"),
    "no_key_item": _("该数据没有查询主键"),
    "record_not_found": _("没有找到该记录"),
    "internal_error": _("网关内部错误"),
    "provider_timeout": _("提供方接口超时"),
    "provider_unreachable": _("提供方接口无法连接"),
    "provider_error": _("提供方接口出错"),
    "provider_too_large": _("提供方返回的数据过大"),
    "provider_bad_response": _("提供方返回的数据无法解析"),
}


def reason_label(code: str) -> str:
    return str(REASON_LABELS.get(code, code))


def change_status(request, *, allowed, change, conflict_page, done_text, back: str):
    """The 停用/启用 and 暂停/恢复 buttons: ``change(wanted, revision)`` for a status in
    ``allowed``; a missing or stale revision changes nothing and answers ``conflict_page()``
    (409); a refusal is shown as a message; success says ``done_text(wanted)``."""
    from django.contrib import messages
    from django.http import Http404
    from django.shortcuts import redirect

    wanted = request.POST.get("status")
    revision = int_or_none(request.POST.get("revision"))
    if wanted not in allowed:
        raise Http404
    if revision is None:
        return conflict_page()
    try:
        change(wanted, revision)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    except Exception as exc:
        if not is_conflict(exc):
            raise
        return conflict_page()
    else:
        messages.success(request, done_text(wanted))
    return redirect(back)
