"""``manage.py createstaff``: create a staff account in an organisation, optionally with a
role on that organisation — the operator's way in before anyone can use the workbench."""

import getpass

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shuzheng.foundation import access
from shuzheng.foundation.access import services as access_services
from shuzheng.foundation.access.models import Role
from shuzheng.foundation.identity import services
from shuzheng.foundation.identity.models import Organisation


class Command(BaseCommand):
    help = "Create a staff account: --username --name --org (division code, id or exact name)."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--name", required=True, help="display name (姓名)")
        parser.add_argument(
            "--org", required=True, help="organisation: 行政区划代码, numeric id or exact name"
        )
        parser.add_argument("--position", default="")
        parser.add_argument("--role", help="role code to grant on --org (e.g. security-admin)")
        parser.add_argument("--password", help="omit to be prompted (not echoed)")
        parser.add_argument(
            "--admin-site",
            action="store_true",
            help="open /admin/ for this system administrator (needs --role system-admin)",
        )

    def handle(self, *args, username, name, org, position, role, password, admin_site, **options):
        organisation = self._organisation(org)
        role_obj = None
        if role:
            role_obj = Role.objects.filter(code=role).first()
            if role_obj is None:
                codes = ", ".join(Role.objects.values_list("code", flat=True))
                raise CommandError(f"unknown role {role!r}; roles: {codes}")
        if password is None:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("passwords do not match")
        try:
            with transaction.atomic():
                profile = services.create_staff(
                    access.SYSTEM,
                    organisation=organisation,
                    username=username,
                    display_name=name,
                    password=password,
                    position=position,
                )
                if role_obj is not None:
                    access_services.grant_role(
                        access.SYSTEM, user=profile.user, role=role_obj, organisation=organisation
                    )
                if admin_site:
                    services.open_admin_site(access.SYSTEM, profile.user)
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            ) from None
        granted = f" with role {role_obj.code}" if role_obj else ""
        self.stdout.write(
            self.style.SUCCESS(f"created staff {username} in {organisation.name}{granted}")
        )

    def _organisation(self, value: str) -> Organisation:
        orgs = Organisation.objects.filter(is_active=True)
        found = orgs.filter(division_code=value) | orgs.filter(name=value)
        if value.isdigit():
            found = found | orgs.filter(pk=int(value))
        found = list(found.distinct()[:2])
        if len(found) != 1:
            raise CommandError(
                f"organisation {value!r} matches {len(found)} rows; "
                "give its id, division code or exact name"
            )
        return found[0]
