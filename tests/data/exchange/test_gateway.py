"""The gateway's core (``core.handle``): deny by default, the grant read on every call, field
scope and masking by grade on every path, quota, and one log row per call with nothing
personal in it."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.utils import timezone

from shuzheng.data.catalog import masking, snapshot
from shuzheng.data.catalog.models import EntryStatus
from shuzheng.data.exchange import services
from shuzheng.data.exchange.gateway import core
from shuzheng.data.exchange.models import ExchangeLog, QuotaCounter
from shuzheng.data.sharing.models import GrantStatus
from shuzheng.foundation.trust import gm
from tests.data.conftest import POPULATION_ROWS
from tests.data.exchange.conftest import BASE, gateway_call, make_grant

pytestmark = pytest.mark.django_db

ZHANG, LI = POPULATION_ROWS
MASKED_ZHANG = {
    "id_number": "440402********1236",
    "name": "张**",
    "sex": "1",
    "birth_date": "1990",
    "address": "广东省珠海市香洲区拱北街道****",
    "phone": "138****8000",
}


def last_log():
    return ExchangeLog.objects.order_by("-seq").first()


# --------------------------------------------------------------------------- deny by default


def test_a_call_without_credentials_is_refused_and_logged(call):
    reply = gateway_call(BASE + "/records")
    assert reply.status == 401
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")
    assert "records" not in reply.json
    log = last_log()
    assert (log.outcome, log.reason, log.status_code) == (
        "unauthenticated",
        "missing_credentials",
        401,
    )
    assert log.client_id is None and log.grant_id is None


@pytest.mark.parametrize(
    "token",
    [
        "nokey",
        "unknownkeyid.secret-that-is-long-enough",
        "{key_id}.wrong-secret",
        "{key_id}.",
        ".{secret}",
    ],
)
def test_every_authentication_failure_gets_the_same_answer(xw, call, token):
    token = token.format(key_id=xw.client.key_id, secret=xw.secret)
    reply = call("/records", token=token)
    assert reply.status == 401
    body = reply.json
    assert body["type"] == "urn:shuzheng:problem:unauthenticated"
    assert body["reason"] == "unauthenticated"
    assert set(body) == {"type", "title", "status", "detail", "reason", "message_id"}
    assert last_log().outcome == "unauthenticated"


def test_a_wrong_secret_is_logged_against_the_claimed_client(xw, call):
    call("/records", token=f"{xw.client.key_id}.wrong")
    log = last_log()
    assert log.reason == "bad_credentials"
    assert log.client_id == xw.client.pk and log.consumer_id == xw.dm.weijian.pk


def test_a_disabled_client_is_refused(xw, call):
    services.set_client_status(xw.dm.wj_admin, xw.client, "disabled", revision=xw.client.revision)
    core.forget()  # the change is committed only at the end of the test transaction
    reply = call("/records")
    assert reply.status == 403
    assert reply.json["reason"] == "client_disabled"
    assert last_log().reason == "client_disabled"


def test_a_call_from_an_address_outside_the_allowed_ones_is_refused(xw, call):
    services.update_client(
        xw.dm.wj_admin, xw.client, revision=xw.client.revision, allowed_ips=["10.1.0.0/16"]
    )
    core.forget()
    assert call("/records", ip="10.0.0.8").json["reason"] == "ip_not_allowed"
    assert call("/records", ip="10.1.2.3").status == 200


def test_without_a_grant_nothing_is_returned(xw, call):
    xw.grant.delete()
    reply = call("/records")
    assert reply.status == 403
    assert reply.json["reason"] == "no_grant"
    assert "records" not in reply.json
    assert last_log().reason == "no_grant"


def test_a_grant_of_another_department_does_not_count(xw, call, make_staff):
    xw.grant.consumer = xw.dm.zwfw
    xw.grant.save()
    assert call("/records").json["reason"] == "no_grant"


def test_revocation_takes_effect_at_the_very_next_call(xw, call):
    assert call("/records").status == 200
    xw.grant.status = GrantStatus.REVOKED
    xw.grant.revoked_at = timezone.now()
    xw.grant.save()
    reply = call("/records")
    assert reply.status == 403
    assert reply.json["reason"] == "grant_revoked"
    assert last_log().grant_id is None


def test_expiry_takes_effect_when_valid_until_passes(xw, call, monkeypatch):
    until = xw.grant.valid_until
    monkeypatch.setattr("django.utils.timezone.now", lambda: until - dt.timedelta(microseconds=1))
    assert call("/records").status == 200
    monkeypatch.setattr("django.utils.timezone.now", lambda: until)
    reply = call("/records")
    assert reply.status == 403
    assert reply.json["reason"] == "grant_expired"


def test_a_grant_not_yet_valid_is_refused(xw, call):
    xw.grant.valid_from = timezone.now() + dt.timedelta(days=1)
    xw.grant.save()
    assert call("/records").json["reason"] == "grant_not_yet_valid"


def test_purpose_or_case_number_is_required(call):
    reply = call("/records", purpose="")
    assert reply.status == 400
    assert reply.json["reason"] == "purpose_required"
    assert call("/records", purpose="", headers={"X-Case-Number": "ZH2026-0001"}).status == 200


def test_unknown_and_suspended_services_answer_404(xw, call):
    reply = gateway_call("/gateway/v1/services/nothing/v1/records", token=xw.token)
    assert reply.status == 404 and reply.json["reason"] == "service_not_found"
    log = last_log()
    assert log.service_code == "nothing/v1" and log.service_id is None
    services.set_service_status(xw.dm.ga_admin, xw.service, "suspended", revision=0)
    core.forget()
    assert call("/records").json["reason"] == "service_suspended"


def test_a_withdrawn_entry_answers_404(xw, call):
    xw.dm.population.status = EntryStatus.WITHDRAWN
    xw.dm.population.save()
    core.forget()
    assert call("/records").json["reason"] == "entry_unavailable"


def test_only_get_is_served(call):
    reply = call("/records", method="POST")
    assert reply.status == 405
    assert reply.headers["Allow"] == "GET"
    assert last_log().outcome == "bad_request"


def test_a_path_that_is_no_gateway_route_is_not_logged(xw):
    reply = gateway_call("/gateway/v1/elsewhere", token=xw.token)
    assert reply.status == 404
    assert not ExchangeLog.objects.exists()


# --------------------------------------------------------------------------- fields and masking


def test_list_returns_granted_fields_masked_by_grade_and_never_the_core_item(call):
    reply = call("/records")
    assert reply.status == 200
    body = reply.json
    assert body["fields"] == ["id_number", "name", "sex", "birth_date", "address", "phone"]
    assert body["masking"]["religion"] == "withheld"
    assert body["masking"]["phone"] == "masked" and body["masking"]["sex"] == "clear"
    assert body["records"][0] == MASKED_ZHANG
    assert all("religion" not in r for r in body["records"])
    assert "无" not in reply.body.decode()  # the religion value
    assert ZHANG["id_number"] not in reply.body.decode()


def test_clear_fields_of_the_grant_are_delivered_clear_below_important(xw, call):
    xw.grant.clear_fields = ["name", "id_number", "phone", "religion"]
    xw.grant.save()
    body = call("/records").json
    first = body["records"][0]
    assert first["name"] == "张三丰" and first["id_number"] == ZHANG["id_number"]
    assert first["phone"] == "138****8000"  # 重要数据: masked whatever the grant says
    assert "religion" not in first


def test_asking_for_an_ungranted_field_is_refused_naming_it(xw, call):
    xw.grant.fields = ["id_number", "name"]
    xw.grant.save()
    reply = call("/records", "fields=name,phone,address")
    assert reply.status == 403
    assert reply.json["reason"] == "field_not_granted"
    assert reply.json["fields"] == ["phone", "address"]
    assert "138" not in reply.body.decode()
    log = last_log()
    assert (log.reason, log.record_count, log.fields) == ("field_not_granted", 0, [])


def test_default_fields_are_the_granted_ones(xw, call):
    xw.grant.fields = ["name", "sex"]
    xw.grant.save()
    body = call("/records").json
    assert body["fields"] == ["name", "sex"]
    assert body["records"][0] == {"name": "张**", "sex": "1"}


def test_fields_narrow_the_answer(call):
    body = call("/records", "fields=sex,name").json
    assert body["fields"] == ["sex", "name"]
    assert body["records"][1] == {"sex": "2", "name": "李**"}


def test_detail_by_key_is_masked_the_same_way(call):
    reply = call(f"/records/{ZHANG['id_number']}")
    assert reply.status == 200
    assert reply.json["records"] == [MASKED_ZHANG]
    assert call("/records/440402000000000000").json["reason"] == "record_not_found"


def test_search_by_the_key_item_and_by_another_item(call):
    by_key = call("/records", f"id_number={LI['id_number']}").json
    assert [r["name"] for r in by_key["records"]] == ["李**"]
    by_name = call("/records", "name=张三丰").json
    assert [r["id_number"] for r in by_name["records"]] == ["440402********1236"]
    assert call("/records", "sex=3").json["records"] == []


def test_search_by_an_ungranted_item_is_refused(xw, call):
    xw.grant.fields = ["id_number", "name"]
    xw.grant.save()
    reply = call("/records", "phone=13800138000")
    assert reply.status == 403
    assert reply.json["reason"] == "field_not_granted"
    assert reply.json["fields"] == ["phone"]


def test_search_by_a_withheld_item_is_refused(call):
    reply = call("/records", "religion=无")
    assert reply.status == 403
    assert reply.json["reason"] == "field_withheld"


def test_search_by_an_unknown_item_is_a_bad_request(call):
    assert call("/records", "nickname=x").json["reason"] == "unknown_parameter"


def test_paging_with_after_and_limit(call):
    first = call("/records", "limit=1").json
    assert len(first["records"]) == 1 and first["next"]
    second = call("/records", f"limit=1&after={first['next']}").json
    assert second["records"][0]["name"] == "李**"
    assert second["next"] is None
    assert call("/records", "limit=101").json["reason"] == "bad_parameter"
    assert call("/records", "limit=1&limit=2").json["reason"] == "bad_parameter"


def test_export_json_and_csv_are_masked_and_hold_every_row(call):
    body = call("/export", "format=json").json
    assert body["count"] == 2 and body["records"][0] == MASKED_ZHANG
    reply = call("/export", "format=csv")
    assert reply.headers["Content-Type"].startswith("text/csv")
    text = reply.body.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0] == "id_number,name,sex,birth_date,address,phone"
    assert lines[1] == "440402********1236,张**,1,1990,广东省珠海市香洲区拱北街道****,138****8000"
    assert "张三丰" not in text and "religion" not in text


def test_csv_export_escapes_formulas(xw, call, dm):
    from shuzheng.data.catalog import store
    from shuzheng.foundation import access

    store.put_records(
        access.SYSTEM,
        dm.population,
        [{"id_number": "440402199901011234", "name": "=HYPERLINK(1)", "sex": "-1"}],
    )
    xw.grant.clear_fields = ["name"]
    xw.grant.save()
    text = call("/export", "format=csv&fields=name,sex").body.decode("utf-8-sig")
    assert "'=HYPERLINK(1),'-1" in text


def test_the_compiled_plan_delivers_exactly_what_masking_deliver_does(xw, call):
    """The gateway applies the masking policy through a per-process compiled plan; it must
    equal ``masking.deliver`` for every record, field set and clear-field set."""
    items = snapshot.items_of(xw.dm.population)
    every = ["id_number", "name", "sex", "birth_date", "address", "phone", "religion"]
    for clear in ([], ["name", "address", "id_number"], ["phone", "religion", "birth_date"]):
        xw.grant.clear_fields = clear
        xw.grant.save()
        for fields, query in (
            (every, ""),
            (every[:6], "fields=" + ",".join(every[:6])),
            (["phone", "sex"], "fields=phone,sex"),
        ):
            body = call("/records", query).json
            expected = [masking.deliver(items, row, fields, clear) for row in POPULATION_ROWS]
            assert body["records"] == expected
            assert body["masking"] == masking.plan(items, fields, clear)


def test_asking_for_a_withheld_field_is_refused(call):
    reply = call("/records", "fields=name,religion")
    assert reply.status == 403
    assert reply.json["reason"] == "field_withheld" and reply.json["fields"] == ["religion"]


# --------------------------------------------------------------------------- quota


def test_over_the_minute_quota_is_429_with_retry_after(xw, call):
    xw.grant.quota_per_minute = 2
    xw.grant.save()
    assert call("/records").status == 200
    assert call("/records").status == 200
    reply = call("/records")
    assert reply.status == 429
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert 1 <= int(reply.headers["Retry-After"]) <= 60
    assert reply.json["reason"] == "quota_minute"
    counters = dict(QuotaCounter.objects.values_list("window", "used"))
    assert counters == {"minute": 2, "day": 2}
    log = last_log()
    assert (log.outcome, log.reason, log.status_code) == ("over_quota", "quota_minute", 429)


def test_the_day_quota_counts_across_minutes(xw, call, monkeypatch):
    xw.grant.quota_per_day = 2
    xw.grant.save()
    start = timezone.now().replace(second=5)
    for minute in range(2):
        moment = start + dt.timedelta(minutes=minute)
        monkeypatch.setattr("django.utils.timezone.now", lambda m=moment: m)
        assert call("/records").status == 200
    moment = start + dt.timedelta(minutes=2)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    reply = call("/records")
    assert reply.status == 429 and reply.json["reason"] == "quota_day"
    assert int(reply.headers["Retry-After"]) > 60


def test_a_refused_call_takes_no_quota(xw, call):
    call("/records", "fields=nothing")
    call("/records", token=f"{xw.client.key_id}.bad")
    assert not QuotaCounter.objects.exists()


def test_the_upsert_refuses_when_a_concurrent_caller_took_the_last_call(xw, call, monkeypatch):
    """The early check reads the counters; the UPSERT decides. Simulate a concurrent call
    that took the last unit between the read and the write."""
    xw.grant.quota_per_minute = 1
    xw.grant.save()
    real = core._grant

    def stale(*args, **kwargs):
        grant = real(*args, **kwargs)
        QuotaCounter.objects.create(
            grant_id=grant.id, window="minute", window_start=grant.minute_start, used=1
        )
        return grant

    monkeypatch.setattr(core, "_grant", stale)
    reply = call("/records")
    assert reply.status == 429 and reply.json["reason"] == "quota_minute"
    counters = dict(QuotaCounter.objects.values_list("window", "used"))
    assert counters["minute"] == 1
    assert counters.get("day", 0) == 0  # the day's increment was given back (or rolled back)
    log = last_log()
    assert log.status_code == 429 and log.record_count == 0 and log.fields == []


# --------------------------------------------------------------------------- the log


def test_every_call_is_logged_with_hashes_of_what_was_sent(xw, call):
    reply = call(
        "/records",
        "fields=name",
        headers={
            "X-Message-Id": "msg-0001",
            "X-End-User": ZHANG["id_number"],
            "X-Case-Number": "ZH2026-0001",
        },
    )
    assert reply.headers["X-Message-Id"] == "msg-0001"
    log = last_log()
    assert log.message_id == "msg-0001"
    assert log.response_hash == gm.sm3(reply.body).hex()
    assert len(log.request_hash) == 64 and log.request_hash != log.response_hash
    assert (log.client_id, log.consumer_id, log.provider_id, log.service_id, log.grant_id) == (
        xw.client.pk,
        xw.dm.weijian.pk,
        xw.dm.gongan.pk,
        xw.service.pk,
        xw.grant.pk,
    )
    assert log.purpose == "出生医学证明核验" and log.case_number == "ZH2026-0001"
    assert (log.outcome, log.status_code, log.record_count, log.fields) == ("ok", 200, 2, ["name"])
    assert log.end_user_hash and len(log.end_user_hash) == 64
    assert log.latency_ms >= 0


def test_a_missing_message_id_is_generated_and_returned(call):
    reply = call("/records")
    mid = reply.headers["X-Message-Id"]
    assert len(mid) == 36 and reply.json["message_id"] == mid
    assert last_log().message_id == mid


def test_a_malformed_message_id_is_a_bad_request(call):
    reply = call("/records", headers={"X-Message-Id": "bad id with spaces"})
    assert reply.status == 400 and reply.json["reason"] == "bad_message_id"


def test_nothing_personal_is_in_the_log(call):
    call(f"/records/{ZHANG['id_number']}", headers={"X-End-User": LI["id_number"]})
    call("/records", f"name={ZHANG['name']}")
    call("/records", f"phone={ZHANG['phone']}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ExchangeLog._meta.db_table}")
        dump = json.dumps(cursor.fetchall(), ensure_ascii=False, default=str)
    for value in (ZHANG["id_number"], LI["id_number"], ZHANG["name"], ZHANG["phone"], "张**"):
        assert value not in dump


def test_the_same_request_hashes_the_same_and_a_different_one_differently(call):
    headers = {"X-Message-Id": "m-1", "X-End-User": "u-1"}
    call("/records", "name=张三丰", headers=headers)
    call("/records", "name=张三丰", headers=headers)
    call("/records", "name=李小红", headers=headers)
    first, second, third = ExchangeLog.objects.order_by("seq").values_list(
        "request_hash", flat=True
    )
    assert first == second != third


def test_header_values_may_be_utf8_or_percent_encoded(call):
    raw = "出生医学证明核验".encode().decode("latin-1")  # as WSGI hands raw UTF-8 over
    call("/records", purpose="", headers={"X-Purpose": raw})
    call("/records", purpose="", headers={"X-Purpose": "%E5%87%BA%E7%94%9F"})
    purposes = list(ExchangeLog.objects.order_by("seq").values_list("purpose", flat=True))
    assert purposes == ["出生医学证明核验", "出生"]


def test_problem_bodies_never_echo_data_values(call):
    secret_value = "440402199001011236"
    for reply in (
        call(f"/records/{secret_value}", "fields=religion"),
        call("/records", f"religion={secret_value}"),
        call("/records", f"nickname={secret_value}"),
        call("/records", f"name={secret_value}&name=again"),
    ):
        assert reply.status >= 400
        assert secret_value not in reply.body.decode()


def test_an_internal_error_is_logged_as_500(call, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(core, "_fetch", boom)
    reply = call("/records")
    assert reply.status == 500
    assert last_log().reason == "internal_error"


def test_a_second_grant_covering_the_requested_fields_is_chosen(xw, call, dm):
    xw.grant.fields = ["name"]
    xw.grant.granted_at = timezone.now() - dt.timedelta(days=1)
    xw.grant.save()
    newer = make_grant(dm, fields=["sex"])
    assert call("/records").json["fields"] == ["sex"]  # the newest by default
    assert last_log().grant_id == newer.pk
    assert call("/records", "fields=name").json["fields"] == ["name"]
    assert last_log().grant_id == xw.grant.pk


def test_a_regraded_entry_is_masked_by_its_new_level_at_the_next_call(
    xw, call, django_capture_on_commit_callbacks
):
    assert call("/records").json["masking"]["sex"] == "clear"
    entry = xw.dm.population
    items = [
        dict(item, grade="important") if item["code"] == "sex" else item
        for item in entry.published["items"]
    ]
    with django_capture_on_commit_callbacks(execute=True):
        entry.published = {**entry.published, "items": items}
        entry.save(update_fields=["published"])
    body = call("/records").json
    assert body["masking"]["sex"] == "masked"
    assert body["records"][0]["sex"] == "*"
