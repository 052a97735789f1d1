"""The published form of an entry: what ``CatalogueEntry.published`` and each
``EntryVersion.snapshot`` hold, and what everyone but the owner reads (the catalogue pages,
search, sharing requests, the gateway's item definitions, DCAT-AP). One function writes it
so every reader sees the same keys."""

from __future__ import annotations

from shuzheng.data.catalog.models import CatalogueEntry, DataItem

ITEM_KEYS = (
    "code",
    "name",
    "data_type",
    "length",
    "description",
    "is_key",
    "personal",
    "sensitive_personal",
    "mask",
    "grade",
    "impact_object",
    "impact_degree",
    "grade_basis",
)
ENTRY_KEYS = (
    "code",
    "name",
    "kind",
    "theme",
    "summary",
    "resource_format",
    "keywords",
    "update_cycle",
    "share_type",
    "share_condition",
    "share_method",
    "not_shared_basis",
    "open_type",
    "open_condition",
    "on_platform",
    "grade",
    "impact_object",
    "impact_degree",
    "grade_basis",
    "provider_code",
)


def item_dict(item: DataItem) -> dict:
    return {key: getattr(item, key) for key in ITEM_KEYS}


def snapshot(entry: CatalogueEntry, *, version: int, published_at) -> dict:
    """The working copy of ``entry`` as it is published as ``version`` at ``published_at``."""
    data = {key: getattr(entry, key) for key in ENTRY_KEYS}
    data.update(
        classification=entry.classification.code,
        classification_name=entry.classification.name,
        provider=entry.provider_id,
        provider_name=entry.provider.name,
        maintainer=entry.maintainer_id,
        maintainer_name=entry.maintainer.name,
        related=sorted(entry.related.values_list("code", flat=True)),
        sources=sorted(entry.sources.values_list("code", flat=True)),
        version=version,
        published_at=published_at.isoformat(),
        items=[item_dict(item) for item in entry.items.order_by("sort_order", "pk")],
    )
    return data


def items_of(entry: CatalogueEntry) -> list[dict]:
    """The published 信息项 of ``entry`` (empty before its first publication)."""
    return list((entry.published or {}).get("items", []))


def item_codes(entry: CatalogueEntry) -> list[str]:
    return [item["code"] for item in items_of(entry)]
