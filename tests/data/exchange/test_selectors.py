"""Reads: each department sees its own services, clients and the calls it took part in; the
dashboard's numbers for either side."""

import pytest
from django.core.exceptions import PermissionDenied

from shuzheng.data.exchange import selectors
from tests.data.exchange.conftest import BASE, gateway_call

pytestmark = pytest.mark.django_db


@pytest.fixture
def traffic(xw):
    xw.grant.quota_per_minute = 3
    xw.grant.save()
    for _ in range(3):
        gateway_call(BASE + "/records", token=xw.token)
    gateway_call(BASE + "/records", token=xw.token)  # 429
    gateway_call(BASE + "/records", "fields=religion", token=xw.token)  # 403
    gateway_call(BASE + "/records")  # 401: no client; the provider still sees it
    gateway_call("/gateway/v1/services/nothing/v1/records")  # reaches no department
    return xw


def test_services_and_clients_are_scoped_to_the_department(xw):
    dm = xw.dm
    assert list(selectors.services_for(dm.ga_admin)) == [xw.service]
    assert not selectors.services_for(dm.wj_admin).exists()
    assert list(selectors.clients_for(dm.wj_admin)) == [xw.client]
    assert not selectors.clients_for(dm.ga_admin).exists()
    assert not selectors.clients_for(dm.outsider).exists()


def test_the_consumer_sees_what_it_may_call(xw):
    pairs = selectors.callable_services(xw.dm.wj_admin)
    assert pairs == [(xw.service, xw.grant)]
    assert selectors.callable_services(xw.dm.wj_user) == pairs  # reads logs there
    assert selectors.callable_services(xw.dm.outsider) == []


def test_logs_reach_both_sides_and_no_one_else(traffic):
    dm = traffic.dm
    mine = selectors.logs(dm.wj_user)
    assert mine.count() == 5
    assert selectors.logs(dm.ga_admin).count() == 6  # with the anonymous attempt on its service
    assert selectors.logs(dm.authority).count() == 7  # the city: everything
    assert not selectors.logs(dm.outsider).exists()
    assert selectors.logs(dm.ga_admin, organisation=dm.gongan, side="consumer").count() == 0
    assert selectors.logs(dm.ga_admin, outcome="over_quota").count() == 1
    first = mine.last()
    assert selectors.logs(dm.wj_user, before_seq=first.seq + 1).count() == 1


def test_the_dashboard_counts_calls_errors_latency_days_and_quota(traffic):
    dm = traffic.dm
    data = selectors.dashboard(dm.ga_admin, organisation=dm.gongan, side="provider", days=7)
    assert data["calls"] == 6 and data["ok"] == 3 and data["errors"] == 3
    assert data["by_outcome"]["over_quota"] == 1 and data["by_outcome"]["denied"] == 1
    assert data["by_outcome"]["unauthenticated"] == 1
    assert data["error_rate"] == 0.5
    assert {r["reason"] for r in data["by_reason"]} == {
        "quota_minute",
        "field_withheld",
        "missing_credentials",
    }
    assert data["latency"]["sample"] == 6 and data["latency"]["p95"] >= data["latency"]["p50"]
    assert len(data["series"]) == 7 and data["series"][-1]["calls"] == 6
    assert data["services"][0]["service_code"] == "population/v1"
    assert data["counterparts"] == [
        {"organisation_id": dm.weijian.pk, "name": dm.weijian.name, "calls": 5, "errors": 2}
    ]
    (quota,) = data["quota"]
    assert (quota["used_today"], quota["used_minute"], quota["per_minute"]) == (3, 3, 3)
    consumer = selectors.dashboard(dm.wj_user, organisation=dm.weijian, side="consumer")
    assert consumer["calls"] == 5 and consumer["quota"][0]["grant_id"] == traffic.grant.pk


def test_the_dashboard_is_refused_for_another_department(traffic):
    dm = traffic.dm
    with pytest.raises(PermissionDenied):
        selectors.dashboard(dm.wj_admin, organisation=dm.gongan)
    with pytest.raises(PermissionDenied):
        selectors.dashboard(dm.outsider, organisation=dm.weijian, side="consumer")


def test_an_empty_dashboard(xw):
    data = selectors.dashboard(xw.dm.ga_admin, organisation=xw.dm.gongan, days=1)
    assert data["calls"] == 0 and data["error_rate"] is None
    assert data["latency"] == {"p50": None, "p95": None, "max": None, "sample": 0}
    assert data["series"][0]["calls"] == 0
