"""Demo 数据要素 I — the exchange gateway: a data service for every demo entry whose rows the
platform holds (registered by the providing department), an application system for
卫健局 and one for 市场监管局 with **demo credentials** printed in the demo output, a week of
gateway traffic replayed through the gateway core, and the log sealed.

Credentials: ``create_client`` draws a random secret and shows it once; so that the demo's
credentials can be printed every time and written in the guides, the demo then sets each
client's secret to the fixed value of ``CLIENTS`` (stored, like any secret, only as its
HMAC-SM3). They are demo credentials: never load the demo into a production database.

Traffic: for the grants of the sharing demo (which began a week before loading), several
hundred calls by the two applications — lookups by key, searches, pages, now and then an
export — spread over the working hours of the last seven days, plus the refusals a real week
has (a field not granted, a data set without a grant, a wrong secret). Each call goes through
``gateway.core.handle`` with the clock set to its moment, so the log rows, quota counters and
hashes are exactly what the gateway writes. Idempotent: nothing is done once a client exists.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import random
import uuid
from unittest import mock
from urllib.parse import quote, urlencode

from django.db import transaction
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation, User
from shuzheng.foundation.trust import audit

SEED = 20261201
DAYS = 7
CLIENT_IP = {"wj-zhyw": "10.45.12.31", "scjg-zhyw": "10.45.20.17"}
# (department, data administrator, application name, system code, demo secret)
CLIENTS = [
    (
        "珠海市卫生健康局",
        "wjdata",
        "卫健综合业务系统",
        "wj-zhyw",
        "demo-wj-zhyw-Zhuhai2026-not-for-production",
    ),
    (
        "珠海市市场监督管理局",
        "scjgdata",
        "市场监管综合业务平台",
        "scjg-zhyw",
        "demo-scjg-zhyw-Zhuhai2026-not-for-production",
    ),
]
# calls per working day by (consumer system, entry key)
VOLUME = {("wj-zhyw", "legal_person"): 40, ("wj-zhyw", "air_quality"): 12}
VOLUME[("scjg-zhyw", "tax_credit")] = 28
CASE_PREFIX = {"legal_person": "YLJG", "tax_credit": "XYJG", "air_quality": ""}
STAFF = {"wj-zhyw": 14, "scjg-zhyw": 22}  # end users (clerks) of each system


def load_demo(stdout=None) -> int:
    from shuzheng.data.catalog import demo as catalog_demo
    from shuzheng.data.exchange.models import ClientApp

    if catalog_demo.find("legal_person") is None:
        return 0
    services = _services(catalog_demo)
    if ClientApp.objects.filter(system_code__in=[c[3] for c in CLIENTS]).exists():
        if stdout is not None:
            _report(stdout, services, None, None)
        return 0
    clients = _clients()
    calls = _traffic(catalog_demo, clients)
    sealed = _seal()
    if stdout is not None:
        _report(stdout, services, calls, sealed)
    return len(services) + len(clients) + calls


# --------------------------------------------------------------------------- registry


@transaction.atomic
def _services(catalog_demo) -> list:
    from shuzheng.data.exchange import services
    from shuzheng.data.exchange.models import DataService, ServiceKind

    registered = []
    for spec in catalog_demo.specs():
        wanted = spec.get("service")
        entry = catalog_demo.find(spec["key"]) if wanted and spec.get("rows") else None
        if entry is None:
            continue
        existing = DataService.objects.filter(code=wanted["code"], version="v1").first()
        if existing is not None:
            registered.append(existing)
            continue
        admin = catalog_demo.admin_of(spec["provider"])
        if admin is None:
            continue
        registered.append(
            services.register_service(
                admin,
                entry=entry,
                code=wanted["code"],
                name=wanted["name"],
                kind=ServiceKind.STORE,
                description=f"{entry.name}（{entry.code}），数据来自共享平台库，按授权信息项脱敏提供。",
            )
        )
    return registered


@transaction.atomic
def _clients() -> dict:
    from shuzheng.data.exchange import services
    from shuzheng.data.exchange.gateway import core

    made = {}
    for org_name, username, name, system_code, secret in CLIENTS:
        org = Organisation.objects.filter(name=org_name).first()
        admin = User.objects.filter(username=username).first()
        if org is None or admin is None:
            continue
        client, _random = services.create_client(
            admin,
            organisation=org,
            name=name,
            system_code=system_code,
        )
        type(client).objects.filter(pk=client.pk).update(secret_hash=core.secret_hash(secret))
        audit.record(
            access.SYSTEM,
            "data.exchange.client.demo_secret",
            client,
            details={"key_id": client.key_id, "note": "demo credentials"},
        )
        made[system_code] = (client, secret)
    transaction.on_commit(core.forget)
    core.forget()
    return made


# --------------------------------------------------------------------------- traffic


@contextlib.contextmanager
def _clock(moment: dt.datetime):
    with mock.patch("django.utils.timezone.now", lambda: moment):
        yield


def _moments(rng: random.Random, per_day: int, now: dt.datetime) -> list[dt.datetime]:
    """Call times over the last ``DAYS`` days: office hours on working days, a trickle at
    weekends, none in the future."""
    out = []
    local_now = timezone.localtime(now)
    for back in range(DAYS, -1, -1):
        day = (local_now - dt.timedelta(days=back)).date()
        n = per_day if day.weekday() < 5 else per_day // 8
        n = max(0, int(n * rng.uniform(0.75, 1.25)))
        for _ in range(n):
            hour = rng.choice((8, 9, 9, 10, 10, 10, 11, 11, 14, 14, 15, 15, 16, 16, 17))
            at = timezone.make_aware(
                dt.datetime.combine(day, dt.time(hour, rng.randrange(60), rng.randrange(60)))
            )
            if at < now - dt.timedelta(minutes=1):
                out.append(at)
    return out


def _traffic(catalog_demo, clients: dict) -> int:
    from shuzheng.data.catalog import store
    from shuzheng.data.exchange.models import DataService
    from shuzheng.data.sharing.models import Grant, GrantStatus

    rng = random.Random(SEED)
    now = timezone.now()
    plan: list[tuple[dt.datetime, dict]] = []
    for (system, key), per_day in VOLUME.items():
        entry = catalog_demo.find(key)
        service = DataService.objects.filter(entry=entry).first() if entry else None
        client = clients.get(system)
        grant = (
            Grant.objects.filter(
                entry=entry, consumer=client[0].organisation, status=GrantStatus.ACTIVE
            ).first()
            if client and service
            else None
        )
        if grant is None:
            continue
        keys = [str(row.get(_key(entry)) or "") for _id, row in store.page(entry.pk, limit=300)]
        keys = [k for k in keys if k]
        for at in _moments(rng, per_day, now):
            plan.append((at, _call(rng, system, client, service, grant, key, keys)))
    plan += _refusals(rng, clients, catalog_demo, now)
    plan.sort(key=lambda p: p[0])
    from shuzheng.data.exchange.gateway import core

    core.forget()
    for at, call in plan:
        with _clock(at):
            core.handle("GET", call["path"], call["query"], call["headers"], call["ip"])
    return len(plan)


def _key(entry) -> str:
    from shuzheng.data.catalog import store

    item = store.key_item(entry)
    return item.code if item else ""


def _headers(rng, system, secret_pair, *, purpose="", case="") -> dict:
    client, secret = secret_pair
    headers = {
        "Authorization": f"Bearer {client.key_id}.{secret}",
        "X-Message-Id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "X-End-User": f"{system}:staff{rng.randrange(1, STAFF[system] + 1):03d}",
    }
    if purpose:
        headers["X-Purpose"] = quote(purpose)
    if case:
        headers["X-Case-Number"] = case
    return headers


def _call(rng, system, client, service, grant, key, keys) -> dict:
    base = f"/gateway/v1/services/{service.code}/{service.version}"
    prefix = CASE_PREFIX.get(key, "")
    case = f"{prefix}{timezone.localdate():%Y}{rng.randrange(1, 99999):05d}" if prefix else ""
    headers = _headers(rng, system, client, purpose=grant.purpose[:60], case=case)
    roll = rng.random()
    query: dict = {}
    if key == "air_quality":
        station = rng.choice(("ZH01", "ZH02", "ZH03", "ZH04", "ZH05", "ZH06"))
        path, query = f"{base}/records", {"station_code": station, "limit": "24"}
    elif roll < 0.8 and keys:
        path = f"{base}/records/{quote(rng.choice(keys), safe='')}"
    elif roll < 0.97:
        path, query = f"{base}/records", {"limit": str(rng.choice((20, 50)))}
    else:
        path, query = f"{base}/export", {"format": "csv"}
    return {"path": path, "query": urlencode(query), "headers": headers, "ip": CLIENT_IP[system]}


def _refusals(rng, clients, catalog_demo, now) -> list:
    """What a real week has besides successful calls."""
    from shuzheng.data.exchange.models import DataService

    out = []
    moments = _moments(rng, 3, now)
    wj, scjg = clients.get("wj-zhyw"), clients.get("scjg-zhyw")
    legal = DataService.objects.filter(entry=catalog_demo.find("legal_person")).first()
    population = DataService.objects.filter(entry=catalog_demo.find("population")).first()
    for i, at in enumerate(moments):
        kind = i % 3
        if kind == 0 and wj and legal:  # a field outside the grant
            path = f"/gateway/v1/services/{legal.code}/v1/records"
            query = urlencode({"fields": "uscc,name,legal_representative_id", "limit": "20"})
            headers = _headers(rng, "wj-zhyw", wj, purpose="医疗机构执业登记")
            ip = CLIENT_IP["wj-zhyw"]
        elif kind == 1 and scjg and population:  # a data set without a grant
            path, query = f"/gateway/v1/services/{population.code}/v1/records", "limit=10"
            headers = _headers(rng, "scjg-zhyw", scjg, purpose="个体工商户登记核验")
            ip = CLIENT_IP["scjg-zhyw"]
        elif wj and legal:  # an old secret after a rotation on the client side
            path, query = f"/gateway/v1/services/{legal.code}/v1/records", "limit=20"
            headers = _headers(rng, "wj-zhyw", (wj[0], "old-secret"), purpose="医疗机构执业登记")
            ip = CLIENT_IP["wj-zhyw"]
        else:
            continue
        out.append((at, {"path": path, "query": query, "headers": headers, "ip": ip}))
    return out


def _seal():
    """Seal the log (the exchange's sealing job), if the gateway ships one."""
    try:
        sealing = importlib.import_module("shuzheng.data.exchange.sealing")
    except ImportError:
        return None
    return sealing.seal_all()


def _report(stdout, services, calls, sealed) -> None:
    from shuzheng.data.exchange.models import ClientApp, ExchangeLog

    stdout.write(
        f"数据交换: {len(services)} data services at /gateway/v1/services/<code>/v1/records "
        f"({', '.join(s.code for s in services)})"
    )
    if calls is not None:
        seals = "not sealed (no sealing job)" if sealed is None else f"{len(sealed)} seals"
        stdout.write(
            f"  {calls} gateway calls over the last {DAYS} days replayed "
            f"({ExchangeLog.objects.filter(outcome='ok').count()} ok); {seals}"
        )
    stdout.write("  demo gateway credentials (Authorization: Bearer <key_id>.<secret>):")
    for org_name, _u, name, system_code, secret in CLIENTS:
        client = ClientApp.objects.filter(
            organisation__name=org_name, system_code=system_code
        ).first()
        if client is not None:
            stdout.write(f"    {name} ({org_name}): {client.key_id}.{secret}")
    sample = _sample_key("population")
    if sample:
        stdout.write(
            "  人口基础信息: request it as wjdata, check it as sjju, approve it as gadata, then "
            f"GET /gateway/v1/services/population-basic/v1/records/{sample}"
        )


def _sample_key(key: str) -> str:
    """A key value of a demo entry's stored rows (synthetic), for the guides."""
    from shuzheng.data.catalog import demo as catalog_demo
    from shuzheng.data.catalog import store

    entry = catalog_demo.find(key)
    if entry is None:
        return ""
    rows = store.page(entry.pk, limit=1)
    return str(rows[0][1].get(_key(entry)) or "") if rows else ""
