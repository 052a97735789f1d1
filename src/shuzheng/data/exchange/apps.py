from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _entry_saved(sender, **kwargs) -> None:
    """A catalogue entry changed (published, re-graded, withdrawn): this process's gateway
    drops its cached service rows once the change commits, so masking and visibility follow
    at the next call here; other processes follow within the cache time."""
    from django.db import transaction

    from shuzheng.data.exchange.gateway import core

    transaction.on_commit(core.forget)


def _blind_index_rotated(sender, **kwargs) -> list[str]:
    """``rotatekeys`` made a new blind-index key: what of the exchange stays under the old
    one (nothing here can be recomputed — the clear values were never stored)."""
    from shuzheng.data.catalog.models import DataItem, MaskRule
    from shuzheng.data.exchange.gateway import core
    from shuzheng.data.exchange.models import ClientApp, ExchangeLog

    lines = []
    logged = ExchangeLog.objects.count()
    if logged:
        users = ExchangeLog.objects.exclude(end_user_hash="").count()
        lines.append(
            f"exchange log (exchange.ExchangeLog): {logged} rows keep the hashed query values "
            f"and record keys of their request digest, {users} of them the hash of X-End-User "
            "(end_user_hash), under the old key: the same end user or record key hashes "
            "differently from now on, so a search for it finds only calls made after this "
            "rotation. Seals and evidence bundles still verify (they digest the stored hashes)."
        )
    legacy = [
        key_id
        for key_id, stored in ClientApp.objects.order_by("key_id").values_list(
            "key_id", "secret_hash"
        )
        if core.is_legacy_secret_hash(stored)
    ]
    if legacy:
        shown = ", ".join(legacy[:20]) + (" …" if len(legacy) > 20 else "")
        lines.append(
            f"exchange client applications: {len(legacy)} had not called the gateway since "
            "their secret hash was made salted, so theirs was still HMAC-SM3 under the old key "
            f"and they now fail with bad_credentials — give them new secrets: {shown}"
        )
    if DataItem.objects.filter(mask=MaskRule.PSEUDONYM).exists():
        lines.append(
            "data items masked as pseudonyms (HMAC-SM3) are delivered by the gateway under "
            "new pseudonyms: consumers cannot link them to the ones they received before."
        )
    return lines


class ExchangeConfig(AppConfig):
    name = "shuzheng.data.exchange"
    label = "exchange"
    verbose_name = _("数据交换网关")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from shuzheng.data.exchange import access_rules, menus  # noqa: F401
        from shuzheng.foundation.trust import pii

        menus.register()
        post_save.connect(
            _entry_saved, sender="datacatalog.CatalogueEntry", dispatch_uid="exchange.entry_saved"
        )
        pii.blind_index_rotated.connect(
            _blind_index_rotated, dispatch_uid="exchange.blind_index_rotated"
        )
