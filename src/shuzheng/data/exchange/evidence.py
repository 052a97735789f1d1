"""交换存证 — an evidence bundle of the exchange log for a period, which either side of the
exchanges (consumer or provider) can check with nothing but the platform's public key.

The bundle holds every seal whose range overlaps the period, each with its SM2 signature and
key id and all the rows of its range: the exporting party's own rows (it was the consumer or
the provider) in full with their digests, other parties' rows as ``{seq, digest}`` only — so
the seal's digest can be recomputed and checked without disclosing anyone else's calls. The
data authority (``exchange.evidence`` on the city) exports every row in full. The whole
document is canonical JSON signed with SM2 as well; the public keys travel with it (pin the
signer's with ``public_key`` / ``--public-key``). :func:`check` touches no database.

Format (``"format": "shuzheng-exchange-evidence/1"``): one canonical JSON document (see
``canonical``); ``signature`` = SM2 by ``signer_key_id`` over
``b"shuzheng.exchange.evidence.v1\\n"`` + canonical(the document without ``signature``).
Each seal: ``signature`` over ``canonical.seal_message``; ``digest`` = SM3(prev_digest ‖ row
digests in seq order); a full row's ``digest`` = SM3 of ``canonical.row_message(row)``, its
values in ``row_fields`` order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.data.exchange import canonical, sealing
from shuzheng.data.exchange.models import ExchangeLog, ExchangeSeal
from shuzheng.foundation import access
from shuzheng.foundation.access.registry import CAPABILITIES
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.trust import audit, evidence, gm, keys

EVIDENCE = "exchange.evidence"
BUNDLE_FORMAT = "shuzheng-exchange-evidence/1"
_CONSUMER = canonical.LOG_FIELDS.index("consumer_id")
_PROVIDER = canonical.LOG_FIELDS.index("provider_id")

CANONICAL_DOC = (
    "One JSON document: UTF-8, object keys sorted, no insignificant whitespace, non-ASCII "
    "unescaped (json.dumps(ensure_ascii=False, sort_keys=True, separators=(',', ':'))). "
    "signature = SM2 (GB/T 32918.2, user id '1234567812345678', DER r,s, hex) by "
    "signer_key_id over b'shuzheng.exchange.evidence.v1\\n' + canonical(document without "
    "'signature'). Row digest = SM3(b'shuzheng.exchange.log.v1\\n' + canonical(row values in "
    "row_fields order)). Seal digest = SM3(bytes(prev_digest) || row digests (32 bytes each, "
    "seq order)); seal signature = SM2 by key_id over b'shuzheng.exchange.seal.v1\\n' + "
    "canonical([first_seq, last_seq, row_count, prev_digest, digest, sealed_at, key_id]). "
    "Consecutive seals link: first_seq = previous last_seq + 1, prev_digest = previous "
    "digest. key id = first 16 hex digits of SM3(DER SubjectPublicKeyInfo)."
)


def _may_export(actor, organisation: Organisation | None) -> None:
    """The exporting party holds ``exchange.evidence`` for itself (consumer or provider);
    the whole log only at city level (the data authority) or as the installation."""
    if actor is access.SYSTEM:
        return
    if organisation is not None:
        access.check(actor, organisation, EVIDENCE)
        return
    roots = Organisation.objects.filter(parent__isnull=True).values_list("path", flat=True)
    paths = access.org_paths(actor, EVIDENCE)
    if not any(root.startswith(p) for root in roots for p in paths):
        label = CAPABILITIES[EVIDENCE].label
        raise PermissionDenied(_("无权执行此操作：%(label)s") % {"label": label})


def export(actor, *, start, end, organisation: Organisation | None = None) -> bytes:
    """导出交换存证 for calls logged in ``start`` ≤ time < ``end``: the seals covering them
    (rows older than the sealing lag are sealed first), the exporting party's rows in full,
    other rows as digests; signed. The export itself is audited."""
    _may_export(actor, organisation)
    if not start < end:
        raise ValidationError({"end": _("导出时段的结束时间须晚于开始时间")})
    sealing.seal_all()
    period = ExchangeLog.objects.filter(time__gte=start, time__lt=end)
    first = period.order_by("seq").values_list("seq", flat=True).first()
    last = period.order_by("-seq").values_list("seq", flat=True).first()
    seals_out: list[dict] = []
    full = 0
    covered_to = 0
    if first is not None:
        selected = ExchangeSeal.objects.filter(last_seq__gte=first, first_seq__lte=last).order_by(
            "last_seq"
        )
        for seal in selected:
            rows_out = []
            for values in sealing.rows(seal.first_seq, seal.last_seq):
                digest = canonical.row_digest(values).hex()
                mine = organisation is None or organisation.pk in (
                    values[_CONSUMER],
                    values[_PROVIDER],
                )
                if mine:
                    full += 1
                    rows_out.append({"seq": values[0], "digest": digest, "row": values})
                else:
                    rows_out.append({"seq": values[0], "digest": digest})
            seals_out.append(
                {
                    "seq": seal.seq,
                    "first_seq": seal.first_seq,
                    "last_seq": seal.last_seq,
                    "row_count": seal.row_count,
                    "prev_digest": seal.prev_digest,
                    "digest": seal.digest,
                    "sealed_at": canonical.iso(seal.sealed_at),
                    "key_id": seal.key_id,
                    "signature": seal.signature,
                    "audit_seq": seal.audit_seq,
                    "rows": rows_out,
                }
            )
            covered_to = seal.last_seq
    unsealed = period.filter(seq__gt=covered_to).count() if first is not None else 0
    if organisation is not None and first is not None:
        unsealed = (
            period.filter(seq__gt=covered_to)
            .filter(Q(consumer_id=organisation.pk) | Q(provider_id=organisation.pk))
            .count()
        )
    signer = keys.signing_key()
    known = keys.verify_keys()
    key_ids = {s["key_id"] for s in seals_out} | {signer.key_id}
    missing = key_ids - known.keys()
    if missing:
        raise gm.InvalidKey(f"no public key for seal key id(s) {sorted(missing)}")
    document = {
        "format": BUNDLE_FORMAT,
        "created_at": canonical.iso(timezone.now()),
        "period": {"from": canonical.iso(start), "to": canonical.iso(end)},
        "period_seq": [first, last] if first is not None else None,
        "organisation": (
            {"id": organisation.pk, "name": organisation.name} if organisation else None
        ),
        "row_fields": list(canonical.LOG_FIELDS),
        "seals": seals_out,
        "unsealed_rows": unsealed,
        "public_keys": {kid: known[kid].to_pem().decode() for kid in sorted(key_ids)},
        "signer_key_id": signer.key_id,
        "canonical": CANONICAL_DOC,
    }
    document["signature"] = signer.sign(
        canonical.BUNDLE_DOMAIN + canonical.canonical(document).encode()
    ).hex()
    data = canonical.canonical(document).encode()
    with transaction.atomic():
        audit.record(
            actor,
            "data.exchange.evidence.export",
            organisation,
            details={
                "from": canonical.iso(start),
                "to": canonical.iso(end),
                "seals": len(seals_out),
                "rows": sum(len(s["rows"]) for s in seals_out),
                "full_rows": full,
                "unsealed": unsealed,
                "bundle_sm3": audit.digest(data),
            },
        )
    return data


# --------------------------------------------------------------------------- check


@dataclass
class EvidenceReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    seals: int = 0
    rows: int = 0
    full_rows: int = 0
    unsealed_rows: int = 0
    period: dict | None = None
    organisation: dict | None = None
    signer_key_id: str | None = None
    key_pinned: bool = False

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "problems": list(self.problems),
            "seals": self.seals,
            "rows": self.rows,
            "full_rows": self.full_rows,
            "unsealed_rows": self.unsealed_rows,
            "period": self.period,
            "organisation": self.organisation,
            "signer_key_id": self.signer_key_id,
            "key_pinned": self.key_pinned,
        }

    def __str__(self) -> str:
        lines = [
            f"exchange evidence: {'VALID' if self.ok else 'INVALID'}",
            f"seals: {self.seals}, rows: {self.rows} ({self.full_rows} in full)",
        ]
        if self.period:
            lines.append(f"period: {self.period.get('from')} .. {self.period.get('to')}")
        if self.organisation:
            lines.append(f"exported for: {self.organisation.get('name')}")
        if self.unsealed_rows:
            lines.append(f"not yet sealed (not in the bundle): {self.unsealed_rows} rows")
        if self.signer_key_id:
            pinned = "pinned by --public-key" if self.key_pinned else "NOT pinned"
            lines.append(f"signed by key {self.signer_key_id} ({pinned})")
        lines.extend(f"problem: {p}" for p in self.problems)
        return "\n".join(lines)


def check(data: bytes, public_key: gm.SM2PublicKey | None = None) -> EvidenceReport:
    """Check a bundle with nothing but (optionally) the signer's public key; every problem
    is named with where it is (byte offset, seal, row seq). Without ``public_key`` the key
    embedded in the bundle is used and the report says the key was not pinned."""
    report = EvidenceReport(ok=False)
    return evidence.run_check(data, BUNDLE_FORMAT, _check, public_key, report)


def _first_difference(a: bytes, b: bytes) -> int:
    for index, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return index
    return min(len(a), len(b))


def _check(document: dict, data: bytes, public_key, report: EvidenceReport) -> None:
    problems = report.problems
    again = canonical.canonical(document).encode()
    if again != data:
        problems.append(
            "the file is not in canonical form: bytes were altered near byte "
            f"{_first_difference(again, data)}"
        )
    seals = document["seals"]
    report.seals = len(seals)
    report.period = document.get("period")
    report.organisation = document.get("organisation")
    report.unsealed_rows = document.get("unsealed_rows") or 0
    report.signer_key_id = document["signer_key_id"]
    fields = document["row_fields"]
    if fields != list(canonical.LOG_FIELDS):
        problems.append("row_fields differ from this checker's (unknown format version)")
        return
    public_keys, signer = evidence.signing_keys(
        document["public_keys"], document["signer_key_id"], public_key, report
    )
    if public_key is not None and signer is None:
        return  # pinned to another key: nothing in the file is trusted
    previous = None
    for seal in seals:
        where = f"seal {seal['seq']} (seq {seal['first_seq']}..{seal['last_seq']})"
        _check_seal(seal, where, public_keys, report)
        if previous is not None and seal["first_seq"] == previous["last_seq"] + 1:
            if seal["prev_digest"] != previous["digest"]:
                problems.append(f"{where}: does not link to the seal before it")
        elif previous is not None and seal["first_seq"] <= previous["last_seq"]:
            problems.append(f"{where}: overlaps the seal before it")
        previous = seal
    body = {k: v for k, v in document.items() if k != "signature"}
    if signer is None:
        return  # recorded by signing_keys
    try:
        signer.verify(
            canonical.unhex(document["signature"]),
            canonical.BUNDLE_DOMAIN + canonical.canonical(body).encode(),
        )
    except (gm.GmError, ValueError):
        problems.append("the bundle's signature does not verify: the bundle was altered")


def _check_seal(seal: dict, where: str, public_keys: dict, report: EvidenceReport) -> None:
    problems = report.problems
    key = public_keys.get(seal["key_id"])
    if key is None:
        problems.append(f"{where}: signed by key {seal['key_id']}, which the bundle lacks")
    else:
        try:
            key.verify(
                canonical.unhex(seal["signature"]),
                canonical.seal_message(
                    seal["first_seq"],
                    seal["last_seq"],
                    seal["row_count"],
                    seal["prev_digest"],
                    seal["digest"],
                    seal["sealed_at"],
                    seal["key_id"],
                ),
            )
        except (gm.GmError, ValueError):
            problems.append(f"{where}: the seal's SM2 signature does not verify")
    digests = []
    expected_after = seal["first_seq"] - 1
    for entry in seal["rows"]:
        seq = entry["seq"]
        report.rows += 1
        if not seal["first_seq"] <= seq <= seal["last_seq"] or seq <= expected_after:
            problems.append(f"{where}: row {seq} is out of order or outside the seal")
        expected_after = seq
        try:
            listed = canonical.unhex(entry["digest"])
        except ValueError:
            problems.append(f"{where}: row {seq}: its digest is not lower-case hex")
            listed = b"\0" * 32
        if "row" in entry:
            report.full_rows += 1
            values = entry["row"]
            if values[0] != seq:
                problems.append(f"{where}: row {seq} carries the content of row {values[0]}")
            if canonical.row_digest(values) != listed:
                problems.append(f"{where}: row {seq}: its content does not match its digest")
        digests.append(listed)
    if len(digests) != seal["row_count"]:
        problems.append(
            f"{where}: {len(digests)} rows in the bundle, {seal['row_count']} were sealed"
        )
    if canonical.chain(seal["prev_digest"], digests) != seal["digest"]:
        problems.append(f"{where}: the rows do not give the sealed digest")
