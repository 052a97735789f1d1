"""Grid pages and map data: where a point lies (``grid:locate``), the outlines and cells as
GeoJSON (``grid:geojson``), and the operations centre's map of work orders (``grid:map``).

``locate`` and ``geojson`` are public: they reveal only reference data (schematic outlines
and cell shapes), which the portal's location picker needs before anyone signs in. The
order map reads orders only through ``hotline.selectors.map`` (scoped by hotline.view).
"""

import datetime as dt
import hashlib
import json
import threading
from collections import Counter

from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.template.loader import select_template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET

from shuzheng.foundation import access
from shuzheng.foundation.api.problems import PROBLEM_JSON, problem
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.web.views import require
from shuzheng.governance.grid import selectors, services

GEOJSON_MAX_AGE = 300
_layers: dict[str, bytes] = {}
_layers_lock = threading.Lock()
PERIODS = [
    ("7", _l("近 7 天")),
    ("30", _l("近 30 天")),
    ("90", _l("近 90 天")),
    ("365", _l("近一年")),
    ("all", _l("全部")),
]
DEFAULT_PERIOD = "30"
MAX_POINTS = 5000


def _bad_request(errors: dict) -> JsonResponse:
    body = problem(
        400,
        detail=_("请提供有效的经纬度。"),
        code="invalid",
        errors=[
            {"field": field, "message": str(message), "code": "invalid"}
            for field, message in errors.items()
        ],
    )
    return JsonResponse(
        body, status=400, content_type=PROBLEM_JSON, json_dumps_params={"ensure_ascii": False}
    )


def _coordinate(raw, low: float, high: float):
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    if value != value or not (low <= value <= high):  # NaN, out of range
        return None
    return value


@require_GET
def locate(request):
    """GET ?lat=&lng= → {"cell": {"code", "name"} | null, "street", "district"} (names or
    null); 400 problem+json when a coordinate is missing or not a valid number."""
    lat = _coordinate(request.GET.get("lat"), -90, 90)
    lng = _coordinate(request.GET.get("lng"), -180, 180)
    errors = {}
    if lat is None:
        errors["lat"] = _("纬度须为 -90 至 90 之间的数字。")
    if lng is None:
        errors["lng"] = _("经度须为 -180 至 180 之间的数字。")
    if errors:
        return _bad_request(errors)
    cell = services.locate(lat, lng)
    if cell is not None:
        street, district = cell.street, services.district_of(cell)
    else:
        street, district = services.area_at(lat, lng)
    response = JsonResponse(
        {
            "cell": {"code": cell.code, "name": cell.name} if cell else None,
            "street": street.name if street else None,
            "district": district.name if district else None,
        },
        json_dumps_params={"ensure_ascii": False},
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def geojson(request):
    """The schematic outlines (and, unless ?cells=0, the active grid cells) as a GeoJSON
    FeatureCollection; ?district=<id> limits it to one district or zone. Cached per
    process and revalidated by ETag."""
    with_cells = request.GET.get("cells", "1") not in ("0", "false", "no")
    district = None
    raw = request.GET.get("district", "")
    if raw:
        if not raw.isdigit():
            return _bad_request({"district": _("区的编号无效。")})
        district = Organisation.objects.filter(pk=int(raw)).first()
        if district is None:
            return _bad_request({"district": _("区的编号无效。")})
    key = f"{selectors.fingerprint()}|{int(with_cells)}|{district.pk if district else ''}"
    etag = f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        body = _layers.get(key)
        if body is None:
            data = selectors.geojson(with_cells=with_cells, district=district)
            body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
            with _layers_lock:
                if len(_layers) > 32:
                    _layers.clear()
                _layers[key] = body
        response = HttpResponse(body, content_type="application/geo+json")
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={GEOJSON_MAX_AGE}"
    return response


def _filters(user, params) -> tuple[dict, dict]:
    """(filters for the map selectors, the form's values), from the query string."""
    from shuzheng.governance.hotline.models import Category, OrderState

    values = {
        "category": params.get("category", ""),
        "period": params.get("period", DEFAULT_PERIOD),
        "state": params.get("state", ""),
    }
    filters = {}
    categories = access.scope(
        user, Category.objects.filter(is_active=True, level__lte=2), "hotline.view"
    )
    if values["category"] and categories.filter(code=values["category"]).exists():
        filters["category"] = values["category"]
    else:
        values["category"] = ""
    if values["period"] not in dict(PERIODS):
        values["period"] = DEFAULT_PERIOD
    if values["period"] != "all":
        today = timezone.localdate()
        filters["start"] = today - dt.timedelta(days=int(values["period"]) - 1)
        filters["end"] = today
    states = {"open", *OrderState.values}
    if values["state"] in states:
        filters["state"] = values["state"]
    else:
        values["state"] = ""
    return filters, values


def _base_template():
    """The operations centre's layout."""
    return select_template(["ops/base.html"])


@require_GET
@require("hotline.view")
def order_map(request):
    """运行中心 · 网格地图: the orders the user may see as points coloured by state, a heat
    map per grid cell and the grid cells; filters: category, period, state."""
    from shuzheng.governance.hotline.models import Category, OrderState
    from shuzheng.governance.hotline.selectors import map as order_points

    user = request.user
    filters, values = _filters(user, request.GET)
    points = order_points.map_points(user, limit=MAX_POINTS, **filters)
    heat = order_points.heat_cells(user, **filters)
    by_state = Counter(p["state_label"] for p in points)
    categories = access.scope(
        user, Category.objects.filter(is_active=True, level__lte=2), "hotline.view"
    ).order_by("code")
    return render(
        request,
        "grid/map.html",
        {
            "base": _base_template(),
            "points": points,
            "heat": heat,
            "top_cells": heat[:10],
            "by_state": sorted(by_state.items(), key=lambda kv: -kv[1]),
            "truncated": len(points) >= MAX_POINTS,
            "values": values,
            "periods": PERIODS,
            "categories": [(c.code, ("\u3000" * (c.level - 1)) + c.name) for c in categories],
            "states": [("open", _("未办结")), *OrderState.choices],
            "max_points": MAX_POINTS,
        },
    )
