"""The 数据要素 benchmarks at a tiny size, so the scripts cannot rot: the gateway bench's world
(entry, store, service, client, grant) answers through the gateway and the direct baseline,
its profile names where the time goes, the whole HTTP run works end to end against a
throwaway installation (skipped without wrk), and the catalogue generator makes published,
searchable entries that the search measurement reads back for every user. Nothing here
asserts on timing."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import data_catalog_search  # noqa: E402  (bench/ is not a package)
import data_gateway  # noqa: E402

ROWS = 300


@pytest.fixture
def gateway_cache():
    from shuzheng.data.exchange.gateway import core

    core.forget()  # client and service rows are cached per process; ours die with the test
    yield
    core.forget()


@pytest.fixture
def world(db, gateway_cache):
    return data_gateway.setup(ROWS, batch=100)


def test_gateway_world_is_a_published_store_service_with_a_client_and_a_grant(world):
    from shuzheng.data.catalog import store
    from shuzheng.data.catalog.models import CatalogueEntry
    from shuzheng.data.exchange.models import ClientApp, DataService
    from shuzheng.data.sharing.models import Grant

    assert world["rows_stored"] == store.count(world["entry_id"]) == ROWS
    assert len(world["keys"]) >= ROWS - 1  # the generator duplicates one ID number on purpose
    entry = CatalogueEntry.objects.get(pk=world["entry_id"])
    assert entry.status == "published" and entry.grade == "important"  # raised by aggregation
    assert DataService.objects.get(pk=world["service_id"]).entry_id == entry.pk
    grant = Grant.objects.get(pk=world["grant_id"])
    assert grant.is_active() and grant.fields == data_gateway.FIELDS
    assert ClientApp.objects.get(organisation=grant.consumer).status == "active"


def test_gateway_answers_masked_fields_and_the_direct_baseline_the_same_record(world):
    import data_direct_app

    from shuzheng.data.exchange.gateway import core
    from shuzheng.data.exchange.models import ExchangeLog

    key = world["keys"][7]
    headers = data_gateway._headers(world, "smoke-1", 3)
    status, _headers, body = core.handle("GET", data_gateway.GATEWAY_PREFIX + key, "", headers, "")
    assert status == 200, body[:300]
    answer = json.loads(body)
    record = answer["records"][0]
    assert set(record) == set(data_gateway.FIELDS)
    masked = {code for code, how in answer["masking"].items() if how == "masked"}
    assert masked == {"id_number", "name", "birth_date", "household_address", "phone"}
    assert record["id_number"] != key and "*" in record["id_number"]
    status, direct = data_direct_app.respond(world["entry_id"], world["fields"], key)
    plain = json.loads(direct)["records"][0]
    assert status == 200 and plain["id_number"] == key and set(plain) == set(record)
    assert {plain[c] == record[c] for c in set(record) - masked} == {True}
    assert ExchangeLog.objects.filter(message_id="smoke-1", outcome="ok").count() == 1
    assert data_direct_app.respond(world["entry_id"], world["fields"], "no-such-key")[0] == 404


def test_gateway_inprocess_measurement_and_profile(world):
    from shuzheng.data.exchange.models import ExchangeLog

    result = data_gateway.measure_inprocess(world, 40)
    for side in ("gateway", "direct"):
        assert result[side]["calls"] == 40
        assert 0 < result[side]["p50_ms"] <= result[side]["p95_ms"] <= result[side]["p99_ms"]
    profile = data_gateway.profile_gateway(world, 20, top=10)
    assert profile["calls"] == 20 and len(profile["top_self"]) == 10
    areas = profile["self_us_per_call_by_area"]
    assert {"database driver", "crypto (SM3 / SM4 / HMAC)", "gateway code"} <= set(areas)
    assert abs(sum(a["share"] for a in areas.values()) - 1) < 0.01
    assert ExchangeLog.objects.filter(outcome="ok").count() == 40 + 40 + 20  # warm-up included


@pytest.mark.skipif(
    shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)"
)
def test_gateway_http_run_end_to_end_on_sqlite():
    command = [sys.executable, str(BENCH / "data_gateway.py"), "--no-pg", "--mode", "http"]
    command += ["--rows", "200", "--duration", "1", "--warmup", "0", "--runs", "1"]
    command += ["--connections", "4", "--light-connections", "1", "--light-duration", "1"]
    command += ["--seal-every", "0.5"]
    env = {**os.environ, "DATA_EXCHANGE_SEAL_LAG_SECONDS": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)  # the bench sets up its own installation
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    http = report["results"][0]["http"]
    for side in ("gateway", "direct"):
        assert http[side]["rps"] > 0 and http[side]["errors"] == 0
    assert http["check"]["masked"] == [
        "birth_date",
        "household_address",
        "id_number",
        "name",
        "phone",
    ]
    log = http["log"]
    assert http["light"]["gateway"]["rps"] > 0 and http["light"]["connections"] == 1
    assert 0 <= log["in_flight_difference"] <= 4 + 1 and log["direct_log_rows"] == 0
    assert log["quota_matches_ok_rows"]
    sealing = http["sealing"]
    assert sealing["verify"]["ok"] and sealing["verify"]["unsealed"] == 0
    assert sealing["verify"]["rows_checked"] == log["log_rows_total"]
    assert set(http["target"]) >= {"rps_met", "p95_met", "met"}


@pytest.fixture
def catalogue(db):
    from shuzheng.data.catalog import services as catalog
    from shuzheng.foundation.identity import demo as identity_demo

    identity_demo.load_organisations()
    catalog.load_classifications()
    people = data_catalog_search.users()
    counts = data_catalog_search.generate(400, chunk=150)
    documents, _seconds = data_catalog_search.build_index()
    return people, counts, documents


def test_catalogue_generator_makes_published_indexed_entries(catalogue):
    from shuzheng.data.catalog import snapshot
    from shuzheng.data.catalog.models import CatalogueEntry, DataItem

    _people, counts, documents = catalogue
    assert counts["generated"] == counts["entries"] == documents == 400
    assert counts["providers"] > 10 and counts["open"] > 0
    assert set(counts["share_types"]) == {"unconditional", "conditional", "none"}
    entry = CatalogueEntry.objects.order_by("?").first()
    assert entry.status == "published" and entry.code.startswith(entry.classification.code + "/")
    assert set(snapshot.ENTRY_KEYS) <= set(entry.published)
    assert [i["code"] for i in snapshot.items_of(entry)] == list(
        DataItem.objects.filter(entry=entry).order_by("sort_order").values_list("code", flat=True)
    )
    assert DataItem.objects.filter(entry=entry, is_key=True).count() <= 1
    assert CatalogueEntry.objects.values("code").distinct().count() == 400


def test_catalogue_search_measurement_covers_every_user_and_query_class(catalogue):
    people, _counts, _documents = catalogue
    result = data_catalog_search.measure(people, rounds=1)
    classes = {q[0] for q in data_catalog_search.QUERIES}
    assert set(result["users"]) == {"data_authority", "data_user_weijian", "anonymous_open"}
    for who, report in result["users"].items():
        assert report["searches"] == len(data_catalog_search.QUERIES)
        assert set(report["by_class"]) == classes
        assert report["baseline_p50_ms"] > 0
        assert report["page_size"] == (20 if who == "anonymous_open" else 50)
    authority = result["users"]["data_authority"]["per_query"]
    assert authority["人口 p1"]["hits"] > 0
    # the open catalogue never shows a 不予开放 entry
    from shuzheng.data.catalog import selectors

    hits = selectors.search(people["anonymous_open"], "信息", limit=20)
    assert all(h.object.published["open_type"] != "none" for h in hits)
    assert result["overall"]["searches"] == 3 * len(data_catalog_search.QUERIES)
