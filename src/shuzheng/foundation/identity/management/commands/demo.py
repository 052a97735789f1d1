"""``manage.py demo``: load the Zhuhai demo data and print the demo accounts (idempotent)."""

from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from shuzheng.foundation.identity import demo
from shuzheng.foundation.trust import audit


class Command(BaseCommand):
    help = "Load the Zhuhai demo organisations and one account per role, then list them."

    def handle(self, *args, **options):
        this_year = timezone.localdate().year
        call_command(
            "seedcalendar",
            "--years",
            *[str(y) for y in range(2024, this_year + 2)],
            stdout=self.stdout if options["verbosity"] > 1 else StringIO(),
        )
        demo.load_organisations()
        created = demo.load_accounts()
        for loader in _domain_loaders():
            loader(stdout=self.stdout)
        anchor = audit.seal_anchor()  # the demo's own history, sealed like any other
        if anchor is not None:
            self.stdout.write(f"Audit trail sealed up to record {anchor.head_seq}.")
        from shuzheng.foundation.identity.models import Organisation

        self.stdout.write(
            self.style.SUCCESS(f"Zhuhai organisations: {Organisation.objects.count()}")
        )
        if not created:
            self.stdout.write("Demo accounts already exist (password unchanged).")
        self.stdout.write(f"\nDemo accounts (password for all: {demo.DEMO_PASSWORD}):")
        rows = created or [demo.DemoAccount(u, r, w) for u, r, w in _existing()]
        for account in rows:
            self.stdout.write(f"  {account.username:<10} {account.role_label}  @ {account.where}")


def _domain_loaders():
    """``load_demo(stdout=…)`` of every installed app that has a ``demo`` module, in
    INSTALLED_APPS order — the foundation never imports a domain package by name."""
    import importlib
    import importlib.util

    from django.apps import apps

    for config in apps.get_app_configs():
        if not config.name.startswith("shuzheng.") or config.name.startswith(
            "shuzheng.foundation."
        ):
            continue
        if importlib.util.find_spec(f"{config.name}.demo") is None:
            continue
        loader = getattr(importlib.import_module(f"{config.name}.demo"), "load_demo", None)
        if loader is not None:
            yield loader


def _existing():
    from shuzheng.foundation.access.models import RoleGrant

    for grant in (
        RoleGrant.objects.filter(
            revoked_at__isnull=True,
            user__username__in=[
                "sysadmin",
                "secadmin",
                "auditor",
                "clerk",
                "handler",
                "head",
                "operator",
                "grid",
            ],
        )
        .select_related("user", "role", "organisation")
        .order_by("pk")
    ):
        yield grant.user.username, grant.role.name, grant.organisation.name
    yield from [
        ("citizen", "市民", "—"),
        ("macau", "澳门居民", "—"),
        ("legalrep", "企业法定代表人", "—"),
        ("agent", "企业经办人", "—"),
    ]
