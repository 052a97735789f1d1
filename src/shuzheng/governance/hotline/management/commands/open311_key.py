"""``manage.py open311_key``: issue an Open311 ``api_key`` from the command line (the key is
printed once), list the applications, or revoke one by its key prefix."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from shuzheng.foundation import access
from shuzheng.governance.hotline.models import Open311Client
from shuzheng.governance.hotline.services import open311_clients


class Command(BaseCommand):
    help = "Issue an Open311 api_key (--name [--contact]), --list applications, or --revoke PREFIX."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--name", help="application name (应用名称): issue a new key")
        action.add_argument("--list", action="store_true", help="list the applications")
        action.add_argument("--revoke", metavar="PREFIX", help="revoke the key with this prefix")
        parser.add_argument("--contact", default="", help="contact person or e-mail")

    def handle(self, *args, name, list, revoke, contact, **options):  # noqa: A002
        if list:
            return self._list()
        if revoke:
            return self._revoke(revoke)
        try:
            client, key = open311_clients.issue_key(access.SYSTEM, name=name, contact=contact)
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            ) from None
        self.stdout.write(f"issued Open311 key for {client.name} (prefix {client.key_prefix})")
        self.stdout.write("api_key (shown once, store it now):")
        self.stdout.write(key)

    def _list(self):
        for client in open311_clients.clients(access.SYSTEM):
            state = "active" if client.active else "revoked"
            used = client.last_used_at.isoformat(timespec="seconds") if client.last_used_at else "-"
            self.stdout.write(
                f"{client.key_prefix}  {state:7}  requests={client.requests:<6} "
                f"last_used={used}  {client.name}"
            )

    def _revoke(self, prefix: str):
        found = list(Open311Client.objects.filter(key_prefix=prefix, active=True)[:2])
        if len(found) != 1:
            raise CommandError(f"prefix {prefix!r} matches {len(found)} active keys")
        open311_clients.revoke(access.SYSTEM, found[0])
        self.stdout.write(f"revoked the key of {found[0].name} ({prefix})")
