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
    "shuzheng.data.catalog",
    "shuzheng.data.sharing",
    "shuzheng.data.exchange",
    "shuzheng.data.quality",
    "shuzheng.services.catalogue",
    "shuzheng.services.cases",
    "shuzheng.governance.grid",
    "shuzheng.governance.hotline",
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
# SQLITE_CACHE_MB sets each connection's page cache in MiB; 0 (the default) keeps SQLite's
# own 2 MB: 64 MB made no measurable difference to the API lists or FTS search and slowed
# full scans by ~35 % (docs/benchmarks.md, "HTTP baseline").
_sqlite_default = f"sqlite:///{VAR_DIR / 'shuzheng.sqlite3'}"
DATABASES = {"default": env.db_url("DATABASE_URL", default=_sqlite_default)}
SQLITE_CACHE_MB = env.int("SQLITE_CACHE_MB", default=0)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
                # A negative cache_size counts KiB, not pages; 0 keeps SQLite's default.
                + (f" PRAGMA cache_size=-{SQLITE_CACHE_MB * 1024};" if SQLITE_CACHE_MB else "")
            ),
        }
    )
# Connections are kept between requests on both databases (a new SQLite connection with its
# PRAGMAs costs ~3 ms of CPU per request — ten times a gateway call).
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
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
        "CaseStateEnum": "shuzheng.services.cases.models.CaseState",
        "OrderStateEnum": "shuzheng.governance.hotline.models.OrderState",
        "HotlineChannelEnum": "shuzheng.governance.hotline.models.Channel",
        "ServiceVersionStatusEnum": "shuzheng.services.catalogue.models.VersionStatus",
        "SharingRequestKindEnum": "shuzheng.data.sharing.models.RequestKind",
        "SharingRequestStateEnum": "shuzheng.data.sharing.models.RequestState",
        "SharingGrantStatusEnum": "shuzheng.data.sharing.models.GrantStatus",
        "QualityRuleKindEnum": "shuzheng.data.quality.models.RuleKind",
        "QualitySeverityEnum": "shuzheng.data.quality.models.Severity",
        "QualityIssueStatusEnum": "shuzheng.data.quality.models.IssueStatus",
        "QualityResolveStatusEnum": "shuzheng.data.quality.api.serializers.RESOLVE_STATUSES",
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
    # Periodic jobs run every minute: their routine lines only at DEBUG / JOBS_LOG_LEVEL.
    "loggers": {
        name: {"level": env.str("JOBS_LOG_LEVEL", default="WARNING")}
        for name in ("huey", "shuzheng.jobs")
    },
}

# --- keys (Foundation II: trust.keys) -------------------------------------------------------
# Key material comes from the environment or from files under KEYS_DIR (demo: generated once
# by `python -m shuzheng.foundation.trust.keys init`). See docs/operations.md.
KEYS_DIR = Path(env.str("SHUZHENG_KEYS_DIR", default=str(VAR_DIR / "keys")))

# --- audit (Foundation II: trust.audit) -----------------------------------------------------
# Audit records are kept at least 180 days (网络安全法 第二十一条: no less than six months);
# `manage.py audit purge` refuses anything younger. Anchors (SM2 signatures over the chain
# head) are sealed by the periodic job `trust.seal_audit_anchor` every
# AUDIT_ANCHOR_INTERVAL_MINUTES (or by hand with `manage.py audit seal`).
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
# China's working days (法定节假日, 调休, admin closures) for deadlines; see
# shuzheng.foundation.workflow.calendar. Office hours bound a working day: a deadline in working
# days ends at WORK_DAY_END of its last day, working hours count only between the two.
WORK_CALENDAR_TIME_ZONE = env.str("WORK_CALENDAR_TIME_ZONE", default="Asia/Shanghai")
WORK_DAY_START = env.str("WORK_DAY_START", default="09:00")
WORK_DAY_END = env.str("WORK_DAY_END", default="18:00")
# Each process caches the calendar per year; an edit is seen at once by the process that made
# it and by the others within this many seconds.
WORK_CALENDAR_CACHE_SECONDS = env.int("WORK_CALENDAR_CACHE_SECONDS", default=300)
if not (
    len(WORK_DAY_START) == len(WORK_DAY_END) == 5
    and "00:00" <= WORK_DAY_START < WORK_DAY_END <= "23:59"
):
    raise ImproperlyConfigured("WORK_DAY_START / WORK_DAY_END must be HH:MM with start < end")

