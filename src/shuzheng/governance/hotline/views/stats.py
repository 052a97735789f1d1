"""工单统计 pages: volumes by time, category, district and channel, per-unit on-time and
satisfaction rates, this week's 热点诉求, and each of them as CSV for Excel. Thin: the
numbers come from ``selectors.stats`` (same functions, same numbers)."""

import datetime as dt
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET

from shuzheng.foundation.web import csvexport
from shuzheng.foundation.web.views import require
from shuzheng.governance.hotline.selectors import stats

LEAVES_SHOWN = 20
HOT_SHOWN = 10


def order_url(number: str) -> str | None:
    """The order's page, when that page is installed."""
    try:
        return reverse("hotline:order", kwargs={"number": number})
    except NoReverseMatch:
        return None


def _hot_day(period: stats.Period) -> dt.date:
    """The day whose ISO week the 热点诉求 describe: the period's last day, never the future."""
    return min(period.end, timezone.localdate(timezone.now(), stats.zone()))


def _series(rows: list[dict]) -> dict:
    return {"names": [r["label"] for r in rows], "counts": [r["count"] for r in rows]}


@require_GET
@require(stats.CAPABILITY)
def page(request):
    """工单统计 — KPI cards, four charts, the units table, this week's hot topics."""
    user = request.user
    errors = {}
    try:
        period = stats.parse_period(request.GET.get("start"), request.GET.get("end"))
    except ValidationError as exc:
        errors = exc.message_dict
        period = stats.last_days()
    start, end = period.bounds
    trend = stats.volumes(user, start=start, end=end, by="day")
    level1 = stats.volumes(user, start=start, end=end, by="category1")
    leaves = stats.volumes(user, start=start, end=end, by="category")
    districts = stats.volumes(user, start=start, end=end, by="district")
    channels = stats.volumes(user, start=start, end=end, by="channel")
    request_types = stats.volumes(user, start=start, end=end, by="request_type")
    units = stats.unit_performance(user, start=start, end=end)
    total = stats.performance_total(units)
    hot = stats.hot_topics(user, today=_hot_day(period), limit=HOT_SHOWN)
    for phrase in hot["phrases"]:
        phrase["links"] = [(n, order_url(n)) for n in phrase["samples"]]
    chart = {
        "labels": {"orders": _("工单数")},
        "trend": {"days": [r["key"] for r in trend], "counts": [r["count"] for r in trend]},
        "categories": _series(level1),
        "districts": _series(districts),
        "channels": _series(channels),
    }
    # the CSV links export the period shown (the default one when the input was refused)
    query = urlencode({"start": period.start.isoformat(), "end": period.end.isoformat()})
    return render(
        request,
        "hotline/stats/page.html",
        {
            "period": period,
            "errors": errors,
            # what the user typed stays in the picker next to its error
            "start_value": request.GET.get("start") or period.start.isoformat(),
            "end_value": request.GET.get("end") or period.end.isoformat(),
            "received": sum(r["count"] for r in trend),
            "total": total,
            "units": units,
            "leaves": leaves[:LEAVES_SHOWN],
            "leaves_more": len(leaves) > LEAVES_SHOWN,
            "request_types": request_types,
            "hot": hot,
            "chart": chart,
            "query": query,
        },
    )


# --------------------------------------------------------------------------- CSV

