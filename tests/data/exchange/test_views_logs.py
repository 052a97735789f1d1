"""交换日志 pages: both sides of a call read it (consumer and provider), nobody else does; the
filters narrow by outcome, service and message id; the detail shows the SM3 digests; the CSV
holds every filtered row, opens in Excel and cannot smuggle a formula."""

import csv
import io

import pytest
from django.urls import reverse

from shuzheng.data.exchange.models import ExchangeLog
from shuzheng.data.exchange.views import logs as log_views
from shuzheng.foundation import access
from shuzheng.foundation.identity import services as identity
from shuzheng.foundation.identity.models import OrgKind

pytestmark = pytest.mark.django_db

LIST = "/workbench/data/exchange/logs/"
CSV = "/workbench/data/exchange/logs/export.csv"


def signed_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def calls(call, xw):
    """Three calls of 卫健局's client on 公安局's 人口 service: two answered, one refused."""
    call("/records", "limit=1", headers={"X-Message-Id": "msg-ok-1"})
    call("/records/440402199001011236", headers={"X-Message-Id": "msg-ok-2"})
    call("/records", "fields=religion", headers={"X-Message-Id": "msg-refused"})
    return xw


@pytest.fixture
def third(dm, make_staff):
    """A third department's data administrator (市交通运输局)."""
    org = identity.create_organisation(
        access.SYSTEM, parent=dm.city, name="珠海市交通运输局", kind=OrgKind.DEPARTMENT
    )
    return make_staff(org, "data-admin", name="交通数据员")


def seqs(answer):
    return [r.seq for r in answer.context["rows"]]


def test_url_names_are_the_contracts():
    assert reverse("exchange:logs") == LIST
    assert reverse("exchange:logs-csv") == CSV
    assert reverse("exchange:log", args=[7]) == "/workbench/data/exchange/logs/7/"


def test_staff_without_the_capability_get_403(client, calls):
    signed_in(client, calls.dm.outsider)
    for url in (LIST, CSV, reverse("exchange:log", args=[1])):
        assert client.get(url).status_code == 403


@pytest.mark.parametrize("who", ["wj_user", "wj_admin", "ga_admin", "authority"])
def test_both_sides_and_the_authority_read_the_calls(client, calls, who):
    answer = signed_in(client, getattr(calls.dm, who)).get(LIST)
    assert answer.status_code == 200
    assert len(answer.context["rows"]) == 3
    html = answer.content.decode()
    assert "msg-ok-1" in html and "msg-refused" in html


def test_another_department_reads_none_of_them(client, calls, third):
    signed_in(client, third)
    answer = client.get(LIST)
    assert answer.context["rows"] == []
    seq = ExchangeLog.objects.order_by("seq").first().seq
    assert client.get(reverse("exchange:log", args=[seq])).status_code == 404
    body = client.get(CSV).content.decode("utf-8-sig")
    assert "msg-ok-1" not in body


def test_filters_narrow_the_list(client, calls):
    signed_in(client, calls.dm.wj_user)
    refused = client.get(LIST, {"outcome": "denied"})
    assert [r.message_id for r in refused.context["rows"]] == ["msg-refused"]
    by_id = client.get(LIST, {"message_id": "msg-ok-2"})
    assert [r.message_id for r in by_id.context["rows"]] == ["msg-ok-2"]
    assert len(client.get(LIST, {"service": "population"}).context["rows"]) == 3
    assert len(client.get(LIST, {"service": "population/v1"}).context["rows"]) == 3
    assert client.get(LIST, {"service": "population/v2"}).context["rows"] == []
    assert client.get(LIST, {"service": "popul"}).context["rows"] == []


def test_the_authority_narrows_to_one_department(client, calls, third):
    signed_in(client, calls.dm.authority)
    assert len(client.get(LIST, {"org": calls.dm.weijian.pk}).context["rows"]) == 3
    assert client.get(LIST, {"org": third.staff.organisation.pk}).context["rows"] == []


def test_pages_go_back_by_sequence(client, calls, monkeypatch):
    monkeypatch.setattr(log_views, "PAGE_SIZE", 2)
    signed_in(client, calls.dm.wj_user)
    first = client.get(LIST)
    assert len(first.context["rows"]) == 2
    assert first.context["next_query"]
    older = client.get(f"{LIST}?{first.context['next_query']}")
    assert len(older.context["rows"]) == 1
    assert not older.context["next_query"]
    assert set(seqs(first)) | set(seqs(older)) == set(
        ExchangeLog.objects.values_list("seq", flat=True)
    )


def test_the_detail_shows_the_digests(client, calls):
    row = ExchangeLog.objects.get(message_id="msg-ok-2")
    html = signed_in(client, calls.dm.ga_admin).get(reverse("exchange:log", args=[row.seq]))
    html = html.content.decode()
    assert row.request_hash in html and row.response_hash in html
    assert row.end_user_hash in html
    assert "尚未封存" in html


def test_csv_holds_every_filtered_row_with_hashes(client, calls):
    answer = signed_in(client, calls.dm.wj_admin).get(CSV)
    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/csv")
    assert "attachment" in answer["Content-Disposition"]
    body = answer.content.decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    header, data = rows[0], rows[1:]
    assert "请求摘要（SM3）" in header and "响应摘要（SM3）" in header
    assert len(data) == 3
    hashes = {r[header.index("响应摘要（SM3）")] for r in data}
    assert hashes == set(ExchangeLog.objects.values_list("response_hash", flat=True))
    refused = client.get(CSV, {"outcome": "denied"}).content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(refused)))) == 2


def test_csv_cannot_smuggle_a_formula(client, call, xw):
    call(
        "/records", "limit=1", purpose='=HYPERLINK("http://evil")', headers={"X-Case-Number": "+1"}
    )
    body = signed_in(client, xw.dm.wj_admin).get(CSV).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    header = rows[0]
    purpose = rows[1][header.index("用途")]
    assert purpose.startswith("'=")
    assert not any(cell.startswith(("=", "+", "@")) for row in rows[1:] for cell in row)


def test_csv_refuses_more_rows_than_the_limit(client, calls, settings):
    settings.DATA_EXCHANGE_CSV_MAX_ROWS = 2
    answer = signed_in(client, calls.dm.wj_admin).get(CSV)
    assert answer.status_code == 400
    assert "缩小筛选范围" in answer.content.decode()
