"""Orders on the map: ``map_points`` / ``heat_cells`` see only what ``hotline.view`` lets the
user see (a street officer his street's orders, the city operator the city's, a citizen the
ones he reported); the public map data (``grid:locate``, ``grid:geojson``) answer bad input
with problem+json; the picker and order-map tags render usable, script-free markup; and the
operations-centre map is refused to citizens."""

import json
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.governance.hotline.selectors import map as order_map
from tests.governance.conftest import IN_GONGBEI, IN_JINGAN

KEYS = {"lat", "lng", "number", "title", "state", "state_label", "category", "url"}


@pytest.fixture
def citizen(db):
    return identity.register_account(
        access.SYSTEM, username="citizen-map", display_name="市民", password="Zhuhai@2026x"
    )


@pytest.fixture
def orders(hl, order_factory, citizen):
    """拱北: one order handled by the street, one still at the centre (reported by the
    citizen); 井岸: one order still at the centre."""
    at_street = order_factory("dispatched")
    at_centre = order_factory(reporter=citizen)
    jingan = order_factory(
        latitude=IN_JINGAN[0],
        longitude=IN_JINGAN[1],
        address="井岸镇新青路 1 号",
        content="井岸镇新青路垃圾桶满了没人清理。",
    )
    return at_street, at_centre, jingan


def _numbers(points):
    return {p["number"] for p in points}


# --- selectors -------------------------------------------------------------------------------


def test_a_street_officer_sees_only_his_streets_orders_on_the_map(hl, orders):
    at_street, at_centre, jingan = orders
    assert _numbers(order_map.map_points(hl.gb_handler)) == {at_street.number}
    assert _numbers(order_map.map_points(hl.jingan_handler)) == set()
    assert _numbers(order_map.map_points(hl.operator)) == {
        at_street.number,
        at_centre.number,
        jingan.number,
    }


def test_a_citizen_sees_only_what_he_reported(orders, citizen):
    _, at_centre, _ = orders
    assert _numbers(order_map.map_points(citizen)) == {at_centre.number}


def test_points_carry_what_the_map_shows(hl, orders):
    at_street = orders[0]
    (point,) = order_map.map_points(hl.gb_handler)
    assert set(point) == KEYS
    assert point["number"] == at_street.number
    assert (point["lat"], point["lng"]) == IN_GONGBEI
    assert point["state"] == "dispatched" and point["state_label"] == "已派单"
    assert point["category"] == "垃圾清运"
    assert point["url"] is None or at_street.number in point["url"]


def test_map_filters_by_category_subtree_state_and_limit(hl, orders):
    assert len(order_map.map_points(hl.operator, category=hl.urban)) == 3
    assert len(order_map.map_points(hl.operator, category="0101")) == 3
    assert order_map.map_points(hl.operator, category=hl.social) == []
    assert _numbers(order_map.map_points(hl.operator, state="dispatched")) == {orders[0].number}
    assert len(order_map.map_points(hl.operator, state="open")) == 3
    assert order_map.map_points(hl.operator, state="closed") == []
    newest = order_map.map_points(hl.operator, limit=1)
    assert _numbers(newest) == {orders[2].number}


def test_map_filters_by_period_with_whole_days(hl, orders):
    import datetime as dt

    from django.utils import timezone

    from shuzheng.governance.hotline.models import WorkOrder

    late_evening = timezone.make_aware(dt.datetime(2020, 1, 10, 23, 30))
    WorkOrder.objects.filter(pk=orders[0].pk).update(created_at=late_evening)
    day = dt.date(2020, 1, 10)
    assert _numbers(order_map.map_points(hl.operator, start=day, end=day)) == {orders[0].number}
    assert (
        order_map.map_points(
            hl.operator, start=day + dt.timedelta(days=1), end=day + dt.timedelta(days=1)
        )
        == []
    )
    assert order_map.map_points(hl.operator, end=late_evening - dt.timedelta(minutes=1)) == []
    heat = order_map.heat_cells(hl.operator, start=day, end=day)
    assert [(h["code"], h["count"]) for h in heat] == [("440402005-01", 1)]


def test_heat_counts_orders_per_cell_within_scope(hl, orders):
    heat = {h["code"]: h["count"] for h in order_map.heat_cells(hl.operator)}
    assert heat == {"440402005-01": 2, "440403100-01": 1}
    assert {h["code"]: h["count"] for h in order_map.heat_cells(hl.gb_handler)} == {
        "440402005-01": 1
    }
    assert order_map.heat_cells(hl.jingan_handler) == []
    (row,) = order_map.heat_cells(hl.gb_handler)
    assert row["street"] == "拱北街道" and row["district"] == "香洲区"
    assert row["lat"] is not None and row["lng"] is not None


def test_nobody_signed_out_sees_anything(orders):
    from django.contrib.auth.models import AnonymousUser

    assert order_map.map_points(AnonymousUser()) == []
    assert order_map.heat_cells(AnonymousUser()) == []


# --- grid:locate and grid:geojson ------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["", "?lat=22.2", "?lat=abc&lng=113.5", "?lat=nan&lng=113.5", "?lat=95&lng=113.5",
     "?lat=22.2&lng=inf", "?lat=22.2&lng=-181"],
)  # fmt: skip
def test_locate_answers_bad_coordinates_with_a_problem(client, hl, query):
    response = client.get(reverse("grid:locate") + query)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 400 and body["errors"]
    assert {e["field"] for e in body["errors"]} <= {"lat", "lng"}


