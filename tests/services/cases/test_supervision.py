"""电子监察: timeliness figures per department and item, today's overdue cases, the CSV and
the API — counted right, within the supervisor's subtree only, refused to everybody else."""

import csv
import datetime as dt
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from shuzheng.services.cases.models import Case
from shuzheng.services.cases.selectors import supervision

API = "/api/v1/supervision/"


def _set(case, **fields):
    Case.objects.filter(pk=case.pk).update(**fields)
    case.refresh_from_db()
    return case


@pytest.fixture
def now():
    return timezone.now()


@pytest.fixture
def period(now):
    today = timezone.localdate(now)
    return supervision.Period(today - dt.timedelta(days=10), today)


@pytest.fixture
def world(tree, item_factory, citizen, case_factory, now):
    """香洲区 (cases at 拱北街道 and at the district itself) and 斗门区, each with a mix:
    concluded on time / late, an open overdue case, a paused one, a correction, a refusal."""
    recent = now - dt.timedelta(hours=30)
    long_ago = now - dt.timedelta(days=60)
    xz_item = item_factory(tree.gongbei, name="个体工商户设立登记")
    xz_district_item = item_factory(tree.xiangzhou, name="食品经营许可")
    dm_item = item_factory(tree.doumen, name="道路挖掘许可")

    def case(item, **fields):
        made = case_factory(item, citizen, state="submitted")
        fields.setdefault("submitted_at", recent)
        return _set(made, **fields)

    w = {"xz_item": xz_item, "xz_district_item": xz_district_item, "dm_item": dm_item}
    # 香洲区 / 拱北街道: three concluded (two on time: 2 and 4 working days; one late: 9)
    w["xz_on_time"] = [
        case(xz_item, state="concluded", concluded_at=recent, overdue=False, working_days_used=d,
             sla_state="stopped", result="granted", decided_at=recent)
        for d in (2, 4)
    ]  # fmt: skip
    w["xz_late"] = case(
        xz_item, state="delivered", concluded_at=recent, overdue=True, working_days_used=9,
        sla_state="stopped", result="granted", decided_at=recent, corrections=1,
    )  # fmt: skip
    # an open case past its deadline now, another one still in time, one paused (特别程序)
    w["xz_overdue"] = case(
        xz_item, state="review", sla_state="running", due_at=now - dt.timedelta(days=3)
    )
    w["xz_approaching"] = case(
        xz_item, state="accepted", sla_state="running", due_at=now + dt.timedelta(hours=2)
    )
    w["xz_paused"] = case(
        xz_item, state="special", sla_state="paused", due_at=now - dt.timedelta(days=1)
    )
    # 不予受理 and 不予准予 at the district itself
    w["xz_rejected"] = case(xz_district_item, state="rejected", corrections=2)
    w["xz_denied"] = case(
        xz_district_item, state="concluded", result="refused", decided_at=recent,
        concluded_at=recent, overdue=False, working_days_used=3, sla_state="stopped",
    )  # fmt: skip
    # submitted long before the period, concluded inside it: counts as concluded, not received
    w["xz_old"] = case(
        xz_item, submitted_at=long_ago, state="concluded", concluded_at=recent, overdue=True,
        working_days_used=12, sla_state="stopped",
    )  # fmt: skip
    # 斗门区: one concluded late, one overdue
    w["dm_late"] = case(
        dm_item, state="concluded", concluded_at=recent, overdue=True, working_days_used=20,
        sla_state="stopped",
    )  # fmt: skip
    w["dm_overdue"] = case(
        dm_item, state="accepted", sla_state="running", due_at=now - dt.timedelta(days=5)
    )
    return w


@pytest.fixture
def xz_supervisor(tree, make_staff):
    return make_staff(tree.xiangzhou, "supervisor")


@pytest.fixture
def city_supervisor(tree, make_staff):
    return make_staff(tree.zwfw, "supervisor", on=tree.city)


# --------------------------------------------------------------------------- the figures


def test_district_supervisor_gets_received_concluded_on_time_rate_and_average_days(
    world, xz_supervisor, period, now
):
    total = supervision.departments(xz_supervisor, period, now=now).total.as_dict()
    # received in the period: 2 on time + late + overdue + approaching + paused + rejected
    # + denied (the old one was submitted before the period)
    assert total["received"] == 8
    # concluded in the period: 2 on time + late + denied + old
    assert total["concluded"] == 5
    assert total["on_time"] == 3
    assert total["on_time_rate"] == 60.0
    assert total["average_working_days"] == round((2 + 4 + 9 + 3 + 12) / 5, 1)
    assert total["overdue"] == 1  # the paused case is not overdue; 斗门区's is not seen
    assert total["approaching"] == 1
    # 补正率: received cases corrected at least once (late: 1, rejected: 2 → 2 cases) / 8
    assert total["corrected"] == 2
    assert total["correction_rate"] == 25.0
    assert total["rejected"] == 1
    assert total["denied"] == 1


