"""The open part of the catalogue as DCAT-AP (2.x / 3.0) — what harvesters of open-data
portals read (shared/domain/data.md: "DCAT-AP JSON-LD / Turtle catalogue").

Only entries others can read (published, or being revised: their last publication) whose
*published* 开放类型 is 无条件开放 or 有条件开放 appear, and only through their published
snapshot — never a working copy, never a 不予开放 entry, never a draft. Mapping:

* ``dcat:Dataset``: ``dct:identifier`` = 信息资源代码, ``dct:title`` / ``dct:description`` /
  ``dcat:keyword`` (``zh-Hans`` literals), ``dct:publisher`` (``foaf:Organization``),
  ``dcat:contactPoint`` (元数据维护方), ``dct:accrualPeriodicity`` (更新周期 → the EU frequency
  vocabulary), ``dct:issued`` (first publication) / ``dct:modified`` (last), ``dcat:theme``
  (信息资源分类 as a ``skos:Concept``), ``dct:accessRights`` (无条件开放 → PUBLIC, 有条件开放 →
  RESTRICTED), ``dcat:landingPage`` (the public page), ``dcat:distribution`` by 信息资源格式;
* ``dcat:DataService`` for each running gateway service of the entry (``dcat:endpointURL``,
  ``dcat:servesDataset``), linked from the distributions as ``dcat:accessService``.

``turtle(doc)`` writes the same graph as Turtle (a small writer for exactly this shape).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.db.models import Min
from django.urls import reverse

from shuzheng.data.catalog.models import VISIBLE_STATES, CatalogueEntry, OpenType

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
LANG = "zh-Hans"
EU = "http://publications.europa.eu/resource/authority/"
FREQUENCY = {
    "realtime": "UPDATE_CONT",
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "half_yearly": "ANNUAL_2",
    "yearly": "ANNUAL",
    "irregular": "IRREG",
}
ACCESS_RIGHTS = {
    OpenType.UNCONDITIONAL: EU + "access-right/PUBLIC",
    OpenType.CONDITIONAL: EU + "access-right/RESTRICTED",
}
OPEN_TYPES = (OpenType.UNCONDITIONAL.value, OpenType.CONDITIONAL.value)
IANA = "http://www.iana.org/assignments/media-types/"
# 信息资源格式 → distributions: (EU file type, IANA media type)
DISTRIBUTIONS = {
    "database": [("CSV", "text/csv"), ("JSON", "application/json")],
    "spreadsheet": [
        ("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("CSV", "text/csv"),
    ],
    "document": [("PDF", "application/pdf")],
    "image": [("PNG", "image/png")],
    "stream": [("MP4", "video/mp4")],
    "self_describing": [("JSON", "application/json"), ("XML", "application/xml")],
    "api": [("JSON", "application/json")],
}


def url_code(code: str) -> str:
    """信息资源代码 as it appears in a URL (the "/" stays: see ``urls.EntryCode``)."""
    return code


def open_entries():
    """Entries whose last publication is open (无条件 / 有条件开放), in code order."""
    return (
        CatalogueEntry.objects.filter(
            status__in=VISIBLE_STATES, published__open_type__in=OPEN_TYPES
        )
        .select_related("provider", "maintainer")
        .annotate(first_published=Min("versions__published_at"))
        .order_by("code")
    )


def _text(value: str) -> dict:
    return {"@value": value, "@language": LANG}


def _when(value) -> dict | None:
    if not value:
        return None
    text = value if isinstance(value, str) else value.isoformat()
    return {"@value": text, "@type": "xsd:dateTime"}


def _services(entries) -> dict[int, list]:
    """Running gateway services of ``entries`` (the exchange app may be absent)."""
    try:
        from shuzheng.data.exchange.models import DataService, ServiceStatus
    except ImportError:  # pragma: no cover — installation without the exchange
        return {}
    out: dict[int, list] = {}
    rows = DataService.objects.filter(
        entry__in=[e.pk for e in entries], status=ServiceStatus.ACTIVE
    ).order_by("code", "version")
    for service in rows:
        out.setdefault(service.entry_id, []).append(service)
    return out


def _dataset(entry, base: str, services: list) -> tuple[dict, list[dict]]:
    pub = entry.published
    page = base + reverse("datacatalog:open-entry", args=[url_code(entry.code)])
    dataset_id = page + "#dataset"
    service_nodes = []
    for service in services:
        endpoint = f"{base}/gateway/v1/services/{service.code}/{service.version}/records"
        service_nodes.append(
            {
                "@id": f"{base}/gateway/v1/services/{service.code}/{service.version}/",
                "@type": "dcat:DataService",
                "dct:identifier": f"{service.code}/{service.version}",
                "dct:title": _text(service.name),
                "dcat:endpointURL": {"@id": endpoint},
                "dcat:servesDataset": [{"@id": dataset_id}],
                "dct:accessRights": {"@id": EU + "access-right/RESTRICTED"},
            }
        )
    distributions = []
    for n, (file_type, media) in enumerate(DISTRIBUTIONS.get(pub.get("resource_format"), [])):
        distribution = {
            "@id": f"{page}#distribution-{n + 1}",
            "@type": "dcat:Distribution",
            "dct:title": _text(f"{pub.get('name')}（{file_type}）"),
            "dcat:accessURL": {"@id": page},
            "dct:format": {"@id": EU + "file-type/" + file_type},
            "dcat:mediaType": {"@id": IANA + media},
        }
        if service_nodes:
            distribution["dcat:accessService"] = [{"@id": s["@id"]} for s in service_nodes]
        distributions.append(distribution)
    provider = {"@type": "foaf:Organization", "foaf:name": _text(pub.get("provider_name") or "")}
    if pub.get("provider_code"):
        provider["dct:identifier"] = pub["provider_code"]
    dataset = {
        "@id": dataset_id,
        "@type": "dcat:Dataset",
        "dct:identifier": entry.code,
        "dct:title": _text(pub.get("name") or ""),
        "dct:description": _text(pub.get("summary") or ""),
        "dcat:keyword": [_text(k) for k in pub.get("keywords") or []],
        "dct:publisher": provider,
        "dcat:contactPoint": {
            "@type": "vcard:Organization",
            "vcard:fn": pub.get("maintainer_name") or pub.get("provider_name") or "",
        },
        "dct:accrualPeriodicity": {
            "@id": EU + "frequency/" + FREQUENCY.get(pub.get("update_cycle"), "UNKNOWN")
        },
        "dct:accessRights": {"@id": ACCESS_RIGHTS[pub.get("open_type")]},
        "dcat:theme": [
            {
                "@id": base
                + reverse("datacatalog:open-catalog")
                + "?classification="
                + str(pub.get("classification", "")),
                "@type": "skos:Concept",
                "skos:notation": str(pub.get("classification", "")),
                "skos:prefLabel": _text(pub.get("classification_name") or ""),
            }
        ],
        "dcat:landingPage": {"@id": page},
        "dct:language": {"@id": EU + "language/ZHO"},
        "owl:versionInfo": str(pub.get("version", entry.version)),
        "dcat:distribution": distributions,
    }
    issued = _when(getattr(entry, "first_published", None) or pub.get("published_at"))
    modified = _when(pub.get("published_at"))
    if issued:
        dataset["dct:issued"] = issued
    if modified:
        dataset["dct:modified"] = modified
    if pub.get("open_condition"):
        dataset["dct:rights"] = {
            "@type": "dct:RightsStatement",
            "rdfs:label": _text(pub["open_condition"]),
        }
    return dataset, service_nodes


def base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def catalog(request) -> dict:
    """The open catalogue as a DCAT-AP ``dcat:Catalog`` in JSON-LD."""
    base = base_url(request)
    entries = [e for e in open_entries() if (e.published or {}).get("open_type") in OPEN_TYPES]
    by_entry = _services(entries)
    datasets, services = [], []
    for entry in entries:
        dataset, nodes = _dataset(entry, base, by_entry.get(entry.pk, []))
        datasets.append(dataset)
        services += nodes
    modified = max((e.published.get("published_at") or "" for e in entries), default="")
    doc = {
        "@context": {
            **CONTEXT,
            "owl": "http://www.w3.org/2002/07/owl#",
            "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
        },
        "@id": base + reverse("datacatalog:open-jsonld"),
        "@type": "dcat:Catalog",
        "dct:title": _text(getattr(settings, "DATA_OPEN_CATALOG_TITLE", "珠海市公共数据开放目录")),
        "dct:description": _text(
            getattr(
                settings,
                "DATA_OPEN_CATALOG_DESCRIPTION",
                "珠海市政务信息资源目录中向社会开放的数据资源（DCAT-AP）",
            )
        ),
        "dct:publisher": {
            "@type": "foaf:Organization",
            "foaf:name": _text(
                getattr(settings, "DATA_OPEN_PUBLISHER", "珠海市政务服务数据管理局")
            ),
        },
        "foaf:homepage": {"@id": base + reverse("datacatalog:open-catalog")},
        "dct:language": {"@id": EU + "language/ZHO"},
        "dcat:dataset": datasets,
    }
    if services:
        doc["dcat:service"] = services
    if modified:
        doc["dct:modified"] = _when(modified)
    return doc


# --- Turtle -----------------------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )


def _term(value, indent: str) -> str:
    if isinstance(value, dict):
        if "@value" in value:
            literal = f'"{_escape(str(value["@value"]))}"'
            if "@language" in value:
                return f"{literal}@{value['@language']}"
            if "@type" in value:
                return f"{literal}^^{value['@type']}"
            return literal
        if set(value) == {"@id"}:
            return f"<{value['@id']}>"
        return "[\n" + _body(value, indent + "    ") + f"\n{indent}]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{_escape(str(value))}"'


def _body(node: dict, indent: str) -> str:
    lines = []
    if "@type" in node:
        lines.append(f"{indent}a {node['@type']}")
    for key, value in node.items():
        if key.startswith("@"):
            continue
        values = value if isinstance(value, list) else [value]
        if not values:
            continue
        objects = ", ".join(_term(v, indent) for v in values)
        lines.append(f"{indent}{key} {objects}")
    return " ;\n".join(lines)


def turtle(doc: dict) -> str:
    """The JSON-LD document of :func:`catalog` as Turtle (prefixes from its context; nested
    nodes with an ``@id`` become subjects of their own, the rest blank nodes)."""
    prefixes = "".join(f"@prefix {k}: <{v}> .\n" for k, v in doc["@context"].items())
    subjects: list[dict] = []

    def lift(node: dict) -> dict:
        """Subjects with an IRI and properties are written on their own; here a reference."""
        out = {}
        for key, value in node.items():
            values = value if isinstance(value, list) else [value]
            lifted = []
            for v in values:
                if isinstance(v, dict) and "@id" in v and len(v) > 1:
                    subjects.append(lift(v))
                    lifted.append({"@id": v["@id"]})
                elif isinstance(v, dict) and "@value" not in v and "@id" not in v:
                    lifted.append(lift(v))
                else:
                    lifted.append(v)
            out[key] = lifted if isinstance(value, list) else lifted[0]
        return out

    top = lift({k: v for k, v in doc.items() if k != "@context"})
    blocks, written = [], set()
    for node in [top, *subjects]:
        if node["@id"] in written:  # the same concept under several datasets
            continue
        written.add(node["@id"])
        blocks.append(f"<{node['@id']}>\n" + _body(node, "    ") + " .\n")
    return prefixes + "\n" + "\n".join(blocks)


def dumps(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2)
