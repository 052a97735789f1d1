"""Evidence bundles of the audit trail, checked with nothing but the signer's public key.

This module is the part of the audit trail a third party needs: the canonical form of a
record and an anchor, and :func:`check_bundle`. It imports neither Django nor anything of
shuzheng but :mod:`shuzheng.foundation.trust.gm` (``cryptography``, ``gmalglib``,
``asn1crypto``), so it runs without the platform, its settings or its database::

    python -m shuzheng.foundation.trust.evidence jan.json --public-key audit.pub.pem

(exit status 0 = valid). The bundle also describes its own format in ``how_to_check``, for
checkers written elsewhere. :mod:`shuzheng.foundation.trust.audit` writes the bundles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from shuzheng.foundation.trust import gm

__all__ = [
    "ANCHOR_DOMAIN",
    "BUNDLE_FORMAT",
    "GENESIS_HASH",
    "MANIFEST_DOMAIN",
    "RECORD_DOMAIN",
    "BundleReport",
    "anchor_message",
    "check_bundle",
    "main",
    "record_hash",
    "record_message",
]

GENESIS_HASH = "0" * 64
"""``prev_hash`` of record 1."""

RECORD_DOMAIN = b"shuzheng.audit.record.v1\n"
ANCHOR_DOMAIN = b"shuzheng.audit.anchor.v1\n"
MANIFEST_DOMAIN = b"shuzheng.audit.bundle.v1\n"
BUNDLE_FORMAT = "shuzheng-audit-bundle/1"

_HEX = re.compile(r"(?:[0-9a-f]{2})+")
_UTC = dt.UTC

canonical = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
).encode
"""The canonical JSON text of a value: no spaces, keys sorted, non-ASCII as itself, no NaN."""


# --------------------------------------------------------------------------- canonical form


def iso(value) -> str:
    """UTC, always with microseconds: ``2026-03-01T08:00:00.000000+00:00``."""
    if isinstance(value, str):
        return value
    if value.tzinfo is not _UTC:
        value = value.astimezone(_UTC)
    return value.isoformat(timespec="microseconds")


def record_message(
    seq,
    time,
    actor_id,
    actor_username,
    actor_org_id,
    actor_roles,
    client_ip,
    channel,
    user_agent,
    action,
    object_type,
    object_id,
    result,
    details,
    prev_hash,
) -> bytes:
    """The bytes a record's hash is computed over (fields in :data:`HASHED_FIELDS` order).

    ``RECORD_DOMAIN`` followed by the UTF-8 JSON array of the field values: no spaces,
    object keys sorted, non-ASCII characters as themselves, ``time`` as UTC ISO 8601 with
    microseconds. A third party can recompute it from an evidence bundle.
    """
    return (
        RECORD_DOMAIN
        + canonical(
            [
                seq,
                iso(time),
                actor_id,
                actor_username,
                actor_org_id,
                actor_roles,
                client_ip,
                channel,
                user_agent,
                action,
                object_type,
                object_id,
                result,
                details,
                prev_hash,
            ]
        ).encode()
    )


def record_hash(*fields) -> str:
    """Hex SM3 of :func:`record_message` (``fields`` in :data:`HASHED_FIELDS` order)."""
    return gm.sm3(record_message(*fields)).hex()


def anchor_message(first_seq: int, head_seq: int, head_hash: str, signed_at, key_id: str) -> bytes:
    """The bytes an anchor's SM2 signature covers."""
    return (
        ANCHOR_DOMAIN + canonical([first_seq, head_seq, head_hash, iso(signed_at), key_id]).encode()
    )


def _unhex(text: str) -> bytes:
    """Lower-case hex only: ``bytes.fromhex`` also takes upper case, which would let a
    signature be rewritten without changing what it decodes to."""
    if not isinstance(text, str) or not _HEX.fullmatch(text):
        raise ValueError("not lower-case hex")
    return bytes.fromhex(text)


# --------------------------------------------------------------------------- bundles


@dataclass
class BundleReport:
    ok: bool
    problems: list[str]
    records: int = 0
    anchors: int = 0
    period: dict | None = None
    period_seq: list | None = None
    signer_key_id: str | None = None
    key_pinned: bool = False

    def __str__(self) -> str:
        lines = [
            f"evidence bundle: {'VALID' if self.ok else 'INVALID'}",
            f"records: {self.records}, anchors: {self.anchors}",
        ]
        if self.period:
            lines.append(f"period: {self.period.get('from')} .. {self.period.get('to')}")
        if self.signer_key_id:
            pinned = "pinned by --public-key" if self.key_pinned else "NOT pinned"
            lines.append(f"signed by key {self.signer_key_id} ({pinned})")
        lines.extend(f"problem: {p}" for p in self.problems)
        return "\n".join(lines)


def check_bundle(data: bytes, public_key: gm.SM2PublicKey | None = None) -> BundleReport:
    """Check an evidence bundle with nothing but (optionally) the signer's public key.

    Touches no database and no key store. Without ``public_key`` the key embedded in the
    bundle is used and the report says the key was not pinned: compare its key id with
    the one the installation publishes.
    """
    report = BundleReport(ok=False, problems=[])
    return run_check(data, BUNDLE_FORMAT, _check_document, public_key, report)


