"""工单统计 pages: who may open them, what the page shows (charts from a JSON script, no
inline script), the period picker's errors, and the CSV export (BOM, headers, file name,
formula escaping, 400 on bad input)."""

import csv
import datetime as dt
import io
import itertools
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from shuzheng.governance.hotline.models import Category, WorkOrder

SH = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 12, 10, 12, 0, tzinfo=SH)
NOVEMBER = {"start": "2026-11-01", "end": "2026-11-30"}
_numbers = itertools.count(1)


def at(day: str, time: str = "10:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SH)


@pytest.fixture(autouse=True)
def frozen(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: NOW)


@pytest.fixture
def make_order(hl):
    def make(created_at, **kw):
        data = {
            "number": f"GD20261101{next(_numbers):06d}",
            "channel": "phone",
            "request_type": "complaint",
            "title": "施工噪音",
            "content": "工地深夜施工噪音扰民，影响休息",
            "category": hl.garbage,
            "district": hl.tree.xiangzhou,
            "unit": hl.tree.gongbei,
            "state": "handling",
            "created_at": created_at,
        }
        data.update(kw)
        return WorkOrder.objects.create(**data)

    return make


@pytest.fixture
def world(hl, make_order):
    """拱北街道: two signed orders (one closed on time and satisfied, one late and
    unsatisfied after rework); 井岸镇: one closed on time; the centre: one unsigned."""
    signed = at("2026-11-03", "09:00")
    make_order(
        at("2026-11-02"), signed_at=signed, state="closed", on_time=True, satisfaction="satisfied"
    )
    make_order(
        at("2026-11-12"),
        signed_at=signed,
        state="handling",
        satisfaction="unsatisfied",
        rework_count=1,
        channel="web",
        category=hl.vending,
    )
    make_order(
        at("2026-11-20"),
        unit=hl.tree.jingan,
        district=hl.tree.doumen,
        signed_at=signed,
        state="closed",
        on_time=True,
        category=hl.social,
    )
    make_order(at("2026-11-21"), unit=hl.centre, district=None, state="registered")
    return hl


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(body[1:])))


# --------------------------------------------------------------------------- access


