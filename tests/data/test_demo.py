"""The 数据要素 I demo loaded once for this module (on the foundation's Zhuhai organisations
and accounts, in a transaction rolled back at the end): the catalogue is published and
graded 就高从严, the synthetic rows are valid and stored encrypted, sharing, exchange and
quality are at the advertised steps, the printed credentials work, and a second load adds
nothing."""

import io
import re
from collections import Counter
from types import SimpleNamespace

import pytest
from django.db import connection, transaction

from shuzheng.data.catalog import demo as catalog_demo
from shuzheng.data.catalog import snapshot, store
from shuzheng.data.catalog.models import GRADE_RANK, CatalogueEntry, EntryStatus, EntryVersion
from shuzheng.foundation.identity import demo as identity_demo
from shuzheng.foundation.identity.validators import normalize_resident_id, normalize_uscc

pytestmark = pytest.mark.django_db

DATA_APPS = (
    "shuzheng.data.catalog.demo",
    "shuzheng.data.sharing.demo",
    "shuzheng.data.exchange.demo",
    "shuzheng.data.quality.demo",
)


def _loaders():
    """The data apps' loaders, found the way ``manage.py demo`` finds them."""
    from shuzheng.foundation.identity.management.commands.demo import _domain_loaders

    return {
        loader.__module__: loader for loader in _domain_loaders() if loader.__module__ in DATA_APPS
    }


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, _keys):
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            identity_demo.load_organisations()
            identity_demo.load_accounts()
            out = io.StringIO()
            loaders = _loaders()
            counts = {name: loaders[name](stdout=out) for name in DATA_APPS}
            yield SimpleNamespace(out=out.getvalue(), counts=counts, loaders=loaders)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            from shuzheng.data.exchange.gateway import core

            core.forget()  # the gateway's per-process cache of the rolled-back clients


def _entries():
    return list(CatalogueEntry.objects.select_related("provider").prefetch_related("items"))


def test_every_data_app_has_a_loader_and_each_loaded_something(demo):
    assert set(demo.loaders) == set(DATA_APPS)
    assert all(n > 0 for n in demo.counts.values()), demo.counts


def test_the_catalogue_is_published_with_open_entries(demo):
    entries = _entries()
    assert len(entries) >= 40
    assert all(e.status == EntryStatus.PUBLISHED and e.version == 1 for e in entries)
    assert EntryVersion.objects.count() == len(entries)
    assert sum(e.open_type != "none" for e in entries) >= 10
    shares = Counter(e.share_type for e in entries)
    assert shares["conditional"] > shares["unconditional"] > shares["none"] > 0
    assert len({e.provider_id for e in entries}) >= 15
    assert len({e.code for e in entries}) == len(entries)
    assert all(re.fullmatch(r"[123]\d\d/\d{6}", e.code) for e in entries)


def test_no_entry_is_graded_below_its_items_or_sources(demo):
    for entry in _entries():
        items = [GRADE_RANK[i.grade] for i in entry.items.all()]
        published = [GRADE_RANK[i["grade"]] for i in snapshot.items_of(entry)]
        sources = [GRADE_RANK[s.grade] for s in entry.sources.all()]
        assert GRADE_RANK[entry.grade] >= max(items + published + sources), entry.name
        assert entry.published["grade"] == entry.grade


def test_aggregated_and_derived_entries_are_important_with_their_assessment(demo):
    population = catalog_demo.find("population")
    assert population.grade == "important"
    assert (population.impact_object, population.impact_degree) == ("public_interest", "serious")
    assert "大规模个人信息" in population.grade_basis
    hub = catalog_demo.find("population_hub")
    assert {s.name for s in hub.sources.all()} == {"人口基础信息", "居住证信息"}
    assert hub.grade == "important"
    surveying = catalog_demo.find("surveying")
    assert (surveying.grade, surveying.share_type, surveying.open_type) == ("core", "none", "none")
    assert CatalogueEntry.objects.filter(grade="core").count() == 1