# --- workflow (Foundation III: workflow) ----------------------------------------------------
# Lead time before a deadline at which the SLA sweep emits "approaching" (once per instance).
WORKFLOW_APPROACHING_HOURS = env.int("WORKFLOW_APPROACHING_HOURS", default=24)
# How often the SLA sweep runs (a periodic job).
WORKFLOW_SLA_SWEEP_MINUTES = env.int("WORKFLOW_SLA_SWEEP_MINUTES", default=5)

# --- events and jobs (Foundation III: events) -----------------------------------------------
# Embedded (default): events are delivered in-process right after the commit, retries by
# `manage.py events deliver --loop` or the periodic job; jobs run in-process (huey immediate
# mode, delayed/periodic ones by the embedded scheduler). Distributed: EVENTS_BACKEND=nats
# with `manage.py events relay` + `manage.py events worker`; JOBS_BACKEND=redis with
# `manage.py jobs worker`. See docs/operations.md.
EVENTS_BACKEND = env.str("EVENTS_BACKEND", default="inprocess")
if EVENTS_BACKEND not in ("inprocess", "nats"):
    raise ImproperlyConfigured("EVENTS_BACKEND must be 'inprocess' or 'nats'")
EVENTS_DELIVER_ON_COMMIT = env.bool("EVENTS_DELIVER_ON_COMMIT", default=True)
EVENTS_MAX_ATTEMPTS = env.int("EVENTS_MAX_ATTEMPTS", default=8)
EVENTS_RETRY_BASE_SECONDS = env.float("EVENTS_RETRY_BASE_SECONDS", default=10.0)
EVENTS_RETRY_MAX_SECONDS = env.float("EVENTS_RETRY_MAX_SECONDS", default=3600.0)
EVENTS_SWEEP_MINUTES = env.int("EVENTS_SWEEP_MINUTES", default=1)
# Finished outbox events (all deliveries done) are forgotten after this many days.
EVENTS_RETENTION_DAYS = env.int("EVENTS_RETENTION_DAYS", default=30)
NATS_URL = env.str("NATS_URL", default="nats://127.0.0.1:4222")
EVENTS_NATS_STREAM = env.str("EVENTS_NATS_STREAM", default="SHUZHENG_EVENTS")
EVENTS_NATS_SUBJECT_PREFIX = env.str("EVENTS_NATS_SUBJECT_PREFIX", default="shuzheng.events")
EVENTS_NATS_DURABLE = env.str("EVENTS_NATS_DURABLE", default="shuzheng-handlers")
EVENTS_NATS_ACK_WAIT = env.float("EVENTS_NATS_ACK_WAIT", default=60.0)
EVENTS_NATS_DUPLICATE_WINDOW = env.float("EVENTS_NATS_DUPLICATE_WINDOW", default=120.0)
EVENTS_NATS_MAX_AGE_DAYS = env.float("EVENTS_NATS_MAX_AGE_DAYS", default=7.0)
EVENTS_RELAY_POLL_SECONDS = env.float("EVENTS_RELAY_POLL_SECONDS", default=0.1)
if EVENTS_MAX_ATTEMPTS < 1:
    raise ImproperlyConfigured("EVENTS_MAX_ATTEMPTS must be at least 1")
JOBS_BACKEND = env.str("JOBS_BACKEND", default="inprocess")
if JOBS_BACKEND not in ("inprocess", "redis"):
    raise ImproperlyConfigured("JOBS_BACKEND must be 'inprocess' or 'redis'")
