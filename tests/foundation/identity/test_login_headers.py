"""Security headers (CSP without inline script, Permissions-Policy, COOP, HSTS on HTTPS),
cookie flags, and per-address rate limits (429 with Retry-After)."""

import re
from pathlib import Path

import pytest

from tests.foundation.identity.test_login_support import password_login
from tests.fresh_settings import run_python

pytestmark = pytest.mark.django_db
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)


def directives(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )


def test_pages_get_a_policy_that_allows_no_inline_script(client):
    response = client.get("/")
    csp = directives(response)
    assert csp["script-src"] == "'self'"
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'" and csp["frame-ancestors"] == "'none'"
    assert response["Permissions-Policy"].startswith("accelerometer=()")
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/no-such-page/"])
def test_public_pages_have_no_inline_script_or_handler(client, url):
    page = client.get(url).content.decode()
    assert not INLINE_HANDLER.search(page)
    assert not INLINE_SCRIPT.search(page)
    assert "web/shuzheng.js" in page


def test_signed_in_pages_have_no_inline_script_or_handler(client, tree, make_staff):
    client.force_login(make_staff(tree.city, "ops-operator"))
    for url in ("/workbench/", "/workbench/staff/", "/workbench/organisations/", "/ops/", "/me/"):
        page = client.get(url).content.decode()
        assert not INLINE_HANDLER.search(page), url
        assert not INLINE_SCRIPT.search(page), url


def test_the_login_step_pages_have_no_inline_script(client, tree, make_staff):
    clerk = make_staff(tree.xiangzhou, "window-clerk")
    password_login(client, clerk.username)
    page = client.get("/accounts/second-factor/enrol/").content.decode()
    assert "<svg" in page
    assert not INLINE_HANDLER.search(page) and not INLINE_SCRIPT.search(page)


def test_the_language_switcher_script_is_a_static_file_of_ours():
    from django.contrib.staticfiles import finders

    found = finders.find("web/shuzheng.js")
    assert found and "language-select" in Path(found).read_text(encoding="utf-8")


def test_api_docs_get_their_own_policy_and_still_render(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert "swagger-ui" in response.content.decode()
    assert "'unsafe-inline'" in directives(response)["script-src"]
    assert directives(client.get("/api/schema/"))["script-src"] == "'self'"


def test_hsts_is_sent_on_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    assert client.get("/", secure=True)["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in client.get("/")


def test_session_cookie_is_http_only_and_same_site_lax(client, django_user_model):
    django_user_model.objects.create_user("citizen", password="Zhuhai@2026")
    response = password_login(client, "citizen", "Zhuhai@2026")
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_secure_cookies_turn_on_secure_flags_and_hsts(tmp_path):
    env = {"SECURE_COOKIES": "true", "SECRET_KEY": "x" * 60, "SHUZHENG_VAR_DIR": str(tmp_path)}
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SESSION_COOKIE_SAMESITE, s.SECURE_HSTS_SECONDS)"
    )
    result = run_python(script, env, drop=("DEBUG",))
    assert result.stdout.split() == ["True", "True", "True", "Lax", "31536000"], result.stderr


# --- rate limits ----------------------------------------------------------------------------


def test_the_eleventh_login_attempt_in_a_minute_gets_429_with_retry_after(client):
    for _ in range(10):
        assert password_login(client, "nobody", "wrong").status_code == 200
    response = password_login(client, "nobody", "wrong")
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Content-Type"].startswith("text/html")
    assert "请求过于频繁" in response.content.decode()
    assert "Content-Security-Policy" in response


def test_the_token_endpoint_is_limited_with_a_problem(api):
    for _ in range(10):
        api.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")
    response = api.post("/api/v1/auth/token/", {"username": "x", "password": "y"}, format="json")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 429 and response["Retry-After"].isdigit()


def test_the_limit_is_per_address(client):
    for _ in range(10):
        password_login(client, "nobody", "wrong")
    assert password_login(client, "nobody", "wrong").status_code == 429
    assert password_login(client, "nobody", "wrong", REMOTE_ADDR="10.1.2.3").status_code == 200


def test_anonymous_posts_are_limited_at_thirty_a_minute(client):
    for _ in range(30):
        assert client.post("/care-mode/", {"next": "/"}).status_code == 302
    response = client.post("/care-mode/", {"next": "/"})
    assert response.status_code == 429 and response["Retry-After"].isdigit()
    assert client.get("/").status_code == 200  # reading is not limited


def test_signed_in_posts_are_not_limited_as_anonymous(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("citizen", password="x"))
    for _ in range(35):
        assert client.post("/care-mode/", {"next": "/"}).status_code == 302


def test_token_authenticated_api_calls_are_not_anonymous(api, django_user_model):
    from rest_framework.authtoken.models import Token

    user = django_user_model.objects.create_user("citizen", password="x")
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    for _ in range(35):
        assert api.post("/api/v1/persons/", {}, format="json").status_code != 429


@pytest.mark.parametrize("header", ["Bearer junk", "Basic eDp5", "junk"])
def test_an_authorization_header_no_authenticator_reads_stays_anonymous(api, header):
    # the organisation list is public (AllowAny); a POST is 405, but the limit comes first
    api.credentials(HTTP_AUTHORIZATION=header)
    for _ in range(30):
        assert api.post("/api/v1/organisations/", {}, format="json").status_code == 405
    response = api.post("/api/v1/organisations/", {}, format="json")
    assert response.status_code == 429
    assert response["Content-Type"] == "application/problem+json"


def test_a_bad_drf_token_is_refused_by_drf_before_any_view(api):
    api.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    for _ in range(35):
        # refused by DRF's authentication (403: session auth is the first authenticator)
        assert api.post("/api/v1/organisations/", {}, format="json").status_code == 403


def test_limits_come_from_settings(client, settings):
    settings.LOGIN_RATE_PER_MINUTE = 2
    settings.ANON_POST_RATE_PER_MINUTE = 0  # off
    for _ in range(2):
        password_login(client, "nobody", "wrong")
    assert password_login(client, "nobody", "wrong").status_code == 429
    for _ in range(40):
        assert client.post("/care-mode/", {"next": "/"}).status_code == 302
