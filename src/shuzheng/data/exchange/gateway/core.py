"""The exchange gateway's core, free of any web framework:
``handle(method, path, query, headers, client_ip) -> (status, headers, body)``.

Routes (everything else under ``/gateway/v1/`` is a plain 404, not logged)::

    GET /gateway/v1/services/<code>/<version>/records           list (?after=&limit=) or
                                                                 search (?<item>=<value>)
    GET /gateway/v1/services/<code>/<version>/records/<key>     one record by its key item
    GET /gateway/v1/services/<code>/<version>/export?format=csv|json   every row

``?fields=a,b`` narrows the granted fields. Headers: ``Authorization: Bearer
<key_id>.<secret>``, ``X-Message-Id`` (generated when absent, always returned),
``X-End-User`` (only its HMAC-SM3 is kept), ``X-Purpose`` and/or ``X-Case-Number`` (one is
required). Header values may be UTF-8 or percent-encoded UTF-8.

Deny by default, in this order: the client authenticates (401, the same answer whatever
failed) → it is active and calls from an allowed address (403) → the request is well formed
(400 / 405) → the service exists and runs (404) → its entry is published (404) → the
consumer holds an active grant now (403 ``no_grant`` / ``grant_revoked`` / ``grant_expired`` /
``grant_not_yet_valid``) → every requested field and search item is granted (403
``field_not_granted`` / ``field_withheld``) → quota (429 with ``Retry-After``) → fetch (store
or the provider's API; 502 / 504) → each record projected to the requested fields and masked
by ``masking.deliver`` (never an ungranted or withheld field, whatever a remote API returns).

Every routed call, refused or not, leaves one ``ExchangeLog`` row, written in the same
transaction as the quota increment. The work is arranged so that the write is short (on
SQLite it holds the database's write lock): the grant (with this minute's and today's
counters, for an early 429) and the records are read first, in autocommit; then SQLite runs
``BEGIN IMMEDIATE`` → one UPSERT of both counters (``used < limit``, RETURNING the windows
taken) → the log INSERT → ``COMMIT``, and PostgreSQL one prepared statement that does the
UPSERT and the INSERT together (a transaction by itself). A call refused before the quota
takes none: its log INSERT is a transaction of its own. The grant is read on every call
(revocation and expiry take effect at the next call); client and service rows (with the
entry's published items) are cached per process for ``DATA_EXCHANGE_GATEWAY_CACHE_SECONDS``
(default 5); :func:`forget` drops them (the registry's services and a saved catalogue entry
call it after commit).
"""

from __future__ import annotations

import csv
import datetime as dt
import hmac
import io
import ipaddress
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Mapping
from contextlib import suppress
from typing import NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from shuzheng.data.catalog import masking, snapshot
from shuzheng.data.catalog.models import VISIBLE_STATES, DatasetRecord
from shuzheng.data.exchange import canonical
from shuzheng.data.exchange.gateway import remote
from shuzheng.data.exchange.models import (
    ClientApp,
    ClientStatus,
    DataService,
    ExchangeLog,
    Outcome,
    QuotaCounter,
    ServiceKind,
    ServiceStatus,
)
from shuzheng.data.sharing.models import Grant, GrantStatus
from shuzheng.foundation.api.problems import PROBLEM_JSON, problem
from shuzheng.foundation.trust import gm, pii
from shuzheng.foundation.web.csvexport import cell

log = logging.getLogger("shuzheng.exchange.gateway")

__all__ = [
    "PREFIX",
    "ROUTE",
    "forget",
    "handle",
    "is_legacy_secret_hash",
    "secret_hash",
    "verify_secret",
]

PREFIX = "/gateway/v1/"
ROUTE = re.compile(
    r"/gateway/v1/services/([^/]{1,100})/([^/]{1,20})/(?:records(?:/([^/]{1,200}))?|(export))/?"
)
RESERVED = frozenset({"fields", "after", "limit", "format"})
SECRET_KIND = "exchange.client_secret"  # legacy secret hashes (HMAC-SM3, blind-index key)
SECRET_SCHEME = "sm3"
END_USER_KIND = "exchange.end_user"
QUERY_KIND = "exchange.query"
_NO_SALT = "0" * 32
JSON_TYPE = "application/json; charset=utf-8"
_CODE = re.compile(r"[a-z0-9_][a-z0-9_-]{0,59}", re.IGNORECASE)
_MESSAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,63}")
_OUTCOME = {
    200: Outcome.OK,
    400: Outcome.BAD_REQUEST,
    401: Outcome.UNAUTHENTICATED,
    403: Outcome.DENIED,
    404: Outcome.NOT_FOUND,
    405: Outcome.BAD_REQUEST,
    429: Outcome.OVER_QUOTA,
}
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

Response = tuple[int, list[tuple[str, str]], bytes]


def secret_hash(secret: str) -> str:
    """What ``ClientApp.secret_hash`` stores: ``sm3$<salt>$<SM3(salt $ secret)>``.

    Secrets are 256-bit random tokens (``services.new_secret``), so a salted SM3 digest
    gives a stolen table neither the secret nor any guess at it, and — unlike a keyed hash —
    it depends on no key: rotating the blind-index key leaves every client working."""
    salt = secrets.token_hex(16)
    return f"{SECRET_SCHEME}${salt}${_salted(salt, secret)}"


def _salted(salt: str, secret: str) -> str:
    return gm.sm3(f"{salt}${secret}".encode()).hex()


def is_legacy_secret_hash(stored: str) -> bool:
    """A hash of the first scheme: HMAC-SM3 under the blind-index key (no ``sm3$`` prefix).
    The gateway verifies it and replaces it with :func:`secret_hash` on first use; it stops
    verifying once the blind-index key is rotated (``rotatekeys`` warns of those left)."""
    return not stored.startswith(f"{SECRET_SCHEME}$")


def verify_secret(stored: str, secret: str) -> bool:
    """Whether ``secret`` is the one ``stored`` (either scheme) was made from."""
    if is_legacy_secret_hash(stored):
        return hmac.compare_digest(stored, pii.blind_index(SECRET_KIND, secret))
    _scheme, salt, digest = (stored.split("$", 2) + ["", ""])[:3]
    return bool(salt) and hmac.compare_digest(digest, _salted(salt, secret))


