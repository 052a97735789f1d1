"""Compile the .po message catalogues to .mo with polib: no GNU gettext needed at setup."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile every .po catalogue under LOCALE_PATHS into its .mo file."

    def handle(self, *args, **options):
        count = 0
        for root in settings.LOCALE_PATHS:
            for po_path in sorted(Path(root).glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                catalogue = polib.pofile(str(po_path))
                catalogue.save_as_mofile(str(mo_path))
                count += 1
                self.stdout.write(
                    f"compiled {po_path.relative_to(root)} "
                    f"({catalogue.percent_translated()}% translated)"
                )
        if not count:
            self.stdout.write("catalogues up to date")
