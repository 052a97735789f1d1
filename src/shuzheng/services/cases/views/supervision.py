"""电子监察 pages: timeliness per department and item, today's overdue cases, and the same
figures as a CSV for Excel. Thin: the numbers come from ``selectors.supervision``."""

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
from shuzheng.services.cases.selectors import supervision

OVERDUE_SHOWN = 100


def case_url(number: str | None) -> str | None:
    """The handling page of a case, when that page is installed."""
    if not number:
        return None
    try:
        return reverse("cases:case", kwargs={"number": number})
    except NoReverseMatch:
        return None


def organisation_choices(user) -> list[tuple[int, str]]:
    """(pk, name indented by depth) of the organisations the filter offers."""
    orgs = list(supervision.supervisable_organisations(user).only("name", "depth", "path"))
    top = min((o.depth for o in orgs), default=0)
    return [(o.pk, "\u3000" * (o.depth - top) + o.name) for o in orgs]


@require_GET
@require("cases.supervise")
def page(request):
    """电子监察 — KPI cards, charts, per-department and per-item tables, the overdue list."""
    user = request.user
    errors = {}
    try:
        period, organisation = supervision.filters(user, request.GET)
    except ValidationError as exc:
        errors = exc.message_dict
        period, organisation = supervision.this_month(), None
    now = timezone.now()
    depts, items = supervision.breakdown(user, period, organisation=organisation, now=now)
    overdue = supervision.overdue_rows(
        supervision.overdue_cases(user, organisation=organisation, limit=OVERDUE_SHOWN, now=now),
        now,
    )
    for row in overdue:
        row["url"] = case_url(row["number"])
    dept_rows = [f.as_dict() | {"drill": f.drill} for f in depts.rows]
    chart = {
        "labels": {
            "on_time_rate": _("按时办结率"),
            "correction_rate": _("补正率"),
            "received": _("收件"),
            "concluded": _("办结"),
        },
        "departments": {
            "names": [r["name"] for r in dept_rows],
            "on_time_rate": [r["on_time_rate"] for r in dept_rows],
            "correction_rate": [r["correction_rate"] for r in dept_rows],
        },
        "trend": supervision.trend(user, period, organisation=organisation),
    }
    query = request.GET.copy()
    query.pop("table", None)
    return render(
        request,
        "cases/supervision/page.html",
        {
            "period": period,
            "organisation": organisation,
            "organisations": organisation_choices(user),
            "errors": errors,
            "form": request.GET,
            "total": depts.total.as_dict(),
            "departments": dept_rows,
            "items": [f.as_dict() for f in items.rows],
            "overdue": overdue,
            "overdue_shown": OVERDUE_SHOWN,
            "chart": chart,
            "query": query.urlencode(),
        },
    )


DEPARTMENT_COLUMNS = (
    ("name", _l("部门 / 区域")),
    ("received", _l("收件数")),
    ("concluded", _l("办结数")),
    ("on_time", _l("按时办结数")),
    ("on_time_rate", _l("按时办结率")),
    ("average_working_days", _l("平均用时（工作日）")),
    ("overdue", _l("当前超期")),
    ("approaching", _l("临期")),
    ("corrected", _l("补正件数")),
    ("correction_rate", _l("补正率")),
    ("rejected", _l("不予受理")),
    ("denied", _l("不予准予")),
)
ITEM_COLUMNS = (
    ("code", _l("实施编码")),
    ("name", _l("事项名称")),
    *DEPARTMENT_COLUMNS[1:],
)
OVERDUE_COLUMNS = (
    ("number", _l("办件编号")),
    ("item", _l("事项名称")),
    ("organisation", _l("受理部门")),
    ("state_label", _l("办件状态")),
    ("applicant", _l("申请人")),
    ("handler", _l("当前经办人")),
    ("due_at", _l("承诺办结时间")),
    ("overdue_working_days", _l("超期工作日")),
)


@require_GET
@require("cases.supervise")
def export_csv(request):
    """The page's figures as CSV (UTF-8 with BOM so that Excel opens the Chinese headers):
    ``table`` = departments (default), items, or overdue."""
    user = request.user
    try:
        period, organisation = supervision.filters(user, request.GET)
    except ValidationError as exc:
        return HttpResponse(
            "\n".join(exc.messages), status=400, content_type="text/plain; charset=utf-8"
        )
    table = request.GET.get("table") or "departments"
    now = timezone.now()
    if table == "items":
        report = supervision.items(user, period, organisation=organisation, now=now)
        columns, rows = ITEM_COLUMNS, [f.as_dict() for f in report.rows]
        rows.append(report.total.as_dict() | {"code": ""})
    elif table == "overdue":
        columns = OVERDUE_COLUMNS
        rows = supervision.overdue_rows(
            supervision.overdue_cases(
                user, organisation=organisation, limit=supervision.OVERDUE_LIMIT, now=now
            ),
            now,
        )
    else:
        table = "departments"
        report = supervision.departments(user, period, organisation=organisation, now=now)
        columns, rows = DEPARTMENT_COLUMNS, [f.as_dict() for f in report.rows]
        rows.append(report.total.as_dict())
    return csvexport.response(
        f"supervision-{table}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv",
        columns,
        rows,
        percent=lambda key: key.endswith("_rate"),
    )


urlpatterns = [
    path("workbench/supervision/", page, name="supervision"),
    path("workbench/supervision/export.csv", export_csv, name="supervision-csv"),
]
