"""Shared by the login tests: small helpers, and a check that the project routes the login
pages and the token view."""

import contextlib
from datetime import timedelta
from unittest import mock

from django.urls import resolve, reverse
from django.utils import timezone

from shuzheng.foundation.identity.login.api import ObtainTokenView


def test_the_project_routes_the_login_pages_and_the_token_view():
    assert reverse("login:second-factor")
    view = resolve("/api/v1/auth/token/").func
    assert getattr(view, "view_class", None) is ObtainTokenView


PASSWORD = "Zhuhai@2026x"  # what tests.conftest.make_staff gives every account
WRONG_LOGIN = "登录名或密码不正确，请重新输入。"


@contextlib.contextmanager
def later(**delta):
    """Run the block as if ``timedelta(**delta)`` had passed (django.utils.timezone.now)."""
    moved = timezone.now() + timedelta(**delta)
    with mock.patch("django.utils.timezone.now", return_value=moved):
        yield moved


def password_login(client, username, password=PASSWORD, *, next_url="", **extra):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data, **extra)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def audit_rows(action=None):
    """(action, result, object id, details) of the audit records, oldest first; [] before the
    audit app exists."""
    try:
        from shuzheng.foundation.trust.models import AuditRecord
    except ImportError:  # pragma: no cover - until trust.audit lands
        return []
    rows = AuditRecord.objects.order_by("seq")
    if action:
        rows = rows.filter(action=action)
    return list(rows.values_list("action", "result", "object_id", "details"))


def audit_available() -> bool:
    try:
        from shuzheng.foundation.trust import audit  # noqa: F401
    except ImportError:  # pragma: no cover
        return False
    return True
