"""Django's signals: login and logout (open the post-password steps, audit both), and account
creation (``create_user`` sets the hash directly, so the validators' password-changed hook does
not see the first password)."""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_save
from django.dispatch import receiver

from shuzheng.foundation.identity.login import lockout, session
from shuzheng.foundation.identity.login.events import audit_event
from shuzheng.foundation.identity.login.validators import history_validator, record_password

LOGOUT_REASON = "_login_logout_reason"


@receiver(user_logged_in, dispatch_uid="shuzheng.login.logged_in")
def _logged_in(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    session.begin(request.session, user)
    second_factor = request.session[session.SECOND_FACTOR]
    if second_factor == session.NOT_REQUIRED:
        lockout.clear(user)
    audit_event(
        user,
        "identity.login",
        user,
        details={
            "second_factor": second_factor,
            "password_expired": request.session[session.PASSWORD_EXPIRED],
        },
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="shuzheng.login.logged_out")
def _logged_out(sender, request, user, **kwargs):
    if user is None:
        return
    reason = getattr(request, LOGOUT_REASON, "user")
    audit_event(user, "identity.logout", user, details={"reason": reason}, request=request)


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="shuzheng.login.created")
def _account_created(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        validator = history_validator()
        if validator is not None:
            record_password(instance, keep=validator.keep)
