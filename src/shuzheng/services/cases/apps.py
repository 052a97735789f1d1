from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "shuzheng.services.cases"
    label = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        from shuzheng.services.cases import access_rules, guards  # noqa: F401  (registers)