def test_rows_are_loaded_and_their_numbers_validate(demo):
    from django.utils import timezone

    from shuzheng.data import synthetic

    counts = {
        s["rows"]: store.count(catalog_demo.find(s["key"]).pk)
        for s in catalog_demo.specs()
        if s.get("rows")
    }
    assert counts["population"] >= 2000
    assert sum(200 <= n <= 2000 for n in counts.values()) >= 8
    population = catalog_demo.find("population")
    loaded_on = timezone.localdate(population.data_updated_at)
    bad = synthetic.datasets(loaded_on)["population"]
    defects = {bad.rows[i]["id_number"] for i, code, _w in bad.defects if code == "id_number"}
    rows = [row for _pk, row in store.iterate(population.pk)]
    invalid = []
    for row in rows:
        try:
            normalize_resident_id(row["id_number"])
        except Exception:
            invalid.append(row["id_number"])
    assert len(invalid) == 1 and invalid[0] in defects
    companies = [row for _pk, row in store.iterate(catalog_demo.find("legal_person").pk)]
    wrong = []
    for row in companies:
        try:
            normalize_uscc(row["uscc"])
        except Exception:
            wrong.append(row["uscc"])
    assert len(wrong) == 1  # the documented defect


def test_no_clear_id_number_or_phone_anywhere_in_the_database(demo):
    population = catalog_demo.find("population")
    rows = [row for _pk, row in store.iterate(population.pk)]
    secrets = [r["id_number"] for r in rows[::97]] + [r["phone"] for r in rows[::89] if r["phone"]]
    assert len(secrets) > 30
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM datacatalog_datasetrecord")
        records = "\n".join(map(str, cursor.fetchall()))
        assert records and "人口" not in records
        assert not [s for s in secrets if s in records]
        leaks = []
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - table names from the schema
            text = "\n".join(map(str, cursor.fetchall()))
            leaks += [(table, s) for s in secrets if s in text]
    assert leaks == []


def test_sharing_requests_are_at_the_advertised_steps(demo):
    from shuzheng.data.sharing.models import Grant, SharingRequest

    states = {
        (r.requester.name, r.entry.name): r.state
        for r in SharingRequest.objects.select_related("requester", "entry")
    }
    assert states == {
        ("珠海市卫生健康局", "法人基础信息"): "granted",
        ("珠海市卫生健康局", "空气质量实时监测数据"): "granted",
        ("国家税务总局珠海市税务局", "法人基础信息"): "granted",
        ("珠海市市场监督管理局", "企业纳税信用等级信息"): "granted",
        ("珠海市卫生健康局", "医疗保障参保信息"): "provider_review",
        ("珠海市市场监督管理局", "死亡医学证明信息"): "rejected",
        ("珠海市卫生健康局", "中小学校名录"): "checking",
    }
    # the done-when journey starts from nothing: no request or grant of 人口 yet
    population = catalog_demo.find("population")
    assert not SharingRequest.objects.filter(entry=population).exists()
    assert not Grant.objects.filter(entry=population).exists()
    assert Grant.objects.count() == 4


def _call(path, credential, *, fields=None):
    from shuzheng.data.exchange.gateway import core

    query = f"fields={fields}" if fields else ""
    headers = {"Authorization": f"Bearer {credential}", "X-Purpose": "demo check"}
    status, _headers, body = core.handle("GET", path, query, headers, "10.45.12.31")
    return status, body


def test_the_printed_credentials_call_the_gateway(demo):
    import json

    credentials = dict(
        re.findall(r"(卫健综合业务系统|市场监管综合业务平台) \([^)]*\): (\S+)", demo.out)
    )
    assert set(credentials) == {"卫健综合业务系统", "市场监管综合业务平台"}
    legal = catalog_demo.find("legal_person")
    uscc = next(
        row["uscc"] for _pk, row in store.iterate(legal.pk) if row["status"].startswith("存续")
    )
    status, body = _call(
        f"/gateway/v1/services/legal-person/v1/records/{uscc}", credentials["卫健综合业务系统"]
    )
    assert status == 200
    assert "legal_representative_id" not in json.dumps(json.loads(body))  # not granted
    status, _body = _call(
        f"/gateway/v1/services/legal-person/v1/records/{uscc}", credentials["市场监管综合业务平台"]
    )
    assert status == 403  # 市场监管局 holds no grant on its own entry's service
    status, _body = _call(
        "/gateway/v1/services/population-basic/v1/records", credentials["卫健综合业务系统"]
    )
    assert status == 403  # 人口 waits for the journey
    bad = credentials["卫健综合业务系统"].split(".")[0] + ".wrong"
    assert _call("/gateway/v1/services/legal-person/v1/records", bad)[0] == 401


