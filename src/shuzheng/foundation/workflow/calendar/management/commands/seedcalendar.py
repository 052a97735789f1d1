"""``manage.py seedcalendar [--years 2025 2026] [--refresh]``: copy China's holidays and 调休
from the ``holidays`` package into the work calendar (idempotent; administrators' rows are
never touched). Without ``--years``: this year and the next."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.workflow.calendar import services


class Command(BaseCommand):
    help = "Seed the work calendar (holidays, 调休) for the given years from the holidays package."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, nargs="+", help="default: this year and next")
        parser.add_argument(
            "--refresh",
            action="store_true",
            help="update years seeded before (after upgrading the holidays package)",
        )

    def handle(self, *args, years=None, refresh=False, **options):
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
        if report.skipped:
            self.stdout.write(
                f"already seeded: {', '.join(map(str, report.skipped))} (use --refresh to update)"
            )
