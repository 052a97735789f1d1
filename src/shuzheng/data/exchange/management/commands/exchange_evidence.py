"""``manage.py exchange_evidence export | check`` — evidence bundles of the exchange log.

    manage.py exchange_evidence export --start 2026-03-01 --end 2026-04-01 [--org ID] > ev.json
    manage.py exchange_evidence check ev.json [--public-key audit.pub.pem]   # no database

``export`` runs as the installation (the whole log in full, or one party's view with
``--org``); ``check`` exits 1 and names each problem when the bundle does not verify.
"""

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shuzheng.data.exchange import evidence
from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.trust import gm
from shuzheng.foundation.trust.management.commands.audit import moment


class Command(BaseCommand):
    help = "Export and check evidence bundles of the exchange gateway's log."
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write a signed bundle to stdout (or --out)")
        export.add_argument("--start", required=True, help="date or date-time (inclusive)")
        export.add_argument("--end", required=True, help="date or date-time (exclusive)")
        export.add_argument("--org", type=int, help="the exporting party's organisation id")
        export.add_argument("--out", help="file to write instead of stdout")
        check = sub.add_parser("check", help="check a bundle (no database)")
        check.add_argument("file")
        check.add_argument("--public-key", help="PEM of the signer's public key (pins it)")

    def handle(self, *args, action, **options):
        getattr(self, "do_" + action)(**options)

    def do_export(self, *, start, end, org=None, out=None, **options):
        organisation = None
        if org is not None:
            organisation = Organisation.objects.filter(pk=org).first()
            if organisation is None:
                raise CommandError(f"no organisation with id {org}")
        try:
            data = evidence.export(
                access.SYSTEM, start=moment(start), end=moment(end), organisation=organisation
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if out:
            Path(out).write_bytes(data)
            self.stderr.write(f"wrote {out} ({len(data)} bytes)")
        else:
            self.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()

    def do_check(self, *, file, public_key=None, **options):
        try:
            data = Path(file).read_bytes()
            key = gm.SM2PublicKey.from_pem(Path(public_key).read_bytes()) if public_key else None
        except (OSError, gm.GmError) as exc:
            raise CommandError(str(exc)) from exc
        report = evidence.check(data, key)
        self.stdout.write(str(report))
        if not report.ok:
            sys.exit(1)
