from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "shuzheng.governance.grid"
    label = "grid"
    verbose_name = _("网格")

    def ready(self) -> None:
        from shuzheng.governance.grid import access_rules  # noqa: F401
