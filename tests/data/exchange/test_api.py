"""The exchange API under /api/v1/data/exchange/: thin over the services and selectors —
status codes, problem+json, the secret shown once, revisions, the evidence download."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from shuzheng.data.exchange.models import ClientApp, DataService
from tests.data.exchange.conftest import BASE, gateway_call

pytestmark = pytest.mark.django_db

API = "/api/v1/data/exchange/"


def test_the_provider_registers_and_edits_a_service(dm, api_for):
    api = api_for(dm.ga_admin)
    response = api.post(
        API + "services/",
        {"entry": dm.population.pk, "code": "population", "name": "人口查询", "kind": "store"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="svc-1",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["gateway_path"] == "/gateway/v1/services/population/v1/records"
    assert "remote_token" not in body and response["ETag"] == '"0"'
    again = api.post(
        API + "services/",
        {"entry": dm.population.pk, "code": "population", "name": "人口查询", "kind": "store"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="svc-1",
    )
    assert again.status_code == 201 and DataService.objects.count() == 1
    pk = body["id"]
    patched = api.patch(
        API + f"services/{pk}/", {"name": "人口核验"}, format="json", HTTP_IF_MATCH='"0"'
    )
    assert patched.status_code == 200 and patched.json()["name"] == "人口核验"
    stale = api.patch(API + f"services/{pk}/", {"name": "x"}, format="json", HTTP_IF_MATCH='"0"')
    assert stale.status_code == 409
    assert stale["Content-Type"] == "application/problem+json"
    status = api.post(
        API + f"services/{pk}/status/", {"status": "suspended", "revision": 1}, format="json"
    )
    assert status.status_code == 200 and status.json()["status"] == "suspended"


def test_bad_service_input_is_a_field_error(dm, api_for):
    response = api_for(dm.ga_admin).post(
        API + "services/",
        {"entry": dm.population.pk, "code": "Bad Code", "name": "x", "kind": "store"},
        format="json",
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["code"]


def test_another_department_cannot_register_or_see_the_service(xw, api_for):
    api = api_for(xw.dm.wj_admin)
    response = api.post(
        API + "services/",
        {"entry": xw.dm.population.pk, "code": "p2", "name": "x", "kind": "store"},
        format="json",
    )
    assert response.status_code == 403
    assert api.get(API + f"services/{xw.service.pk}/").status_code == 404
    assert api.get(API + "services/").json() == []


def test_a_client_is_created_with_its_secret_shown_once(dm, api_for):
    api = api_for(dm.wj_admin)
    response = api.post(
        API + "clients/",
        {"name": "出生医学证明系统", "system_code": "birth", "allowed_ips": ["10.0.0.0/8"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["organisation"]["id"] == dm.weijian.pk
    assert body["authorization"] == f"Bearer {body['key_id']}.{body['secret']}"
    assert response["Cache-Control"] == "no-store"
    detail = api.get(API + f"clients/{body['id']}/").json()
    assert "secret" not in detail and body["secret"] not in json.dumps(detail)
    rotated = api.post(API + f"clients/{body['id']}/rotate/", {"revision": 0}, format="json")
    assert rotated.status_code == 200 and rotated.json()["secret"] != body["secret"]
    disabled = api.post(
        API + f"clients/{body['id']}/status/",
        {"status": "disabled"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert disabled.status_code == 200 and disabled.json()["status"] == "disabled"
    assert ClientApp.objects.get().status == "disabled"


def test_a_client_for_another_department_is_refused(dm, api_for):
    response = api_for(dm.wj_admin).post(
        API + "clients/",
        {"organisation": dm.gongan.pk, "name": "x", "system_code": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert not ClientApp.objects.exists()


def test_logs_are_listed_newest_first_with_a_cursor(xw, api_for):
    for _ in range(3):
        gateway_call(BASE + "/records", token=xw.token)
    api = api_for(xw.dm.wj_user)
    page = api.get(API + "logs/", {"page_size": 2}).json()
    assert [r["status_code"] for r in page["results"]] == [200, 200]
    assert page["results"][0]["seq"] > page["results"][1]["seq"]
    rest = api.get(page["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    assert api.get(API + "logs/", {"outcome": "nope"}).status_code == 400
    seq = page["results"][0]["seq"]
    assert api.get(API + f"logs/{seq}/").json()["seq"] == seq
    assert api_for(xw.dm.outsider).get(API + f"logs/{seq}/").status_code == 404


def test_the_dashboard(xw, api_for):
    gateway_call(BASE + "/records", token=xw.token)
    api = api_for(xw.dm.ga_admin)
    data = api.get(API + "dashboard/", {"organisation": xw.dm.gongan.pk, "side": "provider"}).json()
    assert data["calls"] == 1 and len(data["series"]) == 7
    refused = api.get(API + "dashboard/", {"organisation": xw.dm.weijian.pk, "side": "consumer"})
    assert refused.status_code == 403
    assert api.get(API + "dashboard/", {"side": "provider"}).status_code == 400


def test_evidence_download_and_check(xw, api_for, settings):
    settings.DATA_EXCHANGE_SEAL_LAG_SECONDS = 0
    gateway_call(BASE + "/records", token=xw.token)
    api = api_for(xw.dm.wj_admin)
    now = timezone.now()
    response = api.get(
        API + "evidence/",
        {
            "start": (now - dt.timedelta(hours=1)).isoformat(),
            "end": (now + dt.timedelta(hours=1)).isoformat(),
            "organisation": xw.dm.weijian.pk,
        },
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    bundle = response.content
    assert json.loads(bundle)["organisation"]["id"] == xw.dm.weijian.pk
    report = api.post(API + "evidence/check/", bundle, content_type="application/json").json()
    assert report["ok"] and report["rows"] == 1
    broken = api.post(
        API + "evidence/check/",
        bundle.replace(b"population", b"populatiom", 1),
        content_type="application/json",
    ).json()
    assert not broken["ok"] and broken["problems"]
    other = api.get(
        API + "evidence/",
        {"start": "2026-01-01", "end": "2026-02-01", "organisation": xw.dm.gongan.pk},
    )
    assert other.status_code == 403