JOBS_QUEUE_NAME = env.str("JOBS_QUEUE_NAME", default="shuzheng")
JOBS_WORKERS = env.int("JOBS_WORKERS", default=2)
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")

# --- notifications (Foundation III: events.notifications) -----------------------------------
# Inbox always; email and SMS per the user's preferences, sent by background jobs with retries.
# EMAIL_BACKEND is Django's own setting: console by default (demo), SMTP in production
# ("django.core.mail.backends.smtp.EmailBackend" with EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER,
# EMAIL_HOST_PASSWORD, EMAIL_USE_TLS / EMAIL_USE_SSL).
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
NOTIFICATIONS_FROM_EMAIL = env.str("NOTIFICATIONS_FROM_EMAIL", default="noreply@shuzheng.local")
# Prefixed to message links in emails ("" keeps them relative).
NOTIFICATIONS_BASE_URL = env.str("NOTIFICATIONS_BASE_URL", default="")
# A dotted path to a class with send(phone_e164, text) -> provider message id (see
# shuzheng.foundation.events.notifications.sms); the demo ones print or append JSON lines
# with the number masked.
SMS_BACKEND = env.str(
    "SMS_BACKEND", default="shuzheng.foundation.events.notifications.sms.ConsoleSmsBackend"
)
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms" / "outbox.jsonl"))
NOTIFICATIONS_SEND_RETRIES = env.int("NOTIFICATIONS_SEND_RETRIES", default=3)
NOTIFICATIONS_RETRY_SECONDS = env.int("NOTIFICATIONS_RETRY_SECONDS", default=60)
NOTIFICATIONS_STALE_MINUTES = env.int("NOTIFICATIONS_STALE_MINUTES", default=60)
# A send to at least this many recipients at once is written to the audit trail.
NOTIFICATIONS_AUDIT_MIN_RECIPIENTS = env.int("NOTIFICATIONS_AUDIT_MIN_RECIPIENTS", default=20)

# --- search (Foundation III: search) --------------------------------------------------------
# The index is SQLite FTS5 or PostgreSQL full text, chosen by the database (no setting). Synonym
# groups are edited in admin; other processes see an edit within this many seconds.
SEARCH_SYNONYM_TTL_SECONDS = env.int("SEARCH_SYNONYM_TTL_SECONDS", default=60)

# --- files (Foundation III: files) ----------------------------------------------------------
# Uploads go to their own storage, never served by URL: local files under MEDIA_ROOT/files in
# embedded mode, an S3-compatible bucket (django-storages, `pip install .[s3]`) with
# FILES_STORAGE=s3. S3 credentials come from boto3's usual sources (AWS_ACCESS_KEY_ID /
# AWS_SECRET_ACCESS_KEY environment variables, an instance role) and are not copied here.
FILES_STORAGE = env.str("FILES_STORAGE", default="local")
if FILES_STORAGE == "local":
    STORAGES["files"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": str(MEDIA_ROOT / "files"),
            "base_url": None,
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        },
    }
elif FILES_STORAGE == "s3":
    STORAGES["files"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
            "location": env.str("FILES_S3_PREFIX", default="files"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
        },
    }
else:
    raise ImproperlyConfigured(f"FILES_STORAGE={FILES_STORAGE!r}: use 'local' or 's3'")