def test_rates_are_empty_not_zero_when_nothing_was_concluded_or_received(
    tree, xz_supervisor, period
):
    total = supervision.departments(xz_supervisor, period).total.as_dict()
    assert total["received"] == total["concluded"] == 0
    assert total["on_time_rate"] is None
    assert total["average_working_days"] is None
    assert total["correction_rate"] is None


def test_departments_are_rolled_up_per_child_subtree_plus_the_organisation_itself(
    tree, world, xz_supervisor, city_supervisor, period, now
):
    rows = {r.name: r.as_dict() for r in supervision.departments(xz_supervisor, period).rows}
    assert set(rows) == {"香洲区（本级）", "拱北街道"}
    assert rows["拱北街道"]["received"] == 6 and rows["拱北街道"]["overdue"] == 1
    assert rows["香洲区（本级）"]["rejected"] == 1 and rows["香洲区（本级）"]["denied"] == 1

    city = {r.name: r for r in supervision.departments(city_supervisor, period, now=now).rows}
    assert set(city) == {"香洲区", "斗门区"}
    assert city["香洲区"].drill and city["香洲区"].as_dict()["received"] == 8
    assert city["斗门区"].as_dict()["concluded"] == 1
    assert city["斗门区"].as_dict()["on_time_rate"] == 0.0


def test_items_are_counted_per_item_most_received_first(world, xz_supervisor, period):
    report = supervision.items(xz_supervisor, period)
    assert [r.name for r in report.rows] == ["个体工商户设立登记", "食品经营许可"]
    first = report.rows[0].as_dict()
    assert first["code"] == world["xz_item"].implementation_code
    assert (first["received"], first["concluded"], first["on_time"]) == (6, 4, 2)
    assert report.total.as_dict()["received"] == 8


def test_overdue_list_holds_open_late_cases_longest_overdue_first(
    world, xz_supervisor, city_supervisor, now
):
    mine = supervision.overdue_cases(xz_supervisor, now=now)
    assert [c.pk for c in mine] == [world["xz_overdue"].pk]
    everyone = supervision.overdue_cases(city_supervisor, now=now)
    assert [c.pk for c in everyone] == [world["dm_overdue"].pk, world["xz_overdue"].pk]
    rows = supervision.overdue_rows(everyone, now)
    assert rows[0]["overdue_working_days"] >= 1
    assert supervision.overdue_count(city_supervisor, now=now) == 2


def test_trend_counts_received_and_concluded_per_day(world, xz_supervisor, period):
    series = supervision.trend(xz_supervisor, period)
    assert len(series["days"]) == 11
    assert sum(series["received"]) == 8
    assert sum(series["concluded"]) == 5


def test_a_period_ending_before_it_starts_or_too_long_is_refused_per_field():
    with pytest.raises(ValidationError) as refused:
        supervision.parse_period("2026-03-10", "2026-03-01")
    assert "to" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        supervision.parse_period("2024-01-01", "2026-01-01")
    assert "to" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        supervision.parse_period("yesterday", None)
    assert "from" in refused.value.message_dict


def test_default_period_is_this_month_up_to_today():
    period = supervision.parse_period(None, "", today=dt.date(2026, 5, 17))
    assert (period.start, period.end) == (dt.date(2026, 5, 1), dt.date(2026, 5, 17))


# --------------------------------------------------------------------------- scope


def test_district_supervisor_sees_nothing_of_another_district(tree, world, xz_supervisor, period):
    with pytest.raises(ValidationError) as refused:
        supervision.filters(xz_supervisor, {"organisation": str(tree.doumen.pk)})
    assert "organisation" in refused.value.message_dict
    names = [r.name for r in supervision.items(xz_supervisor, period).rows]
    assert "道路挖掘许可" not in names


def test_case_handler_without_supervise_sees_no_figures(tree, world, make_staff, period):
    handler = make_staff(tree.xiangzhou, "case-handler")
    assert supervision.departments(handler, period).total.as_dict()["received"] == 0
    assert supervision.overdue_cases(handler) == []


@pytest.mark.parametrize("who", ["citizen", "clerk"])
def test_citizens_and_clerks_without_supervise_are_refused_page_csv_and_api(
    client, api_for, tree, citizen, make_staff, who
):
    user = citizen if who == "citizen" else make_staff(tree.xiangzhou, "window-clerk")
    client.force_login(user)
    assert client.get(reverse("cases:supervision")).status_code == 403
    assert client.get(reverse("cases:supervision-csv")).status_code == 403
    api = api_for(user)
    for endpoint in ("departments/", "items/", "overdue/"):
        answer = api.get(API + endpoint)
        assert answer.status_code == 403
        assert answer["Content-Type"].startswith("application/problem+json")


