from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    name = "shuzheng.data.exchange"
    label = "exchange"
    verbose_name = _("数据交换网关")

    def ready(self) -> None:
        from shuzheng.data.exchange import access_rules, menus  # noqa: F401

        menus.register()
