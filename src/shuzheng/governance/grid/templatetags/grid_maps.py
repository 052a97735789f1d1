"""Offline maps in any page (ECharts with our own schematic outlines; no tile server):

    {% load grid_maps %}
    {% map_picker "latitude" "longitude" "address" %}     a location picker inside a form
    {% order_map points heat=True %}                      orders as points (+ heat layer)

The behaviour lives in ``grid/maps.js`` (the Content-Security-Policy allows no inline
script); data reach it through ``json_script`` and the ``grid:geojson`` / ``grid:locate``
URLs. Both work without JavaScript: the picker's latitude/longitude are ordinary number
inputs, and the order map lists the orders in a table.
"""

import itertools

from django import template
from django.urls import reverse

register = template.Library()

_ids = itertools.count(1)
_SCRIPTS_FLAG = "_grid_maps_scripts"
TABLE_ROWS = 20


def _scripts_once(context) -> bool:
    """Whether this render still has to load echarts and maps.js (once per request)."""
    request = context.get("request")
    if request is None:
        flag = context.render_context
        if flag.get(_SCRIPTS_FLAG):
            return False
        flag[_SCRIPTS_FLAG] = True
        return True
    if getattr(request, _SCRIPTS_FLAG, False):
        return False
    setattr(request, _SCRIPTS_FLAG, True)
    return True


def _value(context, name: str, given):
    if given not in (None, ""):
        return given
    request = context.get("request")
    if request is None or not name:
        return ""
    data = request.POST if request.method == "POST" else request.GET
    return data.get(name, "")


@register.inclusion_tag("grid/_map_picker.html", takes_context=True)
def map_picker(
    context, lat_field="latitude", lng_field="longitude", address_field="", lat=None, lng=None
):
    """A clickable map that fills the inputs named (and id'd) ``lat_field`` / ``lng_field``
    and shows the grid cell, street and district of the point; "使用我的位置"; without
    JavaScript the two inputs are filled by hand. ``address_field``: the id/name of the
    form's address input, filled with the street and district when still empty."""
    return {
        "uid": f"grid-picker-{next(_ids)}",
        "lat_field": lat_field,
        "lng_field": lng_field,
        "address_field": address_field or "",
        "lat": _value(context, lat_field, lat),
        "lng": _value(context, lng_field, lng),
        "geojson_url": reverse("grid:geojson") + "?cells=0",
        "locate_url": reverse("grid:locate"),
        "scripts": _scripts_once(context),
    }


def _point(p: dict) -> dict:
    return {
        "lat": p.get("lat"),
        "lng": p.get("lng"),
        "number": p.get("number", ""),
        "label": p.get("label") or p.get("title") or p.get("number", ""),
        "state": p.get("state", ""),
        "state_label": p.get("state_label") or p.get("state", ""),
        "category": p.get("category", ""),
        "url": p.get("url") or "",
    }


@register.inclusion_tag("grid/_order_map.html", takes_context=True)
def order_map(context, points, heat=False, cells=False, height=480, caption=""):
    """A read-only map of work orders: ``points`` are dicts {lat, lng, number?, title or
    label, state, state_label?, category?, url?} (as ``hotline.selectors.map.map_points``
    gives); ``heat`` True draws a heat layer from the points, or a list of
    ``heat_cells`` rows weights it by grid cell; ``cells`` draws the grid cells too."""
    rows = [
        _point(p) for p in points or [] if p.get("lat") is not None and p.get("lng") is not None
    ]
    if isinstance(heat, list | tuple):
        heat_data = [[h["lng"], h["lat"], h["count"]] for h in heat if h.get("lat") is not None]
    elif heat:
        heat_data = [[p["lng"], p["lat"], 1] for p in rows]
    else:
        heat_data = []
    uid = f"order-map-{next(_ids)}"
    url = reverse("grid:geojson") + ("" if cells else "?cells=0")
    return {
        "uid": uid,
        "data_id": f"{uid}-data",
        "data": {"points": rows, "heat": heat_data, "cells": bool(cells)},
        "rows": rows[:TABLE_ROWS],
        "more": max(0, len(rows) - TABLE_ROWS),
        "total": len(rows),
        "geojson_url": url,
        "height": int(height),
        "caption": caption,
        "scripts": _scripts_once(context),
    }
