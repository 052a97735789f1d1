"""封存 — sealing the exchange log into SM2-signed batches, and verifying them.

A seal closes the log rows after the previous seal: ``digest = SM3(prev_digest ‖ SM3(row₁)
‖ … ‖ SM3(rowₙ))`` over the rows' canonical forms (``canonical``), signed with the audit
trail's SM2 key and recorded in the audit chain (``data.exchange.seal``, its seq kept in
``audit_seq``), so the audit chain's own anchors cover every seal. Seals form a chain of
their own: each one's ``prev_digest`` is its predecessor's ``digest`` and its range starts
right after its predecessor's.

Only rows older than ``DATA_EXCHANGE_SEAL_LAG_SECONDS`` (default 5) are sealed: on
PostgreSQL sequence numbers are handed out at INSERT, so a row can commit after a row with a
higher number; a gateway call's transaction lasts milliseconds and its log time is taken
inside it, so once the lag has passed every row below the boundary has committed. Inside the
sealing transaction the rows of the range are counted again: a row that still slipped in
makes the sealer stop (the next run includes it). Two sealers at once produce one seal (a
lock — PostgreSQL advisory, SQLite's IMMEDIATE write lock — and a re-read of the last seal).

:func:`verify` walks seals and rows and names the first broken place: a seal whose signature
does not verify (forged or edited), one whose chain link or range does not follow its
predecessor (a seal removed or inserted), or a sealed range whose rows no longer give the
signed digest (a row edited, deleted or inserted).
"""

from __future__ import annotations

import datetime as dt
import time as _time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.data.exchange import canonical
from shuzheng.data.exchange.models import ExchangeLog, ExchangeSeal
from shuzheng.foundation import access
from shuzheng.foundation.trust import audit, gm, keys
from shuzheng.foundation.trust.models import AuditRecord

SEAL_ACTION = "data.exchange.seal"
_LOCK_KEY = 0x7368_7A65_7863  # "shzexc": the exchange sealer's advisory lock (PostgreSQL)
_CHUNK = 5000


def lag_seconds() -> float:
    return float(getattr(settings, "DATA_EXCHANGE_SEAL_LAG_SECONDS", 5))


def max_rows() -> int:
    return int(getattr(settings, "DATA_EXCHANGE_SEAL_MAX_ROWS", 100_000))


def rows(first_seq: int, last_seq: int | None = None):
    """Log rows ``first_seq``..``last_seq`` (values in ``canonical.LOG_FIELDS`` order, as
    :func:`canonical.row_values` returns them), in seq order."""
    qs = ExchangeLog.objects.filter(seq__gte=first_seq)
    if last_seq is not None:
        qs = qs.filter(seq__lte=last_seq)
    for row in qs.order_by("seq").values_list(*canonical.LOG_FIELDS).iterator(_CHUNK):
        yield canonical.row_values(row)


def _last_seal():
    return (
        ExchangeSeal.objects.order_by("-last_seq").values_list("seq", "last_seq", "digest").first()
    )


def _lock(using: str) -> None:
    connection = connections[using]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # SQLite: the IMMEDIATE transaction holds the database's write lock from BEGIN


