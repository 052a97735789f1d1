"""Fixtures of the exchange-gateway tests: ``xw`` — the 人口 store service of 公安局, a client
application of 卫健局 with its secret, and an active grant of every 人口 item to 卫健局 (made
directly: the sharing services are not under test here); ``call`` — one gateway call through
``core.handle``, answered as a ``Reply``."""

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from django.utils import timezone

from shuzheng.data.exchange import services
from shuzheng.data.exchange.gateway import core
from shuzheng.data.sharing.models import Grant

ALL_FIELDS = ["id_number", "name", "sex", "birth_date", "address", "phone", "religion"]
BASE = "/gateway/v1/services/population/v1"


@pytest.fixture(autouse=True)
def _gateway_cache():
    """Client and service rows are cached per process; a test's rows must not outlive its
    rollback (primary keys and service codes repeat between tests)."""
    core.forget()
    yield
    core.forget()


class Reply:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = dict(headers)
        self.body = body

    @property
    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:200]!r}>"


def make_grant(dm, *, consumer=None, entry=None, fields=ALL_FIELDS, clear_fields=(), **extra):
    now = timezone.now()
    values = dict(
        number=f"SQ-TEST-{Grant.objects.count() + 1}",
        entry=entry or dm.population,
        consumer=consumer or dm.weijian,
        provider=(entry or dm.population).provider,
        fields=list(fields),
        clear_fields=list(clear_fields),
        purpose="出生医学证明核验",
        valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=30),
        quota_per_minute=60,
        quota_per_day=10_000,
        granted_by=dm.ga_admin,
    )
    values.update(extra)
    return Grant.objects.create(**values)


@pytest.fixture
def xw(dm):
    service = services.register_service(
        dm.ga_admin, entry=dm.population, code="population", name="人口基础信息查询", kind="store"
    )
    client, secret = services.create_client(
        dm.wj_admin, organisation=dm.weijian, name="出生医学证明系统", system_code="birth"
    )
    grant = make_grant(dm)
    return SimpleNamespace(
        dm=dm,
        service=service,
        client=client,
        secret=secret,
        token=f"{client.key_id}.{secret}",
        grant=grant,
    )


def gateway_call(
    path,
    query="",
    *,
    token=None,
    headers=None,
    purpose="出生医学证明核验",
    method="GET",
    ip="10.0.0.8",
):
    sent = {}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    if purpose:
        sent["X-Purpose"] = purpose
    sent.update(headers or {})
    status, out, body = core.handle(method, path, query, sent, ip)
    return Reply(status, out, body)


@pytest.fixture
def call(xw):
    """call("/records", "limit=1", headers=…, token=…) on the 人口 service as 卫健局's client."""

    def do(suffix="/records", query="", *, token=None, **kwargs):
        return gateway_call(BASE + suffix, query, token=token or xw.token, **kwargs)

    return do
