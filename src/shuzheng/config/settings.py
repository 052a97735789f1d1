"""Settings: every value comes from the environment (see docs/operations.md).

The embedded default needs no other service: SQLite in WAL mode under ``var/``,
in-process tasks. Production sets ``DATABASE_URL`` and friends.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from shuzheng.config.keyfile import read_secret_key

BASE_DIR = Path(__file__).resolve().parents[3]
VAR_DIR = Path(environ.Env().str("SHUZHENG_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "[::1]"]),
    TIME_ZONE=(str, "Asia/Shanghai"),
    LANGUAGE_CODE=(str, "zh-hans"),
    SECURE_COOKIES=(bool, False),
    LOG_LEVEL=(str, "INFO"),
)

DEBUG = env("DEBUG")
SECRET_KEY = env.str("SECRET_KEY", default="") or read_secret_key(VAR_DIR, create=DEBUG)
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. With DEBUG off the server will not start without one: "
        "set the SECRET_KEY environment variable (50+ random characters), or run "
        "`make demo` / `python -m shuzheng.config.keyfile` to generate var/secret_key "
        "for a demo installation."
    )
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "shuzheng.foundation.identity",
    "shuzheng.foundation.access",
    "shuzheng.foundation.trust",
    "shuzheng.foundation.workflow",
    "shuzheng.foundation.workflow.calendar",
    "shuzheng.foundation.events",
    "shuzheng.foundation.events.notifications",
    "shuzheng.foundation.search",
    "shuzheng.foundation.files",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "shuzheng.foundation.identity.login",
    "shuzheng.foundation.api",
    "shuzheng.foundation.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shuzheng.foundation.identity.login.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "shuzheng.foundation.trust.context.RequestContextMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "shuzheng.foundation.identity.login.middleware.RateLimitMiddleware",
    "shuzheng.foundation.identity.login.middleware.IdleTimeoutMiddleware",
    "shuzheng.foundation.identity.login.middleware.LoginStepsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shuzheng.config.urls"
WSGI_APPLICATION = "shuzheng.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "shuzheng.foundation.web.context.shell",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------
# SQLite: WAL lets readers run beside the writer; IMMEDIATE transactions take the write
# lock up front so two writers queue (busy timeout) instead of failing on lock upgrade.
_sqlite_default = f"sqlite:///{VAR_DIR / 'shuzheng.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=_sqlite_default)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:after-login"
LOGOUT_REDIRECT_URL = "web:portal"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "shuzheng.foundation.identity.login.validators.ComplexityValidator",
        "OPTIONS": {"min_length": 8, "min_classes": 3},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "shuzheng.foundation.identity.login.validators.HistoryValidator",
        "OPTIONS": {"keep": 5},
    },
]

# --- languages ---------------------------------------------------------------------------
# zh-Hans is the source language of every UI string; the other three have catalogues.
LANGUAGE_CODE = env("LANGUAGE_CODE")
LANGUAGES = [
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
    ("pt", "Português"),
    ("en", "English"),
]
LOCALE_PATHS = [BASE_DIR / "src" / "shuzheng" / "locale"]
TIME_ZONE = env("TIME_ZONE")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- security ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env("SECURE_COOKIES")
CSRF_COOKIE_SECURE = env("SECURE_COOKIES")
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "shuzheng.foundation.api.pagination.KeysetPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "shuzheng.foundation.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
if DEBUG:
    REST_FRAMEWORK["DEFAULT_RENDERER_CLASSES"].append(
        "rest_framework.renderers.BrowsableAPIRenderer"
    )
SPECTACULAR_SETTINGS = {
    "TITLE": "shuzheng 数政 API",
    "DESCRIPTION": _("珠海数字政府平台开放接口：统一身份、组织机构、访问控制。"),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "IdTypeEnum": "shuzheng.foundation.identity.validators.IdType",
    },
}
# How long a stored Idempotency-Key answer is replayed.
IDEMPOTENCY_TTL_HOURS = env.int("IDEMPOTENCY_TTL_HOURS", default=24)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL")},
}

# --- keys (Foundation II: trust.keys) -------------------------------------------------------
# Key material comes from the environment or from files under KEYS_DIR (demo: generated once
# by `python -m shuzheng.foundation.trust.keys init`). See docs/operations.md.
KEYS_DIR = Path(env.str("SHUZHENG_KEYS_DIR", default=str(VAR_DIR / "keys")))

# --- audit (Foundation II: trust.audit) -----------------------------------------------------
# Audit records are kept at least 180 days (网络安全法 第二十一条: no less than six months);
# `manage.py audit purge` refuses anything younger. Anchors (SM2 signatures over the chain
# head) are sealed by `manage.py audit seal`; the interval is read by the scheduler that a
# later foundation issue brings (until then run the command from cron every N minutes).
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=180)
AUDIT_ANCHOR_INTERVAL_MINUTES = env.int("AUDIT_ANCHOR_INTERVAL_MINUTES", default=10)
if AUDIT_RETENTION_DAYS < 180:
    raise ImproperlyConfigured(
        f"AUDIT_RETENTION_DAYS={AUDIT_RETENTION_DAYS}: audit records must be kept at least 180 "
        "days (six months, Cybersecurity Law art. 21)."
    )
if AUDIT_ANCHOR_INTERVAL_MINUTES < 1:
    raise ImproperlyConfigured("AUDIT_ANCHOR_INTERVAL_MINUTES must be at least 1")

# --- login controls (Foundation II: identity.login) -----------------------------------------
# 等保 2.0 level 3 身份鉴别 (see docs/operations.md). Password complexity and history are the
# validators above; lockout is the authentication backend; the rest is middleware.
AUTHENTICATION_BACKENDS = ["shuzheng.foundation.identity.login.backends.LockoutModelBackend"]
PASSWORD_MAX_AGE_DAYS = env.int("PASSWORD_MAX_AGE_DAYS", default=90)
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", default=5)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
STAFF_IDLE_TIMEOUT_MINUTES = env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=30)
IDLE_TIMEOUT_MINUTES = env.int("IDLE_TIMEOUT_MINUTES", default=120)
MFA_REQUIRED_FOR_STAFF = env.bool("MFA_REQUIRED_FOR_STAFF", default=True)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="数政")
# Per client address and minute; 0 switches a limit off. Counted in this cache: the embedded
# local-memory cache is per process, so several web processes need a shared one (Redis).
LOGIN_RATE_PER_MINUTE = env.int("LOGIN_RATE_PER_MINUTE", default=10)
ANON_POST_RATE_PER_MINUTE = env.int("ANON_POST_RATE_PER_MINUTE", default=30)
RATE_LIMIT_CACHE = env.str("RATE_LIMIT_CACHE", default="default")
# Client addresses are REMOTE_ADDR (as in the audit trail): a reverse proxy must set it.
# HSTS is sent on HTTPS requests; behind a TLS-terminating proxy set BEHIND_TLS_PROXY so
# Django knows the request was HTTPS (the proxy must set X-Forwarded-Proto).
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=31_536_000 if env("SECURE_COOKIES") else 0
)
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# --- work calendar (Foundation III: workflow.calendar) --------------------------------------

# --- workflow (Foundation III: workflow) ----------------------------------------------------

# --- events and jobs (Foundation III: events) -----------------------------------------------

# --- notifications (Foundation III: events.notifications) -----------------------------------

# --- search (Foundation III: search) --------------------------------------------------------

# --- files (Foundation III: files) ----------------------------------------------------------