# Virus scanning: a dotted path to scan(path) that raises files.scanning.Infected. The
# default scans nothing; "shuzheng.foundation.files.scanning.clamd_scan" uses ClamAV.
FILES_SCANNER = env.str("FILES_SCANNER", default="shuzheng.foundation.files.scanning.no_scan")
FILES_CLAMD_SOCKET = env.str("FILES_CLAMD_SOCKET", default="")
FILES_CLAMD_ADDRESS = env.str("FILES_CLAMD_ADDRESS", default="127.0.0.1:3310")
FILES_CLAMD_TIMEOUT = env.int("FILES_CLAMD_TIMEOUT", default=30)
# ZIP-based uploads (ZIP, DOCX, XLSX, OFD) are walked with these limits (zip bombs).
FILES_ARCHIVE_MAX_UNCOMPRESSED = env.int("FILES_ARCHIVE_MAX_UNCOMPRESSED", default=512 * 2**20)
FILES_ARCHIVE_MAX_RATIO = env.int("FILES_ARCHIVE_MAX_RATIO", default=100)
FILES_ARCHIVE_MAX_ENTRIES = env.int("FILES_ARCHIVE_MAX_ENTRIES", default=2000)
# Discarded files keep their bytes this long before `manage.py files purge` removes them.
FILES_DELETED_GRACE_DAYS = env.int("FILES_DELETED_GRACE_DAYS", default=30)
# Where uploads are copied while being checked (default: the system's temporary folder).
FILES_TEMP_DIR = env.str("FILES_TEMP_DIR", default="") or None

# --- 12345 hotline (一网统管 I) --------------------------------------------------------------
# The organisation that holds orders before dispatch (the city's 12345 centre), by name.
HOTLINE_CENTRE_NAME = env.str("HOTLINE_CENTRE_NAME", default="珠海市市民服务热线管理中心")
# Duplicates: orders of the same category within this radius (metres) and window (hours).
HOTLINE_DUPLICATE_RADIUS_M = env.int("HOTLINE_DUPLICATE_RADIUS_M", default=200)
HOTLINE_DUPLICATE_HOURS = env.int("HOTLINE_DUPLICATE_HOURS", default=72)
# The model's unit suggestion is used (when no routing rule applies) from this confidence.
HOTLINE_UNIT_MIN_CONFIDENCE = env.float("HOTLINE_UNIT_MIN_CONFIDENCE", default=0.6)
# How often the 催办 / 督办 sweep runs (a periodic job).
HOTLINE_SWEEP_MINUTES = env.int("HOTLINE_SWEEP_MINUTES", default=5)
# Open311 GeoReport v2: the jurisdiction_id this endpoint serves.
OPEN311_JURISDICTION = env.str("OPEN311_JURISDICTION", default="zhuhai.gov.cn")
# Open311 POSTs carry an api_key: each application gets this many per minute (0 = no limit),
# instead of the anonymous per-address limit.
OPEN311_POSTS_PER_MINUTE = env.int("OPEN311_POSTS_PER_MINUTE", default=600)
RATE_LIMIT_KEYED_PREFIXES = ["/open311/"]

