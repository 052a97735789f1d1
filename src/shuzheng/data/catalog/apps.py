from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "shuzheng.data.catalog"
    label = "datacatalog"
    verbose_name = _("政务数据资源目录")

    def ready(self) -> None:
        from shuzheng.data.catalog import access_rules, menus, search  # noqa: F401

        menus.register()
        search.register()  # visible entries (their publication) in foundation.search
