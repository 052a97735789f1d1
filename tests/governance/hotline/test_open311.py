"""Open311 GeoReport v2: every response has the structure and field names of the
specification's examples (XML parsed, and its JSON mapping); POST files a work order through
the 12345 intake and refuses bad input, a bad api_key or another jurisdiction in Open311's
own error format with nothing written; GET filters as the specification says and never
shows the caller's name or phone."""

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.foundation.trust.models import AuditRecord
from shuzheng.governance.hotline import open311
from shuzheng.governance.hotline.models import Category, RequestType, WorkOrder
from shuzheng.governance.hotline.services import intake, open311_clients
from tests.governance.conftest import GOOD_PHONE, IN_GONGBEI

pytestmark = pytest.mark.django_db

FORMATS = ["json", "xml"]

# Field names of the specification's tables (wiki.open311.org/GeoReport_v2, Service_Discovery)
DISCOVERY_FIELDS = {"changeset", "contact", "key_service", "endpoints"}
ENDPOINT_FIELDS = {"specification", "url", "changeset", "type", "formats"}
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
DEFINITION_FIELDS = {"service_code", "attributes"}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
VALUE_FIELDS = {"key", "name"}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
CREATED_FIELDS = {"service_request_id", "service_notice", "account_id"}
TOKEN_FIELDS = {"service_request_id", "token"}
ERROR_FIELDS = {"code", "description"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


# --------------------------------------------------------------------------- helpers


def url(name, fmt, **kwargs):
    return reverse(f"open311:{name}", kwargs={"fmt": fmt, **kwargs})


def parse(response, fmt):
    """The body as JSON, or as the XML root element (after checking the declaration)."""
    body = response.content.decode("utf-8")
    if fmt == "json":
        assert response["Content-Type"] == "application/json; charset=utf-8"
        return json.loads(body)
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert body.startswith('<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)


def tags(element):
    return [child.tag for child in element]


def xml_record(element) -> dict:
    """A flat XML record (<request>, <service>) as {tag: text or None}."""
    return {child.tag: child.text for child in element}


def get(client, name, fmt, params=None, **kwargs):
    return client.get(url(name, fmt, **kwargs), params or {})


def errors_of(response, fmt) -> list[dict]:
    """Open311 errors, checked for structure, as [{"code": int, "description": str}]."""
    data = parse(response, fmt)
    if fmt == "json":
        assert isinstance(data, list) and data
        for error in data:
            assert set(error) == ERROR_FIELDS
        return data
    assert data.tag == "errors" and data
    out = []
    for error in data:
        assert error.tag == "error"
        assert set(tags(error)) == ERROR_FIELDS
        out.append(
            {"code": int(error.find("code").text), "description": error.find("description").text}
        )
    return out


def assert_error(response, fmt, status, *words):
    assert response.status_code == status, response.content.decode()
    errors = errors_of(response, fmt)
    assert all(error["code"] == status for error in errors)
    text = " ".join(error["description"] for error in errors)
    for word in words:
        assert word in text, text
    return errors


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)  # the POST must not need a CSRF token


@pytest.fixture
def app(hl):
    """An Open311 application and its key."""
    created, key = open311_clients.issue_key(hl.admin, name="随手拍", contact="dev@example.com")
    return created, key


def post(client, key, fmt="json", **fields):
    data = {
        "api_key": key,
        "service_code": "010101",
        "lat": str(IN_GONGBEI[0]),
        "long": str(IN_GONGBEI[1]),
        "address_string": "拱北夏湾路 88 号",
        "description": "小区门口垃圾三天没人清运，气味很大。",
        "attribute[request_type]": "complaint",
    }
    data.update(fields)
    data = {key: value for key, value in data.items() if value is not None}
    return client.post(url("requests", fmt), data)


# --------------------------------------------------------------------------- discovery


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_lists_this_endpoint_with_both_formats(client, hl, fmt):
    response = get(client, "discovery", fmt)
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "discovery"
        assert set(tags(data)) == DISCOVERY_FIELDS
        endpoints = data.find("endpoints")
        assert tags(endpoints) == ["endpoint"]
        endpoint = endpoints.find("endpoint")
        assert set(tags(endpoint)) == ENDPOINT_FIELDS
        assert tags(endpoint.find("formats")) == ["format", "format"]
        record = xml_record(endpoint)
        formats = [f.text for f in endpoint.find("formats")]
    else:
        assert set(data) == DISCOVERY_FIELDS
        (record,) = data["endpoints"]
        assert set(record) == ENDPOINT_FIELDS
        formats = record["formats"]
    assert record["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert record["url"] == "http://testserver/open311/v2"
    assert record["type"] in ("production", "test")
    assert sorted(formats) == ["application/json", "text/xml"]


# --------------------------------------------------------------------------- services


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_list_has_the_open311_leaves_with_the_spec_fields(client, hl, fmt):
    # a level-2 category marked open311 is not a service; nor is an inactive leaf
    Category.objects.filter(pk=hl.sanitation.pk).update(open311=True)
    inactive = Category.objects.create(
        code="010103", name="停用分类", parent=hl.sanitation, level=3, open311=True, is_active=False
    )
    response = get(client, "services", fmt, {"jurisdiction_id": "zhuhai.gov.cn"})
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "services"
        assert set(tags(data)) == {"service"}
        for service in data:
            assert set(tags(service)) == SERVICE_FIELDS
        services = [xml_record(s) for s in data]
        flag = "true"
    else:
        assert isinstance(data, list)
        for service in data:
            assert set(service) == SERVICE_FIELDS
        services = data
        flag = True
    assert [s["service_code"] for s in services] == ["010101", "010102", "020101"]
    assert inactive.code not in {s["service_code"] for s in services}
    garbage = services[0]
    assert garbage["service_name"] == "垃圾清运"
    assert garbage["group"] == "城乡建设"  # the level-1 category
    assert garbage["keywords"] == "垃圾, 清运"
    assert garbage["description"] == "城乡建设 / 市容环卫 / 垃圾清运"
    assert garbage["type"] == "realtime"
    assert garbage["metadata"] == flag
    assert services[2]["group"] == "社会保障"


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_offers_request_type_and_urgency(client, hl, fmt):
    response = get(client, "service", fmt, service_code="010101")
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "service_definition"
        assert tags(data) == ["service_code", "attributes"]
        assert data.find("service_code").text == "010101"
        attributes = []
        for attribute in data.find("attributes"):
            assert attribute.tag == "attribute"
            assert set(tags(attribute)) == ATTRIBUTE_FIELDS
            record = xml_record(attribute)
            values = []
            for value in attribute.find("values"):
                assert value.tag == "value" and set(tags(value)) == VALUE_FIELDS
                values.append(xml_record(value))
            record["values"] = values
            record["required"] = record["required"] == "true"
            record["variable"] = record["variable"] == "true"
            record["order"] = int(record["order"])
            attributes.append(record)
    else:
        assert set(data) == DEFINITION_FIELDS
        assert data["service_code"] == "010101"
        attributes = data["attributes"]
        for attribute in attributes:
            assert set(attribute) == ATTRIBUTE_FIELDS
            assert all(set(v) == VALUE_FIELDS for v in attribute["values"])
    by_code = {a["code"]: a for a in attributes}
    assert set(by_code) == {"request_type", "urgency"}
    assert all(a["datatype"] in DATATYPES and a["variable"] is True for a in attributes)
    assert sorted(a["order"] for a in attributes) == [1, 2]
    kind = by_code["request_type"]
    assert kind["required"] is True and kind["datatype"] == "singlevaluelist"
    assert [v["key"] for v in kind["values"]] == list(RequestType.values)
    assert {v["name"] for v in kind["values"]} >= {"咨询", "投诉", "表扬"}
    urgency = by_code["urgency"]
    assert urgency["required"] is False
    # 特急 is the operator's decision, not the reporter's
    assert [v["key"] for v in urgency["values"]] == ["normal", "urgent"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("code", ["999999", "0101", "abc"])
def test_unknown_or_closed_service_code_is_404(client, hl, fmt, code):
    response = get(client, "service", fmt, service_code=code)
    assert_error(response, fmt, 404, "service_code")


def test_a_category_not_open_to_open311_has_no_definition(client, hl):
    Category.objects.filter(pk=hl.social.pk).update(open311=False)
    assert_error(get(client, "service", "json", service_code="020101"), "json", 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_another_jurisdiction_is_not_found(client, hl, fmt):
    response = get(client, "services", fmt, {"jurisdiction_id": "sfgov.org"})
    assert_error(response, fmt, 404, "jurisdiction_id")


def test_an_unsupported_format_is_an_error_in_xml(client, hl):
    response = client.get("/open311/v2/services.html")
    assert_error(response, "xml", 400, "html")


def test_a_read_only_resource_refuses_post(client, hl):
    response = client.post(url("services", "json"))
    assert_error(response, "json", 405)
    assert response["Allow"] == "GET, HEAD"


def test_reads_may_be_fetched_by_browser_apps_of_other_origins(client, hl):
    response = get(client, "services", "json")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"


# --------------------------------------------------------------------------- POST


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_files_a_work_order_the_operator_sees(client, hl, app, fmt):
    created, key = app
    response = post(
        client,
        key,
        fmt,
        jurisdiction_id="zhuhai.gov.cn",
        first_name="小明",
        last_name="李",
        phone="13800138000",
        email="li@example.com",
        account_id="acct-42",
        device_id="device-1",
        **{"attribute[urgency]": "urgent"},
    )
    assert response.status_code == 200, response.content.decode()
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "service_requests" and tags(data) == ["request"]
        assert set(tags(data[0])) == CREATED_FIELDS
        result = xml_record(data[0])
    else:
        (result,) = data
        assert set(result) == CREATED_FIELDS
    order = WorkOrder.objects.get()
    assert result["service_request_id"] == order.number
    assert result["account_id"] == "acct-42"
    assert "1 个工作日" in result["service_notice"]  # 紧急: the urgent limit
    assert order.channel == "open311"
    assert order.category == hl.garbage
    assert order.request_type == "complaint" and order.urgency == "urgent"
    assert order.content == "小区门口垃圾三天没人清运，气味很大。"
    assert (order.latitude, order.longitude) == IN_GONGBEI
    assert order.address == "拱北夏湾路 88 号"
    assert order.grid == hl.cells[0]
    assert order.caller_name == "李小明"  # 姓 + 名
    assert order.caller_phone == GOOD_PHONE
    assert order.anonymous is False
    assert order.unit == hl.centre and order.state == "registered"
    visible = access.scope(hl.operator, WorkOrder.objects.all(), "hotline.view")
    assert list(visible) == [order]
    created.refresh_from_db()
    assert created.requests == 1 and created.last_used_at is not None
    record = AuditRecord.objects.get(action="hotline.open311.request")
    assert record.object_id == str(order.pk)
    assert record.details["client"] == created.pk
    assert record.details["client_name"] == "随手拍"
    # no personal data in the audit trail
    assert "li@example.com" not in json.dumps(record.details, ensure_ascii=False)
    assert "acct-42" not in json.dumps(record.details, ensure_ascii=False)


def test_post_without_phone_is_anonymous_and_latin_names_keep_their_order(client, hl, app):
    _created, key = app
    assert post(client, key, first_name="John", last_name="Smith").status_code == 200
    order = WorkOrder.objects.get()
    assert order.caller_name == "John Smith"
    assert order.caller_phone == "" and order.anonymous is True
    assert order.urgency == "normal"


def test_post_records_the_media_url_in_the_content(client, hl, app):
    _created, key = app
    photo = "https://img.example.com/p/1.jpg"
    assert post(client, key, media_url=photo).status_code == 200
    order = WorkOrder.objects.get()
    assert order.content.startswith("小区门口垃圾三天没人清运")
    assert photo in order.content


def test_post_of_a_category_without_location_needs_none(client, hl, app):
    _created, key = app
    response = post(
        client,
        key,
        service_code="020101",
        lat=None,
        long=None,
        address_string=None,
        description="想咨询灵活就业人员社保怎么缴费。",
        **{"attribute[request_type]": "consult"},
    )
    assert response.status_code == 200, response.content.decode()
    assert WorkOrder.objects.get().category == hl.social


def test_post_with_address_only_is_accepted(client, hl, app):
    _created, key = app
    assert post(client, key, lat=None, long=None).status_code == 200
    order = WorkOrder.objects.get()
    assert order.latitude is None and order.address == "拱北夏湾路 88 号"


def test_each_post_counts_for_its_application(client, hl, app):
    created, key = app
    for _ in range(3):
        assert post(client, key).status_code == 200
    created.refresh_from_db()
    assert created.requests == 3
    assert WorkOrder.objects.filter(channel="open311").count() == 3


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("key", [None, "", "not-a-key", "x" * 500])
def test_post_without_a_valid_api_key_is_403(client, hl, app, fmt, key):
    response = post(client, key, fmt)
    assert_error(response, fmt, 403, "api_key")
    assert not WorkOrder.objects.exists()


def test_post_with_a_revoked_key_is_403(client, hl, app):
    created, key = app
    open311_clients.revoke(hl.admin, created)
    assert_error(post(client, key), "json", 403, "api_key")
    assert not WorkOrder.objects.exists()
    created.refresh_from_db()
    assert created.requests == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_with_an_unknown_service_code_is_an_open311_error(client, hl, app, fmt):
    _created, key = app
    # the specification: "404 - service_code or jurisdiction_id was not found"
    response = post(client, key, fmt, service_code="999999")
    assert_error(response, fmt, 404, "service_code", "999999")
    assert not WorkOrder.objects.exists()


def test_post_to_a_category_closed_to_open311_is_refused(client, hl, app):
    _created, key = app
    Category.objects.filter(pk=hl.garbage.pk).update(open311=False)
    assert_error(post(client, key), "json", 404, "service_code")
    assert_error(post(client, key, service_code="0101"), "json", 404, "service_code")
    assert not WorkOrder.objects.exists()


def test_post_without_service_code_is_400(client, hl, app):
    _created, key = app
    assert_error(post(client, key, service_code=None), "json", 400, "service_code")


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_without_location_for_a_category_that_needs_one_is_400(client, hl, app, fmt):
    _created, key = app
    response = post(client, key, fmt, lat=None, long=None, address_string=None)
    assert_error(response, fmt, 400, "location")
    assert not WorkOrder.objects.exists()


def test_address_id_alone_is_not_supported(client, hl, app):
    _created, key = app
    response = post(client, key, lat=None, long=None, address_string=None, address_id="545483")
    assert_error(response, "json", 400, "address_id")


@pytest.mark.parametrize(
    "fields, word",
    [
        ({"long": None}, "lat/long"),
        ({"lat": "abc"}, "lat"),
        ({"lat": "95"}, "lat"),
        ({"long": "nan"}, "long"),
        ({"attribute[request_type]": None}, "attribute[request_type]"),
        ({"attribute[request_type]": "rumour"}, "attribute[request_type]"),
        ({"attribute[urgency]": "emergency"}, "attribute[urgency]"),
        ({"description": "   "}, "description"),
        ({"description": "长" * 4001}, "description"),
        ({"phone": "12345"}, "phone"),
        ({"media_url": "javascript:alert(1)"}, "media_url"),
        ({"first_name": "名" * 51}, "first_name"),
        ({"address_string": "路" * 201}, "address_string"),
    ],
)
def test_bad_input_is_400_naming_the_parameter_and_writes_nothing(client, hl, app, fields, word):
    created, key = app
    response = post(client, key, **fields)
    assert_error(response, "json", 400, word)
    assert not WorkOrder.objects.exists()
    created.refresh_from_db()
    assert created.requests == 0


def test_all_bad_parameters_are_reported_at_once(client, hl, app):
    _created, key = app
    response = post(client, key, description="", **{"attribute[request_type]": None})
    errors = assert_error(response, "json", 400)
    text = [e["description"] for e in errors]
    assert len(errors) == 2
    assert any("description" in t for t in text)
    assert any("attribute[request_type]" in t for t in text)


def test_post_for_another_jurisdiction_is_404(client, hl, app):
    _created, key = app
    assert_error(post(client, key, jurisdiction_id="sfgov.org"), "json", 404, "jurisdiction_id")
    assert not WorkOrder.objects.exists()


def test_post_needs_no_csrf_token_and_no_session(hl, app):
    _created, key = app
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, key).status_code == 200


# --------------------------------------------------------------------------- GET requests


def _register(hl, **kw):
    data = {
        "channel": "web",
        "request_type": "complaint",
        "content": "拱北夏湾路小区门口垃圾三天没人清运，气味很大，请尽快处理。",
        "category": hl.garbage,
        "address": "拱北夏湾路 88 号",
        "latitude": IN_GONGBEI[0],
        "longitude": IN_GONGBEI[1],
        "caller_name": "李小明",
        "caller_phone": GOOD_PHONE,
    }
    data.update(kw)
    return intake.register(hl.operator, **data)


def _ago(order, days):
    WorkOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - dt.timedelta(days=days)
    )
    order.refresh_from_db()
    return order


def _ids(response, fmt="json"):
    data = parse(response, fmt)
    if fmt == "xml":
        return [r.find("service_request_id").text for r in data]
    return [r["service_request_id"] for r in data]


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_requests_has_the_spec_fields(client, hl, fmt):
    order = _register(hl)
    response = get(client, "requests", fmt)
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "service_requests" and tags(data) == ["request"]
        assert set(tags(data[0])) == REQUEST_FIELDS
        row = xml_record(data[0])
        lat, lng = float(row["lat"]), float(row["long"])
        assert row["media_url"] is None and row["address_id"] is None
    else:
        (row,) = data
        assert set(row) == REQUEST_FIELDS
        lat, lng = row["lat"], row["long"]
        assert row["media_url"] is None and row["address_id"] is None and row["zipcode"] is None
    assert row["service_request_id"] == order.number
    assert row["status"] == "open"
    assert row["status_notes"] == "已受理"
    assert row["service_code"] == "010101" and row["service_name"] == "垃圾清运"
    assert row["description"] == order.content
    assert row["agency_responsible"] == hl.centre.name
    assert "10 个工作日" in row["service_notice"]  # 投诉 under 城乡建设 (its own limit)
    assert row["address"] == "拱北夏湾路 88 号"
    assert (lat, lng) == IN_GONGBEI
    requested = dt.datetime.fromisoformat(row["requested_datetime"])
    assert requested.utcoffset() == dt.timedelta(hours=8)  # W3C with the offset
    assert requested == order.created_at.replace(microsecond=0)
    assert row["expected_datetime"] is None  # the clock starts at dispatch


def test_service_notice_follows_the_category_limit(client, hl):
    Category.objects.filter(pk=hl.garbage.pk).update(limits={"complaint": "7 working_days"})
    _register(hl)
    _register(hl, category=hl.social, request_type="consult", content="社保缴费咨询")
    social, garbage = parse(get(client, "requests", "json"), "json")
    assert "7 个工作日" in garbage["service_notice"]
    assert "3 个工作日" in social["service_notice"]  # the platform's default for 咨询


def test_get_requests_shows_only_open311_categories_newest_first(client, hl):
    private = Category.objects.create(
        code="020102", name="社保待遇", parent=hl.welfare.children.get(), level=3
    )
    first = _register(hl)
    _register(hl, category=private, latitude=None, longitude=None, address="")
    second = _register(hl, category=hl.vending, content="拱北口岸附近有人占道摆摊。")
    assert _ids(get(client, "requests", "json")) == [second.number, first.number]


def test_get_requests_filters_by_service_code_list(client, hl):
    garbage = _register(hl)
    vending = _register(hl, category=hl.vending, content="占道摆摊")
    social = _register(hl, category=hl.social, content="社保缴费咨询", request_type="consult")
    assert _ids(get(client, "requests", "json", {"service_code": "010102"})) == [vending.number]
    both = get(client, "requests", "json", {"service_code": "010101,020101"})
    assert _ids(both) == [social.number, garbage.number]
    repeated = client.get(url("requests", "json") + "?service_code=010101&service_code=010102")
    assert _ids(repeated) == [vending.number, garbage.number]


def test_get_requests_by_id_list_overrides_other_filters(client, hl):
    one, two, _three = _register(hl), _register(hl), _register(hl)
    response = get(
        client,
        "requests",
        "json",
        {"service_request_id": f"{one.number},{two.number}", "status": "closed"},
    )
    assert sorted(_ids(response)) == sorted([one.number, two.number])


def test_get_requests_defaults_to_the_last_90_days(client, hl):
    recent = _register(hl)
    old = _ago(_register(hl), 120)
    assert _ids(get(client, "requests", "json")) == [recent.number]
    start = (old.created_at - dt.timedelta(days=1)).isoformat()
    end = (old.created_at + dt.timedelta(days=1)).isoformat()
    window = get(client, "requests", "json", {"start_date": start, "end_date": end})
    assert _ids(window) == [old.number]
    only_start = get(client, "requests", "json", {"start_date": start})  # start + 90 days
    assert _ids(only_start) == [old.number]


def test_dates_in_w3c_utc_form_are_accepted(client, hl):
    order = _ago(_register(hl), 10)
    day = order.created_at.astimezone(dt.UTC)
    params = {
        "start_date": (day - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "end_date": (day + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    assert _ids(get(client, "requests", "json", params)) == [order.number]


@pytest.mark.parametrize(
    "params, word",
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
        ({"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "end_date"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2026-13-45"}, "end_date"),
        ({"status": "pending"}, "status"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_filters_are_400(client, hl, params, word, fmt):
    assert_error(get(client, "requests", fmt, params), fmt, 400, word)


def test_get_requests_returns_at_most_the_limit(client, hl, monkeypatch):
    monkeypatch.setattr(open311, "MAX_REQUESTS", 2)
    orders = [_register(hl) for _ in range(3)]
    assert _ids(get(client, "requests", "json")) == [orders[2].number, orders[1].number]


def test_status_filter_and_closed_orders_show_the_public_reply(client, hl, order_factory):
    open_order = order_factory("handling", channel="app")
    closed = order_factory("closed", channel="wechat")
    assert _ids(get(client, "requests", "json", {"status": "open"})) == [open_order.number]
    response = get(client, "requests", "json", {"status": "closed"})
    (row,) = parse(response, "json")
    closed.refresh_from_db()
    assert row["service_request_id"] == closed.number
    assert row["status"] == "closed"
    assert row["status_notes"] == closed.reply
    assert row["agency_responsible"] == hl.tree.gongbei.name
    assert row["updated_datetime"] == timezone.localtime(closed.closed_at).isoformat(
        timespec="seconds"
    )
    both = get(client, "requests", "json", {"status": "open,closed"})
    assert sorted(_ids(both)) == sorted([open_order.number, closed.number])
    (handling,) = parse(
        get(client, "request", "json", service_request_id=open_order.number), "json"
    )
    assert handling["status_notes"] == "办理中"
    assert handling["expected_datetime"] is not None  # the clock runs since dispatch


@pytest.mark.parametrize("fmt", FORMATS)
def test_get_one_request_by_its_number(client, hl, fmt):
    order = _register(hl)
    _register(hl)
    response = get(client, "request", fmt, service_request_id=order.number)
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "service_requests" and tags(data) == ["request"]
        assert set(tags(data[0])) == REQUEST_FIELDS
    else:
        assert len(data) == 1 and set(data[0]) == REQUEST_FIELDS
    assert _ids(response, fmt) == [order.number]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_request_is_404(client, hl, fmt):
    response = get(client, "request", fmt, service_request_id="GD20260101999999")
    assert_error(response, fmt, 404, "GD20260101999999")


def test_a_request_outside_the_open311_categories_is_not_found(client, hl):
    private = Category.objects.create(
        code="020102", name="社保待遇", parent=hl.welfare.children.get(), level=3
    )
    order = _register(hl, category=private, latitude=None, longitude=None, address="")
    assert_error(get(client, "request", "json", service_request_id=order.number), "json", 404)
    assert_error(get(client, "token", "json", token=str(order.token)), "json", 404)


# --------------------------------------------------------------------------- tokens


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_gives_the_service_request_id(client, hl, fmt):
    order = _register(hl)
    response = get(client, "token", fmt, token=str(order.token))
    assert response.status_code == 200
    data = parse(response, fmt)
    if fmt == "xml":
        assert data.tag == "service_requests" and tags(data) == ["request"]
        assert set(tags(data[0])) == TOKEN_FIELDS
        row = xml_record(data[0])
    else:
        (row,) = data
        assert set(row) == TOKEN_FIELDS
    assert row == {"service_request_id": order.number, "token": str(order.token)}


@pytest.mark.parametrize("token", ["0b5e6c2e-6b7b-4f6e-9d0e-0d6f0f3c2a11", "12345"])
def test_unknown_token_is_404(client, hl, token):
    assert_error(get(client, "token", "json", token=token), "json", 404, "token")


# --------------------------------------------------------------------------- privacy


def test_no_read_shows_the_callers_name_or_phone(client, hl, app):
    _created, key = app
    order = _register(
        hl,
        content="楼下垃圾没人清运，联系我 13900139000，身份证 440402199001011234 可查。",
        caller_name="王大锤",
    )
    post(client, key, first_name="小明", last_name="李", phone="13700137000")
    posted = WorkOrder.objects.get(channel="open311")
    bodies = []
    for fmt in FORMATS:
        bodies.append(get(client, "requests", fmt).content.decode())
        for number in (order.number, posted.number):
            bodies.append(get(client, "request", fmt, service_request_id=number).content.decode())
        bodies.append(get(client, "token", fmt, token=str(order.token)).content.decode())
    text = "\n".join(bodies)
    for secret in (
        "王大锤",
        "李小明",
        "小明",
        GOOD_PHONE,
        "13800138000",
        "13700137000",
        "13900139000",
        "440402199001011234",
    ):
        assert secret not in text, secret
    assert "139****9000" in text  # numbers a citizen typed into the content are masked
    assert "440402********1234" in text


def test_xml_drops_characters_xml_cannot_carry(client, hl):
    _register(hl, content="垃圾\x0b没人清运\x1f")
    data = parse(get(client, "requests", "xml"), "xml")
    assert data[0].find("description").text == "垃圾没人清运"


def test_a_merged_duplicate_is_closed_and_points_at_its_master(client, hl):
    from shuzheng.governance.hotline.services import loop

    master, follower = _register(hl), _register(hl)
    loop.merge(hl.operator, follower, master)
    (row,) = parse(get(client, "request", "json", service_request_id=follower.number), "json")
    assert row["status"] == "closed"
    assert master.number in row["status_notes"]
    assert _ids(get(client, "requests", "json", {"status": "open"})) == [master.number]


def test_an_emergency_is_announced_for_the_same_day(client, hl):
    _register(hl, urgency="emergency")
    (row,) = parse(get(client, "requests", "json"), "json")
    assert row["service_notice"].endswith("当日办结")


def test_an_application_over_its_budget_gets_429_in_open311_format_not_the_address_limit(
    client, hl, app, settings
):
    """Open311 POSTs are limited per api_key, not by the anonymous per-address limit."""
    settings.ANON_POST_RATE_PER_MINUTE = 1
    settings.OPEN311_POSTS_PER_MINUTE = 2
    created, key = app
    assert post(client, key).status_code == 200
    assert post(client, key).status_code == 200  # over the per-address limit, within the key's
    assert_error(post(client, key), "json", 429)
    assert WorkOrder.objects.filter(channel="open311").count() == 2


@pytest.mark.parametrize("channel", ["phone", "mailbox", "rating"])
def test_a_report_not_made_in_public_is_never_published(client, hl, channel):
    """A phone call, a letter to the leaders' mailbox or a bad rating stays internal."""
    private = _register(hl, channel=channel)
    public = _register(hl, channel="app")
    assert _ids(get(client, "requests", "json")) == [public.number]
    response = get(client, "request", "json", service_request_id=private.number)
    assert_error(response, "json", 404)
