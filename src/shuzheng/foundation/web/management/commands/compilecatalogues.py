"""``manage.py compilecatalogues``: the same compiler ``make`` runs, as a command."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from shuzheng.foundation.web.catalogues import compile_all


class Command(BaseCommand):
    help = "Compile every .po catalogue under LOCALE_PATHS into its .mo file (needs polib only)."

    def handle(self, *args, **options):
        count = sum(compile_all(Path(root), self.stdout) for root in settings.LOCALE_PATHS)
        if not count:
            self.stdout.write("catalogues up to date")