def test_locate_names_the_cell_street_and_district(client, hl):
    url = reverse("grid:locate")
    body = client.get(url, {"lat": IN_GONGBEI[0], "lng": IN_GONGBEI[1]}).json()
    assert body == {
        "cell": {"code": "440402005-01", "name": "拱北一网格"},
        "street": "拱北街道",
        "district": "香洲区",
    }
    assert client.get(url, {"lat": 22.6, "lng": 113.9}).json() == {
        "cell": None,
        "street": None,
        "district": None,
    }


def test_geojson_has_outlines_and_cells_and_revalidates(client, tree):
    from shuzheng.governance.grid import services

    services.load_demo(access.SYSTEM)
    url = reverse("grid:geojson")
    response = client.get(url)
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["type"] == "FeatureCollection"
    kinds = {f["properties"]["kind"] for f in data["features"]}
    assert kinds == {"district", "street", "cell"}
    gongbei = next(f for f in data["features"] if f["properties"]["name"] == "拱北街道")
    assert gongbei["properties"]["parent"] == "香洲区"
    assert gongbei["properties"]["schematic"] is True
    assert gongbei["geometry"]["type"] == "Polygon"
    again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    outlines = json.loads(client.get(url, {"cells": "0"}).content)
    assert "cell" not in {f["properties"]["kind"] for f in outlines["features"]}
    assert client.get(url, {"district": "x"}).status_code == 400


def test_geojson_etag_changes_when_a_cell_moves(client, hl):
    url = reverse("grid:geojson")
    before = client.get(url)["ETag"]
    cell = hl.cells[0]
    cell.max_lat += 0.001
    cell.save()
    assert client.get(url)["ETag"] != before


# --- template tags ---------------------------------------------------------------------------


def _render(text, **context):
    request = RequestFactory().get("/")
    return Template("{% load grid_maps %}" + text).render(Context({"request": request, **context}))


def _inline_scripts(html):
    """<script> tags that would run inline code (json_script data blocks don't run)."""
    tags = re.findall(r"<script\b[^>]*>", html)
    return [t for t in tags if "src=" not in t and 'type="application/json"' not in t]


def test_the_picker_renders_the_named_inputs_and_no_inline_script(db):
    html = _render('{% map_picker "latitude" "longitude" "address" %}')
    assert re.search(r'<input[^>]*id="latitude"[^>]*name="latitude"', html)
    assert re.search(r'<input[^>]*id="longitude"[^>]*name="longitude"', html)
    assert 'data-address-field="address"' in html
    assert 'data-locate-url="/grid/locate/"' in html
    assert "使用我的位置" in html
    assert '<label class="form-label small mb-0" for="latitude">' in html
    assert "grid/maps.js" in html and "echarts.min.js" in html
    assert _inline_scripts(html) == []


def test_the_picker_keeps_submitted_values_and_loads_scripts_once(db):
    request = RequestFactory().post("/", {"latitude": "22.2195", "longitude": "113.545"})
    html = Template(
        '{% load grid_maps %}{% map_picker "latitude" "longitude" %}{% order_map points %}'
    ).render(Context({"request": request, "points": []}))
    assert 'value="22.2195"' in html and 'value="113.545"' in html
    assert html.count("grid/maps.js") == 1


def test_the_order_map_lists_the_points_for_readers_without_the_map(db):
    points = [
        {"lat": 22.2195, "lng": 113.545, "number": "GD1", "title": "<b>垃圾</b>",
         "state": "handling", "state_label": "办理中", "category": "垃圾清运", "url": "/x/GD1/"},
        {"lat": None, "lng": None, "number": "GD2", "title": "无坐标", "state": "registered"},
    ]  # fmt: skip
    html = _render("{% order_map points heat=True %}", points=points)
    assert '<a href="/x/GD1/">GD1</a>' in html
    assert "&lt;b&gt;垃圾&lt;/b&gt;" in html  # escaped
    assert "GD2" not in html  # no coordinates: not on the map
    data = json.loads(re.search(r'type="application/json">(.*?)</script>', html, re.S).group(1))
    assert data["heat"] == [[113.545, 22.2195, 1]]
    assert data["points"][0]["label"] == "<b>垃圾</b>"
    assert _inline_scripts(html) == []


# --- grid:map --------------------------------------------------------------------------------


def test_the_map_page_is_refused_to_a_citizen_and_asks_strangers_to_sign_in(client, citizen):
    url = reverse("grid:map")
    response = client.get(url)
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(citizen)
    assert client.get(url).status_code == 403


def test_the_map_page_shows_a_street_officer_only_his_streets_orders(client, hl, orders):
    at_street, at_centre, jingan = orders
    client.force_login(hl.gb_handler)
    response = client.get(reverse("grid:map"))
    assert response.status_code == 200
    html = response.content.decode()
    assert at_street.number in html
    assert at_centre.number not in html and jingan.number not in html
    assert _inline_scripts(html) == []
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_the_map_page_filters_for_the_operator(client, hl, orders):
    at_street, at_centre, jingan = orders
    client.force_login(hl.operator)
    url = reverse("grid:map")
    html = client.get(url, {"period": "all"}).content.decode()
    assert all(o.number in html for o in orders)
    html = client.get(url, {"state": "dispatched", "period": "7"}).content.decode()
    assert at_street.number in html and jingan.number not in html
    html = client.get(url, {"category": "0201"}).content.decode()
    assert at_street.number not in html
    # unknown filter values fall back to the defaults instead of failing
    assert client.get(url, {"state": "nope", "period": "9", "category": "zz"}).status_code == 200