def _upgrade_secret_hash(client: ClientRow, secret: str) -> None:
    """Replace a legacy secret hash just verified by the salted one — only if the row still
    holds that hash (a secret rotated meanwhile is not overwritten) — and drop the cached row
    so the next call reads the new hash. A failure only postpones the upgrade."""
    try:
        with transaction.atomic():
            ClientApp.objects.filter(pk=client.id, secret_hash=client.secret_hash).update(
                secret_hash=secret_hash(secret)
            )
    except DatabaseError:
        log.warning("could not upgrade the secret hash of client %s", client.key_id)
    _clients.pop(client.key_id, None)


def _setting(name: str, default):
    return getattr(settings, name, default)


# --------------------------------------------------------------------------- cached rows


class ClientRow(NamedTuple):
    id: int
    organisation_id: int
    key_id: str
    secret_hash: str
    active: bool
    networks: tuple


class ServiceRow(NamedTuple):
    id: int
    label: str
    provider_id: int
    entry_id: int
    remote: bool
    remote_url: str
    remote_token: str
    remote_timeout: float
    active: bool
    entry_visible: bool
    items: tuple
    by_code: dict
    order: tuple
    key_code: str | None
    plans: dict  # (fields, clear fields) → compiled masking plan, per process


_clients: dict[str, tuple[float, ClientRow | None]] = {}
_services: dict[tuple[str, str], tuple[float, ServiceRow | None]] = {}
_CACHE_MAX = 10_000


def forget() -> None:
    """Drop the cached client and service rows of this process (a service or client was
    changed here; other processes follow within the cache time)."""
    _clients.clear()
    _services.clear()


def _ttl() -> float:
    return float(_setting("DATA_EXCHANGE_GATEWAY_CACHE_SECONDS", 5))


def _networks(values) -> tuple:
    nets = []
    for value in values or ():
        try:
            nets.append(ipaddress.ip_network(str(value), strict=False))
        except ValueError:
            nets.append(None)  # an unreadable entry allows nobody
    return tuple(nets)


def _client(key_id: str) -> ClientRow | None:
    now = time.monotonic()
    hit = _clients.get(key_id)
    if hit is not None and hit[0] > now:
        return hit[1]
    row = (
        ClientApp.objects.filter(key_id=key_id)
        .values_list("pk", "organisation_id", "secret_hash", "status", "allowed_ips")
        .first()
    )
    value = None
    if row is not None:
        value = ClientRow(
            row[0], row[1], key_id, row[2], row[3] == ClientStatus.ACTIVE, _networks(row[4])
        )
    if len(_clients) >= _CACHE_MAX:
        _clients.clear()
    _clients[key_id] = (now + _ttl(), value)
    return value


def _service(code: str, version: str) -> ServiceRow | None:
    now = time.monotonic()
    hit = _services.get((code, version))
    if hit is not None and hit[0] > now:
        return hit[1]
    svc = DataService.objects.filter(code=code, version=version).select_related("entry").first()
    value = None
    if svc is not None:
        items = tuple(snapshot.items_of(svc.entry))
        value = ServiceRow(
            id=svc.pk,
            label=f"{svc.code}/{svc.version}",
            provider_id=svc.provider_id,
            entry_id=svc.entry_id,
            remote=svc.kind == ServiceKind.REMOTE,
            remote_url=svc.remote_url,
            remote_token=svc.remote_token or "",
            remote_timeout=float(svc.remote_timeout or 5.0),
            active=svc.status == ServiceStatus.ACTIVE,
            entry_visible=svc.entry.status in VISIBLE_STATES,
            items=items,
            by_code={item["code"]: item for item in items},
            order=tuple(item["code"] for item in items),
            key_code=next((item["code"] for item in items if item.get("is_key")), None),
            plans={},
        )
    if len(_services) >= _CACHE_MAX:
        _services.clear()
    _services[(code, version)] = (now + _ttl(), value)
    return value


# --------------------------------------------------------------------------- SQL


def _q(vendor: str, sql: str) -> str:
    return sql.replace("%s", "?") if vendor == "sqlite" else sql


_T_GRANT = Grant._meta.db_table
_T_QUOTA = QuotaCounter._meta.db_table
_T_LOG = ExchangeLog._meta.db_table
_T_RECORD = DatasetRecord._meta.db_table
_RECORD_AAD = DatasetRecord._meta.get_field("data").aad
_RECORD_KEY_KIND = DatasetRecord._meta.get_field("key_index").kind
_BY_ATTNAME = {f.attname: f.column for f in ExchangeLog._meta.concrete_fields}
if set(_BY_ATTNAME) != set(canonical.LOG_FIELDS):
    raise RuntimeError("ExchangeLog's columns and canonical.LOG_FIELDS have diverged")
_LOG_COLUMNS = [_BY_ATTNAME[name] for name in canonical.LOG_FIELDS[1:]]

_SQL_GRANT = (
    f"SELECT g.id, g.status, g.valid_from <= %s, g.valid_until > %s, g.fields, g.clear_fields, "  # noqa: S608
    f"g.quota_per_minute, g.quota_per_day, "
    f"(SELECT q.used FROM {_T_QUOTA} q WHERE q.grant_id = g.id AND q.\"window\" = 'minute' "
    f"AND q.window_start = %s), "
    f"(SELECT q.used FROM {_T_QUOTA} q WHERE q.grant_id = g.id AND q.\"window\" = 'day' "
    f"AND q.window_start = %s) "
    f"FROM {_T_GRANT} g WHERE g.consumer_id = %s AND g.entry_id = %s "
    f"ORDER BY g.granted_at DESC, g.id DESC"
)
_SQL_QUOTA = (
    f'INSERT INTO {_T_QUOTA} (grant_id, "window", window_start, used) '  # noqa: S608
    f"VALUES (%s, 'minute', %s, 1), (%s, 'day', %s, 1) "
    f'ON CONFLICT (grant_id, "window", window_start) DO UPDATE '
    f"SET used = {_T_QUOTA}.used + 1 "
    f"WHERE {_T_QUOTA}.used < CASE {_T_QUOTA}.\"window\" WHEN 'minute' THEN %s ELSE %s END "
    f'RETURNING "window"'
)
_SQL_GIVE_BACK = (
    f"UPDATE {_T_QUOTA} SET used = used - 1 "  # noqa: S608
    f'WHERE grant_id = %s AND "window" = %s AND window_start = %s AND used > 0'
)
_SQL_LOOKUP = (
    f"SELECT id, data FROM {_T_RECORD} WHERE entry_id = %s AND key_index = %s "  # noqa: S608
    f"ORDER BY id LIMIT 1"
)
_SQL_PAGE = (
    f"SELECT id, data FROM {_T_RECORD} WHERE entry_id = %s AND id > %s "  # noqa: S608
    f"ORDER BY id LIMIT %s"
)


