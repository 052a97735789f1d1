"""The gateway over HTTP: the Django route (test client), the lean WSGI application and its
path-prefix mount, and a provider's remote API behind the gateway (a local HTTP server)."""

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shuzheng.data.exchange import services
from shuzheng.data.exchange.gateway import wsgi
from shuzheng.data.exchange.models import ExchangeLog
from shuzheng.foundation.trust import gm
from tests.data.conftest import POPULATION_ROWS
from tests.data.exchange.conftest import BASE, gateway_call

pytestmark = pytest.mark.django_db


def test_the_django_route_serves_the_gateway(xw, client):
    response = client.get(
        BASE + "/records/440402199001011236",
        HTTP_AUTHORIZATION=f"Bearer {xw.token}",
        HTTP_X_PURPOSE="出生医学证明核验".encode().decode("latin-1"),
        HTTP_X_MESSAGE_ID="django-1",
    )
    assert response.status_code == 200
    assert response["X-Message-Id"] == "django-1"
    assert response.json()["records"][0]["name"] == "张**"
    log = ExchangeLog.objects.get(message_id="django-1")
    assert log.purpose == "出生医学证明核验"
    assert log.response_hash == gm.sm3(response.content).hex()


def test_the_django_route_refuses_without_credentials(xw, client):
    response = client.get(BASE + "/records")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert client.post(BASE + "/records").status_code == 401  # no CSRF page: a logged refusal


def _wsgi(app, path, query="", headers=None, method="GET"):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path.encode().decode("latin-1"),
        "QUERY_STRING": query,
        "REMOTE_ADDR": "10.0.0.9",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
    }
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    seen = {}

    def start_response(status, response_headers):
        seen["status"], seen["headers"] = status, dict(response_headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


@pytest.fixture
def lean(monkeypatch):
    # the test's transaction must survive: no connection closing between calls
    monkeypatch.setattr(wsgi, "close_old_connections", lambda: None)
    return wsgi.application


def test_the_lean_wsgi_application_serves_the_gateway(xw, lean):
    status, headers, body = _wsgi(
        lean,
        BASE + "/records",
        "fields=name",
        {"Authorization": f"Bearer {xw.token}", "X-Purpose": "核验"},
    )
    assert status == "200 OK"
    assert headers["Content-Length"] == str(len(body))
    assert json.loads(body)["records"] == [{"name": "张**"}, {"name": "李**"}]
    assert ExchangeLog.objects.get().client_id == xw.client.pk


def test_the_mount_sends_only_the_gateway_prefix_to_the_lean_application(xw, lean):
    site_calls = []

    def site(environ, start_response):
        site_calls.append(environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"site"]

    app = wsgi.mount(site)
    assert _wsgi(app, "/workbench/")[2] == b"site"
    status, _headers, _body = _wsgi(app, BASE + "/records")
    assert status == "401 Unauthorized"
    assert site_calls == ["/workbench/"]


# --------------------------------------------------------------------------- remote services


class Provider(BaseHTTPRequestHandler):
    """A provider's own API: answers with every column it has, and more."""

    seen: list = []
    mode = "ok"

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        Provider.seen.append((self.path, dict(self.headers)))
        if Provider.mode == "slow":
            time.sleep(1.0)
        if Provider.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        rows = [dict(row, internal_note="内部备注", score=99) for row in POPULATION_ROWS]
        if self.path.startswith("/api/records/"):
            key = self.path.rsplit("/", 1)[1]
            found = [r for r in rows if r["id_number"] == key]
            if not found:
                self.send_response(404)
                self.end_headers()
                return
            payload = {"record": found[0]}
        else:
            payload = {"records": rows, "next": None}
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def provider_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Provider.seen, Provider.mode = [], "ok"
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


@pytest.fixture
def remote(xw, provider_api):
    service = services.register_service(
        xw.dm.ga_admin,
        entry=xw.dm.population,
        code="population-live",
        name="人口（公安接口）",
        kind="remote",
        remote_url=provider_api,
        remote_token="provider-token-1",
        remote_timeout=0.3,
    )
    return service


def remote_call(xw, suffix, query="", **kwargs):
    return gateway_call(
        "/gateway/v1/services/population-live/v1" + suffix, query, token=xw.token, **kwargs
    )


def test_a_remote_answer_is_stripped_to_the_granted_fields_and_masked(xw, remote):
    reply = remote_call(xw, "/records", headers={"X-Message-Id": "remote-1"})
    assert reply.status == 200
    records = reply.json["records"]
    assert records[0] == {
        "id_number": "440402********1236",
        "name": "张**",
        "sex": "1",
        "birth_date": "1990",
        "address": "广东省珠海市香洲区拱北街道****",
        "phone": "138****8000",
    }
    text = reply.body.decode()
    for leaked in ("internal_note", "内部备注", "score", "张三丰", "无"):
        assert leaked not in text
    assert all("religion" not in record for record in records)
    path, headers = Provider.seen[-1]
    assert path.startswith("/api/records?")
    assert headers["Authorization"] == "Bearer provider-token-1"
    assert headers["X-Message-Id"] == "remote-1"
    assert "X-End-User" not in headers


def test_remote_detail_search_and_export(xw, remote):
    detail = remote_call(xw, "/records/440402198502021235")
    assert detail.json["records"] == [
        {
            "id_number": "440402********1235",
            "name": "李**",
            "sex": "2",
            "birth_date": "1985",
            "address": "广东省珠海市斗门区井岸镇****",
            "phone": "139****5678",
        }
    ]
    assert remote_call(xw, "/records/440402000000000000").json["reason"] == "record_not_found"
    # the provider ignores the criteria: the gateway filters exactly
    found = remote_call(xw, "/records", "sex=2").json["records"]
    assert [r["name"] for r in found] == ["李**"]
    exported = remote_call(xw, "/export", "format=csv").body.decode("utf-8-sig")
    assert "内部备注" not in exported and exported.count("\n") == 3


def test_a_fields_request_never_passes_an_ungranted_remote_field(xw, remote):
    xw.grant.fields = ["name"]
    xw.grant.save()
    body = remote_call(xw, "/records").json
    assert body["records"] == [{"name": "张**"}, {"name": "李**"}]


def test_a_slow_provider_is_a_504_and_a_failing_one_a_502(xw, remote):
    Provider.mode = "slow"
    reply = remote_call(xw, "/records")
    assert reply.status == 504
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert ExchangeLog.objects.order_by("-seq").first().reason == "provider_timeout"
    Provider.mode = "error"
    reply = remote_call(xw, "/records")
    assert reply.status == 502
    log = ExchangeLog.objects.order_by("-seq").first()
    assert (log.outcome, log.reason) == ("provider_error", "provider_error")