def test_a_week_of_gateway_traffic_for_the_dashboards(demo):
    from django.utils import timezone

    from shuzheng.data.exchange.models import DataService, ExchangeLog

    services = set(DataService.objects.values_list("code", flat=True))
    assert {"population-basic", "legal-person", "tax-credit", "air-quality"} <= services
    logs = list(ExchangeLog.objects.order_by("seq"))
    assert len(logs) >= 300
    days = {timezone.localtime(log.time).date() for log in logs}
    assert len(days) >= 6
    assert all(a.time <= b.time for a, b in zip(logs, logs[1:], strict=False))
    outcomes = Counter(log.outcome for log in logs)
    assert outcomes["ok"] > 0.9 * len(logs)
    assert {"denied", "unauthenticated"} <= set(outcomes)
    assert all(log.latency_ms > 0 and len(log.request_hash) == 64 for log in logs)


def test_the_log_is_sealed_and_a_consumer_s_evidence_export_verifies(demo):
    import datetime as dt

    from django.utils import timezone

    from shuzheng.data.exchange import evidence, sealing
    from shuzheng.data.exchange.models import ExchangeLog, ExchangeSeal
    from shuzheng.foundation.identity.models import Organisation, User

    last = ExchangeLog.objects.order_by("-seq").first()
    assert ExchangeSeal.objects.filter(last_seq=last.seq).exists()
    assert sealing.verify().ok
    now = timezone.now()
    data = evidence.export(
        User.objects.get(username="wjdata"),
        start=now - dt.timedelta(days=8),
        end=now,
        organisation=Organisation.objects.get(name="珠海市卫生健康局"),
    )
    report = evidence.check(data)
    assert report.ok, report.problems
    assert report.full_rows > 200


def test_quality_checks_found_the_planted_defects(demo):
    from shuzheng.data.quality.models import QualityIssue, QualityRun

    runs = {r.entry.name: r for r in QualityRun.objects.select_related("entry")}
    assert len(runs) == 5
    issues = Counter(i.entry.name for i in QualityIssue.objects.select_related("entry"))
    assert issues == {
        "人口基础信息": 4,
        "法人基础信息": 1,
        "企业纳税信用等级信息": 3,
        "空气质量实时监测数据": 3,
    }
    assert runs["社会保险参保信息"].failures == 0
    owners = {i.owner.name for i in QualityIssue.objects.select_related("owner")}
    assert owners == {
        "珠海市公安局",
        "珠海市市场监督管理局",
        "国家税务总局珠海市税务局",
        "珠海市生态环境局",
    }


def test_the_output_lists_the_accounts_and_they_hold_their_roles(demo):
    from shuzheng.data.catalog.services import may
    from shuzheng.foundation.identity.models import User

    for username in ("gadata", "wjdata", "scjgdata", "sjju"):
        assert username in demo.out
    assert identity_demo.DEMO_PASSWORD in demo.out
    sjju = User.objects.get(username="sjju")
    gadata = User.objects.get(username="gadata")
    population = catalog_demo.find("population")
    assert may(sjju, population, "datacatalog.review")
    assert may(gadata, population, "datacatalog.edit")
    assert not may(User.objects.get(username="wjdata"), population, "datacatalog.edit")
    assert User.objects.get(username="sjju").check_password(identity_demo.DEMO_PASSWORD)


def test_a_second_load_adds_nothing(demo):
    from shuzheng.data.exchange.models import ExchangeLog
    from shuzheng.data.quality.models import QualityRule
    from shuzheng.data.sharing.models import SharingRequest

    before = (
        CatalogueEntry.objects.count(),
        store.count(catalog_demo.find("population").pk),
        SharingRequest.objects.count(),
        ExchangeLog.objects.count(),
        QualityRule.objects.count(),
    )
    out = io.StringIO()
    assert [demo.loaders[name](stdout=out) for name in DATA_APPS] == [0, 0, 0, 0]
    after = (
        CatalogueEntry.objects.count(),
        store.count(catalog_demo.find("population").pk),
        SharingRequest.objects.count(),
        ExchangeLog.objects.count(),
        QualityRule.objects.count(),
    )
    assert after == before