VOLUME_COLUMNS = {
    "category": (
        ("parent_key", _l("一级分类编码")),
        ("parent_label", _l("一级分类")),
        ("key", _l("分类编码")),
        ("label", _l("分类名称")),
        ("count", _l("工单数")),
    ),
    "category1": (("key", _l("分类编码")), ("label", _l("一级分类")), ("count", _l("工单数"))),
    "district": (("label", _l("所属区")), ("count", _l("工单数"))),
    "channel": (("label", _l("受理渠道")), ("count", _l("工单数"))),
    "request_type": (("label", _l("诉求类型")), ("count", _l("工单数"))),
    "day": (("key", _l("日期")), ("count", _l("工单数"))),
    "week": (("label", _l("周")), ("key", _l("周一日期")), ("count", _l("工单数"))),
    "month": (("label", _l("月份")), ("count", _l("工单数"))),
}
UNIT_COLUMNS = (
    ("name", _l("承办单位")),
    ("received", _l("签收工单数")),
    ("closed", _l("办结数")),
    ("on_time", _l("按时办结数")),
    ("on_time_rate", _l("按时办结率")),
    ("rated", _l("有效回访数")),
    ("satisfied", _l("满意及基本满意")),
    ("satisfaction_rate", _l("满意率")),
    ("reworked", _l("重办工单数")),
    ("rework_rate", _l("重办率")),
    ("returned", _l("曾退单工单数")),
    ("average_working_days", _l("平均办理用时（工作日）")),
)
HOT_COLUMNS = (
    ("kind", _l("类型")),
    ("code", _l("分类编码")),
    ("name", _l("名称")),
    ("count", _l("本周工单数")),
    ("baseline", _l("前四周同期周均")),
    ("change", _l("较前四周变化")),
    ("score", _l("热度得分")),
    ("samples", _l("示例工单")),
)
REPORTS = ("volumes", "units", "hot")


def _percent(key: str) -> bool:
    return key.endswith("_rate") or key == "change"


def _bad_request(errors: dict) -> HttpResponse:
    lines = [f"{field}: {message}" for field, messages in errors.items() for message in messages]
    return HttpResponse("\n".join(lines), status=400, content_type="text/plain; charset=utf-8")


@require_GET
@require(stats.CAPABILITY)
def export_csv(request):
    """The page's figures as CSV (UTF-8 with BOM so that Excel opens the Chinese):
    ``report`` = volumes (``by`` = category, category1, district, channel, request_type,
    day, week or month), units, or hot; the period from ``start`` / ``end``."""
    user = request.user
    errors: dict[str, list[str]] = {}
    try:
        period = stats.parse_period(request.GET.get("start"), request.GET.get("end"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
    report = request.GET.get("report") or "volumes"
    by = request.GET.get("by") or "category"
    if report not in REPORTS:
        errors["report"] = [_("不支持的报表：%(report)s") % {"report": report}]
    elif report == "volumes" and by not in stats.GROUPINGS:
        errors["by"] = [_("不支持的统计维度：%(by)s") % {"by": by}]
    if errors:
        return _bad_request(errors)
    start, end = period.bounds
    first_day, last_day = period.start, period.end
    if report == "units":
        rows = stats.unit_performance(user, start=start, end=end)
        rows.append(stats.performance_total(rows))
        columns, name = UNIT_COLUMNS, "units"
    elif report == "hot":
        hot = stats.hot_topics(user, today=_hot_day(period), limit=50)
        rows = [{"kind": _("热点分类"), **c, "samples": []} for c in hot["categories"]] + [
            {"kind": _("热点词语"), "code": "", "name": p["term"], **p} for p in hot["phrases"]
        ]
        columns, name = HOT_COLUMNS, "hot"
        first_day, last_day = hot["week_start"], hot["week_end"]
    else:
        rows = stats.volumes(user, start=start, end=end, by=by)
        rows.append({"key": "", "label": _("合计"), "count": sum(r["count"] for r in rows)})
        if by in stats.TIME_GROUPINGS:
            rows[-1]["key"] = _("合计")
        columns, name = VOLUME_COLUMNS[by], f"volumes-{by}"
    return csvexport.response(
        f"hotline-{name}-{first_day:%Y%m%d}-{last_day:%Y%m%d}.csv",
        columns,
        rows,
        percent=_percent,
    )


urlpatterns = [
    path("workbench/hotline/stats/", page, name="stats"),
    path("workbench/hotline/stats/export.csv", export_csv, name="stats-csv"),
]
