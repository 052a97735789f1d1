"""``manage.py files purge`` — remove the bytes of files past their retention and of
discarded files past the grace period (rows stay, marked and audited).

    manage.py files purge              # run from cron / the scheduler, daily
    manage.py files purge --dry-run    # count only
    manage.py files purge --orphans    # also blobs no row names (older than a day)
"""

import sys

from django.core.management.base import BaseCommand

from shuzheng.foundation.files import services


class Command(BaseCommand):
    help = "Purge stored files past their retention period."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        purge = sub.add_parser("purge", help="remove expired and discarded files' bytes")
        purge.add_argument("--dry-run", action="store_true", help="count, change nothing")
        purge.add_argument("--orphans", action="store_true", help="also sweep orphan blobs")

    def handle(self, *args, action, dry_run=False, orphans=False, **options):
        report = services.purge(dry_run=dry_run, orphans=orphans)
        verb = "would purge" if dry_run else "purged"
        self.stdout.write(
            f"{verb}: {report.expired} past retention, {report.deleted} discarded, "
            f"{report.orphans} orphan blobs"
        )
        if report.failed:
            self.stderr.write(f"failed: {', '.join(report.failed)}")
            sys.exit(1)
