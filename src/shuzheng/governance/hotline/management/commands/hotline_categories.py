"""``manage.py hotline_categories``: load the 诉求分类 tree (idempotent, by code).

    manage.py hotline_categories [--file PATH] [--rules]

Without ``--file`` the tree shipped in ``hotline/data/categories.json``. ``--rules`` also adds
the 属地派单 rules for categories handled where they happen (those without a rule)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shuzheng.foundation import access
from shuzheng.governance.hotline.services import categories, routing


class Command(BaseCommand):
    help = "Load the 12345 category tree (data/categories.json or --file)."

    def add_arguments(self, parser):
        parser.add_argument("--file", help="a JSON file of the same shape")
        parser.add_argument("--rules", action="store_true", help="add default 属地派单 rules")

    def handle(self, *args, file=None, rules=False, **options):
        try:
            count = categories.load_categories(access.SYSTEM, file)
        except (ValidationError, OSError, ValueError) as exc:
            messages = getattr(exc, "messages", None) or [str(exc)]
            raise CommandError("; ".join(messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Categories loaded: {count}"))
        if rules:
            created = routing.default_rules(access.SYSTEM)
            self.stdout.write(f"Default routing rules created: {created}")
