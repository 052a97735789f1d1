"""Request-level controls: security headers, rate limits, idle timeout, and the steps after the
password (second factor, expired password) that a session must finish before anything else."""

import functools
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render, resolve_url
from django.urls import NoReverseMatch, get_urlconf, reverse
from django.utils.translation import gettext as _

from shuzheng.foundation.api.problems import PROBLEM_JSON, problem
from shuzheng.foundation.identity.login import policy, ratelimit, session
from shuzheng.foundation.identity.login.signals import LOGOUT_REASON

API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Scripts only from our own origin: no inline script, no eval. Inline *styles* stay allowed
# (style attributes in templates, htmx's indicator style); they cannot run code.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI (drf-spectacular) boots from an inline script; only its page gets this policy.
CSP_API_DOCS = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(self), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)


def _path(name: str) -> str | None:
    """The path of a named URL (None when not routed), remembered per URL configuration."""
    return _cached_path(get_urlconf() or settings.ROOT_URLCONF, name)


@functools.lru_cache(maxsize=64)
def _cached_path(urlconf: str, name: str) -> str | None:
    try:
        return reverse(name, urlconf=urlconf)
    except NoReverseMatch:
        return None


def _is_api(request) -> bool:
    return request.path.startswith(API_PREFIX)


def _redirect(request, url: str) -> HttpResponse:
    """A redirect that htmx follows as a page load instead of swapping it into a fragment."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=200)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def _with_next(url: str, request) -> str:
    return f"{url}?next={quote(request.get_full_path())}"


class SecurityHeadersMiddleware:
    """CSP, Permissions-Policy, COOP and CORP on every response (HSTS comes from Django's
    SecurityMiddleware on HTTPS requests when ``SECURE_HSTS_SECONDS`` is set)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        docs = _path("api-docs")
        csp = CSP_API_DOCS if docs and request.path == docs else CSP
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        return response


def _login_paths() -> set[str]:
    names = ["admin:login", "api-token", "login:second-factor", "login:enrol"]
    names.append("login:password-change")
    paths = {resolve_url(settings.LOGIN_URL)}
    return paths | {p for p in map(_path, names) if p}


def _bearer_api_call(request) -> bool:
    """An API call carrying a DRF token (``Authorization: Token …``): DRF authenticates it or
    answers 401 before any view. Only that scheme: a header no authenticator reads (``Bearer
    junk``) leaves the call anonymous, so it must not lift the anonymous limit."""
    scheme = request.headers.get("Authorization", "").split(" ", 1)[0].lower()
    return _is_api(request) and scheme == "token"


class RateLimitMiddleware:
    """Per client address: ``LOGIN_RATE_PER_MINUTE`` on the login steps (form, admin, API
    token, second factor) and ``ANON_POST_RATE_PER_MINUTE`` on other anonymous writes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            wait = self._check(request)
            if wait:
                return too_many_requests(request, wait)
        return self.get_response(request)

    def _check(self, request) -> int | None:
        ip = policy.client_ip(request)
        if request.path in _login_paths():
            return ratelimit.hit("login", ip, policy.setting("LOGIN_RATE_PER_MINUTE", 10))
        if request.user.is_authenticated or _bearer_api_call(request):
            return None
        # APIs that carry their own key (Open311's api_key) limit per key, not per address
        if request.path.startswith(tuple(policy.setting("RATE_LIMIT_KEYED_PREFIXES", ()))):
            return None
        return ratelimit.hit("anon", ip, policy.setting("ANON_POST_RATE_PER_MINUTE", 30))


def too_many_requests(request, wait: int) -> HttpResponse:
    detail = _("请求过于频繁，请 %(seconds)s 秒后再试。") % {"seconds": wait}
    if _is_api(request):
        response = JsonResponse(
            problem(429, code="throttled", detail=detail, instance=request.get_full_path()),
            status=429,
            content_type=PROBLEM_JSON,
            json_dumps_params={"ensure_ascii": False},
        )
    else:
        response = render(
            request, "login/rate_limited.html", {"detail": detail, "seconds": wait}, status=429
        )
    response["Retry-After"] = str(wait)
    return response


class IdleTimeoutMiddleware:
    """会话超时: no request for ``STAFF_IDLE_TIMEOUT_MINUTES`` (privileged accounts) or
    ``IDLE_TIMEOUT_MINUTES`` (others) ends the session."""

    # Rewriting the session on every request would be a database write per request; the
    # recorded time is refreshed once a minute, which is all the precision a timeout needs.
    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            store = request.session
            session.ensure(store, user)
            now = session.now_ts()
            last = store.get(session.LAST_SEEN, now)
            limit = policy.idle_timeout(bool(store.get(session.PRIVILEGED)))
            if now - last > limit.total_seconds():
                return self._expire(request)
            if now - last >= self.REFRESH_SECONDS:
                store[session.LAST_SEEN] = now
        return self.get_response(request)

    def _expire(self, request):
        setattr(request, LOGOUT_REASON, "idle-timeout")
        logout(request)
        if _is_api(request):
            return self.get_response(request)  # carries on as an anonymous request
        messages.info(request, _("您已长时间未操作，为保护账号安全已自动退出，请重新登录。"))
        return _redirect(request, _with_next(resolve_url(settings.LOGIN_URL), request))


class LoginStepsMiddleware:
    """Until the second factor (and then a due password change) is done, the session reaches
    only those pages, logout, the login page, static files, language switching and healthz;
    for the API it does not count as signed in at all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            store = request.session
            session.ensure(store, user)
            if session.second_factor_pending(store):
                step = ["login:second-factor", "login:enrol"]
            elif session.password_change_pending(store):
                step = ["login:password-change"]
            else:
                step = None
            if step is not None:
                if _is_api(request):
                    request.user = AnonymousUser()
                elif not self._allowed(request.path, step):
                    target = _path(step[0])
                    if target is None:  # pages not routed: refuse rather than let through
                        return HttpResponse(status=403)
                    return _redirect(request, _with_next(target, request))
        return self.get_response(request)

    @staticmethod
    def _allowed(path: str, step: list[str]) -> bool:
        exact = {p for p in map(_path, [*step, "web:logout", "web:healthz"]) if p}
        exact.add(resolve_url(settings.LOGIN_URL))
        prefixes = [f"/{settings.STATIC_URL.lstrip('/')}", "/i18n/", "/jsi18n/"]
        return path in exact or any(path.startswith(p) for p in prefixes)