def test_anonymous_visitors_are_sent_to_sign_in_and_refused_by_the_api(client, api):
    assert client.get(reverse("cases:supervision")).status_code == 302
    assert api.get(API + "departments/").status_code in (401, 403)


# --------------------------------------------------------------------------- the page


def test_page_shows_kpis_tables_overdue_list_and_chart_data_without_inline_script(
    client, world, city_supervisor
):
    client.force_login(city_supervisor)
    page = client.get(reverse("cases:supervision"))
    assert page.status_code == 200
    html = page.content.decode()
    total = page.context["total"]
    assert total["overdue"] == 2
    assert [r["name"] for r in page.context["departments"]] == ["香洲区", "斗门区"]
    assert world["dm_overdue"].number in html and world["xz_overdue"].number in html
    assert 'id="supervision-data" type="application/json"' in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert "echarts.min.js" in html and "cases/supervision.js" in html


def test_page_drills_into_a_district_and_reports_a_foreign_one_as_a_field_error(
    client, tree, world, xz_supervisor
):
    client.force_login(xz_supervisor)
    page = client.get(reverse("cases:supervision"), {"organisation": tree.gongbei.pk})
    assert [r["name"] for r in page.context["departments"]] == ["拱北街道（本级）"]
    page = client.get(reverse("cases:supervision"), {"organisation": tree.doumen.pk})
    assert page.status_code == 200
    assert "organisation" in page.context["errors"]
    assert all(r["name"] != "斗门区" for r in page.context["departments"])


def _csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")  # Excel reads UTF-8 only with the BOM
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_carries_the_same_numbers_as_the_page(client, world, city_supervisor, period):
    client.force_login(city_supervisor)
    query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    page = client.get(reverse("cases:supervision"), query)
    export = client.get(reverse("cases:supervision-csv"), {**query, "table": "departments"})
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in export["Content-Disposition"]
    header, *rows = _csv(export)
    assert header[:5] == ["部门 / 区域", "收件数", "办结数", "按时办结数", "按时办结率（%）"]
    shown = page.context["departments"] + [page.context["total"]]
    assert len(rows) == len(shown)
    for line, figures in zip(rows, shown, strict=True):
        assert line[1:5] == [
            str(figures[k]) for k in ("received", "concluded", "on_time", "on_time_rate")
        ]
        assert line[6] == str(figures["overdue"])
    assert rows[-1][0] == "合计"

    items = _csv(client.get(reverse("cases:supervision-csv"), {**query, "table": "items"}))
    assert items[0][:2] == ["实施编码", "事项名称"]
    assert [r[1] for r in items[1:-1]] == [r["name"] for r in page.context["items"]]

    overdue = _csv(client.get(reverse("cases:supervision-csv"), {"table": "overdue"}))
    assert {r[0] for r in overdue[1:]} == {c["number"] for c in page.context["overdue"]}


# --------------------------------------------------------------------------- the API


def test_api_gives_the_page_numbers(client, api_for, world, city_supervisor, period):
    query = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    client.force_login(city_supervisor)
    page = client.get(reverse("cases:supervision"), query)
    api = api_for(city_supervisor)
    departments = api.get(API + "departments/", query).json()
    assert departments["total"] == {k: v for k, v in page.context["total"].items()}
    assert [r["name"] for r in departments["results"]] == ["香洲区", "斗门区"]
    assert departments["period"] == {"start": query["from"], "end": query["to"]}
    items = api.get(API + "items/", query).json()
    assert [r["code"] for r in items["results"]] == [r["code"] for r in page.context["items"]]
    overdue = api.get(API + "overdue/").json()
    assert overdue["count"] == 2
    assert [r["number"] for r in overdue["results"]] == [
        c["number"] for c in page.context["overdue"]
    ]


def test_api_refuses_a_bad_period_and_a_foreign_organisation_with_field_errors(
    tree, api_for, xz_supervisor
):
    api = api_for(xz_supervisor)
    answer = api.get(API + "departments/", {"from": "2026-03-10", "to": "2026-03-01"})
    assert answer.status_code == 400
    assert "to" in answer.content.decode()
    answer = api.get(API + "items/", {"organisation": tree.doumen.pk})
    assert answer.status_code == 400
    assert "organisation" in answer.content.decode()


def test_supervision_endpoints_are_in_the_openapi_schema(api_for, city_supervisor):
    schema = api_for(city_supervisor).get("/api/schema/", {"format": "json"}).json()
    for endpoint in ("departments/", "items/", "overdue/"):
        assert f"/api/v1/supervision/{endpoint}" in schema["paths"]
