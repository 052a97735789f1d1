"""The pages after the password: second factor, authenticator enrolment, password change."""

from base64 import b32encode
from urllib.parse import quote

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import password_validators_help_texts
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from shuzheng.foundation.identity.login import policy, recovery, services, session
from shuzheng.foundation.identity.login.services import AccountLocked
from shuzheng.foundation.identity.login.signals import LOGOUT_REASON


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request) -> str:
    return f"{resolve_url(name)}?next={quote(_next(request))}"


def _locked_out(request):
    setattr(request, LOGOUT_REASON, "locked")
    logout(request)
    messages.error(request, _("验证失败次数过多，账号已暂时锁定，请稍后再登录。"))
    return redirect(settings.LOGIN_URL)


def _finish_second_factor(request) -> None:
    session.second_factor_done(request.session)
    request.session.cycle_key()  # a new session id for the now fully signed-in session


@never_cache
@sensitive_post_parameters("code")
@login_required
def second_factor(request):
    """Step 2: a code from the authenticator app, or one of the recovery codes."""
    user = request.user
    session.ensure(request.session, user)
    if not session.second_factor_pending(request.session):
        return redirect(_next(request))
    if policy.confirmed_device(user) is None:
        return redirect(_with_next("login:enrol", request))
    error = ""
    if request.method == "POST":
        try:
            method = services.verify_second_factor(
                user, request.POST.get("code", ""), request=request
            )
        except AccountLocked:
            return _locked_out(request)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            _finish_second_factor(request)
            if method == "recovery-code":
                messages.warning(
                    request,
                    _("您使用了一个恢复码，还剩 %(count)s 个未使用。")
                    % {"count": recovery.remaining(user)},
                )
            return redirect(_next(request))
    return render(
        request,
        "login/second_factor.html",
        {"error": error, "next": _next(request)},
        status=400 if error else 200,
    )


def _grouped(text: str, size: int = 4) -> str:
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


@never_cache
@sensitive_post_parameters("code")
@login_required
def enrol(request):
    """Set up the authenticator (mandatory for staff): scan, confirm with a first code, then
    receive the recovery codes — shown on this one response and never again."""
    user = request.user
    session.ensure(request.session, user)
    if not session.second_factor_pending(request.session):
        return redirect(_next(request))
    if policy.confirmed_device(user) is not None:
        return redirect(_with_next("login:second-factor", request))
    error = ""
    if request.method == "POST":
        try:
            codes = services.confirm_enrolment(user, request.POST.get("code", ""), request=request)
        except AccountLocked:
            return _locked_out(request)
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            _finish_second_factor(request)
            return render(
                request, "login/recovery_codes.html", {"codes": codes, "next": _next(request)}
            )
    device = services.enrolment_device(user)
    qr = segno.make(device.config_url, error="m").svg_inline(
        scale=5, title=_("用身份验证器应用扫描此二维码"), svgclass="mfa-qr"
    )
    return render(
        request,
        "login/enrol.html",
        {
            "qr_svg": mark_safe(qr),  # noqa: S308  (segno's SVG, generated from our own URL)
            "secret": _grouped(b32encode(device.bin_key).decode()),
            "digits": device.digits,
            "error": error,
            "next": _next(request),
        },
        status=400 if error else 200,
    )


@never_cache
@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@login_required
def password_change(request):
    """修改密码 — by choice, or because the password is older than PASSWORD_MAX_AGE_DAYS."""
    user = request.user
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        new1 = request.POST.get("new_password1", "")
        if new1 != request.POST.get("new_password2", ""):
            errors["new_password2"] = [_("两次输入的新密码不一致。")]
        else:
            try:
                services.change_password(
                    user,
                    old_password=request.POST.get("old_password", ""),
                    new_password=new1,
                    request=request,
                )
            except ValidationError as exc:
                errors = exc.message_dict
            else:
                update_session_auth_hash(request, user)
                session.password_changed(request.session)
                messages.success(request, _("密码已修改。"))
                return redirect(_next(request))
    return render(
        request,
        "login/password_change.html",
        {
            "errors": errors,
            "expired": session.password_change_pending(request.session),
            "help_texts": password_validators_help_texts(),
            "next": _next(request),
        },
        status=400 if errors else 200,
    )
