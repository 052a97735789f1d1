"""调用统计: the numbers on the page are the log rows' (calls, failures by outcome, latency
p50/p95, per-day series, quota used today against the limit, busiest services and
counterparts); a department sees itself — as provider, as consumer, or both as tabs — and
the data authority picks any department; others get 403."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from shuzheng.data.exchange import services
from shuzheng.data.exchange.gateway.core import quota_windows
from shuzheng.data.exchange.models import ExchangeLog, QuotaCounter
from shuzheng.data.sharing.models import Grant

pytestmark = pytest.mark.django_db

PAGE = "/workbench/data/exchange/"
NOON = dt.datetime(2026, 3, 11, 12, 0)


@pytest.fixture
def now(monkeypatch):
    """Noon of a fixed day, so that "today" and "the last 7 days" hold whatever the clock."""
    fixed = timezone.make_aware(NOON)
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    return fixed


def signed_in(client, user):
    client.force_login(user)
    return client


def log(dm, when, *, outcome="ok", latency=10.0, consumer=None, provider=None, code="pop/v1"):
    last = ExchangeLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    return ExchangeLog.objects.create(
        seq=last + 1,
        time=when,
        message_id=f"m{last + 1}",
        consumer_id=(consumer or dm.weijian).pk,
        service_code=code,
        provider_id=(provider or dm.gongan).pk,
        outcome=outcome,
        status_code=200 if outcome == "ok" else 403,
        reason="" if outcome == "ok" else f"{outcome}_reason",
        request_hash="a" * 64,
        response_hash="b" * 64,
        latency_ms=latency,
    )


@pytest.fixture
def traffic(dm, now):
    """Five calls 公安局 → 卫健局 today and yesterday (latencies 10…50 ms, one denied, one
    over quota) and one ten days ago."""
    for hours, outcome, latency in (
        (1, "ok", 30.0),
        (2, "ok", 10.0),
        (3, "denied", 50.0),
        (26, "ok", 20.0),
        (27, "over_quota", 40.0),
    ):
        log(dm, now - dt.timedelta(hours=hours), outcome=outcome, latency=latency)
    log(dm, now - dt.timedelta(days=10), latency=99.0)
    return dm


def chart(answer):
    html = answer.content.decode()
    start = html.index('<script id="exchange-dashboard-data" type="application/json">')
    body = html[start:].split(">", 1)[1].split("</script>", 1)[0]
    return json.loads(body)


def text_of(html, element_id):
    start = html.index(f'id="{element_id}"')
    return html[start:].split(">", 1)[1].split("</div>", 1)[0]


def test_url_name_is_the_contract():
    assert reverse("exchange:dashboard") == PAGE


@pytest.mark.parametrize("who", ["outsider"])
def test_staff_without_the_capability_get_403(client, dm, who):
    assert signed_in(client, getattr(dm, who)).get(PAGE).status_code == 403


def test_the_numbers_are_the_log_rows(client, traffic):
    dm = traffic
    answer = signed_in(client, dm.ga_admin).get(PAGE)
    assert answer.status_code == 200
    stats = answer.context["stats"]
    assert (stats["organisation"]["id"], stats["side"]) == (dm.gongan.pk, "provider")
    assert (stats["calls"], stats["ok"], stats["errors"]) == (5, 3, 2)
    assert stats["by_outcome"]["denied"] == 1 and stats["by_outcome"]["over_quota"] == 1
    assert (stats["latency"]["p50"], stats["latency"]["p95"]) == (30.0, 50.0)
    html = answer.content.decode()
    assert text_of(html, "kpi-calls") == "5"
    assert text_of(html, "kpi-errors") == "2"
    assert "30.0" in text_of(html, "kpi-p50") and "50.0" in text_of(html, "kpi-p95")
    data = chart(answer)
    assert len(data["series"]["days"]) == 7
    assert data["series"]["calls"][-2:] == [2, 3]  # yesterday, today
    assert data["series"]["errors"][-2:] == [1, 1]
    assert sum(data["series"]["calls"]) == 5
    assert sorted(data["outcomes"]["counts"]) == [1, 1, 3]
    assert "卫生健康局" in html  # the top consumer


def test_thirty_days_take_the_older_call_in(client, traffic):
    answer = signed_in(client, traffic.ga_admin).get(PAGE, {"days": 30})
    assert answer.context["stats"]["calls"] == 6
    assert len(chart(answer)["series"]["days"]) == 30
    odd = signed_in(client, traffic.ga_admin).get(PAGE, {"days": 9999})
    assert odd.context["days"] == 7


def test_the_consumer_sees_its_side(client, traffic):
    answer = signed_in(client, traffic.wj_user).get(PAGE)
    stats = answer.context["stats"]
    assert (stats["organisation"]["id"], stats["side"]) == (traffic.weijian.pk, "consumer")
    assert stats["calls"] == 5
    assert [t["side"] for t in answer.context["tabs"]] == ["consumer"]


def test_a_department_that_provides_and_consumes_has_both_tabs(client, traffic):
    dm = traffic
    services.create_client(
        dm.ga_admin, organisation=dm.gongan, name="警务系统", system_code="police"
    )
    signed_in(client, dm.ga_admin)
    answer = client.get(PAGE)
    assert [t["side"] for t in answer.context["tabs"]] == ["provider", "consumer"]
    html = answer.content.decode()
    assert 'id="tab-provider"' in html and 'id="tab-consumer"' in html
    consumer = client.get(PAGE, {"side": "consumer"})
    assert consumer.context["stats"]["side"] == "consumer"
    assert consumer.context["stats"]["calls"] == 0  # 公安局 has made no calls


def test_the_authority_picks_a_department_others_cannot(client, traffic):
    dm = traffic
    signed_in(client, dm.authority)
    answer = client.get(PAGE, {"org": dm.gongan.pk})
    assert answer.status_code == 200
    assert answer.context["stats"]["calls"] == 5
    assert dm.weijian in answer.context["choices"]
    client.logout()
    assert signed_in(client, dm.wj_user).get(PAGE, {"org": dm.gongan.pk}).status_code == 403


def test_quota_use_today_against_the_limit(client, traffic, now):
    dm = traffic
    grant = Grant.objects.create(
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
    minute, day = quota_windows(now)
    QuotaCounter.objects.create(grant_id=grant.pk, window="day", window_start=day, used=150)
    QuotaCounter.objects.create(grant_id=grant.pk, window="minute", window_start=minute, used=4)
    answer = signed_in(client, dm.wj_user).get(PAGE)
    html = answer.content.decode()
    row = html[html.index('id="quota-SQ0001"') :].split("</tr>", 1)[0]
    assert "150 / 200" in row and "4 / 10" in row
    assert 'aria-valuenow="75"' in row
    data = chart(answer)
    assert data["quota"]["used"] == [150] and data["quota"]["limits"] == [200]