def test_handlers_without_supervise_and_citizens_are_refused_page_and_csv(client, hl):
    for user in (hl.gb_handler, hl.cg_handler, hl.admin):
        client.force_login(user)
        assert client.get(reverse("hotline:stats")).status_code == 403
        assert client.get(reverse("hotline:stats-csv"), {"report": "units"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, hl):
    assert client.get(reverse("hotline:stats")).status_code == 302
    assert client.get(reverse("hotline:stats-csv")).status_code == 302


# --------------------------------------------------------------------------- the page


def test_page_shows_kpis_units_hot_topics_and_chart_data_without_inline_script(client, world):
    client.force_login(world.operator)
    page = client.get(reverse("hotline:stats"), NOVEMBER)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="kpi-received">4<' in html
    assert 'id="kpi-on-time">100.0%<' in html  # both closed orders were on time
    assert 'id="kpi-satisfaction">50.0%<' in html
    # every script is either a file (ECharts, stats.js) or JSON data: CSP script-src 'self'
    scripts = re.findall(r"<script([^>]*)>", html)
    assert scripts and all("src=" in s or 'type="application/json"' in s for s in scripts)
    assert "hotline/stats.js" in html and "vendor/echarts/echarts.min.js" in html
    data = json.loads(_json(html, "hotline-stats-data"))
    assert len(data["trend"]["days"]) == 30 and sum(data["trend"]["counts"]) == 4
    assert dict(zip(data["categories"]["names"], data["categories"]["counts"], strict=True)) == {
        "城乡建设": 3,
        "社会保障": 1,
    }
    assert dict(zip(data["channels"]["names"], data["channels"]["counts"], strict=True)) == {
        "电话": 3,
        "网站": 1,
    }
    assert dict(zip(data["districts"]["names"], data["districts"]["counts"], strict=True)) == {
        "香洲区": 2,
        "斗门区": 1,
        "未定位到区": 1,
    }
    units = page.context["units"]
    assert [u["name"] for u in units] == ["拱北街道", "井岸镇"]
    assert "拱北街道" in html and 'id="unit-table"' in html


def _json(html: str, element_id: str) -> str:
    match = re.search(
        rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, element_id
    return match.group(1)


def test_district_head_sees_only_his_district(client, world):
    client.force_login(world.head)
    page = client.get(reverse("hotline:stats"), NOVEMBER)
    assert page.status_code == 200
    assert page.context["received"] == 2
    assert [u["name"] for u in page.context["units"]] == ["拱北街道"]
    assert "井岸镇" not in page.content.decode()


def test_hot_topics_of_the_period_end_week_are_listed_with_sample_orders(client, hl, make_order):
    for _ in range(4):
        make_order(at("2026-12-08"))  # the week of 7 December: "now" is Thursday 10th
    client.force_login(hl.operator)
    page = client.get(reverse("hotline:stats"))  # default: the last 30 days up to today
    hot = page.context["hot"]
    assert hot["iso_week"] == "2026-W50" and hot["orders"] == 4
    assert "噪音" in [p["term"] for p in hot["phrases"]]
    assert page.context["period"].end == dt.date(2026, 12, 10)
    assert page.context["period"].start == dt.date(2026, 11, 11)
    html = page.content.decode()
    assert 'id="hot-phrases"' in html and "噪音" in html
    assert "GD20261101" in html


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"start": "2026-11-30", "end": "2026-11-01"}, "end", "结束日期不能早于开始日期"),
        ({"start": "2025-01-01", "end": "2026-11-30"}, "end", "统计期间不能超过 366 天"),
        ({"start": "yesterday"}, "start", "请输入有效日期"),
    ],
)
def test_a_bad_period_is_a_message_on_the_page_and_400_for_csv(client, hl, query, field, message):
    client.force_login(hl.operator)
    page = client.get(reverse("hotline:stats"), query)
    assert page.status_code == 200
    assert message in page.context["errors"][field][0]
    html = page.content.decode()
    assert f'id="f-{field}-error"' in html and message in html
    assert page.context["period"].days == 30  # the figures fall back to the default period
    typed = query.get(field)
    assert f'value="{typed}"' in html  # what was typed stays next to its error
    # and the CSV links export the period shown, not the refused one
    csv_url = reverse("hotline:stats-csv")
    assert f'href="{csv_url}?start=2026-11-11&amp;end=2026-12-10&amp;report=units"' in html
    export = client.get(reverse("hotline:stats-csv"), {**query, "report": "units"})
    assert export.status_code == 400
    assert message in export.content.decode()


# --------------------------------------------------------------------------- CSV


def test_csv_of_volumes_by_each_grouping_has_headers_bom_and_dated_file_name(client, world):
    client.force_login(world.operator)
    expected = {
        "category": (["一级分类编码", "一级分类", "分类编码", "分类名称", "工单数"], 3),
        "district": (["所属区", "工单数"], 3),
        "channel": (["受理渠道", "工单数"], 2),
        "request_type": (["诉求类型", "工单数"], 1),
        "day": (["日期", "工单数"], 30),
        "week": (["周", "周一日期", "工单数"], 6),
        "month": (["月份", "工单数"], 1),
    }
    for by, (header, n) in expected.items():
        response = client.get(
            reverse("hotline:stats-csv"), {**NOVEMBER, "report": "volumes", "by": by}
        )
        rows = csv_rows(response)
        assert rows[0] == header, by
        assert len(rows) == 1 + n + 1, by  # header, rows, 合计
        assert rows[-1][-1] == "4" and "合计" in rows[-1], by
        assert response["Content-Disposition"] == (
            f'attachment; filename="hotline-volumes-{by}-20261101-20261130.csv"'
        )
    channels = csv_rows(client.get(reverse("hotline:stats-csv"), {**NOVEMBER, "by": "channel"}))
    assert channels[1:3] == [["电话", "3"], ["网站", "1"]]