def run_check(data: bytes, bundle_format: str, check, public_key, report):
    """Parse a bundle file of ``bundle_format`` and run ``check(document, data, public_key,
    report)`` on it; what cannot be read, and a structure ``check`` trips over, become
    problems of ``report``, never exceptions. ``report.ok`` is set. Shared by every bundle
    format (the audit trail's here, the exchange log's)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        report.problems.append(f"not UTF-8 at byte {exc.start}: bytes were altered")
        return report
    try:
        document = json.loads(text)
    except ValueError as exc:
        report.problems.append(f"not a JSON document: {exc}")
        return report
    if not isinstance(document, dict) or document.get("format") != bundle_format:
        report.problems.append(f"not a {bundle_format} document")
        return report
    try:
        check(document, data, public_key, report)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        report.problems.append(f"malformed bundle: {type(exc).__name__}: {exc}")
    report.ok = not report.problems
    return report


def signing_keys(pems: dict, signer_key_id: str, public_key, report) -> tuple[dict, object]:
    """The public keys a bundle lists, by key id, and the key its signature must verify with.

    With ``public_key`` (the checker's own copy of the signer's key) that key is pinned:
    ``report.key_pinned`` is set and it replaces the listed one. A listed key whose id is not
    its own, a pinned key that is not the signer's, and a missing signer key are recorded in
    ``report.problems``; the signer is then ``None``. Shared by every bundle format (the audit
    trail's here, the exchange log's)."""
    problems = report.problems
    public_keys = {}
    for kid, pem in pems.items():
        key = gm.SM2PublicKey.from_pem(pem)
        if key.key_id != kid:
            problems.append(f"public key listed as {kid} has key id {key.key_id}")
        public_keys[kid] = key
    if public_key is None:
        signer = public_keys.get(signer_key_id)
        if signer is None:
            problems.append("the signer's public key is missing")
        return public_keys, signer
    report.key_pinned = True
    if public_key.key_id != signer_key_id:
        problems.append(f"signed by key {signer_key_id}, not by the given key {public_key.key_id}")
        return public_keys, None
    public_keys[public_key.key_id] = public_key
    return public_keys, public_key


def _check_document(document, data, public_key, report: BundleReport) -> None:
    problems = report.problems
    if canonical(document).encode() != data:
        problems.append("the file is not in canonical form: bytes were altered")
    manifest = document["manifest"]
    records = document["records"]
    anchors = document["anchors"]
    pems = document["public_keys"]
    report.records, report.anchors = len(records), len(anchors)
    report.period, report.period_seq = manifest.get("period"), manifest.get("period_seq")
    report.signer_key_id = manifest["signer_key_id"]
    public_keys, signer = signing_keys(pems, manifest["signer_key_id"], public_key, report)
    if signer is None:
        return
    try:
        signer.verify(_unhex(document["signature"]), MANIFEST_DOMAIN + canonical(manifest).encode())
    except (gm.GmError, ValueError):
        problems.append("manifest signature does not verify: the bundle was altered")
        return
    for name, part in (("records", records), ("anchors", anchors), ("public_keys", pems)):
        if gm.sm3(canonical(part).encode()).hex() != manifest[name]["sm3"]:
            problems.append(f"{name} do not match the manifest's SM3 digest")
    if manifest["records"]["count"] != len(records):
        problems.append("record count differs from the manifest")
    if problems:
        return
    # the chain inside the bundle
    prev = manifest["start_prev_hash"]
    hashes = {}
    expected = records[0][0] if records else None
    if records and expected == 1 and prev != GENESIS_HASH:
        problems.append("record 1 must follow the genesis hash")
    for row in records:
        seq = row[0]
        if seq != expected:
            problems.append(f"record {expected} is missing")
            return
        if row[14] != prev:
            problems.append(f"record {seq} does not link to its predecessor")
            return
        if record_hash(*row[:15]) != row[15]:
            problems.append(f"record {seq} does not match its hash")
            return
        hashes[seq] = prev = row[15]
        expected = seq + 1
    heads = {}
    for pk, first, head, head_hash, signed_at, key_id, signature in anchors:
        key = public_keys.get(key_id)
        if key is None:
            problems.append(f"anchor {pk} names key {key_id}, which the bundle lacks")
            continue
        try:
            key.verify(_unhex(signature), anchor_message(first, head, head_hash, signed_at, key_id))
        except (gm.GmError, ValueError):
            problems.append(f"anchor {pk} signature does not verify")
            continue
        if head in hashes and hashes[head] != head_hash:
            problems.append(f"anchor {pk} head hash differs from record {head}")
        heads[head] = head_hash
    if records:
        first_seq, last_seq = records[0][0], records[-1][0]
        if first_seq != 1 and heads.get(first_seq - 1) != manifest["start_prev_hash"]:
            problems.append(f"no signed anchor ends at {first_seq - 1} to prove the start")
        if last_seq not in heads:
            problems.append(f"no signed anchor ends at record {last_seq}: the end is unproven")
        period_seq = manifest["period_seq"]
        if period_seq and not (first_seq <= period_seq[0] <= period_seq[1] <= last_seq):
            problems.append("the period's records are not all in the bundle")


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shuzheng.foundation.trust.evidence",
        description="Check a shuzheng audit evidence bundle (no database, no platform).",
    )
    parser.add_argument("file", help="the bundle (JSON)")
    parser.add_argument("--public-key", help="PEM of the signer's SM2 public key (pins it)")
    args = parser.parse_args(argv)
    try:
        data = Path(args.file).read_bytes()
        key = (
            gm.SM2PublicKey.from_pem(Path(args.public_key).read_bytes())
            if args.public_key
            else None
        )
    except (OSError, gm.GmError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = check_bundle(data, key)
    print(report)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