def _insert_sql(vendor: str) -> str:
    cols = ", ".join(f'"{c}"' for c in _LOG_COLUMNS)
    marks = ["%s"] * len(_LOG_COLUMNS)
    if vendor == "postgresql":
        marks[canonical.LOG_FIELDS.index("fields") - 1] = "CAST(%s AS jsonb)"
    return f"INSERT INTO {_T_LOG} ({cols}) VALUES ({', '.join(marks)})"  # noqa: S608


QUOTA_REFUSED = "22Z29"  # SQLSTATE of exchange_quota_refused() (migration 0003)


def _take_and_log_sql() -> str:
    """PostgreSQL: the quota UPSERT and the log INSERT as one statement. The row is inserted
    only when both windows were taken; otherwise the statement aborts through
    ``exchange_quota_refused`` (naming the windows taken) — no increment survives — and the
    refusal is logged apart."""
    cols = ", ".join(f'"{c}"' for c in _LOG_COLUMNS)
    marks = ["%s"] * len(_LOG_COLUMNS)
    marks[canonical.LOG_FIELDS.index("fields") - 1] = "CAST(%s AS jsonb)"
    upsert = _SQL_QUOTA.replace('RETURNING "window"', 'RETURNING "window" AS w')
    return (
        f"WITH q AS ({upsert}), "  # noqa: S608
        "t AS (SELECT count(*) AS n, string_agg(w, ',') AS taken FROM q), "
        f"l AS (INSERT INTO {_T_LOG} ({cols}) SELECT {', '.join(marks)} FROM t WHERE t.n = 2 "
        "RETURNING 1) "
        "SELECT CASE WHEN t.n = 2 AND (SELECT count(*) FROM l) = 1 THEN 1 "
        "ELSE exchange_quota_refused(t.taken) END FROM t"
    )


_SQL: dict[str, dict[str, str]] = {}


def _sql(vendor: str) -> dict[str, str]:
    found = _SQL.get(vendor)
    if found is None:
        found = _SQL[vendor] = {
            "grant": _q(vendor, _SQL_GRANT),
            "quota": _q(vendor, _SQL_QUOTA),
            "give_back": _q(vendor, _SQL_GIVE_BACK),
            "lookup": _q(vendor, _SQL_LOOKUP),
            "page": _q(vendor, _SQL_PAGE),
            "insert": _q(vendor, _insert_sql(vendor)),
        }
        if vendor == "postgresql":
            found["take_and_log"] = _take_and_log_sql()
    return found


def _json(value):
    return json.loads(value) if isinstance(value, str | bytes) else value


def _read(call, sql: str, params) -> list:
    """A read in autocommit (or in the caller's transaction) on the call's driver cursor."""
    with call.conn.wrap_database_errors:
        call.run(sql, params)
        return call.cursor.fetchall()


def _pg_prepares(conn) -> bool:
    """Prepared statements unless switched off for a pooler (``OPTIONS={"prepare_threshold":
    None}``, Django's documented setting) — as the audit trail reads it. Planning the
    gateway's queries costs more than running them (0.1–0.2 ms each), so they are prepared
    once per connection."""
    return conn.settings_dict.get("OPTIONS", {}).get("prepare_threshold", 5) is not None


_UTC = dt.UTC


def _adapter(conn):
    """Datetime parameters as the backend stores them — the same values as Django's
    ``adapt_datetimefield_value`` (the ORM reads the counters back), without its overhead:
    SQLite keeps naive UTC text, PostgreSQL takes the aware datetime."""
    if conn.vendor == "sqlite" and settings.USE_TZ and conn.timezone_name == "UTC":
        return lambda value: str(value.astimezone(_UTC).replace(tzinfo=None))
    if conn.vendor == "postgresql":
        return lambda value: value
    return conn.ops.adapt_datetimefield_value


def _decrypt(stored) -> dict:
    return json.loads(pii.decrypt(stored, _RECORD_AAD))


# --------------------------------------------------------------------------- the call


class _Refused(Exception):
    """Stop here and answer with a problem (logged like every other outcome)."""

    def __init__(self, status: int, reason: str, detail: str, extra=None, headers=(), shown=""):
        super().__init__(reason)
        self.status = status
        self.reason = reason  # logged
        self.shown = shown or reason  # answered (401: the same whatever failed)
        self.detail = detail
        self.extra = extra
        self.headers = list(headers)


