"""``manage.py workflow import FILE… | export CODE [--version N] [--format yaml|json] |
deadlines`` — definitions travel between installations as files."""

import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shuzheng.foundation import access
from shuzheng.foundation.workflow import services
from shuzheng.foundation.workflow.models import WorkflowDefinition
from shuzheng.foundation.workflow.spec import load_text


class Command(BaseCommand):
    help = "Import or export workflow definitions; run the SLA deadline sweep."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser("import", help="store each file as the next version of its code")
        imp.add_argument("files", nargs="+")
        exp = sub.add_parser("export", help="write a definition to standard output")
        exp.add_argument("code")
        exp.add_argument("--version", type=int)
        exp.add_argument("--format", choices=["yaml", "json"], default="yaml")
        sub.add_parser("deadlines", help="emit approaching / overdue events once each")

    def handle(self, *args, verb, **options):
        getattr(self, f"_{verb}")(**options)

    def _import(self, files, **_):
        for name in files:
            path = Path(name)
            if not path.exists():
                raise CommandError(f"{name}: no such file")
            for chunk in path.read_text(encoding="utf-8").split("\n---\n"):
                if not chunk.strip():
                    continue
                try:
                    saved = services.save_definition(access.SYSTEM, load_text(chunk))
                except ValidationError as exc:
                    raise CommandError(f"{name}: " + "; ".join(exc.messages)) from None
                self.stdout.write(f"{saved.code} v{saved.version} ({saved.name})")

    def _export(self, code, version, format, **_):
        rows = WorkflowDefinition.objects.filter(code=code)
        definition = (
            rows.filter(version=version) if version else rows.order_by("-version")
        ).first()
        if definition is None:
            raise CommandError(f"no definition {code!r}" + (f" v{version}" if version else ""))
        sys.stdout.write(services.export_definition(definition, format))

    def _deadlines(self, **_):
        counts = services.check_deadlines()
        self.stdout.write(f"approaching: {counts['approaching']}, overdue: {counts['overdue']}")
