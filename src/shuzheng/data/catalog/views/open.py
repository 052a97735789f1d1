"""开放目录 (portal, anyone): the entries whose last publication is open, their public
pages, and the DCAT-AP catalogue for harvesters (JSON-LD, Turtle). Only published snapshots
of 无条件 / 有条件开放 entries are shown — never a working copy, a grade or a masking rule."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from shuzheng.data.catalog import dcat, selectors
from shuzheng.data.catalog.models import VISIBLE_STATES, CatalogueEntry, OpenType, UpdateCycle
from shuzheng.data.catalog.views.catalog import label, labelled
from shuzheng.data.catalog.views.common import int_or_none
from shuzheng.foundation.identity.models import Organisation

PAGE_SIZE = 20
OPEN = [OpenType.UNCONDITIONAL.value, OpenType.CONDITIONAL.value]


def _row(entry) -> dict:
    pub = entry.published
    return {
        "code": entry.code,
        "name": pub.get("name"),
        "summary": pub.get("summary"),
        "provider": pub.get("provider_name"),
        "classification": pub.get("classification_name"),
        "update_cycle": label("update_cycle", pub.get("update_cycle")),
        "open_type": label("open_type", pub.get("open_type")),
        "open_type_value": pub.get("open_type"),
        "resource_format": label("resource_format", pub.get("resource_format")),
        "published_at": entry.published_at,
    }


@require_GET
def open_catalog(request):
    """开放目录: search and browse the open entries (by 更新周期 and 提供方)."""
    q = " ".join((request.GET.get("q") or "").split())[: selectors.MAX_QUERY]
    cycle = request.GET.get("cycle") if request.GET.get("cycle") in UpdateCycle.values else ""
    provider = int_or_none(request.GET.get("provider"))
    classification = (request.GET.get("classification") or "").strip()[:9]
    base = dcat.open_entries()
    offset = max(int_or_none(request.GET.get("offset")) or 0, 0)
    kept = {k: v for k, v in (("q", q), ("cycle", cycle), ("provider", provider)) if v}
    page = results = None
    if q:
        facets = {"open_type": OPEN}
        if cycle:
            facets["update_cycle"] = cycle
        if provider:
            facets["provider"] = provider
        results = selectors.search(request.user, q, facets=facets, limit=PAGE_SIZE, offset=offset)
        open_ids = set(base.filter(pk__in=[h.pk for h in results]).values_list("pk", flat=True))
        entries = [h.object for h in results if h.pk in open_ids]
    else:
        rows = base
        if cycle:
            rows = rows.filter(published__update_cycle=cycle)
        if provider:
            rows = rows.filter(provider_id=provider)
        if classification:
            rows = rows.filter(published__classification__startswith=classification)
        page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
        entries = list(page)
    providers = Organisation.objects.filter(
        pk__in=CatalogueEntry.objects.filter(
            status__in=VISIBLE_STATES, published__open_type__in=OPEN
        ).values("provider_id")
    ).order_by("path")
    return render(
        request,
        "datacatalog/open/list.html",
        {
            "q": q,
            "rows": [_row(e) for e in entries],
            "page": page,
            "results": results,
            "cycle": cycle,
            "provider": provider,
            "cycles": UpdateCycle.choices,
            "providers": [(o.pk, o.name) for o in providers],
            "query": urlencode(kept),
            "next_url": "?" + urlencode({**kept, "offset": offset + PAGE_SIZE})
            if results is not None and results.has_more
            else "",
            "previous_url": "?" + urlencode({**kept, "offset": max(offset - PAGE_SIZE, 0)})
            if results is not None and offset
            else "",
        },
    )


@require_GET
def open_entry(request, code: str):
    """One open entry's public page (its last publication)."""
    entry = dcat.open_entries().filter(code=code).first()
    if entry is None or entry.published.get("open_type") not in OPEN:
        raise Http404(code)
    pub = labelled(entry.published)
    items = [
        {
            "code": i.get("code"),
            "name": i.get("name"),
            "data_type_label": label("data_type", i.get("data_type")),
            "length": i.get("length"),
            "description": i.get("description"),
        }
        for i in entry.published.get("items", [])
    ]
    return render(
        request,
        "datacatalog/open/entry.html",
        {
            "entry": entry,
            "pub": pub,
            "items": items,
            "distributions": [
                f for f, _m in dcat.DISTRIBUTIONS.get(pub.get("resource_format"), [])
            ],
        },
    )


def _linked_data(body: str, content_type: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Access-Control-Allow-Origin"] = "*"  # public metadata for harvesters
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def open_jsonld(request):
    """DCAT-AP catalogue as JSON-LD."""
    return _linked_data(dcat.dumps(dcat.catalog(request)), "application/ld+json; charset=utf-8")


@require_GET
def open_turtle(request):
    """DCAT-AP catalogue as Turtle."""
    return _linked_data(dcat.turtle(dcat.catalog(request)), "text/turtle; charset=utf-8")


urlpatterns = [
    path("open/catalog/", open_catalog, name="open-catalog"),
    path("open/catalog.jsonld", open_jsonld, name="open-jsonld"),
    path("open/catalog.ttl", open_turtle, name="open-ttl"),
    path("open/catalog/<entrycode:code>/", open_entry, name="open-entry"),
]
