"""The byte forms the exchange evidence is computed over — one place, so that the gateway
(``request_hash``), the sealing job, ``verify`` and the evidence bundle (checked without a
database, possibly by another party's tool) all agree. Everything is canonical JSON: UTF-8,
object keys sorted, no insignificant whitespace, non-ASCII characters as themselves
(``json.dumps(ensure_ascii=False, sort_keys=True, separators=(",", ":"))``).

* request  = ``b"shuzheng.exchange.request.v1\\n"`` + canonical([method, route, query, key id,
  message id, end-user hash, purpose, case number]) — ``route`` is the path with a detail
  key replaced by its keyed digest, ``query`` the sorted ``[name, value]`` pairs with search
  values replaced by their keyed digests (the log holds no clear personal values, not even
  inside a hash that could be brute-forced over the few billion ID numbers);
* row      = ``b"shuzheng.exchange.log.v1\\n"`` + canonical(the values of ``LOG_FIELDS``),
  ``time`` as UTC ISO 8601 with microseconds, ``latency_ms`` as a string with 3 decimals;
* seal digest = SM3(prev_digest ‖ SM3(row₁) ‖ … ‖ SM3(rowₙ)) over the raw 32-byte digests,
  rows in ``seq`` order (the first seal's prev_digest is 64 zeros);
* seal     = ``b"shuzheng.exchange.seal.v1\\n"`` + canonical([first_seq, last_seq, row_count,
  prev_digest, digest, sealed_at, key_id]), signed with SM2 (user id 1234567812345678, DER
  r,s, hex).
"""

from __future__ import annotations

import datetime as dt
import re

from shuzheng.foundation.trust import evidence, gm

GENESIS = "0" * 64
REQUEST_DOMAIN = b"shuzheng.exchange.request.v1\n"
ROW_DOMAIN = b"shuzheng.exchange.log.v1\n"
SEAL_DOMAIN = b"shuzheng.exchange.seal.v1\n"
BUNDLE_DOMAIN = b"shuzheng.exchange.evidence.v1\n"

LOG_FIELDS = (
    "seq",
    "time",
    "message_id",
    "client_id",
    "consumer_id",
    "service_id",
    "service_code",
    "provider_id",
    "grant_id",
    "end_user_hash",
    "purpose",
    "case_number",
    "fields",
    "outcome",
    "reason",
    "status_code",
    "record_count",
    "request_hash",
    "response_hash",
    "latency_ms",
)
SEAL_FIELDS = (
    "first_seq",
    "last_seq",
    "row_count",
    "prev_digest",
    "digest",
    "sealed_at",
    "key_id",
)
_TIME = LOG_FIELDS.index("time")
_LATENCY = LOG_FIELDS.index("latency_ms")
_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_UTC = dt.UTC

# the same canonical JSON and UTC time text as the audit trail's evidence bundles
canonical = evidence.canonical
iso = evidence.iso


def latency(value) -> str:
    return value if isinstance(value, str) else f"{float(value):.3f}"


def row_values(row) -> list:
    """A log row (values in ``LOG_FIELDS`` order, as read from the database) in the form that
    is hashed and exported: time as ISO text, latency as text."""
    values = list(row)
    values[_TIME] = iso(values[_TIME])
    values[_LATENCY] = latency(values[_LATENCY])
    return values


def row_message(values) -> bytes:
    return ROW_DOMAIN + canonical(values).encode()


def row_digest(values) -> bytes:
    """The raw SM3 of one row (``values`` as returned by :func:`row_values`)."""
    return gm.sm3(row_message(values))


def chain(prev_digest: str, digests) -> str:
    """The seal digest over raw row digests: SM3(prev ‖ d₁ ‖ … ‖ dₙ), hex."""
    return gm.sm3(unhex(prev_digest) + b"".join(digests)).hex()


def seal_message(first_seq, last_seq, row_count, prev_digest, digest, sealed_at, key_id) -> bytes:
    return (
        SEAL_DOMAIN
        + canonical(
            [first_seq, last_seq, row_count, prev_digest, digest, iso(sealed_at), key_id]
        ).encode()
    )


def request_message(method, route, query, key_id, message_id, end_user_hash, purpose, case):
    return (
        REQUEST_DOMAIN
        + canonical(
            [method, route, query, key_id, message_id, end_user_hash, purpose, case]
        ).encode()
    )


def unhex(text: str) -> bytes:
    """Lower-case hex only (so a value cannot be rewritten without changing its bytes)."""
    if not isinstance(text, str) or not _HEX.fullmatch(text):
        raise ValueError("not lower-case hex")
    return bytes.fromhex(text)
