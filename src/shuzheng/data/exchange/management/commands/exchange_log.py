"""``manage.py exchange_log seal | verify`` — the exchange log's seals from the command line.

manage.py exchange_log seal                     # seal what is older than the lag
manage.py exchange_log verify [--first N] [--last N]   # exit 1 and the report on a break
"""

import json
import sys

from django.core.management.base import BaseCommand

from shuzheng.data.exchange import sealing


class Command(BaseCommand):
    help = "Seal and verify the exchange gateway's log."
    requires_system_checks = []

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("seal", help="seal the log rows older than the lag")
        verify = sub.add_parser("verify", help="check seals and rows; exit 1 on a break")
        verify.add_argument("--first", type=int, help="first log seq whose rows are checked")
        verify.add_argument("--last", type=int, help="last log seq whose rows are checked")
        verify.add_argument("--json", action="store_true", help="the report as JSON")

    def handle(self, *args, action, **options):
        getattr(self, "do_" + action)(**options)

    def do_seal(self, **options):
        made = sealing.seal_all()
        if not made:
            self.stdout.write("nothing to seal")
        for seal in made:
            self.stdout.write(
                self.style.SUCCESS(
                    f"seal {seal.seq}: seq {seal.first_seq}..{seal.last_seq} "
                    f"({seal.row_count} rows) signed with key {seal.key_id}"
                )
            )

    def do_verify(self, *, first=None, last=None, json=False, **options):  # noqa: A002
        report = sealing.verify(first, last)
        self.stdout.write(_json(report) if json else str(report))
        if not report.ok:
            sys.exit(1)


def _json(report) -> str:
    return json.dumps(report.as_dict(), ensure_ascii=False, indent=2)
