"""Read queries for role grants, through the policy like every other read."""

from shuzheng.foundation import access
from shuzheng.foundation.access.models import Role, RoleGrant


def grants(user, *, holder=None, active=True):
    rows = access.scope(user, RoleGrant.objects.all(), "access.view_grants")
    if holder is not None:
        rows = rows.filter(user=holder)
    if active:
        rows = rows.filter(revoked_at__isnull=True)
    return rows.select_related("user", "role", "organisation").order_by("-pk")


def grant(user, pk):
    return grants(user, active=False).get(pk=pk)


def roles(user):
    rows = access.scope(user, Role.objects.all(), "access.view_roles")
    return rows.prefetch_related("permissions").order_by("code")