def test_csv_of_units_carries_the_rates_and_a_total(client, world):
    client.force_login(world.operator)
    rows = csv_rows(client.get(reverse("hotline:stats-csv"), {**NOVEMBER, "report": "units"}))
    header = rows[0]
    assert header[:5] == ["承办单位", "签收工单数", "办结数", "按时办结数", "按时办结率（%）"]
    assert "满意率（%）" in header and "重办率（%）" in header
    table = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert table["拱北街道"]["签收工单数"] == "2"
    assert table["拱北街道"]["满意率（%）"] == "50.0"
    assert table["拱北街道"]["重办率（%）"] == "50.0"
    assert table["井岸镇"]["满意率（%）"] == ""  # nothing to divide by
    assert table["合计"]["签收工单数"] == "3" and table["合计"]["按时办结率（%）"] == "100.0"


def test_csv_cells_that_look_like_formulas_are_escaped_but_numbers_are_not(client, hl, make_order):
    parent = Category.objects.create(code="09", name="@SUM(1+1)", level=1)
    evil = Category.objects.create(
        code="090101", name='=HYPERLINK("http://evil.example","点我")', parent=parent, level=3
    )
    minus = Category.objects.create(code="090102", name="-2+3", parent=parent, level=3)
    plus = Category.objects.create(code="090103", name="+cmd", parent=parent, level=3)
    for category in (evil, evil, minus, plus):
        make_order(at("2026-11-05"), category=category)
    client.force_login(hl.operator)
    rows = csv_rows(client.get(reverse("hotline:stats-csv"), {**NOVEMBER, "by": "category"}))
    labels = {r[3]: r for r in rows[1:-1]}
    assert set(labels) == {'\'=HYPERLINK("http://evil.example","点我")', "'-2+3", "'+cmd"}
    assert all(r[1] == "'@SUM(1+1)" for r in labels.values())
    # a fall is a negative number, written as a number
    for monday in ("2026-11-09", "2026-11-16", "2026-11-23", "2026-11-30"):
        for _ in range(2):
            make_order(at(monday), category=hl.vending)
    make_order(at("2026-12-07"), category=hl.vending)
    hot = csv_rows(client.get(reverse("hotline:stats-csv"), {"report": "hot"}))
    assert hot[0][:6] == [
        "类型",
        "分类编码",
        "名称",
        "本周工单数",
        "前四周同期周均",
        "较前四周变化（%）",
    ]
    vending = next(r for r in hot if r[2] == "占道经营")
    assert vending[3:6] == ["1", "2.0", "-50.0"]


def test_csv_of_hot_topics_is_named_after_its_week(client, hl, make_order):
    for _ in range(3):
        make_order(at("2026-11-24"))
    client.force_login(hl.operator)
    response = client.get(reverse("hotline:stats-csv"), {**NOVEMBER, "report": "hot"})
    rows = csv_rows(response)
    assert response["Content-Disposition"].endswith('hotline-hot-20261130-20261130.csv"')
    assert rows[1:] == []  # the week of the 30th (a Monday) has no orders yet
    response = client.get(
        reverse("hotline:stats-csv"), {"start": "2026-11-01", "end": "2026-11-26", "report": "hot"}
    )
    rows = csv_rows(response)
    assert response["Content-Disposition"].endswith('hotline-hot-20261123-20261126.csv"')
    kinds = {r[0] for r in rows[1:]}
    assert kinds == {"热点分类", "热点词语"}
    assert any(r[2] == "噪音" and r[3] == "3" for r in rows)


@pytest.mark.parametrize(
    ("query", "field"),
    [({"report": "secrets"}, "report"), ({"report": "volumes", "by": "colour"}, "by")],
)
def test_csv_refuses_an_unknown_report_or_grouping(client, hl, query, field):
    client.force_login(hl.operator)
    response = client.get(reverse("hotline:stats-csv"), query)
    assert response.status_code == 400
    assert response.content.decode().startswith(f"{field}:")
