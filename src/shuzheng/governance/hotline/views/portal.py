"""Pages: the citizen's side of 12345 — 我要反映 (content, photos, a place on the map, with
knowledge-base answers offered while typing), and 我的诉求 with the public progress of each
order: state, dates and the reply, never the handlers' internal notes."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy

from shuzheng.foundation.workflow.services import spec_of
from shuzheng.governance.hotline.views import forms
from shuzheng.governance.hotline.views.common import apply_errors, int_or_none

PAGE_SIZE = 20
ALIASES = {"location": "address", "coordinates": "address", "file": "photos"}
# what the citizen reads for each state (the handlers' names stay on the workbench)
PUBLIC_STATE = {
    "registered": gettext_lazy("已受理"),
    "dispatched": gettext_lazy("已转交承办单位"),
    "handling": gettext_lazy("办理中"),
    "extension": gettext_lazy("办理中"),
    "replied": gettext_lazy("办理中"),
    "callback": gettext_lazy("已办理，待回访"),
    "returned": gettext_lazy("重新派单中"),
    "closed": gettext_lazy("已办结"),
    "merged": gettext_lazy("已合并处理"),
}
PUBLIC_STEPS = {
    "start": gettext_lazy("受理登记"),
    "answer": gettext_lazy("直接答复办结"),
    "merge": gettext_lazy("与相同诉求合并处理"),
    "dispatch": gettext_lazy("派至承办单位"),
    "forward": gettext_lazy("转至承办单位"),
    "reassign": gettext_lazy("重新派单"),
    "sign": gettext_lazy("承办单位签收"),
    "approve_extension": gettext_lazy("延长办理期限"),
    "reply": gettext_lazy("承办单位答复"),
    "approve_reply": gettext_lazy("答复审核通过"),
    "close": gettext_lazy("回访办结"),
    "rework": gettext_lazy("重新办理"),
}
REPLY_STATES = ("callback", "closed", "merged")


def _orders():
    from shuzheng.governance.hotline.selectors import orders

    return orders


def _mine(user, number: str):
    """An order this user reported (404 for any other, even one they may handle)."""
    order = _orders().order(user, number)
    if order.reporter_id != user.pk:
        raise Http404
    return order


@login_required
def report(request):
    """我要反映."""
    from shuzheng.governance.hotline.services import intake

    if request.method == "POST":
        form = forms.ReportForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = intake.report(
                    request.user,
                    channel="web",
                    request_type=data["request_type"],
                    title=data["title"],
                    content=data["content"],
                    address=data["address"],
                    latitude=data["latitude"],
                    longitude=data["longitude"],
                    anonymous=data["anonymous"],
                    photos=data["photos"],
                )
            except ValidationError as exc:
                apply_errors(form, exc, ALIASES)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                return redirect("hotline:report-done", number=order.number)
        status = 400
    else:
        form = forms.ReportForm(user=request.user)
        status = 200
    return render(request, "hotline/portal/report.html", {"form": form}, status=status)


@login_required
def report_done(request, number: str):
    """提交成功: the number to quote when calling 12345."""
    order = _mine(request.user, number)
    return render(request, "hotline/portal/done.html", {"order": order})


@login_required
def my_orders(request):
    """我的诉求, newest first (keyset pages)."""
    after = int_or_none(request.GET.get("after"))
    rows = _orders().mine(request.user, after=after, limit=PAGE_SIZE + 1)
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return render(
        request,
        "hotline/portal/my_orders.html",
        {
            "rows": [{"order": o, "state": PUBLIC_STATE.get(o.state, "")} for o in rows],
            "next_after": rows[-1].pk if more else None,
            "first": after is not None,
        },
    )


def _timeline(order) -> list[dict]:
    """The public steps: what happened and when — no actor, no opinion, no reason."""
    steps = []
    for record in _orders().history(order):
        label = PUBLIC_STEPS.get(record.action)
        if label:
            steps.append({"label": label, "at": record.at})
    return steps


@login_required
def my_order(request, number: str):
    """诉求进度."""
    order = _mine(request.user, number)
    spec = spec_of(order.workflow.definition) if order.workflow_id else None
    master = order.master if order.master_id else None
    reply = order.reply if order.state in REPLY_STATES else ""
    return render(
        request,
        "hotline/portal/my_order.html",
        {
            "order": order,
            "state": PUBLIC_STATE.get(order.state) or (spec.label(order.state) if spec else ""),
            "timeline": _timeline(order),
            "reply": reply,
            "master": master,
            "photos": list(order.photos.order_by("pk")),
            "unit": order.unit if order.state not in ("registered", "returned") else None,
        },
    )


urlpatterns = [
    path("hotline/report/", report, name="report"),
    path("hotline/report/done/<str:number>/", report_done, name="report-done"),
    path("hotline/mine/", my_orders, name="my-orders"),
    path("hotline/mine/<str:number>/", my_order, name="my-order"),
]
