"""调用统计: one department's gateway traffic over the last 7 or 30 days, as provider (the
calls its services answered) and as consumer (the calls its applications made) — calls,
errors by outcome and reason, latency p50/p95, a per-day chart, today's quota use per grant
against its limit, and the busiest services and counterpart departments. A department's
staff see their department; the data authority (a grant on the city) picks any department.
Thin: the numbers are ``exchange.selectors.dashboard``'s."""

from __future__ import annotations

from urllib.parse import urlencode

from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from shuzheng.data.exchange import selectors
from shuzheng.data.exchange.models import ClientApp, DataService, Outcome
from shuzheng.data.exchange.views.common import (
    chosen_department,
    int_or_none,
    reason_label,
    staff_page,
)
from shuzheng.data.exchange.views.forms import PERIODS

PERM = "exchange.view_logs"
SIDES = {
    "provider": gettext_lazy("作为提供方"),
    "consumer": gettext_lazy("作为使用方"),
}
DAYS = tuple(days for days, _label in PERIODS)


def sides_of(user, org) -> list[str]:
    """The views that mean something for ``org``: provider when it has registered services
    or answered calls, consumer when it has applications or made calls (both when neither,
    so the page is never empty of choices)."""
    sides = []
    if (
        DataService.objects.filter(provider=org).exists()
        or selectors.logs(user, organisation=org, side="provider").exists()
    ):
        sides.append("provider")
    if (
        ClientApp.objects.filter(organisation=org).exists()
        or selectors.logs(user, organisation=org, side="consumer").exists()
    ):
        sides.append("consumer")
    return sides or list(SIDES)


def chart_data(stats: dict) -> dict:
    """What dashboard.js draws (the page's tables carry the same numbers)."""
    labels = stats["outcome_labels"]
    shown = [(code, n) for code, n in stats["by_outcome"].items() if n]
    return {
        "labels": {
            "calls": _("调用次数"),
            "errors": _("失败次数"),
            "used": _("今日已用"),
            "limit": _("每日上限"),
        },
        "series": {
            "days": [f"{d['date']:%m-%d}" for d in stats["series"]],
            "calls": [d["calls"] for d in stats["series"]],
            "errors": [d["errors"] for d in stats["series"]],
        },
        "outcomes": {
            "names": [str(labels.get(code, code)) for code, _n in shown],
            "counts": [n for _code, n in shown],
        },
        "quota": {
            "names": [f"{q['number']} {q['entry_name']}" for q in stats["quota"]],
            "used": [q["used_today"] for q in stats["quota"]],
            "limits": [q["per_day"] for q in stats["quota"]],
        },
    }


def _percent(share) -> int | None:
    return None if share is None else round(share * 100)


@require_GET
@staff_page(PERM)
def page(request):
    """调用统计 of the chosen department, side and period."""
    user = request.user
    org, choices = chosen_department(request, PERM)
    choices = [o for o in choices if o.parent_id] or choices  # the city's own row: none
    sides = sides_of(user, org)
    side = request.GET.get("side")
    if side not in sides:
        side = sides[0]
    days = int_or_none(request.GET.get("days"))
    if days not in DAYS:
        days = DAYS[0]
    stats = selectors.dashboard(user, organisation=org, side=side, days=days)
    outcome_labels = stats["outcome_labels"]
    outcomes = [
        {"code": code, "label": outcome_labels.get(code, code), "count": n}
        for code, n in stats["by_outcome"].items()
    ]
    for row in stats["quota"]:
        row["percent"] = _percent(row["day_share"])
    for row in stats["by_reason"]:
        code = row["reason"]
        row["label"] = outcome_labels.get(code) or reason_label(code)

    def link(**changes):
        query = {"org": org.pk, "side": side, "days": days, **changes}
        return "?" + urlencode(query)

    return render(
        request,
        "exchange/dashboard.html",
        {
            "org": org,
            "choices": choices,
            "side": side,
            "tabs": [{"side": s, "label": SIDES[s], "url": link(side=s)} for s in sides],
            "periods": [{"days": d, "label": label, "url": link(days=d)} for d, label in PERIODS],
            "days": days,
            "stats": stats,
            "error_percent": _percent(stats["error_rate"]),
            "outcomes": outcomes,
            "ok_code": Outcome.OK,
            "chart": chart_data(stats),
        },
    )


urlpatterns = [
    path("workbench/data/exchange/", page, name="dashboard"),
]
