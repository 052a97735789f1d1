from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridConfig(AppConfig):
    name = "shuzheng.governance.grid"
    label = "grid"
    verbose_name = _("网格")

    def ready(self) -> None:
        from shuzheng.foundation.web import nav
        from shuzheng.governance.grid import access_rules  # noqa: F401

        nav.workbench("grid:map", _("网格地图"), "hotline.view", order=32)
