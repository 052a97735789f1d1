"""``manage.py grid_load``: load the schematic outlines of Zhuhai's districts and streets and
generate the grid cells that tile them (idempotent; runs as the installation itself)."""

from django.core.management.base import BaseCommand

from shuzheng.foundation import access
from shuzheng.governance.grid import services


class Command(BaseCommand):
    help = "Load schematic district/street outlines and generate grid cells (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--path", help="outline file (default: the bundled outlines.json)")

    def handle(self, *args, path=None, **options):
        counts = services.load_demo(access.SYSTEM, path=path)
        self.stdout.write(
            "outlines: {boundaries} ({boundaries_changed} changed); cells: {cells} "
            "({cells_created} new, {cells_updated} updated, {cells_retired} retired)".format(
                **counts
            )
        )
        if counts["skipped"]:
            self.stdout.write("not in the organisation tree: " + "、".join(counts["skipped"]))
