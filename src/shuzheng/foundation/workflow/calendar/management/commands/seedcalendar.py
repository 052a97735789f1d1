"""``manage.py seedcalendar [--years 2025 2026] [--refresh] [--check]``: copy China's holidays
and 调休 from the ``holidays`` package into the work calendar (idempotent; administrators'
rows are never touched). Without ``--years``: this year and the next.

``--check`` seeds nothing: it reports the years (default this one and the next) that are not
seeded, or whose arrangement is only an estimate because the State Council's notice is not
in the package yet, and exits with status 1 when there is any — for a monitoring cron job.
After the notice (each November): upgrade ``holidays``, then ``--years <year> --refresh``."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.workflow.calendar import selectors, services


class Command(BaseCommand):
    help = "Seed the work calendar (holidays, 调休) for the given years from the holidays package."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, nargs="+", help="default: this year and next")
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="update years seeded before (after upgrading the holidays package)",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="seed nothing; report unseeded or provisional years, exit 1 if any",
        )

    def handle(self, *args, years=None, refresh=False, check=False, **options):
        if check:
            warnings = selectors.year_warnings(years)
            for warning in warnings:
                self.stderr.write(f"{warning.year} {warning.code}: {warning.message}")
            if warnings:
                raise CommandError(
                    f"work calendar needs attention: {', '.join(str(w.year) for w in warnings)}",
                    returncode=1,
                )
            self.stdout.write("work calendar: every year checked is seeded and published")
            return
        if not years:
            this = timezone.localdate().year
            years = [this, this + 1]
        try:
            report = services.seed_years(access.SYSTEM, years, refresh=refresh, channel="cli")
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if report.seeded:
            self.stdout.write(
                self.style.SUCCESS(
                    f"work calendar {', '.join(map(str, report.seeded))} from {report.source}: "
                    f"{report.created} created, {report.updated} updated, "
                    f"{report.removed} removed, {report.kept} administrator days kept"
                )
            )
        for warning in selectors.year_warnings(report.seeded):
            self.stdout.write(self.style.WARNING(f"{warning.year}: {warning.message}"))
        if report.skipped:
            self.stdout.write(
                f"already seeded: {', '.join(map(str, report.skipped))} (use --refresh to update)"
            )
