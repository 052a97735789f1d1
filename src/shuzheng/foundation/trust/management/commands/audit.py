"""``manage.py audit seal | verify | export | check-bundle | purge`` — the audit trail from
the command line (operators, cron, the scheduler of a later foundation issue).

    manage.py audit seal                       # sign the chain head (no-op if nothing new)
    manage.py audit verify [--start N] [--end N]   # exit 1 and the report on a break
    manage.py audit export --from 2026-01-01 --to 2026-02-01 --out jan.json
    manage.py audit check-bundle jan.json [--public-key audit.pub.pem]   # no database
    manage.py audit purge --before 2025-06-01  # only past AUDIT_RETENTION_DAYS
"""

import datetime as dt
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from shuzheng.foundation import access
from shuzheng.foundation.trust import audit, gm
from shuzheng.foundation.trust.models import Channel


def moment(text: str) -> dt.datetime:
    """An ISO date (midnight, local time zone) or date-time (naive = local time zone)."""
    value = parse_datetime(text)
    if value is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"not a date or date-time: {text!r} (use 2026-01-31[T08:00])")
        value = dt.datetime.combine(day, dt.time.min)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


class Command(BaseCommand):
    help = "Seal, verify, export, check and purge the tamper-evident audit trail."
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("seal", help="sign the chain head with the SM2 key")
        verify = sub.add_parser("verify", help="walk the chain; exit 1 on a break")
        verify.add_argument("--start", type=int, help="first seq (default: the beginning)")
        verify.add_argument("--end", type=int, help="last seq (default: the head)")
        export = sub.add_parser("export", help="write a signed evidence bundle")
        export.add_argument("--from", dest="start", required=True, help="date or date-time")
        export.add_argument("--to", dest="end", required=True, help="date or date-time")
        export.add_argument("--out", required=True, help="file to write")
        check = sub.add_parser("check-bundle", help="check an evidence bundle (no database)")
        check.add_argument("file")
        check.add_argument("--public-key", help="PEM of the signer's public key (pins it)")
        purge = sub.add_parser("purge", help="remove records past the retention period")
        purge.add_argument("--before", required=True, help="date or date-time")

    def handle(self, *args, action, **options):
        getattr(self, "do_" + action.replace("-", "_"))(**options)

    def do_seal(self, **options):
        anchor = audit.seal_anchor()
        if anchor is None:
            self.stdout.write("nothing new since the last anchor")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"anchor {anchor.pk}: seq {anchor.first_seq}..{anchor.head_seq} "
                    f"signed with key {anchor.key_id}"
                )
            )

    def do_verify(self, *, start=None, end=None, **options):
        report = audit.verify(start, end)
        self.stdout.write(str(report))
        if not report.ok:
            sys.exit(1)

    def do_export(self, *, start, end, out, **options):
        try:
            data = audit.export(moment(start), moment(end), channel=Channel.CLI)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except audit.AuditChainBroken as exc:
            self.stdout.write(str(exc.report))
            raise CommandError("the audit chain is broken; no bundle written") from exc
        Path(out).write_bytes(data)
        self.stdout.write(
            self.style.SUCCESS(f"wrote {out} ({len(data)} bytes, SM3 {audit.digest(data)})")
        )

    def do_check_bundle(self, *, file, public_key=None, **options):
        try:
            data = Path(file).read_bytes()
            key = gm.SM2PublicKey.from_pem(Path(public_key).read_bytes()) if public_key else None
        except (OSError, gm.GmError) as exc:
            raise CommandError(str(exc)) from exc
        report = audit.check_bundle(data, key)
        self.stdout.write(str(report))
        if not report.ok:
            sys.exit(1)

    def do_purge(self, *, before, **options):
        try:
            point = audit.purge(moment(before), actor=access.SYSTEM)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        except audit.AuditChainBroken as exc:
            self.stdout.write(str(exc.report))
            raise CommandError("the audit chain is broken; nothing purged") from exc
        if point is None:
            self.stdout.write("nothing to purge: no sealed records older than that")
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"purged {point.record_count} records up to seq {point.last_seq} "
                    f"(anchor {point.anchor_id}); the chain continues from seq "
                    f"{point.last_seq + 1}"
                )
            )
