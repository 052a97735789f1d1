from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "shuzheng.foundation.identity"
    label = "identity"
    verbose_name = _("统一身份")

    def ready(self) -> None:
        from shuzheng.foundation.identity import access_rules  # noqa: F401  (registers rules)
