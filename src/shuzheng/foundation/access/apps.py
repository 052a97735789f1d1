from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "shuzheng.foundation.access"
    label = "access"
    verbose_name = _("访问控制")

    def ready(self) -> None:
        from shuzheng.foundation.access import capabilities, registry, roles
        from shuzheng.foundation.access.models import Role, RoleGrant

        capabilities.register_all()
        registry.rule(RoleGrant, org="organisation", owner="user")
        registry.rule(Role, org=None)
        post_migrate.connect(registry.sync_permissions, sender=self)
        post_migrate.connect(roles.ensure_builtin_roles, sender=self)
