"""manage.py search rebuild [--model app.Model] — re-create the index from the data;
manage.py search synonyms [FILE …] — add the synonym groups of the declared (or given) files."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shuzheng.foundation import access
from shuzheng.foundation.search import indexing, services
from shuzheng.foundation.search.management.progress import Progress
from shuzheng.foundation.search.registry import resolve


class Command(BaseCommand):
    help = (
        "Maintain the search index: `rebuild` re-creates it for every (or one) model; "
        "`synonyms` adds the missing synonym groups of the packages' files (or of FILEs)."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        rebuild = actions.add_parser("rebuild", help="drop and re-create the documents")
        rebuild.add_argument(
            "--model", action="append", help="app_label.Model (repeatable; default: all)"
        )
        synonyms = actions.add_parser("synonyms", help="load synonym groups (idempotent)")
        synonyms.add_argument("files", nargs="*", help="shuzheng.synonyms/1 JSON files")

    def handle(self, *args, action, **options):
        if action == "synonyms":
            return self.synonyms(options["files"])
        try:
            specs = resolve(options.get("model"))
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

    def synonyms(self, files):
        try:
            if files:
                created = {
                    path: len(
                        services.load_synonyms(
                            access.SYSTEM,
                            services.read_synonym_file(path),
                            source=path,
                            channel="cli",
                        )
                    )
                    for path in files
                }
            else:
                created = services.load_declared(access.SYSTEM, channel="cli")
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        if not created:
            self.stdout.write("No synonym files declared.")
        for source, n in created.items():
            self.stdout.write(f"{source}: {n} synonym groups added")
