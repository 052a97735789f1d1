"""Write use-cases of the login controls: the second factor, enrolment, password change and
API tokens.

Failure paths deliberately commit what they count (lockout counters, audit records) before
refusing, so they are not wrapped in one outer transaction; each write that must be all or
nothing (enrolment, password change, token) has its own.
"""

import unicodedata

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import verify_token as otp_verify_token
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from shuzheng.foundation.identity.login import lockout, policy, recovery
from shuzheng.foundation.identity.login.events import DENIED, audit_event


class LoginRefused(Exception):
    """Any refused sign-in step. Callers show one message for all of its causes."""


class AccountLocked(LoginRefused):
    """Too many failures: the account is locked for ``LOGIN_LOCKOUT_MINUTES``."""


class EnrolmentRequired(Exception):
    """The account must set up its authenticator in the browser before using the API."""


class PasswordExpired(Exception):
    """The password is older than ``PASSWORD_MAX_AGE_DAYS`` and must be changed first."""


def _digits(code: str) -> str:
    text = unicodedata.normalize("NFKC", code or "")
    return "".join(c for c in text if not c.isspace())


def _wrong_code(user, action: str, request) -> None:
    locked = lockout.register_failure(user, request=request)
    audit_event(user, action, user, result=DENIED, request=request)
    if locked:
        raise AccountLocked
    raise ValidationError(_("验证码不正确，请重新输入。"), code="invalid")


def complete_login(user) -> None:
    """Every factor passed: the run of failures ends."""
    lockout.clear(user)


def verify_second_factor(user, code: str, *, request=None) -> str:
    """动态口令验证: a current TOTP code, or an unused recovery code. Returns the method used.

    A wrong code counts as a login failure (so the second factor cannot be guessed at leisure
    by someone who has the password); the fifth locks the account."""
    if lockout.is_locked(user):
        audit_event(
            user,
            "identity.mfa.verify",
            user,
            result=DENIED,
            details={"reason": "locked"},
            request=request,
        )
        raise AccountLocked
    device = policy.confirmed_device(user)
    typed = _digits(code)
    method = ""
    if device is not None and typed.isdigit() and len(typed) == device.digits:
        if otp_verify_token(user, device.persistent_id, typed) is not None:
            method = "totp"
    elif typed and recovery.use(user, typed):
        method = "recovery-code"
        audit_event(
            user,
            "identity.mfa.recovery_code",
            user,
            details={"remaining": recovery.remaining(user)},
            request=request,
        )
    if not method:
        _wrong_code(user, "identity.mfa.verify", request)
    audit_event(user, "identity.mfa.verify", user, details={"method": method}, request=request)
    complete_login(user)
    return method


def enrolment_device(user) -> TOTPDevice:
    """The authenticator being set up: one unconfirmed TOTP device, kept until confirmed so a
    reload shows the same QR code."""
    if policy.confirmed_device(user) is not None:
        raise ValueError("already enrolled")
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    return device


def confirm_enrolment(user, code: str, *, request=None) -> list[str]:
    """绑定动态口令: the first correct code confirms the device; returns 10 recovery codes,
    which are shown once and stored only as digests."""
    if lockout.is_locked(user):
        raise AccountLocked
    device = enrolment_device(user)
    typed = _digits(code)
    if not (typed.isdigit() and len(typed) == device.digits) or not device.verify_token(typed):
        _wrong_code(user, "identity.mfa.enrol", request)
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        codes = recovery.replace_codes(user)
        audit_event(
            user,
            "identity.mfa.enrol",
            user,
            details={"device": device.persistent_id, "recovery_codes": len(codes)},
            request=request,
        )
    complete_login(user)
    return codes


def change_password(user, *, old_password: str, new_password: str, request=None) -> None:
    """修改密码: the old password, then the policy (complexity, history) for the new one.

    The history validator records the new hash when the user is saved."""
    if not user.check_password(old_password):
        lockout.register_failure(user, request=request)
        audit_event(
            user,
            "identity.password.change",
            user,
            result=DENIED,
            details={"reason": "old-password"},
            request=request,
        )
        raise ValidationError(
            {"old_password": ValidationError(_("原密码不正确。"), code="password_incorrect")}
        )
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from None
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit_event(user, "identity.password.change", user, request=request)


def issue_token(*, username: str, password: str, otp: str = "", request=None) -> Token:
    """API 令牌: the password, and for accounts with a second factor a current code as well.

    A wrong password, an unknown user, a locked account and a wrong or missing code all raise
    ``LoginRefused`` alike."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise LoginRefused
    if policy.needs_second_factor(user):
        if policy.confirmed_device(user) is None:
            raise EnrolmentRequired
        try:
            verify_second_factor(user, otp, request=request)
        except (ValidationError, AccountLocked):
            raise LoginRefused from None
    else:
        complete_login(user)
    if policy.password_expired(user):
        raise PasswordExpired
    with transaction.atomic():
        token, created = Token.objects.get_or_create(user=user)
        audit_event(user, "identity.token.issue", user, details={"new": created}, request=request)
    return token