class _Call:
    __slots__ = (
        "started",
        "now",
        "conn",
        "cursor",
        "vendor",
        "sql",
        "adapt",
        "message_id",
        "client",
        "service",
        "service_code",
        "grant_id",
        "end_user_hash",
        "purpose",
        "case_number",
        "request_hash",
        "prepare",
    )

    def __init__(self, started: float):
        self.started = started
        self.now = timezone.now()
        self.conn = conn = connections[DEFAULT_DB_ALIAS]
        self.cursor = None
        self.vendor = conn.vendor
        self.sql = _sql(self.vendor)
        self.adapt = _adapter(conn)
        self.message_id = ""
        self.client: ClientRow | None = None
        self.service: ServiceRow | None = None
        self.service_code = ""
        self.grant_id = None
        self.end_user_hash = ""
        self.purpose = ""
        self.case_number = ""
        self.request_hash = ""
        self.prepare = None  # PostgreSQL: whether to prepare (planning costs more than a trip)

    def open(self) -> None:
        """The driver's cursor: on PostgreSQL a server-side-binding one (Django's binds
        client-side, which cannot prepare), so each statement is planned once per
        connection."""
        conn = self.conn
        conn.ensure_connection()
        with conn.wrap_database_errors:
            if self.vendor == "postgresql":
                import psycopg

                raw = conn.connection
                self.prepare = _pg_prepares(conn)
                if self.prepare and raw.prepare_threshold is None:
                    # Django turns preparing off unless OPTIONS name a threshold; only
                    # server-side-binding cursors (this one, the audit trail's) prepare at
                    # all — Django's own client-side cursors are not affected.
                    raw.prepare_threshold = 5
                self.cursor = psycopg.Cursor(raw)
            else:
                self.cursor = conn.connection.cursor()

    def run(self, sql: str, params=()) -> None:
        if self.prepare is None:
            self.cursor.execute(sql, params)
        else:
            self.cursor.execute(sql, params or None, prepare=self.prepare)

    def close(self) -> None:
        if self.cursor is not None:
            with suppress(Exception):  # a closed connection: nothing left to release
                self.cursor.close()
            self.cursor = None


def _header(value: str | None) -> str:
    """A header value as text: WSGI hands over latin-1; clients send UTF-8 (raw or
    percent-encoded)."""
    if not value:
        return ""
    with suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("latin-1").decode("utf-8")
    if "%" in value:
        with suppress(UnicodeDecodeError):
            value = unquote(value, errors="strict")
    return value.strip()


def _names(codes) -> str:
    return ", ".join(codes)


def _plain_404() -> Response:
    body = _dumps(problem(404, code="not-found", detail=_("没有这个网关接口"))).encode()
    headers = [
        ("Content-Type", PROBLEM_JSON),
        ("Cache-Control", "no-store"),
        ("X-Content-Type-Options", "nosniff"),
    ]
    return 404, headers, body


def handle(
    method: str, path: str, query, headers: Mapping[str, str], client_ip: str | None
) -> Response:
    """Serve one gateway call; see the module docstring. ``path`` is the decoded path (as
    WSGI's ``PATH_INFO``), ``query`` the raw query string (or a mapping), ``headers`` any
    mapping of header names (any case) to values, ``client_ip`` the peer's address."""
    started = time.perf_counter()
    match = ROUTE.fullmatch(path)
    if match is None:
        return _plain_404()
    call = _Call(started)
    try:
        call.open()
        return _serve(call, match, method, query, headers, client_ip)
    except Exception:
        log.exception("gateway call failed (message %s)", call.message_id)
        try:
            if call.cursor is None:
                raise
            return _refuse(call, _Refused(500, "internal_error", _("网关内部错误")))
        except Exception:
            log.exception("gateway could not log a failed call (message %s)", call.message_id)
            return 500, [("Content-Type", PROBLEM_JSON)], _dumps(problem(500)).encode()
    finally:
        call.close()


def _serve(call: _Call, match, method, query, headers, client_ip) -> Response:
    code, version, key, export = match.groups()
    call.service_code = f"{code}/{version}"[:100]
    h = {k.lower(): v for k, v in headers.items()}
    problems: list[_Refused] = []  # request errors, reported after authentication

    raw_mid = (h.get("x-message-id") or "").strip()
    if not raw_mid:
        call.message_id = str(uuid.uuid4())
    elif _MESSAGE_ID.fullmatch(raw_mid):
        call.message_id = raw_mid
    else:
        call.message_id = str(uuid.uuid4())
        problems.append(
            _Refused(400, "bad_message_id", _("X-Message-Id 应为 1–64 个字母、数字或 ._:@/+=-"))
        )
    end_user = _header(h.get("x-end-user"))
    call.purpose = _header(h.get("x-purpose"))
    call.case_number = _header(h.get("x-case-number"))
    for name, value, limit in (
        ("X-End-User", end_user, 256),
        ("X-Purpose", call.purpose, 200),
        ("X-Case-Number", call.case_number, 64),
    ):
        if len(value) > limit:
            problems.append(
                _Refused(
                    400,
                    "bad_header",
                    _("%(header)s 不能超过 %(n)s 个字符") % {"header": name, "n": limit},
                )
            )
    call.purpose = call.purpose[:200]
    call.case_number = call.case_number[:64]
    if end_user:
        call.end_user_hash = pii.blind_index(END_USER_KIND, end_user[:256])
    if not call.purpose and not call.case_number:
        problems.append(
            _Refused(
                400,
                "purpose_required",
                _("请在 X-Purpose 或 X-Case-Number 中说明用途或关联办件编号"),
            )
        )
    if method != "GET":
        problems.append(
            _Refused(405, "method_not_allowed", _("只支持 GET"), headers=[("Allow", "GET")])
        )

    # the query, and the request's canonical form
    if query is None:
        query = ""
    elif not isinstance(query, str):
        query = urlencode(list(query.items()) if isinstance(query, Mapping) else query)
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=50, errors="strict")
        hashed = sorted(
            [name, value if name in RESERVED else pii.blind_index(QUERY_KIND, value)]
            for name, value in pairs
        )
    except (ValueError, UnicodeDecodeError):
        pairs = None
        hashed = [["?", pii.blind_index(QUERY_KIND, query)]]
        problems.append(_Refused(400, "bad_parameter", _("查询参数无法解析")))
    route = match.group(0)
    if key:
        route = f"/gateway/v1/services/{code}/{version}/records/" + pii.blind_index(QUERY_KIND, key)

    # 1. authentication: one answer, whatever failed
    auth = h.get("authorization") or ""
    key_id = ""
    failure = "missing_credentials"
    if auth[:7].lower() == "bearer ":
        key_id, dot, secret = auth[7:].strip().partition(".")
        key_id = key_id[:32]
        failure = "malformed_credentials"
        if dot and key_id and secret and len(secret) <= 256:
            client = _client(key_id)
            failure = "unknown_client"
            if client is None:
                _salted(_NO_SALT, secret)  # the same work as for a known client
            else:
                call.client = client
                failure = "bad_credentials"
                if verify_secret(client.secret_hash, secret):
                    failure = ""
                    if is_legacy_secret_hash(client.secret_hash):
                        _upgrade_secret_hash(client, secret)
    call.request_hash = gm.sm3(
        canonical.request_message(
            method,
            route,
            hashed,
            key_id,
            call.message_id,
            call.end_user_hash,
            call.purpose,
            call.case_number,
        )
    ).hex()
    try:
        if failure:
            # the provider sees attempts on its service in its own log
            call.service = _service(code, version)
            raise _Refused(
                401,
                failure,
                _("认证失败：请检查应用标识与密钥"),
                headers=[("WWW-Authenticate", 'Bearer realm="gateway"')],
                shown="unauthenticated",
            )
        client = call.client
        # 2. the client itself
        if not client.active:
            raise _Refused(403, "client_disabled", _("该接入应用已停用"))
        if client.networks and not _address_allowed(client.networks, client_ip):
            raise _Refused(403, "ip_not_allowed", _("请求来源地址不在该应用允许的范围内"))
        # 3. the request
        if problems:
            raise problems[0]
        params = _parse(pairs, key=key, export=bool(export))
        # 4. the service and its entry
        service = _service(code, version)
        if service is None:
            raise _Refused(404, "service_not_found", _("没有这个数据服务"))
        call.service = service
        if not service.active:
            raise _Refused(404, "service_suspended", _("该数据服务已暂停"))
        if not service.entry_visible:
            raise _Refused(404, "entry_unavailable", _("该数据服务的目录条目未发布或已下线"))
        if params.after and not service.remote and not params.after.isdigit():
            raise _Refused(400, "bad_parameter", _("after 应为上一页返回的 next 值"))
        # 5. the grant, read now (never cached)
        grant = _grant(call, client, service, params.fields)
        call.grant_id = grant.id
        fields = _fields(service, grant, params)
        # 6. quota, early (the UPSERT below decides)
        if grant.used_minute >= grant.per_minute:
            raise _over_quota(call, "quota_minute")
        if grant.used_day >= grant.per_day:
            raise _over_quota(call, "quota_day")
    except _Refused as refusal:
        return _refuse(call, refusal)
    # 7. fetch, project, mask — from here on the call counts against the quota
    try:
        status, extra_headers, body, count, returned = _fetch(
            call, service, grant, fields, params, key, bool(export)
        )
    except _Refused as refusal:
        return _refuse(call, refusal, grant=grant)
    return _finish(call, status, extra_headers, body, "", grant=grant, count=count, fields=returned)


