"""The exchange pages in a real browser: the dashboard's charts draw from the page's JSON
under the Content-Security-Policy (no inline script, vendored ECharts), and the secret's copy
button appears and copies — without console errors."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from shuzheng.data.exchange.models import ExchangeLog
from shuzheng.data.sharing.models import Grant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_as(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(locale="zh-CN")
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page, errors


def test_dashboard_charts_draw(browser, live_server, dm, tmp_path):
    now = timezone.now()
    for n, outcome in enumerate(("ok", "ok", "denied")):
        ExchangeLog.objects.create(
            seq=n + 1,
            time=now - dt.timedelta(hours=n * 20),
            message_id=f"m{n}",
            consumer_id=dm.weijian.pk,
            service_code="population/v1",
            provider_id=dm.gongan.pk,
            outcome=outcome,
            status_code=200,
            request_hash="a" * 64,
            response_hash="b" * 64,
            latency_ms=10.0 + n,
        )
    Grant.objects.create(
        number="SQ0001",
        entry=dm.population,
        consumer=dm.weijian,
        provider=dm.gongan,
        fields=["name"],
        purpose="核验",
        valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=30),
        quota_per_minute=10,
        quota_per_day=200,
        granted_by=dm.ga_admin,
    )
    page, errors = page_as(browser, live_server, dm.ga_admin)
    page.goto(live_server.url + "/workbench/data/exchange/")
    for chart in ("#chart-series", "#chart-outcomes", "#chart-quota"):
        page.wait_for_selector(f"{chart} canvas")
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    assert not errors, errors


def test_the_secret_page_offers_a_copy_button(browser, live_server, dm, tmp_path):
    page, errors = page_as(browser, live_server, dm.wj_admin)
    page.goto(live_server.url + "/workbench/data/apps/")
    page.fill("#id_name", "出生医学证明系统")
    page.fill("#id_system_code", "birth-cert")
    with page.expect_navigation():
        page.locator("#client-form button[type=submit]").click()
    page.wait_for_selector("#credential")
    button = page.locator("button[data-copy=credential]")
    assert button.is_visible()
    button.click()
    page.wait_for_selector("#copy-status:not(:empty)")  # a CSS wait: CSP forbids eval
    page.screenshot(path=str(tmp_path / "secret.png"), full_page=True)
    assert not errors, errors
