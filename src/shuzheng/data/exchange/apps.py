from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _entry_saved(sender, **kwargs) -> None:
    """A catalogue entry changed (published, re-graded, withdrawn): this process's gateway
    drops its cached service rows once the change commits, so masking and visibility follow
    at the next call here; other processes follow within the cache time."""
    from django.db import transaction

    from shuzheng.data.exchange.gateway import core

    transaction.on_commit(core.forget)


class ExchangeConfig(AppConfig):
    name = "shuzheng.data.exchange"
    label = "exchange"
    verbose_name = _("数据交换网关")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from shuzheng.data.exchange import access_rules, menus  # noqa: F401

        menus.register()
        post_save.connect(
            _entry_saved, sender="datacatalog.CatalogueEntry", dispatch_uid="exchange.entry_saved"
        )