def _address_allowed(networks, client_ip) -> bool:
    try:
        address = ipaddress.ip_address(client_ip or "")
    except ValueError:
        return False
    return any(net is not None and address in net for net in networks)


# --------------------------------------------------------------------------- parameters


class _Params(NamedTuple):
    fields: list[str] | None
    criteria: list[tuple[str, str]]
    after: str
    limit: int
    format: str


def _parse(pairs, *, key, export: bool) -> _Params:
    seen: set[str] = set()
    fields = None
    criteria: list[tuple[str, str]] = []
    after, limit, fmt = "", int(_setting("DATA_EXCHANGE_PAGE_SIZE", 50)), "json"
    max_limit = int(_setting("DATA_EXCHANGE_PAGE_MAX", 100))

    def bad(detail):
        return _Refused(400, "bad_parameter", detail)

    for name, value in pairs:
        if name in seen:
            raise bad(_("参数重复：%(name)s") % {"name": name if _CODE.fullmatch(name) else "?"})
        seen.add(name)
        if name == "fields":
            codes = [c.strip() for c in value.split(",") if c.strip()]
            if not all(_CODE.fullmatch(c) for c in codes) or len(codes) > 200:
                raise bad(_("fields 应为逗号分隔的信息项标识"))
            fields = list(dict.fromkeys(codes)) or None
        elif name == "limit":
            if export or key:
                raise bad(_("此接口不接受 limit 参数"))
            if not value.isdigit() or not 1 <= int(value) <= max_limit:
                raise bad(_("limit 应为 1 到 %(n)s 之间的整数") % {"n": max_limit})
            limit = int(value)
        elif name == "after":
            if export or key:
                raise bad(_("此接口不接受 after 参数"))
            if len(value) > 100 or not value.isprintable():
                raise bad(_("after 应为上一页返回的 next 值"))
            after = value
        elif name == "format":
            if not export:
                raise bad(_("只有导出接口接受 format 参数"))
            if value not in ("csv", "json"):
                raise bad(_("format 应为 csv 或 json"))
            fmt = value
        else:
            if export or key:
                raise bad(_("此接口不接受查询条件"))
            if not _CODE.fullmatch(name):
                raise bad(_("查询条件应为信息项标识"))
            if not value.strip():
                raise bad(_("查询条件 %(name)s 的值不能为空") % {"name": name})
            criteria.append((name, value))
    return _Params(fields, criteria, after, limit, fmt)


# --------------------------------------------------------------------------- grant


class _Grant(NamedTuple):
    id: int
    fields: list
    clear_fields: list
    per_minute: int
    per_day: int
    used_minute: int
    used_day: int
    minute_start: dt.datetime
    day_start: dt.datetime


_day_window: list = [None, None]  # [local midnight, next local midnight] (aware)


