"""The offline maps in a real browser (Debian's chromium; skipped with a notice where there is
none): the picker fills the inputs and names the grid cell after a click on the map, and the
operations-centre map draws points, heat and cells — under the Content-Security-Policy, with
no console errors and no request leaving the site."""

import pytest
from django.http import HttpResponse
from django.template import engines
from django.test import Client
from django.urls import include, path

from shuzheng.foundation import access
from shuzheng.governance.grid import services
from tests.governance.conftest import IN_GONGBEI

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PICKER_PAGE = (
    "{% extends 'web/base.html' %}{% load grid_maps %}{% block content %}"
    "<form method='post'><label for='address'>地址</label>"
    "<input id='address' name='address' class='form-control'>"
    "{% map_picker 'latitude' 'longitude' 'address' %}</form>{% endblock %}"
)


def picker_page(request):
    return HttpResponse(engines["django"].from_string(PICKER_PAGE).render({}, request))


urlpatterns = [
    path("test-picker/", picker_page),
    path("", include("shuzheng.config.urls")),
]


def _page(browser, live_server, user=None):
    context = browser.new_context(locale="zh-CN")
    if user is not None:
        client = Client()
        client.force_login(user)
        context.add_cookies(
            [
                {
                    "name": "sessionid",
                    "value": client.cookies["sessionid"].value,
                    "url": live_server.url,
                }
            ]
        )
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "request",
        lambda r: (
            problems.append("offsite " + r.url)
            if not r.url.startswith(live_server.url) and not r.url.startswith("data:")
            else None
        ),
    )
    return page, problems


def test_a_click_on_the_picker_fills_the_inputs_and_names_the_grid(
    browser, live_server, settings, tree
):
    from playwright.sync_api import expect

    settings.ROOT_URLCONF = __name__
    services.load_demo(access.SYSTEM)
    page, problems = _page(browser, live_server)
    page.goto(live_server.url + "/test-picker/")
    page.wait_for_selector("[data-grid-picker] [data-grid-map] canvas")
    # where 拱北 lies on the drawn map, from the chart itself
    x, y = page.evaluate(
        """([lng, lat]) => {
            const node = document.querySelector('[data-grid-picker] [data-grid-map]');
            const chart = echarts.getInstanceByDom(node);
            const box = node.getBoundingClientRect();
            const [x, y] = chart.convertToPixel({geoIndex: 0}, [lng, lat]);
            return [box.left + x, box.top + y];
        }""",
        [IN_GONGBEI[1], IN_GONGBEI[0]],
    )
    page.mouse.click(x, y)
    expect(page.locator("[data-grid-result]")).to_contain_text("拱北街道第")
    lat = float(page.input_value("#latitude"))
    lng = float(page.input_value("#longitude"))
    # within a couple of pixels of the initial view (~0.0016° a pixel)
    assert abs(lat - IN_GONGBEI[0]) < 0.005 and abs(lng - IN_GONGBEI[1]) < 0.005
    assert page.input_value("#address") == "香洲区拱北街道"
    # typing coordinates by hand locates them too
    page.fill("#latitude", "22.205")
    page.fill("#longitude", "113.295")
    expect(page.locator("[data-grid-result]")).to_contain_text("井岸镇")
    assert not problems, problems


def test_the_operations_map_draws_orders_heat_and_cells(browser, live_server, hl, order_factory):
    order = order_factory("dispatched")
    page, problems = _page(browser, live_server, hl.operator)
    page.goto(live_server.url + "/ops/grid/?period=all")
    page.wait_for_selector("[data-order-map] [data-grid-map] canvas")
    kinds = page.evaluate(
        """() => {
            const node = document.querySelector('[data-order-map] [data-grid-map]');
            return echarts.getInstanceByDom(node).getOption().series.map(s => s.type);
        }"""
    )
    assert {"scatter", "heatmap", "lines"} <= set(kinds)
    assert order.number in page.content()
    assert not problems, problems
