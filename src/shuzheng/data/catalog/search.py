"""The catalogue in ``foundation.search``: registered from ``CatalogConfig.ready()``.

A visible entry (published, or being revised) is a document built from its *publication*
(``CatalogueEntry.published``) — never from a working copy, and drafts, entries under review
and withdrawn ones never enter the index: title = the name, keywords = the keywords, the
items' names, the provider's names, the classification and theme, body = the summary.
Facets (``facets()`` names them): provider, kind, share type, level, update cycle, open type.

Who reads what is decided by the selectors (``selectors.search``), which pass the rows the
reader may see as ``within``: anyone holding ``datacatalog.view`` reads every visible
entry, others only the open ones. The registration's capability is therefore the public
``datacatalog.open``: a query naming no model (a future site-wide search) must add the same
``within`` as ``selectors.search`` before showing a catalogue entry.
"""

from __future__ import annotations

from shuzheng.data.catalog.models import VISIBLE_STATES, CatalogueEntry, OpenType
from shuzheng.foundation import search
from shuzheng.foundation.identity.models import Organisation

PERM = "datacatalog.open"
FACETS = {
    "provider": "provider",
    "kind": "kind",
    "share_type": "share",
    "grade": "grade",
    "update_cycle": "cycle",
    "open_type": "open",
}


def facet(name: str, value) -> str:
    """The index facet of filter ``name`` (a key of ``FACETS``) = ``value``."""
    return f"{FACETS[name]}:{value}"


def indexed_entries():
    return CatalogueEntry.objects.filter(status__in=VISIBLE_STATES).select_related(
        "provider", "classification"
    )


def _for_indexing(rows):
    return rows.select_related("provider", "classification")


def _published(entry: CatalogueEntry) -> dict:
    return entry.published or {}


def _title(entry: CatalogueEntry) -> str:
    return _published(entry).get("name") or entry.name


def _keywords(entry: CatalogueEntry) -> list[str]:
    data = _published(entry)
    org = entry.provider
    return [
        *(str(k) for k in data.get("keywords") or []),
        *(str(i.get("name") or "") for i in data.get("items") or []),
        data.get("provider_name") or "",
        org.name,
        org.short_name,
        *(org.alt_names or []),
        data.get("classification_name") or "",
        data.get("theme") or "",
    ]


def _body(entry: CatalogueEntry) -> str:
    return _published(entry).get("summary") or ""


def _facets(entry: CatalogueEntry) -> list[str]:
    data = _published(entry)
    return [
        facet("provider", entry.provider_id),
        facet("kind", data.get("kind") or entry.kind),
        facet("share_type", data.get("share_type") or entry.share_type),
        facet("grade", data.get("grade") or entry.grade),
        facet("update_cycle", data.get("update_cycle") or entry.update_cycle),
        facet("open_type", data.get("open_type") or entry.open_type),
    ]


def _entries_of_provider(org: Organisation):
    return CatalogueEntry.objects.filter(provider=org).values_list("pk", flat=True)


def register() -> None:
    """Declare how catalogue entries are searched (idempotent)."""
    search.register(
        CatalogueEntry,
        perm=PERM,
        title=_title,
        keywords=_keywords,
        body=_body,
        public=lambda e: _published(e).get("open_type", OpenType.NONE) != OpenType.NONE,
        org_path="provider.path",
        queryset=indexed_entries,
        for_indexing=_for_indexing,
        facets=_facets,
        depends_on=[(Organisation, _entries_of_provider)],
    )


def ensure_registered() -> None:
    from shuzheng.foundation.search.registry import SPECS

    if CatalogueEntry not in SPECS:
        register()
