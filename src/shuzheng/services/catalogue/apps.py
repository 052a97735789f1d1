from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "shuzheng.services.catalogue"
    label = "catalogue"
    verbose_name = _("政务服务事项目录")

    def ready(self) -> None:
        from shuzheng.foundation.web import nav
        from shuzheng.services.catalogue import (
            access_rules,  # noqa: F401  (capabilities, rules)
            search,
        )

        search.register()  # published items in foundation.search; the synonym file
        nav.portal("catalogue:services", _("办事服务"), order=10)
        nav.workbench("catalogue:manage", _("事项管理"), "catalogue.edit", order=30)
