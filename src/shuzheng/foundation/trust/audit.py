"""The tamper-evident audit trail (安全审计): record, seal, verify, export, purge.

How it hangs together
---------------------
* :func:`record` appends one :class:`AuditRecord` inside the caller's business transaction,
  so the record commits or rolls back with what it describes. Each record's ``hash`` is
  SM3 over :func:`record_message` — a canonical serialisation of all its fields, its
  ``seq`` and its predecessor's hash — so editing, deleting, inserting or reordering a
  record breaks the chain at that point.
* Appends are serialised so that the chain cannot fork: on PostgreSQL by a
  transaction-level advisory lock taken in the same round trip as the read of the chain
  head; on SQLite by the IMMEDIATE transactions the settings ask for (the writer holds the
  database lock from BEGIN). ``seq`` is the primary key, so even a misconfigured isolation
  level could only make a second writer fail, never fork the chain.
* :func:`seal_anchor` signs the chain head with the installation's SM2 key
  (``keys.signing_key()``): an :class:`AuditAnchor` proves everything up to its head and
  makes cutting the tail, or rewriting a record and every hash after it, detectable. SM2
  stays off the append path (one signature per interval, not per record).
* :func:`verify` walks the chain and names the first broken link; :func:`export` writes a
  signed evidence bundle and :func:`check_bundle` checks one without any database;
  :func:`purge` removes records past the retention period, only up to an anchor.

Writing details
---------------
``details`` is for codes, counts and digests (:func:`digest`), never raw personal data:
audit records outlive the data they describe and are read by people who must not see it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import time as _time
import uuid
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.trust import gm, keys
from shuzheng.foundation.trust.context import current_request
from shuzheng.foundation.trust.evidence import (  # the Django-free part, re-exported here
    BUNDLE_FORMAT,
    GENESIS_HASH,
    MANIFEST_DOMAIN,
    BundleReport,
    _unhex,
    anchor_message,
    check_bundle,
    record_hash,
    record_message,
)
from shuzheng.foundation.trust.evidence import canonical as _canonical
from shuzheng.foundation.trust.evidence import iso as _iso
from shuzheng.foundation.trust.models import (
    AuditAnchor,
    AuditPurge,
    AuditRecord,
    Channel,
    Result,
)

__all__ = [
    "GENESIS_HASH",
    "HASHED_FIELDS",
    "AuditChainBroken",
    "Break",
    "BundleReport",
    "VerifyReport",
    "anchor_message",
    "check_bundle",
    "chain_status",
    "digest",
    "export",
    "last_verification",
    "purge",
    "record",
    "record_hash",
    "record_message",
    "record_outside",
    "retention_days",
    "run_verification",
    "seal_anchor",
    "search",
    "verify",
]


HASHED_FIELDS = (
    "seq",
    "time",
    "actor_id",
    "actor_username",
    "actor_org_id",
    "actor_roles",
    "client_ip",
    "channel",
    "user_agent",
    "action",
    "object_type",
    "object_id",
    "result",
    "details",
    "prev_hash",
)
"""The record fields, in the order :func:`record_message` serialises them."""


WEB_VERIFY_LIMIT = 200_000
"""Records a verification started from a web page walks (the latest ones; ~10 s). The
command line and the scheduler verify the whole chain."""

_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$")
_MAX_DETAILS = 8192
_LOCK_KEY = 0x7368_7A61_7564  # "shzaud": the audit chain's advisory lock (PostgreSQL)
_SNAPSHOT_ATTR = "_shuzheng_audit_actor"
_CLIENT_ATTR = "_shuzheng_audit_client"


class AuditChainBroken(Exception):
    """The chain does not verify; the report names the first broken link."""

    def __init__(self, report: VerifyReport):
        self.report = report
        super().__init__(report.problem.message if report.problem else "audit chain broken")


# --------------------------------------------------------------------------- canonical form


def digest(value) -> str:
    """Hex SM3 of a string (UTF-8), of bytes, or of any other JSON value in canonical form.

    For before/after digests in ``details``. A digest of a low-entropy value (an ID or
    phone number) can be reversed by trying every candidate: refer to such values by
    their record id or blind index instead.
    """
    if isinstance(value, bytes):
        data = value
    elif isinstance(value, str):
        data = value.encode()
    else:
        data = _canonical(_jsonable(value)).encode()
    return gm.sm3(data).hex()


def _jsonable(value, depth: int = 0):
    """Details in a form that survives the database unchanged (jsonb too), so the hash
    computed now is the one recomputed later: floats and decimals become strings."""
    if depth > 20:
        raise ValueError("audit details nest too deeply")
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v, depth + 1) for v in value]
    if isinstance(value, float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return _iso(value) if value.tzinfo else value.isoformat()
    if isinstance(value, dt.date | uuid.UUID):
        return str(value)
    raise TypeError(f"audit details cannot hold {type(value).__name__} values: {value!r}")


# --------------------------------------------------------------------------- record


def _actor(actor) -> tuple[int | None, str, int | None, str]:
    """(user id, username, organisation id, role codes) as they are now: a snapshot, so
    the record stays true after the account changes. Cached on the user object (one
    request) because a request may write several records."""
    if actor is None:
        return None, "", None, ""
    if actor is access.SYSTEM:
        return None, "system", None, ""
    if not getattr(actor, "is_authenticated", False) or actor.pk is None:
        return None, "", None, ""
    cached = actor.__dict__.get(_SNAPSHOT_ATTR)
    if cached is None:
        from shuzheng.foundation.access.models import RoleGrant
        from shuzheng.foundation.identity.models import StaffProfile

        org_id = (
            StaffProfile.objects.filter(user_id=actor.pk)
            .values_list("organisation_id", flat=True)
            .first()
        )
        roles = RoleGrant.objects.filter(user_id=actor.pk, revoked_at__isnull=True).values_list(
            "role__code", flat=True
        )
        cached = (actor.pk, actor.get_username(), org_id, ",".join(sorted(set(roles))))
        actor.__dict__[_SNAPSHOT_ATTR] = cached
    return cached


def _target(target) -> tuple[str, str]:
    if target is None:
        return "", ""
    if isinstance(target, Model):
        if target.pk is None:
            raise ValueError("an audit target must be saved first (it has no primary key)")
        return target._meta.label_lower, str(target.pk)
    if isinstance(target, tuple):
        kind, ident = target
        return str(kind), str(ident)
    if isinstance(target, str):
        kind, _sep, ident = target.partition(":")
        return kind, ident
    raise TypeError(f"audit target must be a model instance, a string or a pair, not {target!r}")


def _client(request, channel: str | None) -> tuple[str, str, str]:
    """(client IP, user agent, channel), cached on the request. The IP is REMOTE_ADDR:
    behind a reverse proxy the proxy sets it (real-ip); X-Forwarded-For is not trusted."""
    if request is None:
        request = current_request()  # a service called from a view: its request
    if request is None:
        return "", "", channel or Channel.SYSTEM
    cached = request.__dict__.get(_CLIENT_ATTR)
    if cached is None:
        meta = request.META
        raw_ip = meta.get("REMOTE_ADDR") or ""
        try:
            ip = str(ipaddress.ip_address(raw_ip)) if raw_ip else ""
        except ValueError:
            ip = ""
        agent = (meta.get("HTTP_USER_AGENT") or "")[:255]
        default = Channel.API if request.path.startswith("/api/") else Channel.WEB
        cached = request.__dict__[_CLIENT_ATTR] = (ip, agent, str(default))
    return cached[0], cached[1], channel or cached[2]


def _lock_head(connection) -> tuple[int, str]:
    """Take the chain lock for this transaction and read the head."""
    with connection.wrap_database_errors:
        cursor = connection.connection.cursor()
        try:
            return _read_head(connection.vendor, cursor)
        finally:
            cursor.close()


def _read_head(vendor: str, cursor) -> tuple[int, str]:
    """Lock (PostgreSQL: in the same round trip) and read the chain head: the last record,
    else the last purge point, else genesis."""
    if vendor == "postgresql":
        # The SELECT is a statement of its own, so under READ COMMITTED it reads with a
        # snapshot taken after the lock was granted.
        cursor.execute(_LOCK_SQL[vendor] + _HEAD_SQL)
        cursor.nextset()
    elif vendor == "sqlite":
        cursor.execute(_HEAD_SQL)  # the IMMEDIATE transaction already holds the lock
    else:
        raise NotImplementedError("the audit chain supports PostgreSQL and SQLite only")
    row = cursor.fetchone()
    if row:
        return row[0], row[1]
    cursor.execute(_FLOOR_SQL)
    row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, GENESIS_HASH)


_INSERT_COLUMNS = (*HASHED_FIELDS, "hash")
_HEAD_SQL = "SELECT seq, hash FROM trust_auditrecord ORDER BY seq DESC LIMIT 1"
_FLOOR_SQL = "SELECT last_seq, last_hash FROM trust_auditpurge ORDER BY last_seq DESC LIMIT 1"
_LOCK_SQL = {"postgresql": f"SELECT pg_advisory_xact_lock({_LOCK_KEY}); ", "sqlite": ""}
_MARK = {"postgresql": "%s", "sqlite": "?"}
_HEAD_CACHE = "_shuzheng_audit_head"
_RESULTS = frozenset(Result.values)
_CHANNELS = frozenset(Channel.values)
_DETAILS_FIELD = AuditRecord._meta.get_field("details")
if [f.attname for f in AuditRecord._meta.concrete_fields] != list(_INSERT_COLUMNS):
    raise RuntimeError("AuditRecord's columns and audit.HASHED_FIELDS have diverged")


_INSERT_SQL = {
    vendor: f"INSERT INTO trust_auditrecord ({', '.join(_INSERT_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join([mark] * len(_INSERT_COLUMNS))})"
    for vendor, mark in _MARK.items()
}


_SQL_CACHE: dict[str, str] = {}


def _pg_fast_sql(connection) -> str:
    """PostgreSQL: append after a head this connection wrote itself, in one round trip.

    Takes the chain lock (the CTE is read before any row is produced), checks the cached
    head is still there (not rolled back) and inserts its successor; ON CONFLICT DO NOTHING
    makes it insert nothing when another writer appended first. Prepared once per
    connection, so its plan is not rebuilt on every append.
    """
    sql = _SQL_CACHE.get("pg_fast")
    if sql is None:
        fields = [AuditRecord._meta.get_field(name) for name in _INSERT_COLUMNS]
        values = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)
        sql = _SQL_CACHE["pg_fast"] = (
            f"WITH chain_lock AS (SELECT pg_advisory_xact_lock({_LOCK_KEY})) "  # noqa: S608
            f"INSERT INTO trust_auditrecord ({', '.join(_INSERT_COLUMNS)}) "
            f"SELECT {values} FROM chain_lock WHERE EXISTS "
            "(SELECT 1 FROM trust_auditrecord WHERE seq = CAST(%s AS bigint) "
            "AND hash = CAST(%s AS varchar(64))) ON CONFLICT (seq) DO NOTHING"
        )
    return sql


def _pg_fast_cursor(connection):
    """A server-side-binding cursor on Django's connection (Django's own binds client-side,
    which cannot prepare statements)."""
    import psycopg

    return psycopg.Cursor(connection.connection)


def _pg_prepares(connection) -> bool:
    """Operators behind a pooler without prepared-statement support switch them off with
    ``OPTIONS={"prepare_threshold": None}`` (Django's documented setting); honour that."""
    return connection.settings_dict.get("OPTIONS", {}).get("prepare_threshold", 5) is not None


def record(
    actor,
    action: str,
    target=None,
    *,
    result: str = Result.SUCCESS,
    details: dict | None = None,
    request=None,
    channel: str | None = None,
    using: str = DEFAULT_DB_ALIAS,
) -> AuditRecord:
    """Append one audit record as part of the caller's transaction (it commits or rolls
    back with the business change it describes).

    ``actor``: a User, AnonymousUser, None or ``access.SYSTEM``. ``target``: a saved model
    instance (type ``app_label.model``, id = pk), a string ``"type:id"`` (or just a type),
    or a ``(type, id)`` pair. ``request`` gives the client address, user agent and channel
    (``api`` under /api/, else ``web``); without one the channel is ``system`` unless
    ``channel`` says otherwise (commands pass ``"cli"``).

    The append is on the hot path of every write, so it talks to the database driver
    directly: one statement that takes the chain lock and reads the head, then the INSERT.
    On PostgreSQL, when this connection wrote the current head itself, one prepared
    statement does both (see :func:`_pg_fast_sql`); any doubt falls back to the two.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError(
            "audit.record() must run inside the business transaction (transaction.atomic); "
            "for an event whose transaction failed, use audit.record_outside()"
        )
    if len(action) > 100 or not _ACTION.match(action):
        raise ValueError(f"audit action must be a dotted lower-case code, got {action!r}")
    if result not in _RESULTS:
        raise ValueError(f"audit result must be one of {sorted(_RESULTS)}, got {result!r}")
    result = str(result)
    actor_id, username, org_id, roles = _actor(actor)
    object_type, object_id = _target(target)
    if len(object_type) > 100 or len(object_id) > 64:
        raise ValueError("audit target type or id too long (100 / 64 characters)")
    client_ip, agent, channel = _client(request, channel)
    if channel not in _CHANNELS:
        raise ValueError(f"audit channel must be one of {sorted(_CHANNELS)}, got {channel!r}")
    channel = str(channel)
    clean = _jsonable(details) if details else {}
    if not isinstance(clean, dict):
        raise TypeError("audit details must be a dict")
    if len(_canonical(clean)) > _MAX_DETAILS:
        raise ValueError(f"audit details exceed {_MAX_DETAILS} characters: store digests")

    vendor = connection.vendor
    adapted_details = _DETAILS_FIELD.get_db_prep_save(clean, connection)

    def prepare(head: tuple[int, str]):
        now = timezone.now()
        fields = (
            head[0] + 1,
            now,
            actor_id,
            username,
            org_id,
            roles,
            client_ip,
            channel,
            agent,
            action,
            object_type,
            object_id,
            result,
            clean,
            head[1],
        )
        digest_hex = gm.sm3(record_message(*fields)).hex()
        params = list(fields)
        params[1] = connection.ops.adapt_datetimefield_value(now)
        params[13] = adapted_details
        params.append(digest_hex)
        return fields, params, digest_hex

    with connection.wrap_database_errors:
        done = False
        cached = connection.__dict__.get(_HEAD_CACHE) if vendor == "postgresql" else None
        if cached is not None:
            fields, params, digest_hex = prepare(cached)
            with _pg_fast_cursor(connection) as fast:
                fast.execute(
                    _pg_fast_sql(connection),
                    [*params, cached[0], cached[1]],
                    prepare=_pg_prepares(connection),
                )
                done = fast.rowcount == 1
        if not done:
            cursor = connection.connection.cursor()
            try:
                # Under the lock, so time never decreases along the chain.
                fields, params, digest_hex = prepare(_read_head(vendor, cursor))
                cursor.execute(_INSERT_SQL[vendor], params)
            finally:
                cursor.close()
    if vendor == "postgresql":
        connection.__dict__[_HEAD_CACHE] = (fields[0], digest_hex)
    entry = AuditRecord(*fields, digest_hex)
    entry._state.adding = False
    entry._state.db = using
    return entry


def record_outside(actor, action: str, target=None, **kwargs) -> AuditRecord:
    """Record an event in a transaction of its own — for what must stay on record although
    the business transaction failed (a refused or crashed request).

    Call it where no transaction is open, typically in the view after the service raised
    (its atomic block has rolled back by then)::

        try:
            services.register_person(request.user, ...)
        except PermissionDenied:
            audit.record_outside(request.user, "identity.person.register",
                                 result="denied", request=request)
            raise

    Inside an open transaction it raises ``RuntimeError`` (a durable atomic block cannot
    nest): the record would otherwise vanish with that transaction's rollback, and a second
    connection cannot help on SQLite, whose writer lock the open transaction holds.
    """
    using = kwargs.get("using", DEFAULT_DB_ALIAS)
    with transaction.atomic(using=using, durable=True):
        return record(actor, action, target, **kwargs)


# --------------------------------------------------------------------------- anchors


def seal_anchor(*, using: str = DEFAULT_DB_ALIAS) -> AuditAnchor | None:
    """Sign the chain head with the SM2 key; ``None`` if nothing is new since the last anchor.

    The records since the last anchor are verified first (outside the chain lock, so that
    appends go on meanwhile) and only verified records are sealed: sealing a tampered tail
    would bless it. Raises :class:`AuditChainBroken` then.
    """
    last = _last_anchor(using)
    prev_head, prev_hash = (last[2], last[3]) if last else (0, GENESIS_HASH)
    floor = _purge_floor(using)
    if floor[0] > prev_head:  # cannot happen through purge() (it purges to an anchor)
        prev_head, prev_hash = floor
    head = AuditRecord.objects.using(using).order_by("-seq").values_list("seq", flat=True).first()
    if head is None or head <= prev_head:
        return None
    walk = _walk(using, prev_head + 1, head, prev_hash, {})
    if walk.problem is not None:
        raise AuditChainBroken(_report(walk))
    key = keys.signing_key()
    with transaction.atomic(using=using):
        _lock_head(connections[using])
        if _last_anchor(using) != last:
            return None  # another process sealed meanwhile
        signed_at = timezone.now()
        message = anchor_message(prev_head + 1, head, walk.last_hash, signed_at, key.key_id)
        return AuditAnchor.objects.using(using).create(
            first_seq=prev_head + 1,
            head_seq=head,
            head_hash=walk.last_hash,
            signed_at=signed_at,
            key_id=key.key_id,
            signature=key.sign(message).hex(),
        )


def _last_anchor(using):
    return (
        AuditAnchor.objects.using(using)
        .order_by("-head_seq")
        .values_list("pk", "first_seq", "head_seq", "head_hash")
        .first()
    )


def _purge_floor(using) -> tuple[int, str]:
    row = (
        AuditPurge.objects.using(using)
        .order_by("-last_seq")
        .values_list("last_seq", "last_hash")
        .first()
    )
    return row if row else (0, GENESIS_HASH)


# --------------------------------------------------------------------------- verify


@dataclass(frozen=True)
class Break:
    """The first broken link: where (``seq``), what kind, and in words."""

    kind: str
    seq: int
    message: str
    other_seq: int | None = None
    anchor_id: int | None = None


BREAK_KINDS = {
    "edited": "a record's content no longer matches its hash",
    "reordered": "a record carries content hashed for another sequence number (swapped)",
    "deleted": "sequence numbers are missing",
    "relinked": "a record does not link to its predecessor (rewritten and re-hashed)",
    "tail_cut": "an anchor covers records that are gone",
    "anchor_mismatch": "an anchor's head hash differs from the record at its head",
    "anchor_signature": "an anchor's SM2 signature does not verify",
    "anchor_unknown_key": "an anchor names a key this installation does not know",
    "anchor_gap": "anchors are not contiguous (one was removed)",
    "purge_point": "the purge point does not match a signed anchor / its audit record",
}


@dataclass
class VerifyReport:
    ok: bool
    checked: int
    first_seq: int | None
    last_seq: int | None
    anchors_checked: int
    sealed_to: int | None
    problem: Break | None
    seconds: float
    partial: bool = False

    def as_dict(self) -> dict:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data

    def summary(self) -> dict:
        """What the audit record of a verification run keeps."""
        data = {
            "ok": self.ok,
            "checked": self.checked,
            "first_seq": self.first_seq,
            "last_seq": self.last_seq,
            "anchors": self.anchors_checked,
            "sealed_to": self.sealed_to,
            "partial": self.partial,
        }
        if self.problem:
            data["break"] = {
                "kind": self.problem.kind,
                "seq": self.problem.seq,
                "message": self.problem.message,
            }
        return data

    def __str__(self) -> str:
        span = f"{self.first_seq}..{self.last_seq}" if self.checked else "-"
        lines = [
            f"audit chain: {'OK' if self.ok else 'BROKEN'}",
            f"records checked: {self.checked} (seq {span}){' [partial]' if self.partial else ''}",
            f"anchors checked: {self.anchors_checked}, sealed up to seq {self.sealed_to or '-'}",
            f"time: {self.seconds:.2f} s",
        ]
        if self.problem:
            p = self.problem
            lines.append(f"first break: seq {p.seq} [{p.kind}] {p.message}")
        return "\n".join(lines)


@dataclass
class _Walk:
    checked: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    last_hash: str | None = None
    problem: Break | None = None
    seconds: float = 0.0
    hashes_at: dict = field(default_factory=dict)


def _walk(
    using: str, lo: int, hi: int | None, prev_hash: str | None, watch: dict, chunk_size=5000
) -> _Walk:
    """Check records lo..hi in seq order: contiguity, self-hash, link to the predecessor.

    ``prev_hash`` None: the predecessor is unknown (its link is not checked). Hashes of
    the sequence numbers in ``watch`` are collected (anchor heads). Stops at the first break.
    """
    started = _time.perf_counter()
    walk = _Walk()
    rows = AuditRecord.objects.using(using).filter(seq__gte=lo)
    if hi is not None:
        rows = rows.filter(seq__lte=hi)
    rows = rows.order_by("seq").values_list(*HASHED_FIELDS, "hash").iterator(chunk_size)
    expected = lo
    sm3 = gm.sm3
    message = record_message
    hashes_at = walk.hashes_at
    for row in rows:
        seq = row[0]
        if walk.first_seq is None:
            walk.first_seq = seq
        stored = row[15]
        if seq != expected:
            walk.problem = Break(
                "deleted",
                expected,
                _("序号 %(a)s 至 %(b)s 的审计记录缺失（被删除）") % {"a": expected, "b": seq - 1},
                other_seq=seq,
            )
            break
        if sm3(message(*row[:15])).hex() != stored:
            walk.problem = _diagnose(row)
            break
        if prev_hash is not None and row[14] != prev_hash:
            walk.problem = Break(
                "relinked",
                seq,
                _(
                    "审计记录 %(seq)s 与前一条记录 %(prev)s 不相连：前一条记录被改写并重新计算了"
                    "哈希，或其间的记录被删除后重新链接"
                )
                % {"seq": seq, "prev": seq - 1},
                other_seq=seq - 1,
            )
            break
        if seq in watch:
            hashes_at[seq] = stored
        prev_hash = stored
        expected = seq + 1
        walk.checked += 1
    walk.last_seq = expected - 1 if walk.checked else None
    walk.last_hash = prev_hash if walk.checked else None
    walk.seconds = _time.perf_counter() - started
    return walk


def _diagnose(row) -> Break:
    """A record whose hash does not match: edited in place, or moved from another seq."""
    seq = row[0]
    for other in sorted(range(max(1, seq - 64), seq + 65), key=lambda s: abs(s - seq)):
        if other != seq and record_hash(other, *row[1:15]) == row[15]:
            return Break(
                "reordered",
                seq,
                _("审计记录 %(seq)s 的内容属于序号 %(other)s：记录被调换或重新编号")
                % {"seq": seq, "other": other},
                other_seq=other,
            )
    return Break(
        "edited",
        seq,
        _("审计记录 %(seq)s 的内容与其哈希不符：记录被修改") % {"seq": seq},
    )


def _resolve(bound, using, *, upper: bool) -> int | None:
    """A seq from an int, or the first / last seq at or after / before a datetime."""
    if bound is None or isinstance(bound, int):
        return bound
    if isinstance(bound, dt.date) and not isinstance(bound, dt.datetime):
        bound = timezone.make_aware(dt.datetime.combine(bound, dt.time.min))
    rows = AuditRecord.objects.using(using)
    if upper:
        found = rows.filter(time__lt=bound).order_by("-seq").values_list("seq", flat=True).first()
        return found if found is not None else 0
    found = rows.filter(time__gte=bound).order_by("seq").values_list("seq", flat=True).first()
    return found if found is not None else 2**62


def verify(start=None, end=None, *, using: str = DEFAULT_DB_ALIAS) -> VerifyReport:
    """Walk the chain (``start``..``end``: seq numbers or datetimes, inclusive/exclusive as
    ``seq`` from..to or ``time`` from..before) and check every anchor in that range.

    The first broken link is reported with its seq and kind (see :data:`BREAK_KINDS`).
    Records after the last anchor are checked for links but cannot be proven complete:
    cutting them off leaves no trace until the next anchor is sealed.
    """
    started = _time.perf_counter()
    floor_seq, floor_hash = _purge_floor(using)
    lo = _resolve(start, using, upper=False)
    hi = _resolve(end, using, upper=True)
    lo = floor_seq + 1 if lo is None or lo <= floor_seq else lo
    problems: list[Break] = []

    anchors = list(
        AuditAnchor.objects.using(using)
        .order_by("head_seq")
        .values_list("pk", "first_seq", "head_seq", "head_hash", "signed_at", "key_id", "signature")
    )
    known = keys.verify_keys()
    previous_head = 0
    in_range = {}
    checked_anchors = 0
    for pk, first, head, head_hash, signed_at, key_id, signature in anchors:
        if first != previous_head + 1:
            problems.append(
                Break(
                    "anchor_gap",
                    previous_head + 1,
                    _("锚点不连续：序号 %(a)s 至 %(b)s 之间的锚点缺失")
                    % {"a": previous_head + 1, "b": first - 1},
                    anchor_id=pk,
                )
            )
        previous_head = head
        if head < lo - 1 and head != floor_seq:
            continue
        if hi is not None and first > hi:
            break
        checked_anchors += 1
        problem = _check_anchor(pk, first, head, head_hash, signed_at, key_id, signature, known)
        if problem:
            problems.append(problem)
        in_range[head] = (pk, head_hash)

    if floor_seq:
        floor_anchor = in_range.get(floor_seq)
        if floor_anchor is None or floor_anchor[1] != floor_hash:
            problems.append(
                Break(
                    "purge_point",
                    floor_seq,
                    _("清理点 %(seq)s 与已签名的锚点不符") % {"seq": floor_seq},
                )
            )
        else:
            problems.extend(_check_purge_record(using, floor_seq))

    if lo == floor_seq + 1:
        prev = floor_hash
    else:
        prev = (
            AuditRecord.objects.using(using)
            .filter(seq=lo - 1)
            .values_list("hash", flat=True)
            .first()
        )
        if prev is None:
            problems.append(
                Break(
                    "deleted",
                    lo - 1,
                    _("审计记录 %(seq)s 缺失（被删除）") % {"seq": lo - 1},
                )
            )
    walk = _walk(using, lo, hi, prev, in_range)
    if walk.problem:
        problems.append(walk.problem)
    sealed_to = None
    for head, (pk, head_hash) in sorted(in_range.items()):
        if head <= floor_seq or head < lo:
            continue
        if hi is not None and head > hi:
            break
        if head in walk.hashes_at:
            if walk.hashes_at[head] != head_hash:
                problems.append(
                    Break(
                        "anchor_mismatch",
                        head,
                        _("锚点 %(id)s 签名的链头哈希与审计记录 %(seq)s 不符：记录被改写")
                        % {"id": pk, "seq": head},
                        anchor_id=pk,
                    )
                )
            else:
                sealed_to = head
        elif walk.problem is None:
            last = walk.last_seq if walk.last_seq is not None else lo - 1
            problems.append(
                Break(
                    "tail_cut",
                    last + 1,
                    _(
                        "锚点 %(id)s 已签名到序号 %(head)s，但审计记录只到 %(last)s："
                        "之后的记录被删除（截尾）"
                    )
                    % {"id": pk, "head": head, "last": last},
                    anchor_id=pk,
                )
            )
            break
    problem = min(problems, key=lambda p: p.seq) if problems else None
    report = VerifyReport(
        ok=problem is None,
        checked=walk.checked,
        first_seq=walk.first_seq,
        last_seq=walk.last_seq,
        anchors_checked=checked_anchors,
        sealed_to=sealed_to,
        problem=problem,
        seconds=_time.perf_counter() - started,
    )
    return report


def _check_anchor(pk, first, head, head_hash, signed_at, key_id, signature, known) -> Break | None:
    key = known.get(key_id)
    if key is None:
        return Break(
            "anchor_unknown_key",
            head,
            _("锚点 %(id)s 使用未知的签名密钥 %(key)s") % {"id": pk, "key": key_id},
            anchor_id=pk,
        )
    try:
        key.verify(_unhex(signature), anchor_message(first, head, head_hash, signed_at, key_id))
    except (gm.GmError, ValueError):
        return Break(
            "anchor_signature",
            head,
            _("锚点 %(id)s（序号 %(a)s 至 %(b)s）的 SM2 签名无效：锚点被伪造或篡改")
            % {"id": pk, "a": first, "b": head},
            anchor_id=pk,
        )
    return None


def _check_purge_record(using, floor_seq) -> list[Break]:
    purge_row = (
        AuditPurge.objects.using(using)
        .filter(last_seq=floor_seq)
        .values_list("record_seq", "record_count")
        .first()
    )
    record_seq, count = purge_row
    if record_seq <= floor_seq:  # purged by a later purge: nothing left to compare
        return []
    entry = (
        AuditRecord.objects.using(using)
        .filter(seq=record_seq)
        .values_list("action", "details")
        .first()
    )
    if (
        entry is None
        or entry[0] != "trust.audit.purge"
        or entry[1].get("last_seq") != floor_seq
        or entry[1].get("count") != count
    ):
        return [
            Break(
                "purge_point",
                floor_seq,
                _("清理点 %(seq)s 没有对应的清理审计记录") % {"seq": floor_seq},
            )
        ]
    return []


def _report(walk: _Walk) -> VerifyReport:
    return VerifyReport(
        ok=walk.problem is None,
        checked=walk.checked,
        first_seq=walk.first_seq,
        last_seq=walk.last_seq,
        anchors_checked=0,
        sealed_to=None,
        problem=walk.problem,
        seconds=walk.seconds,
    )


def run_verification(
    actor, *, request=None, channel: str | None = None, limit: int | None = None
) -> VerifyReport:
    """校验审计链 on behalf of the audit administrator (or SYSTEM), and keep the result as an
    audit record (``trust.audit.verify``) — the status pages show the latest one.

    ``limit``: verify only the latest ``limit`` records (a web request cannot wait for
    millions; the command line verifies everything).
    """
    access.require(actor, "audit.view")
    start = None
    if limit is not None:
        head = AuditRecord.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        start = max(1, head - limit + 1)
    report = verify(start=start)
    report.partial = start is not None and start > _purge_floor(DEFAULT_DB_ALIAS)[0] + 1
    with transaction.atomic():
        record(
            actor,
            "trust.audit.verify",
            result=Result.SUCCESS if report.ok else Result.ERROR,
            details=report.summary(),
            request=request,
            channel=channel,
        )
    return report


def last_verification() -> AuditRecord | None:
    """The latest recorded verification run (its ``details`` hold the summary)."""
    return AuditRecord.objects.filter(action="trust.audit.verify").order_by("-seq").first()


def chain_status() -> dict:
    """Head, last anchor and purge point, for status pages."""
    head = AuditRecord.objects.order_by("-seq").values_list("seq", "time").first()
    anchor = AuditAnchor.objects.order_by("-head_seq").first()
    return {
        "head_seq": head[0] if head else 0,
        "head_time": head[1] if head else None,
        "anchor": anchor,
        "unsealed": (head[0] if head else 0) - (anchor.head_seq if anchor else 0),
        "purge": AuditPurge.objects.order_by("-last_seq").first(),
        "verification": last_verification(),
    }


# --------------------------------------------------------------------------- search


def search(
    user,
    *,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    result: str | None = None,
    before_seq: int | None = None,
    limit: int = 50,
) -> list[AuditRecord]:
    """审计查询 for the audit administrator: newest first, keyset-paginated by ``seq``
    (``before_seq`` = the last seq of the previous page)."""
    rows: QuerySet = access.scope(user, AuditRecord.objects.all(), "audit.view")
    if actor:
        rows = rows.filter(actor_username=actor)
    if action:
        rows = rows.filter(action__startswith=action)
    if object_type:
        rows = rows.filter(object_type=object_type)
    if object_id:
        rows = rows.filter(object_id=object_id)
    if since:
        rows = rows.filter(time__gte=since)
    if until:
        rows = rows.filter(time__lt=until)
    if result:
        rows = rows.filter(result=result)
    if before_seq:
        rows = rows.filter(seq__lt=before_seq)
    return list(rows.order_by("-seq")[:limit])


# --------------------------------------------------------------------------- evidence bundles


def _period_seqs(start, end, using) -> tuple[int, int] | None:
    rows = AuditRecord.objects.using(using).filter(time__gte=start, time__lt=end)
    first = rows.order_by("seq").values_list("seq", flat=True).first()
    if first is None:
        return None
    return first, rows.order_by("-seq").values_list("seq", flat=True).first()


def export(start, end, *, actor=access.SYSTEM, request=None, channel: str | None = None) -> bytes:
    """导出证据包: every record with ``start <= time < end``, widened to whole anchors, with
    those anchors, the public keys and a manifest of SM3 digests signed with SM2.

    One canonical JSON document (UTF-8, keys sorted, no spaces): :func:`check_bundle` — or
    anyone who reads the manifest's ``canonical`` description — checks it with the public
    key alone. The export itself is audited (``trust.audit.export`` with the bundle digest).
    """
    access.require(actor, "audit.view")
    if not start < end:
        raise ValidationError(_("导出时段的开始时间须早于结束时间"), code="period")
    using = DEFAULT_DB_ALIAS
    period = _period_seqs(start, end, using)
    if period:
        seal_anchor(using=using)  # the period's last record must be under an anchor
    anchors_qs = AuditAnchor.objects.using(using).order_by("head_seq")
    anchors: list = []
    records: list = []
    start_prev = GENESIS_HASH
    if period:
        first_anchor = anchors_qs.filter(head_seq__gte=period[0]).first()
        last_anchor = anchors_qs.filter(head_seq__gte=period[1]).first()
        if first_anchor is None or last_anchor is None:
            raise AuditChainBroken(verify())
        lo, hi = first_anchor.first_seq, last_anchor.head_seq
        before = anchors_qs.filter(head_seq=lo - 1).first()
        if before is not None:
            start_prev = before.head_hash
        selected = anchors_qs.filter(head_seq__gte=lo - 1, head_seq__lte=hi)
        anchors = [
            [a.pk, a.first_seq, a.head_seq, a.head_hash, _iso(a.signed_at), a.key_id, a.signature]
            for a in selected
        ]
        for row in (
            AuditRecord.objects.using(using)
            .filter(seq__gte=lo, seq__lte=hi)
            .order_by("seq")
            .values_list(*HASHED_FIELDS, "hash")
            .iterator(5000)
        ):
            row = list(row)
            row[1] = _iso(row[1])
            records.append(row)
    signer = keys.signing_key()
    known = keys.verify_keys()
    key_ids = {a[5] for a in anchors} | {signer.key_id}
    missing = key_ids - known.keys()
    if missing:
        raise gm.InvalidKey(f"no public key for anchor key id(s) {sorted(missing)}")
    public_keys = {kid: known[kid].to_pem().decode() for kid in sorted(key_ids)}
    manifest = {
        "format": BUNDLE_FORMAT,
        "created_at": _iso(timezone.now()),
        "period": {"from": _iso(start), "to": _iso(end)},
        "period_seq": list(period) if period else None,
        "start_prev_hash": start_prev,
        "records": {
            "count": len(records),
            "first_seq": records[0][0] if records else None,
            "last_seq": records[-1][0] if records else None,
            "sm3": gm.sm3(_canonical(records).encode()).hex(),
        },
        "anchors": {"count": len(anchors), "sm3": gm.sm3(_canonical(anchors).encode()).hex()},
        "public_keys": {"sm3": gm.sm3(_canonical(public_keys).encode()).hex()},
        "signer_key_id": signer.key_id,
        "record_fields": [*HASHED_FIELDS, "hash"],
        "anchor_fields": [
            "id",
            "first_seq",
            "head_seq",
            "head_hash",
            "signed_at",
            "key_id",
            "signature",
        ],
        "canonical": _CANONICAL_DOC,
    }
    document = {
        "format": BUNDLE_FORMAT,
        "manifest": manifest,
        "records": records,
        "anchors": anchors,
        "public_keys": public_keys,
        "signature": signer.sign(MANIFEST_DOMAIN + _canonical(manifest).encode()).hex(),
    }
    data = _canonical(document).encode()
    with transaction.atomic():
        record(
            actor,
            "trust.audit.export",
            result=Result.SUCCESS,
            details={
                "from": _iso(start),
                "to": _iso(end),
                "records": len(records),
                "bundle_sm3": digest(data),
            },
            request=request,
            channel=channel,
        )
    return data


_CANONICAL_DOC = (
    "The file is one JSON document: UTF-8, object keys sorted, no insignificant whitespace, "
    "non-ASCII characters unescaped (Python json.dumps(ensure_ascii=False, sort_keys=True, "
    "separators=(',', ':'))); any other byte sequence is invalid. signature = SM2 (GB/T "
    "32918.2, user id '1234567812345678', DER r,s, hex) by manifest.signer_key_id over "
    "b'shuzheng.audit.bundle.v1\\n' + canonical(manifest). manifest.*.sm3 = SM3 of "
    "canonical(records | anchors | public_keys). Record hash = SM3(b'shuzheng.audit.record.v1"
    "\\n' + canonical(record fields in record_fields order without 'hash')); each record's "
    "prev_hash equals the previous record's hash, the first one's equals start_prev_hash "
    "(all zeros for seq 1, else the head_hash of the anchor ending at first_seq - 1). Anchor "
    "signature = SM2 by key_id over b'shuzheng.audit.anchor.v1\\n' + canonical([first_seq, "
    "head_seq, head_hash, signed_at, key_id]); head_hash equals the hash of record head_seq. "
    "key id = first 16 hex digits of SM3(DER SubjectPublicKeyInfo)."
)


# --------------------------------------------------------------------------- retention


def retention_days() -> int:
    return max(int(getattr(settings, "AUDIT_RETENTION_DAYS", 180)), 180)


def purge(before: dt.datetime, *, actor=access.SYSTEM) -> AuditPurge | None:
    """清理过期审计记录: remove records older than ``before``, up to the last anchor whose
    records are all older; ``None`` when no such anchor exists.

    Refused (ValidationError) when ``before`` lies within the retention period
    (``AUDIT_RETENTION_DAYS``, at least 180 days). Only the installation itself purges
    (an operator's command or the scheduler), never a web user: the audit administrator
    reads records, nobody removes them by hand. The part to be removed is verified first;
    the purge is itself audited and leaves an :class:`AuditPurge` row from which the chain
    is verified onwards.
    """
    if actor is not access.SYSTEM:
        raise PermissionDenied(_("只有系统运维任务可以清理审计记录"))
    if timezone.is_naive(before):
        before = timezone.make_aware(before)
    days = retention_days()
    limit = timezone.now() - dt.timedelta(days=days)
    if before > limit:
        raise ValidationError(
            _("审计记录至少保留 %(days)s 天：只能清理 %(limit)s 之前的记录")
            % {"days": days, "limit": timezone.localtime(limit).strftime("%Y-%m-%d %H:%M")},
            code="retention",
        )
    using = DEFAULT_DB_ALIAS
    floor_seq, _floor_hash = _purge_floor(using)
    cut = (
        AuditRecord.objects.filter(time__gte=before)
        .order_by("seq")
        .values_list("seq", flat=True)
        .first()
    )
    anchors = AuditAnchor.objects.filter(head_seq__gt=floor_seq)
    if cut is not None:
        anchors = anchors.filter(head_seq__lt=cut)
    anchor = anchors.order_by("-head_seq").first()
    if anchor is None:
        return None
    report = verify(end=anchor.head_seq)
    if not report.ok:
        raise AuditChainBroken(report)
    connection = connections[using]
    with transaction.atomic(using=using):
        _lock_head(connection)
        count = AuditRecord.objects.filter(seq__gt=floor_seq, seq__lte=anchor.head_seq).count()
        entry = record(
            actor,
            "trust.audit.purge",
            anchor,
            details={
                "before": _iso(before),
                "last_seq": anchor.head_seq,
                "last_hash": anchor.head_hash,
                "count": count,
            },
            channel=Channel.SYSTEM,
        )
        point = AuditPurge.objects.create(
            before=before,
            anchor=anchor,
            last_seq=anchor.head_seq,
            last_hash=anchor.head_hash,
            record_count=count,
            record_seq=entry.seq,
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL shuzheng.audit_purge = 'on'")
            cursor.execute("DELETE FROM trust_auditrecord WHERE seq <= %s", [anchor.head_seq])
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL shuzheng.audit_purge = 'off'")
    return point
