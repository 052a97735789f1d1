"""The password step with lockout, used by every password login: the login page, the admin's
login page and the API token endpoint all go through ``django.contrib.auth.authenticate``."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from shuzheng.foundation.identity.login import lockout, policy
from shuzheng.foundation.identity.login.events import DENIED, audit_event


class LockoutModelBackend(ModelBackend):
    """``ModelBackend`` that refuses locked accounts and counts failures.

    Every refusal — unknown user, wrong password, inactive or locked account — returns None, so
    the caller shows one message, and each runs the password hasher once so that timing does
    not tell them apart either. A success does not reset the count: the login is complete only
    after the second factor (see ``services.complete_login``)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        if username is None:
            username = kwargs.get(User.USERNAME_FIELD)
        if username is None or password is None:
            return None
        ip = policy.client_ip(request)
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check
            lockout.register_failure(None, ip, request=request)
            audit_event(
                None,
                "identity.login",
                result=DENIED,
                details={"reason": "bad-credentials"},
                request=request,
            )
            return None
        if lockout.is_locked(user, ip):
            User().set_password(password)
            audit_event(
                None,
                "identity.login",
                user,
                result=DENIED,
                details={"reason": "locked"},
                request=request,
            )
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        lockout.register_failure(user, None, request=request)
        audit_event(
            None,
            "identity.login",
            user,
            result=DENIED,
            details={"reason": "bad-credentials"},
            request=request,
        )
        return None
