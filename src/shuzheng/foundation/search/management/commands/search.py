"""manage.py search rebuild [--model app.Model] — re-create the index from the data."""

import time

from django.core.management.base import BaseCommand, CommandError

from shuzheng.foundation.search import indexing
from shuzheng.foundation.search.management.progress import Progress
from shuzheng.foundation.search.registry import resolve


class Command(BaseCommand):
    help = "Maintain the search index: `rebuild` re-creates it for every (or one) model."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        rebuild = actions.add_parser("rebuild", help="drop and re-create the documents")
        rebuild.add_argument(
            "--model", action="append", help="app_label.Model (repeatable; default: all)"
        )

    def handle(self, *args, action, model=None, **options):
        try:
            specs = resolve(model)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        for spec in specs:
            started = time.monotonic()
            bar = Progress(spec.label, spec.rows().count(), stream=self.stderr._out)
            done = indexing.rebuild(spec, progress=bar.update)
            bar.close()
            self.stdout.write(
                f"{spec.label}: {done} documents in {time.monotonic() - started:.1f} s"
            )
