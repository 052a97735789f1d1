"""Write use-cases for access: granting and revoking roles, with 三员分立 enforced here."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.access.models import Role, RoleGrant
from shuzheng.foundation.identity.services import field_error
from shuzheng.foundation.trust import audit


@transaction.atomic
def grant_role(actor, *, user, role: Role, organisation) -> RoleGrant:
    """授予角色 on an organisation subtree. 三员分立: no account holds two of the system,
    security and audit administrator roles; nobody grants a role to themselves."""
    access.check(actor, organisation, "access.grant_role")
    if actor is not access.SYSTEM and actor.pk == user.pk:
        raise PermissionDenied(_("不能给本人授予角色"))
    # Lock the account row: two concurrent grants of different 三员 roles queue here,
    # and the second one sees the first.
    type(user).objects.select_for_update().filter(pk=user.pk).first()
    if not hasattr(user, "staff"):
        raise ValidationError({"user": _("只能给工作人员账号授予角色")})
    if role.triad:
        held = (
            RoleGrant.objects.filter(user=user, revoked_at__isnull=True)
            .exclude(role__triad="")
            .exclude(role__triad=role.triad)
            .select_related("role")
            .first()
        )
        if held is not None:
            raise field_error(
                "role",
                _(
                    "三员分立：该账号已担任%(held)s，不能再担任%(wanted)s。"
                    "系统管理员、安全管理员、审计管理员须由不同账号担任。"
                )
                % {"held": held.role.get_triad_display(), "wanted": role.get_triad_display()},
                "triad",
            )
    existing = RoleGrant.objects.filter(
        user=user, role=role, organisation=organisation, revoked_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    grant = RoleGrant.objects.create(
        user=user,
        role=role,
        organisation=organisation,
        granted_by=None if actor is access.SYSTEM else actor,
    )
    audit.record(
        actor,
        "access.role.grant",
        grant,
        details={
            "user": user.username,
            "role": role.code,
            "organisation": organisation.pk,
            "triad": role.triad,
        },
    )
    access.forget(user)
    return grant


@transaction.atomic
def revoke_role(actor, grant: RoleGrant) -> RoleGrant:
    """撤销角色授权; the row stays as history."""
    access.check(actor, grant.organisation, "access.grant_role")
    if actor is not access.SYSTEM and actor.pk == grant.user_id:
        raise PermissionDenied(_("不能撤销本人的角色"))
    if grant.revoked_at is None:
        grant.revoked_at = timezone.now()
        grant.revoked_by = None if actor is access.SYSTEM else actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            actor,
            "access.role.revoke",
            grant,
            details={
                "user": grant.user.username,
                "role": grant.role.code,
                "organisation": grant.organisation_id,
            },
        )
        access.forget(grant.user)
    return grant