def quota_windows(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The starts of ``now``'s minute (UTC) and day (local time zone)."""
    minute = now.replace(second=0, microsecond=0)
    day, following = _day_window
    if day is None or not day <= now < following:
        local = timezone.localtime(now)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        following = (day + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0)
        _day_window[:] = [day, following]
    return minute, day


def _grant(call: _Call, client: ClientRow, service: ServiceRow, wanted) -> _Grant:
    """The consumer's grant for the service's entry valid now (the newest that covers the
    requested fields), or the refusal that says why there is none."""
    minute, day = quota_windows(call.now)
    adapt = call.adapt
    now = adapt(call.now)
    rows = _read(
        call,
        call.sql["grant"],
        [now, now, adapt(minute), adapt(day), client.organisation_id, service.entry_id],
    )
    valid = [r for r in rows if r[1] == GrantStatus.ACTIVE and r[2] and r[3]]
    if not valid:
        if not rows:
            raise _Refused(403, "no_grant", _("本部门没有该数据的共享授权"))
        statuses = {r[1] for r in rows}
        if any(r[1] == GrantStatus.ACTIVE and not r[2] for r in rows):
            raise _Refused(403, "grant_not_yet_valid", _("共享授权尚未生效"))
        if GrantStatus.ACTIVE in statuses:
            raise _Refused(403, "grant_expired", _("共享授权已过期"))
        raise _Refused(403, "grant_revoked", _("共享授权已撤销"))
    chosen = valid[0]
    if wanted and len(valid) > 1:
        for row in valid:
            if set(wanted) <= set(_json(row[4]) or ()):
                chosen = row
                break
    return _Grant(
        id=chosen[0],
        fields=list(_json(chosen[4]) or ()),
        clear_fields=list(_json(chosen[5]) or ()),
        per_minute=chosen[6],
        per_day=chosen[7],
        used_minute=chosen[8] or 0,
        used_day=chosen[9] or 0,
        minute_start=minute,
        day_start=day,
    )


def _fields(service: ServiceRow, grant: _Grant, params: _Params) -> list[str]:
    """The fields to deliver: the requested ones (default: every granted item of the
    published entry, in its order), each granted; search items granted and not withheld."""
    granted = set(grant.fields)
    if params.fields is None:
        fields = [code for code in service.order if code in granted]
    else:
        fields = params.fields
        refused = [code for code in fields if code not in granted or code not in service.by_code]
        if refused:
            raise _Refused(
                403,
                "field_not_granted",
                _("未获授权的信息项：%(names)s") % {"names": _names(refused)},
                extra={"fields": refused},
            )
        clear = set(grant.clear_fields)
        withheld = [code for code in fields if _withheld(service, code, clear)]
        if withheld:
            raise _Refused(
                403,
                "field_withheld",
                _("核心数据信息项不提供：%(names)s") % {"names": _names(withheld)},
                extra={"fields": withheld},
            )
    if params.criteria:
        names = [name for name, _value in params.criteria]
        unknown = [n for n in names if n not in service.by_code]
        if unknown:
            raise _Refused(
                400,
                "unknown_parameter",
                _("没有这个信息项：%(names)s") % {"names": _names(unknown)},
                extra={"fields": unknown},
            )
        refused = [n for n in names if n not in granted]
        if refused:
            raise _Refused(
                403,
                "field_not_granted",
                _("未获授权的信息项不能作为查询条件：%(names)s") % {"names": _names(refused)},
                extra={"fields": refused},
            )
        clear = set(grant.clear_fields)
        withheld = [n for n in names if _withheld(service, n, clear)]
        if withheld:
            raise _Refused(
                403,
                "field_withheld",
                _("核心数据信息项不提供，也不能作为查询条件：%(names)s")
                % {"names": _names(withheld)},
                extra={"fields": withheld},
            )
    return fields


def _withheld(service: ServiceRow, code: str, clear: set) -> bool:
    item = service.by_code[code]
    return masking.delivery(item, clear_granted=code in clear) == masking.WITHHELD


def _retry_after(call: _Call, reason: str) -> int:
    now = call.now
    if reason == "quota_minute":
        return max(1, 60 - now.second)
    local = timezone.localtime(now)
    midnight = (local + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return max(1, int((midnight - local).total_seconds()) + 1)


def _over_quota(call: _Call, reason: str) -> _Refused:
    wait = _retry_after(call, reason)
    detail = (
        _("超出每分钟调用上限，请 %(s)s 秒后再试")
        if reason == "quota_minute"
        else _("超出每日调用上限，请 %(s)s 秒后再试")
    ) % {"s": wait}
    return _Refused(429, reason, detail, headers=[("Retry-After", str(wait))])


# --------------------------------------------------------------------------- fetch


def _matches(row: Mapping, criteria) -> bool:
    for name, value in criteria:
        got = row.get(name)
        if ("" if got is None else str(got)) != value:
            return False
    return True


class _Plan(NamedTuple):
    plan: dict  # masking.plan(): code → clear | masked | withheld
    returned: list  # the fields delivered (not withheld), in the requested order
    steps: tuple  # (code, mask rule or None for clear) per delivered field


def _compiled(service: ServiceRow, fields, clear_fields) -> _Plan:
    """``masking.plan`` for this service, these fields and this grant's clear fields,
    compiled once per process: applying it to a record (:func:`_deliver`) gives exactly
    ``masking.deliver(items, record, fields, clear_fields)`` — the same policy functions
    (``delivery``, ``mask_value``), without re-deriving the plan for every record."""
    cache_key = (tuple(fields), tuple(clear_fields))
    found = service.plans.get(cache_key)
    if found is None:
        plan = masking.plan(service.items, fields, clear_fields)
        steps = []
        for code in fields:
            how = plan.get(code, masking.WITHHELD)
            if how == masking.CLEAR:
                steps.append((code, None))
            elif how == masking.MASKED:
                steps.append((code, service.by_code[code].get("mask") or "none"))
        found = _Plan(plan, [code for code, _rule in steps], tuple(steps))
        if len(service.plans) >= 256:
            service.plans.clear()
        service.plans[cache_key] = found
    return found


def _deliver(steps, record: Mapping) -> dict:
    mask = masking.mask_value
    out = {}
    for code, rule in steps:
        value = record.get(code)
        out[code] = value if rule is None else mask(rule, value)
    return out


def _fetch(call, service, grant, fields, params, key, export):
    """(status, extra headers, body, record count, fields returned)."""
    compiled = _compiled(service, fields, grant.clear_fields)
    plan, returned = compiled.plan, compiled.returned
    nxt = None
    truncated = False
    try:
        if export:
            rows, truncated = _all_rows(call, service, params)
        elif key is not None:
            if service.key_code is None and not service.remote:
                raise _Refused(404, "no_key_item", _("该数据没有查询主键，不能按主键查询"))
            row = _one_row(call, service, params, key)
            if row is None:
                raise _Refused(404, "record_not_found", _("没有找到该记录"))
            rows = [row]
        else:
            rows, nxt = _rows(call, service, params)
    except remote.RemoteError as exc:
        detail = _("提供方接口超时") if exc.status == 504 else _("提供方接口出错")
        raise _Refused(exc.status, exc.reason, detail) from None
    steps = compiled.steps
    records = [_deliver(steps, row) for row in rows]
    headers: list[tuple[str, str]] = []
    if export and params.format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(returned)
        for record in records:
            writer.writerow([cell(record.get(code)) for code in returned])
        body = ("\ufeff" + buffer.getvalue()).encode()
        filename = service.label.replace("/", "-") + ".csv"
        headers = [
            ("Content-Type", "text/csv; charset=utf-8"),
            ("Content-Disposition", f'attachment; filename="{filename}"'),
        ]
    else:
        document = {
            "message_id": call.message_id,
            "service": service.label,
            "fields": returned,
            "masking": plan,
            "records": records,
            "next": nxt,
        }
        if export:
            document["count"] = len(records)
            document["truncated"] = truncated
            del document["next"]
        body = _dumps(document).encode()
        headers = [("Content-Type", JSON_TYPE)]
    if truncated:
        headers.append(("X-Export-Truncated", "true"))
    return 200, headers, body, len(records), returned


def _lookup(call, service, value) -> list:
    """Stored rows whose key item equals ``value`` (by its blind index, as ``store.lookup``
    — without the ORM, whose default ordering joins the entry table)."""
    return _read(
        call,
        call.sql["lookup"],
        [service.entry_id, pii.blind_index(_RECORD_KEY_KIND, str(value))],
    )


def _one_row(call, service, params, key: str) -> dict | None:
    if service.remote:
        row = remote.record(service, key, call.message_id)
        if row is not None and service.key_code and not _matches(row, [(service.key_code, key)]):
            return None  # the provider answered with another record: none of it goes out
        return row
    found = _lookup(call, service, key)
    return _decrypt(found[0][1]) if found else None


def _rows(call, service, params: _Params) -> tuple[list[dict], str | None]:
    limit, criteria = params.limit, params.criteria
    if service.remote:
        query = [*criteria, ("limit", str(limit))]
        if params.after:
            query.append(("after", params.after))
        rows, nxt = remote.records(service, query, call.message_id)
        rows = [row for row in rows if _matches(row, criteria)][:limit] if criteria else rows
        return rows[:limit], nxt
    if params.after and not params.after.isdigit():
        raise _Refused(400, "bad_parameter", _("after 应为上一页返回的 next 值"))
    after = int(params.after or 0)
    sql = call.sql
    if criteria and service.key_code in dict(criteria):
        found = _lookup(call, service, dict(criteria)[service.key_code])
        rows = [
            data
            for pk, stored in found
            if pk > after and _matches(data := _decrypt(stored), criteria)
        ]
        return rows, None
    if not criteria:
        found = _read(call, sql["page"], [service.entry_id, after, limit + 1])
        rows = [_decrypt(stored) for _pk, stored in found[:limit]]
        return rows, (str(found[limit - 1][0]) if len(found) > limit else None)
    # search by other items: scan up to the cap, from ``after``
    cap = int(_setting("DATA_EXCHANGE_SEARCH_SCAN_LIMIT", 10_000))
    rows, scanned, last = [], 0, after
    batch = 500
    while scanned < cap and len(rows) < limit:
        found = _read(call, sql["page"], [service.entry_id, last, min(batch, cap - scanned)])
        if not found:
            return rows, None
        for pk, stored in found:
            scanned += 1
            last = pk
            data = _decrypt(stored)
            if _matches(data, criteria):
                rows.append(data)
                if len(rows) == limit:
                    break
    more = _read(call, sql["page"], [service.entry_id, last, 1])
    return rows, (str(last) if more else None)


def _all_rows(call, service, params) -> tuple[list[dict], bool]:
    cap = int(_setting("DATA_EXCHANGE_EXPORT_MAX_ROWS", 100_000))
    rows: list[dict] = []
    if service.remote:
        after = ""
        while len(rows) < cap:
            query = [("limit", "100")] + ([("after", after)] if after else [])
            page, after = remote.records(service, query, call.message_id)
            rows.extend(page)
            if not after or not page:
                return rows[:cap], len(rows) > cap
        return rows[:cap], True
    sql = call.sql["page"]
    last = 0
    while len(rows) < cap:
        found = _read(call, sql, [service.entry_id, last, min(500, cap - len(rows))])
        if not found:
            return rows, False
        rows.extend(_decrypt(stored) for _pk, stored in found)
        last = found[-1][0]
    return rows, bool(_read(call, sql, [service.entry_id, last, 1]))


# --------------------------------------------------------------------------- finish


_titles: dict[tuple[str, int], str] = {}


def _title(status: int) -> str:
    language = get_language() or settings.LANGUAGE_CODE
    found = _titles.get((language, status))
    if found is None:
        found = _titles[(language, status)] = problem(status)["title"]
    return found


def _problem_body(call: _Call, refusal: _Refused) -> bytes:
    code = refusal.shown
    body = {
        "type": f"urn:shuzheng:problem:{code.replace('_', '-')}",
        "title": _title(refusal.status),
        "status": refusal.status,
        "detail": str(refusal.detail),
        "reason": code,
        "message_id": call.message_id,
    }
    if refusal.extra:
        body.update(refusal.extra)
    return _dumps(body).encode()


def _refuse(call: _Call, refusal: _Refused, *, grant=None) -> Response:
    headers = [("Content-Type", PROBLEM_JSON), *refusal.headers]
    return _finish(
        call, refusal.status, headers, _problem_body(call, refusal), refusal.reason, grant=grant
    )


def _finish(call, status, headers, body, reason, *, grant, count=0, fields=()) -> Response:
    """Take the quota (for a call that got this far) and write the log row, in one short
    transaction. An UPSERT refused by a concurrent caller turns the answer into a 429. A
    refused call takes no quota: its INSERT is a transaction of its own.

    PostgreSQL: :func:`_finish_postgresql`. SQLite (in-process, no round trips):
    ``BEGIN IMMEDIATE`` (the write lock up front, so concurrent gateway processes queue
    instead of failing on a lock upgrade), UPSERT, INSERT, ``COMMIT``; inside a caller's
    transaction (tests, ``ATOMIC_REQUESTS``) a savepoint of ``atomic``.
    """
    conn, cursor, sql = call.conn, call.cursor, call.sql
    nested = conn.in_atomic_block or not conn.get_autocommit()
    if grant is not None and call.vendor == "postgresql":
        status, headers, body = _finish_postgresql(
            call, status, headers, body, reason, grant, count, fields, nested
        )
    else:
        with conn.wrap_database_errors:
            if grant is None:  # one statement: a transaction of its own
                _log_alone(call, nested, _log_row(call, status, body, reason, count, fields))
            elif nested:
                with transaction.atomic(using=conn.alias):
                    if refused := _take(call, grant):
                        status, headers, body, reason, count, fields = _quota_refusal(call, refused)
                    cursor.execute(
                        sql["insert"], _log_row(call, status, body, reason, count, fields)
                    )
            else:
                try:
                    cursor.execute("BEGIN IMMEDIATE")
                    if refused := _take(call, grant):
                        status, headers, body, reason, count, fields = _quota_refusal(call, refused)
                    cursor.execute(
                        sql["insert"], _log_row(call, status, body, reason, count, fields)
                    )
                    cursor.execute("COMMIT")
                except BaseException:
                    with suppress(Exception):
                        cursor.execute("ROLLBACK")
                    raise
    headers = list(headers)
    headers.extend(
        (
            ("X-Message-Id", call.message_id),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        )
    )
    return status, headers, body


def _synchronous_commit() -> str | None:
    sync = _setting("DATA_EXCHANGE_SYNCHRONOUS_COMMIT", None)
    if sync and sync not in ("on", "off", "local", "remote_write", "remote_apply"):
        raise ValueError("DATA_EXCHANGE_SYNCHRONOUS_COMMIT: on, off, local, remote_write …")
    return sync or None


def _finish_postgresql(call, status, headers, body, reason, grant, count, fields, nested):
    """The quota UPSERT and the log INSERT as one prepared statement. In autocommit it is a
    transaction by itself (one round trip); ``DATA_EXCHANGE_SYNCHRONOUS_COMMIT`` or a
    caller's transaction wrap it (``BEGIN`` / ``SAVEPOINT``). A refusal aborts the statement
    — every increment with it — and is then logged on its own."""
    sync = None if nested else _synchronous_commit()
    if nested:
        begin, end = "SAVEPOINT exchange_call", "RELEASE SAVEPOINT exchange_call"
        undo = "ROLLBACK TO SAVEPOINT exchange_call; RELEASE SAVEPOINT exchange_call"
    elif sync:
        begin, end = f"BEGIN; SET LOCAL synchronous_commit = {sync}", "COMMIT"
        undo = "ROLLBACK"
    else:
        begin = end = undo = None
    adapt = call.adapt
    params = [
        grant.id,
        adapt(grant.minute_start),
        grant.id,
        adapt(grant.day_start),
        grant.per_minute,
        grant.per_day,
        *_log_row(call, status, body, reason, count, fields),
    ]
    cursor = call.cursor
    try:
        if begin:
            cursor.execute(begin)
        call.run(call.sql["take_and_log"], params)
        if end:
            cursor.execute(end)
        return status, headers, body
    except Exception as exc:
        if undo:
            with suppress(Exception):
                cursor.execute(undo)
        if getattr(exc, "sqlstate", None) != QUOTA_REFUSED:
            with call.conn.wrap_database_errors:
                raise
        taken = set(filter(None, (exc.diag.message_primary or "").split(",")))
    refused = "quota_day" if "day" not in taken else "quota_minute"
    status, headers, body, reason, count, fields = _quota_refusal(call, refused)
    with call.conn.wrap_database_errors:
        _log_alone(call, nested, _log_row(call, status, body, reason, count, fields))
    return status, headers, body


def _log_alone(call: _Call, nested: bool, row: list) -> None:
    """The log row of a call that takes no quota: one INSERT, a transaction by itself."""
    sync = None if nested or call.vendor != "postgresql" else _synchronous_commit()
    if sync:
        call.cursor.execute(f"BEGIN; SET LOCAL synchronous_commit = {sync}")
        try:
            call.run(call.sql["insert"], row)
        except BaseException:
            with suppress(Exception):
                call.cursor.execute("ROLLBACK")
            raise
        call.cursor.execute("COMMIT")
    else:
        call.run(call.sql["insert"], row)


def _quota_refusal(call: _Call, reason: str):
    refusal = _over_quota(call, reason)
    headers = [("Content-Type", PROBLEM_JSON), *refusal.headers]
    return refusal.status, headers, _problem_body(call, refusal), reason, 0, ()


def _log_row(call: _Call, status, body: bytes, reason, count, fields) -> list:
    """The INSERT parameters of the call's log row (``canonical.LOG_FIELDS`` after seq)."""
    client, service = call.client, call.service
    return [
        call.adapt(timezone.now()),
        call.message_id,
        client.id if client else None,
        client.organisation_id if client else None,
        service.id if service else None,
        service.label if service else call.service_code,
        service.provider_id if service else None,
        call.grant_id,
        call.end_user_hash,
        call.purpose,
        call.case_number,
        _dumps(list(fields)),
        _OUTCOME.get(status, Outcome.PROVIDER_ERROR),
        reason,
        status,
        count,
        call.request_hash,
        gm.sm3(body).hex(),
        round((time.perf_counter() - call.started) * 1000, 3),
    ]


def _take(call: _Call, grant: _Grant) -> str | None:
    """Count the call in this minute's and today's windows (SQLite); the window refused, if
    any (the other one's increment is given back, in the same transaction)."""
    cursor, sql = call.cursor, call.sql
    minute, day = call.adapt(grant.minute_start), call.adapt(grant.day_start)
    cursor.execute(sql["quota"], [grant.id, minute, grant.id, day, grant.per_minute, grant.per_day])
    taken = {row[0] for row in cursor.fetchall()}
    if len(taken) == 2:
        return None
    for window in taken:
        cursor.execute(sql["give_back"], [grant.id, window, minute if window == "minute" else day])
    return "quota_day" if "day" not in taken else "quota_minute"
