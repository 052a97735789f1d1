"""``manage.py catalogue``: move the service catalogue between installations as a file.

    manage.py catalogue export --format json|xlsx -o FILE [--department NAME] [--drafts]
    manage.py catalogue import FILE [--publish]

Run by the operator on the server, so it acts as the installation itself: ``--publish``
publishes what it imports (installation, demo data); without it, changed items become drafts
waiting for review in the workbench."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation
from shuzheng.services.catalogue import io


class Command(BaseCommand):
    help = "Export or import the service catalogue (JSON interchange format or Excel workbook)."

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="action", required=True)
        export = commands.add_parser("export", help="write the catalogue to a file")
        export.add_argument("--format", choices=["json", "xlsx"], default="json")
        export.add_argument("-o", "--output", required=True, help="file to write ('-' = stdout)")
        export.add_argument("--department", help="exact organisation name: its subtree only")
        export.add_argument(
            "--drafts", action="store_true", help="the open draft of each item where there is one"
        )
        load = commands.add_parser("import", help="read a JSON or .xlsx file")
        load.add_argument("file")
        load.add_argument(
            "--publish", action="store_true", help="publish at once (installation, demo data)"
        )

    def handle(self, *args, action, **options):
        if action == "export":
            self._export(**options)
        else:
            self._import(**options)

    def _export(self, *, format, output, department, drafts, **options):  # noqa: A002
        org = None
        if department:
            matches = list(Organisation.objects.filter(name=department)[:2])
            if len(matches) != 1:
                raise CommandError(
                    f"no organisation named {department!r}"
                    if not matches
                    else f"several organisations are named {department!r}"
                )
            org = matches[0]
        data = io.export_catalogue(access.SYSTEM, department=org, drafts=drafts)
        if format == "xlsx":
            if output == "-":
                raise CommandError("an Excel workbook needs a file name (-o FILE.xlsx)")
            Path(output).write_bytes(io.to_xlsx(data))
        elif output == "-":
            self.stdout.write(io.dumps(data), ending="")
        else:
            Path(output).write_text(io.dumps(data), encoding="utf-8")
        if output != "-":
            self.stdout.write(
                self.style.SUCCESS(f"Exported {len(data['items'])} items to {output}.")
            )

    def _import(self, *, file, publish, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"no such file: {file}")
        try:
            data, locator = io.read_file(path.name, path.read_bytes())
            result = io.import_catalogue(access.SYSTEM, data, publish=publish, locator=locator)
        except io.ImportFailed as failed:
            for problem in failed.problems:
                self.stderr.write(problem)
            raise CommandError(f"nothing imported: {len(failed.problems)} problem(s)") from None
        self.stdout.write(self.style.SUCCESS(result.summary()))
