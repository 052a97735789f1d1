from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogueConfig(AppConfig):
    name = "shuzheng.services.catalogue"
    label = "catalogue"
    verbose_name = _("政务服务事项目录")

    def ready(self) -> None:
        from shuzheng.services.catalogue import (
            access_rules,  # noqa: F401  (capabilities, rules)
            search,
        )

        search.register()  # published items in foundation.search; the synonym file
