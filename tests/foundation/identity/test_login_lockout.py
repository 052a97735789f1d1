"""登录失败处理: five failures lock an account for fifteen minutes, and a locked account is
refused exactly like a wrong password — on the login page and on the API token endpoint."""

import re

import pytest

from shuzheng.foundation.identity.login.models import LoginLock
from tests.foundation.identity.test_login_support import (
    WRONG_LOGIN,
    audit_rows,
    later,
    password_login,
    signed_in_user_id,
)

pytestmark = pytest.mark.django_db
CITIZEN_PASSWORD = "Zhuhai@2026"
CSRF_TOKEN = re.compile(r"[A-Za-z0-9]{64}")


@pytest.fixture(autouse=True)
def _no_rate_limit(settings):
    settings.LOGIN_RATE_PER_MINUTE = 0  # rate limits have their own tests


@pytest.fixture
def citizen(django_user_model):
    return django_user_model.objects.create_user("citizen", password=CITIZEN_PASSWORD)


def fail(client, username, times, **extra):
    for _ in range(times):
        response = password_login(client, username, "wrong-password", **extra)
        assert response.status_code == 200 and WRONG_LOGIN in response.content.decode()
    return response


def test_five_failures_lock_the_account_with_the_wrong_password_message(client, citizen):
    wrong = fail(client, "citizen", 5)
    locked = password_login(client, "citizen", CITIZEN_PASSWORD)
    assert locked.status_code == wrong.status_code == 200
    assert locked.content.decode().count(WRONG_LOGIN) == 1
    assert signed_in_user_id(client) is None
    assert client.get("/me/").status_code == 302


def test_a_locked_account_cannot_be_told_from_a_wrong_password_or_an_unknown_user(
    client, citizen, django_user_model
):
    django_user_model.objects.create_user("other", password=CITIZEN_PASSWORD)
    fail(client, "citizen", 5)
    answers = [
        password_login(client, "citizen", CITIZEN_PASSWORD),  # locked, right password
        password_login(client, "other", "wrong-password"),  # wrong password
        password_login(client, "nobody", "wrong-password"),  # no such account
    ]
    bodies = [
        CSRF_TOKEN.sub("", a.content.decode().replace(a.wsgi_request.POST["username"], ""))
        for a in answers
    ]
    assert {a.status_code for a in answers} == {200}
    assert bodies[0] == bodies[1] == bodies[2]


def test_four_failures_do_not_lock(client, citizen):
    fail(client, "citizen", 4)
    assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 302
    assert signed_in_user_id(client) == str(citizen.pk)


def test_a_complete_login_starts_the_count_again(client, citizen):
    fail(client, "citizen", 4)
    password_login(client, "citizen", CITIZEN_PASSWORD)
    client.logout()
    fail(client, "citizen", 4)
    assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 302


def test_the_lock_ends_after_fifteen_minutes(client, citizen):
    fail(client, "citizen", 5)
    with later(minutes=14, seconds=59):
        assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 200
    with later(minutes=15, seconds=1):
        assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 302
    assert signed_in_user_id(client) == str(citizen.pk)
    assert not LoginLock.objects.filter(user=citizen).exists()


def test_attempts_while_locked_do_not_prolong_the_lock(client, citizen):
    fail(client, "citizen", 5)
    with later(minutes=10):
        fail(client, "citizen", 3)
    with later(minutes=15, seconds=1):
        assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 302


def test_failures_spread_over_more_than_the_lock_period_do_not_add_up(client, citizen):
    fail(client, "citizen", 4)
    with later(minutes=16):
        fail(client, "citizen", 1)
        assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 302


def test_limits_come_from_settings(client, citizen, settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_LOCKOUT_MINUTES = 60
    fail(client, "citizen", 3)
    with later(minutes=59):
        assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 200
    with later(minutes=61):
        assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 302


def test_failures_on_unknown_usernames_lock_the_address(client, citizen):
    for n in range(5):
        password_login(client, f"nobody{n}", "wrong-password")
    assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 200
    assert signed_in_user_id(client) is None
    elsewhere = password_login(client, "citizen", CITIZEN_PASSWORD, REMOTE_ADDR="10.9.8.7")
    assert elsewhere.status_code == 302
    assert not LoginLock.objects.filter(user=citizen).exists()


def test_one_account_locked_leaves_the_others_alone(client, citizen, django_user_model):
    django_user_model.objects.create_user("other", password=CITIZEN_PASSWORD)
    fail(client, "citizen", 5)
    assert password_login(client, "other", CITIZEN_PASSWORD).status_code == 302


def test_the_admin_login_is_locked_too(client, citizen):
    citizen.is_staff = True
    citizen.save()
    for _ in range(5):
        client.post("/admin/login/", {"username": "citizen", "password": "wrong-password"})
    response = client.post("/admin/login/", {"username": "citizen", "password": CITIZEN_PASSWORD})
    assert response.status_code == 200 and signed_in_user_id(client) is None


def test_lockout_and_failures_are_audited_without_the_password(client, citizen):
    fail(client, "citizen", 5)
    password_login(client, "citizen", CITIZEN_PASSWORD)
    rows = audit_rows()
    if not rows:
        pytest.skip("trust.audit is not installed")
    logins = [(a, r) for a, r, o, _d in rows if a == "identity.login" and o == str(citizen.pk)]
    assert logins == [("identity.login", "denied")] * 6
    lockouts = audit_rows("identity.login.lockout")
    assert [(r, o) for _a, r, o, _d in lockouts] == [("denied", str(citizen.pk))]
    assert lockouts[0][3]["failures"] == 5
    assert all("wrong-password" not in str(d) and CITIZEN_PASSWORD not in str(d) for *_, d in rows)


# --- the API token endpoint ------------------------------------------------------------------


def token(api, username, password, **extra):
    return api.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json", **extra
    )


def test_the_token_endpoint_locks_with_the_same_answer_as_a_wrong_password(api, citizen):
    for _ in range(5):
        wrong = token(api, "citizen", "wrong-password")
    locked = token(api, "citizen", CITIZEN_PASSWORD)
    unknown = token(api, "nobody", "wrong-password")
    assert wrong.status_code == locked.status_code == unknown.status_code == 400
    assert wrong["Content-Type"] == "application/problem+json"
    assert wrong.json() == locked.json() == unknown.json()
    assert "token" not in locked.json()
    with later(minutes=15, seconds=1):
        assert token(api, "citizen", CITIZEN_PASSWORD).status_code == 200


def test_failures_on_the_page_and_the_api_count_together(client, api, citizen):
    fail(client, "citizen", 3)
    for _ in range(2):
        token(api, "citizen", "wrong-password")
    assert token(api, "citizen", CITIZEN_PASSWORD).status_code == 400
    assert password_login(client, "citizen", CITIZEN_PASSWORD).status_code == 200
