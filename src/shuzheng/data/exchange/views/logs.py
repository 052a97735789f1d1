"""交换日志: the gateway calls the user's department took part in (as consumer or provider),
filtered by period, service, outcome and message id, with the SM3 digests of what was asked
and answered; one call's detail (and the seal that closed it); the list as CSV for Excel.
Thin: the rows come from ``exchange.selectors.logs`` (scoped to the user)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET

from shuzheng.data.exchange import selectors
from shuzheng.data.exchange.models import ExchangeLog, ExchangeSeal, Outcome
from shuzheng.data.exchange.views.common import (
    departments,
    int_or_none,
    reason_label,
    staff_page,
)
from shuzheng.data.exchange.views.forms import LogFilterForm
from shuzheng.foundation.identity.models import Organisation
from shuzheng.foundation.web import csvexport

PERM = "exchange.view_logs"
PAGE_SIZE = 50
OUTCOME_BADGES = {
    Outcome.OK: "success",
    Outcome.DENIED: "danger",
    Outcome.OVER_QUOTA: "warning",
    Outcome.BAD_REQUEST: "secondary",
    Outcome.NOT_FOUND: "secondary",
    Outcome.UNAUTHENTICATED: "danger",
    Outcome.PROVIDER_ERROR: "warning",
}


def period_start(days: int) -> dt.datetime:
    """Local midnight ``days - 1`` days ago: "最近 7 天" is today and the six days before."""
    first = timezone.localdate() - dt.timedelta(days=days - 1)
    return timezone.make_aware(dt.datetime.combine(first, dt.time.min))


def _filtered(request):
    """The scoped, filtered rows (newest first), the filter form and the period in days."""
    user = request.user
    orgs = departments(user, PERM)
    form = LogFilterForm(request.GET or None, choices=org_choices(orgs))
    data = form.cleaned_data if form.is_valid() else {}
    days = data.get("days") or 7
    org = next((o for o in orgs if o.pk == data.get("org")), None)
    rows = selectors.logs(
        user,
        organisation=org if org is not None and org.parent_id else None,
        since=period_start(days),
        outcome=data.get("outcome") or None,
        message_id=data.get("message_id") or None,
    )
    wanted = data.get("service") or ""
    if "/" in wanted:  # 编码/版本 as the call named it
        rows = rows.filter(service_code=wanted)
    elif wanted:  # every version of a code
        rows = rows.filter(service_code__startswith=f"{wanted}/")
    return rows, form, days


def org_choices(orgs) -> list[tuple[str, str]]:
    """The departments a user may read the log of; for the data authority "全部" first (the
    root of the tree stands for every department)."""
    choices = [("", _("本人可查看的全部"))] if len(orgs) > 1 else []
    choices += [(str(o.pk), o.name) for o in orgs if o.parent_id]
    return choices


def _org_names(rows) -> dict[int, str]:
    ids = {r.consumer_id for r in rows} | {r.provider_id for r in rows}
    ids.discard(None)
    return dict(Organisation.objects.filter(pk__in=ids).values_list("pk", "name"))


def _decorate(rows) -> list[ExchangeLog]:
    names = _org_names(rows)
    for row in rows:
        row.consumer_name = names.get(row.consumer_id, "")
        row.provider_name = names.get(row.provider_id, "")
        row.badge = OUTCOME_BADGES.get(row.outcome, "secondary")
        row.reason_label = reason_label(row.reason) if row.reason else ""
    return rows


@require_GET
@staff_page(PERM)
def log_list(request):
    """交换日志 — newest first, ``before`` pages back (keyset: stable while calls arrive)."""
    rows, form, days = _filtered(request)
    before = int_or_none(request.GET.get("before"))
    if before is not None:
        rows = rows.filter(seq__lt=before)  # keyset, as selectors.logs(before_seq=)
    page = _decorate(list(rows.select_related("client", "service")[: PAGE_SIZE + 1]))
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    query = {k: v for k, v in request.GET.items() if k != "before" and v}
    next_query = urlencode({**query, "before": page[-1].seq}) if more else ""
    return render(
        request,
        "exchange/logs/list.html",
        {
            "form": form,
            "rows": page,
            "next_query": next_query,
            "first_page": before is None,
            "query": urlencode(query),
            "days": days,
        },
    )


@require_GET
@staff_page(PERM)
def log_detail(request, seq: int):
    """One call: who, what, the digests, and the seal that closed it (if sealed yet)."""
    row = selectors.log_entry(request.user, seq)
    _decorate([row])
    seal = ExchangeSeal.objects.filter(first_seq__lte=row.seq, last_seq__gte=row.seq).first()
    return render(request, "exchange/logs/detail.html", {"row": row, "seal": seal})


COLUMNS = (
    ("seq", _l("序号")),
    ("time", _l("时间")),
    ("message_id", _l("消息标识")),
    ("consumer_name", _l("使用部门")),
    ("client_name", _l("接入应用")),
    ("client_key", _l("应用标识")),
    ("service_code", _l("服务")),
    ("provider_name", _l("提供部门")),
    ("grant_id", _l("授权")),
    ("end_user_hash", _l("最终用户（摘要）")),
    ("purpose", _l("用途")),
    ("case_number", _l("关联办件/工单编号")),
    ("fields", _l("返回信息项")),
    ("outcome", _l("结果")),
    ("reason", _l("原因")),
    ("reason_label", _l("原因说明")),
    ("status_code", _l("HTTP 状态码")),
    ("record_count", _l("返回记录数")),
    ("latency_ms", _l("耗时（毫秒）")),
    ("request_hash", _l("请求摘要（SM3）")),
    ("response_hash", _l("响应摘要（SM3）")),
)


def csv_row(row: ExchangeLog) -> dict:
    return {
        "seq": row.seq,
        "time": row.time,
        "message_id": row.message_id,
        "consumer_name": row.consumer_name,
        "client_name": row.client.name if row.client else "",
        "client_key": row.client.key_id if row.client else "",
        "service_code": row.service_code,
        "provider_name": row.provider_name,
        "grant_id": row.grant_id,
        "end_user_hash": row.end_user_hash,
        "purpose": row.purpose,
        "case_number": row.case_number,
        "fields": list(row.fields or []),
        "outcome": row.get_outcome_display(),
        "reason": row.reason,
        "reason_label": row.reason_label,
        "status_code": row.status_code,
        "record_count": row.record_count,
        "latency_ms": round(row.latency_ms, 1),
        "request_hash": row.request_hash,
        "response_hash": row.response_hash,
    }


@require_GET
@staff_page(PERM)
def log_csv(request):
    """The filtered list as CSV (every row of the period, up to ``DATA_EXCHANGE_CSV_MAX_ROWS``;
    beyond that the user is asked to narrow the filter rather than given a cut file)."""
    rows, _form, days = _filtered(request)
    limit = getattr(settings, "DATA_EXCHANGE_CSV_MAX_ROWS", 100_000)
    rows = list(rows.select_related("client")[: limit + 1])
    if len(rows) > limit:
        return HttpResponse(
            _("超过 %(n)s 条，请缩小筛选范围后再导出。") % {"n": limit},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    _decorate(rows)
    today = timezone.localdate()
    first = today - dt.timedelta(days=days - 1)
    return csvexport.response(
        f"exchange-log-{first:%Y%m%d}-{today:%Y%m%d}.csv",
        COLUMNS,
        [csv_row(r) for r in rows],
    )


urlpatterns = [
    path("workbench/data/exchange/logs/", log_list, name="logs"),
    path("workbench/data/exchange/logs/export.csv", log_csv, name="logs-csv"),
    path("workbench/data/exchange/logs/<int:seq>/", log_detail, name="log"),
]