# --- 数据要素 I: catalogue, sharing, exchange gateway, quality ------------------------------
# 《政务数据共享条例》 time limits in working days: the data authority's compliance check and
# its coordination of a dispute (the provider's 5 / 10 days follow the entry's on_platform).
DATA_SHARING_CHECK_DAYS = env.int("DATA_SHARING_CHECK_DAYS", default=2)
DATA_SHARING_COORDINATION_DAYS = env.int("DATA_SHARING_COORDINATION_DAYS", default=10)
# The longest period a sharing request may ask for (days).
DATA_SHARING_MAX_DAYS = env.int("DATA_SHARING_MAX_DAYS", default=1096)
# Caps on the rate a request may ask for, and how many days ahead a consumer is told that a
# grant ends.
DATA_SHARING_MAX_PER_MINUTE = env.int("DATA_SHARING_MAX_PER_MINUTE", default=6000)
DATA_SHARING_MAX_PER_DAY = env.int("DATA_SHARING_MAX_PER_DAY", default=1_000_000)
DATA_SHARING_EXPIRY_NOTICE_DAYS = env.int("DATA_SHARING_EXPIRY_NOTICE_DAYS", default=7)
# Exchange log sealing: how often the job seals, and how old a log row must be to be sealed
# (so that a call still committing is never skipped).
DATA_EXCHANGE_SEAL_SECONDS = env.int("DATA_EXCHANGE_SEAL_SECONDS", default=60)
DATA_EXCHANGE_SEAL_LAG_SECONDS = env.int("DATA_EXCHANGE_SEAL_LAG_SECONDS", default=5)
# Data quality: most open problems kept per rule, how often 不定期 entries are checked, and
# the UTC hour of the daily sweep (18 = 02:00 in Zhuhai).
DATA_QUALITY_MAX_ISSUES_PER_RULE = env.int("DATA_QUALITY_MAX_ISSUES_PER_RULE", default=200)
DATA_QUALITY_IRREGULAR_DAYS = env.int("DATA_QUALITY_IRREGULAR_DAYS", default=30)
DATA_QUALITY_SWEEP_HOUR = env.int("DATA_QUALITY_SWEEP_HOUR", default=18)
# Catalogue import/export and the open catalogue (DCAT-AP).
DATA_CATALOG_IMPORT_MAX_BYTES = env.int("DATA_CATALOG_IMPORT_MAX_BYTES", default=5 * 2**20)
DATA_CATALOG_EXPORT_MAX_ENTRIES = env.int("DATA_CATALOG_EXPORT_MAX_ENTRIES", default=20000)
DATA_OPEN_CATALOG_TITLE = env.str("DATA_OPEN_CATALOG_TITLE", default="珠海市公共数据开放目录")
DATA_OPEN_CATALOG_DESCRIPTION = env.str(
    "DATA_OPEN_CATALOG_DESCRIPTION",
    default="珠海市政务信息资源目录中向社会开放的数据资源（DCAT-AP）",
)
DATA_OPEN_PUBLISHER = env.str("DATA_OPEN_PUBLISHER", default="珠海市政务服务数据管理局")
# The most exchange-log rows one CSV download holds (above: narrow the filter).
DATA_EXCHANGE_CSV_MAX_ROWS = env.int("DATA_EXCHANGE_CSV_MAX_ROWS", default=100_000)
# The exchange gateway: per-process cache of client and service rows (seconds; grants are
# read at every call), list paging, the scan cap of a search on a non-key item, the export
# cap, the pool and answer size for providers' own APIs, PostgreSQL synchronous_commit for
# the log's transaction (None = the server's; "off" trades the last few calls of a crash for
# latency), the most rows per seal, and how many latencies the dashboards' percentiles read.
DATA_EXCHANGE_GATEWAY_CACHE_SECONDS = env.int("DATA_EXCHANGE_GATEWAY_CACHE_SECONDS", default=5)
DATA_EXCHANGE_PAGE_SIZE = env.int("DATA_EXCHANGE_PAGE_SIZE", default=50)
DATA_EXCHANGE_PAGE_MAX = env.int("DATA_EXCHANGE_PAGE_MAX", default=100)
DATA_EXCHANGE_SEARCH_SCAN_LIMIT = env.int("DATA_EXCHANGE_SEARCH_SCAN_LIMIT", default=10_000)
DATA_EXCHANGE_EXPORT_MAX_ROWS = env.int("DATA_EXCHANGE_EXPORT_MAX_ROWS", default=100_000)
DATA_EXCHANGE_REMOTE_POOLS = env.int("DATA_EXCHANGE_REMOTE_POOLS", default=20)
DATA_EXCHANGE_REMOTE_POOL_SIZE = env.int("DATA_EXCHANGE_REMOTE_POOL_SIZE", default=10)
DATA_EXCHANGE_REMOTE_MAX_BYTES = env.int("DATA_EXCHANGE_REMOTE_MAX_BYTES", default=10 * 2**20)
DATA_EXCHANGE_SYNCHRONOUS_COMMIT = env.str("DATA_EXCHANGE_SYNCHRONOUS_COMMIT", default="") or None
DATA_EXCHANGE_SEAL_MAX_ROWS = env.int("DATA_EXCHANGE_SEAL_MAX_ROWS", default=100_000)
DATA_EXCHANGE_DASHBOARD_SAMPLE = env.int("DATA_EXCHANGE_DASHBOARD_SAMPLE", default=100_000)