def seal(*, using: str = DEFAULT_DB_ALIAS) -> ExchangeSeal | None:
    """Seal the rows after the last seal that are older than the lag (at most
    ``DATA_EXCHANGE_SEAL_MAX_ROWS``); ``None`` when there is nothing to seal or another
    sealer got there first."""
    last = _last_seal()
    prev_last, prev_digest = (last[1], last[2]) if last else (0, canonical.GENESIS)
    cutoff = timezone.now() - dt.timedelta(seconds=lag_seconds())
    after = ExchangeLog.objects.using(using).filter(seq__gt=prev_last)
    boundary = after.filter(time__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
    limit = max_rows()
    selected = after if boundary is None else after.filter(seq__lt=boundary)
    digests = []
    last_seq = None
    for row in selected.order_by("seq").values_list(*canonical.LOG_FIELDS)[:limit].iterator(_CHUNK):
        digests.append(canonical.row_digest(canonical.row_values(row)))
        last_seq = row[0]
    if last_seq is None:
        return None
    first_seq = prev_last + 1
    digest = canonical.chain(prev_digest, digests)
    key = keys.signing_key()
    with transaction.atomic(using=using):
        _lock(using)
        if _last_seal() != last:
            return None  # another sealer sealed meanwhile
        present = (
            ExchangeLog.objects.using(using).filter(seq__gte=first_seq, seq__lte=last_seq).count()
        )
        if present != len(digests):
            return None  # a row committed late into the range: the next run takes it
        sealed_at = timezone.now()
        message = canonical.seal_message(
            first_seq, last_seq, len(digests), prev_digest, digest, sealed_at, key.key_id
        )
        seq = (last[0] if last else 0) + 1
        entry = audit.record(
            access.SYSTEM,
            SEAL_ACTION,
            ("exchange.exchangeseal", seq),
            details={
                "first_seq": first_seq,
                "last_seq": last_seq,
                "rows": len(digests),
                "prev_digest": prev_digest,
                "digest": digest,
                "key_id": key.key_id,
            },
            using=using,
        )
        return ExchangeSeal.objects.using(using).create(
            seq=seq,
            first_seq=first_seq,
            last_seq=last_seq,
            row_count=len(digests),
            prev_digest=prev_digest,
            digest=digest,
            sealed_at=sealed_at,
            key_id=key.key_id,
            signature=key.sign(message).hex(),
            audit_seq=entry.seq,
        )


def seal_all(*, limit: int = 1000) -> list[ExchangeSeal]:
    """Seal until nothing is left to seal (at most ``limit`` seals)."""
    made = []
    for _round in range(limit):
        sealed = seal()
        if sealed is None:
            break
        made.append(sealed)
    return made


# --------------------------------------------------------------------------- verify

BREAK_KINDS = {
    "seal_signature": "a seal's SM2 signature does not verify (forged or edited seal)",
    "seal_unknown_key": "a seal names a key this installation does not know",
    "seal_gap": "a seal's range does not start right after its predecessor (seal removed)",
    "seal_link": "a seal's prev_digest is not its predecessor's digest",
    "seal_audit": "a seal's audit record is missing or names another digest",
    "rows_deleted": "a sealed range has fewer rows than were sealed",
    "rows_inserted": "a sealed range has more rows than were sealed",
    "row_edited": "a sealed range's rows no longer give the signed digest",
}


@dataclass(frozen=True)
class Break:
    kind: str
    seal: int
    first_seq: int
    last_seq: int
    message: str


@dataclass
class VerifyReport:
    ok: bool
    seals_checked: int
    rows_checked: int
    sealed_to: int
    unsealed: int
    problem: Break | None
    seconds: float

    def as_dict(self) -> dict:
        data = asdict(self)
        data["seconds"] = round(self.seconds, 3)
        return data

    def __str__(self) -> str:
        lines = [
            f"exchange log: {'OK' if self.ok else 'BROKEN'}",
            f"seals checked: {self.seals_checked}, rows checked: {self.rows_checked}",
            f"sealed up to seq {self.sealed_to or '-'}, unsealed rows after it: {self.unsealed}",
            f"time: {self.seconds:.2f} s",
        ]
        if self.problem:
            p = self.problem
            lines.append(
                f"first break: seal {p.seal} (seq {p.first_seq}..{p.last_seq}) "
                f"[{p.kind}] {p.message}"
            )
        return "\n".join(lines)


def verify(first: int | None = None, last: int | None = None) -> VerifyReport:
    """Check every seal (signature, chain link, audit record) and the rows of the seals that
    overlap ``first``..``last`` (log seq numbers; default all); the first break wins."""
    started = _time.perf_counter()
    known = keys.verify_keys()
    seals = list(
        ExchangeSeal.objects.order_by("last_seq", "seq").values_list(
            "seq",
            "first_seq",
            "last_seq",
            "row_count",
            "prev_digest",
            "digest",
            "sealed_at",
            "key_id",
            "signature",
            "audit_seq",
        )
    )
    audits = dict(
        AuditRecord.objects.filter(
            seq__in=[s[9] for s in seals if s[9] is not None], action=SEAL_ACTION
        ).values_list("seq", "details")
    )
    prev_last, prev_digest = 0, canonical.GENESIS
    checked = rows_checked = 0
    problem = None
    for seq, lo, hi, count, prev, digest, sealed_at, key_id, signature, audit_seq in seals:
        checked += 1
        problem = _check_seal(seq, lo, hi, count, prev, digest, sealed_at, key_id, signature, known)
        if problem is None and lo != prev_last + 1:
            problem = Break(
                "seal_gap",
                seq,
                lo,
                hi,
                _("封存 %(seal)s 的范围应从序号 %(expected)s 开始：有封存被删除或插入")
                % {"seal": seq, "expected": prev_last + 1},
            )
        if problem is None and prev != prev_digest:
            problem = Break(
                "seal_link",
                seq,
                lo,
                hi,
                _("封存 %(seal)s 与前一封存不相连（前一封存摘要不符）") % {"seal": seq},
            )
        if problem is None:
            details = audits.get(audit_seq) or {}
            if details.get("digest") != digest or details.get("last_seq") != hi:
                problem = Break(
                    "seal_audit",
                    seq,
                    lo,
                    hi,
                    _("封存 %(seal)s 没有对应的审计记录，或审计记录中的摘要不符") % {"seal": seq},
                )
        in_range = (first is None or hi >= first) and (last is None or lo <= last)
        if problem is None and in_range:
            digests = [canonical.row_digest(values) for values in rows(lo, hi)]
            rows_checked += len(digests)
            problem = _check_rows(seq, lo, hi, count, prev, digest, digests)
        if problem is not None:
            break
        prev_last, prev_digest = hi, digest
    unsealed = ExchangeLog.objects.filter(seq__gt=prev_last).count() if problem is None else 0
    return VerifyReport(
        ok=problem is None,
        seals_checked=checked,
        rows_checked=rows_checked,
        sealed_to=prev_last,
        unsealed=unsealed,
        problem=problem,
        seconds=_time.perf_counter() - started,
    )


def _check_seal(seq, lo, hi, count, prev, digest, sealed_at, key_id, signature, known):
    key = known.get(key_id)
    if key is None:
        return Break(
            "seal_unknown_key",
            seq,
            lo,
            hi,
            _("封存 %(seal)s 使用未知的签名密钥 %(key)s") % {"seal": seq, "key": key_id},
        )
    try:
        key.verify(
            canonical.unhex(signature),
            canonical.seal_message(lo, hi, count, prev, digest, sealed_at, key_id),
        )
    except (gm.GmError, ValueError):
        return Break(
            "seal_signature",
            seq,
            lo,
            hi,
            _("封存 %(seal)s（序号 %(a)s 至 %(b)s）的 SM2 签名无效：封存被伪造或篡改")
            % {"seal": seq, "a": lo, "b": hi},
        )
    return None


def _check_rows(seq, lo, hi, count, prev, digest, digests):
    if len(digests) < count:
        return Break(
            "rows_deleted",
            seq,
            lo,
            hi,
            _("封存 %(seal)s 封存了 %(n)s 条日志，现只有 %(m)s 条：日志被删除")
            % {"seal": seq, "n": count, "m": len(digests)},
        )
    if len(digests) > count:
        return Break(
            "rows_inserted",
            seq,
            lo,
            hi,
            _("封存 %(seal)s 封存了 %(n)s 条日志，现有 %(m)s 条：封存范围内被插入日志")
            % {"seal": seq, "n": count, "m": len(digests)},
        )
    if canonical.chain(prev, digests) != digest:
        return Break(
            "row_edited",
            seq,
            lo,
            hi,
            _("封存 %(seal)s（序号 %(a)s 至 %(b)s）内的日志与签名摘要不符：日志被修改")
            % {"seal": seq, "a": lo, "b": hi},
        )
    return None
