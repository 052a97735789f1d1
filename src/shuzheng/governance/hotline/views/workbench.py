"""Pages: the 12345 work-order queues (待派单 … 已超期) and one order with everything its
handler needs — masked caller, photos, map, the model's suggestion and why, the history,
催办督办, duplicates — and a form for each action the workflow offers this user now. Every
form carries the revision the user saw: a page overtaken by someone else changes nothing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuzheng.foundation import access, workflow
from shuzheng.foundation.workflow.services import spec_of
from shuzheng.governance.hotline.models import Category, Channel
from shuzheng.governance.hotline.views.common import (
    ACTS,
    CONFLICT,
    apply_errors,
    available_acts,
    caller_of,
    deadline_flags,
    int_or_none,
    photo_response,
    staff_page,
)

PAGE_SIZE = 50
COUNT_CAP = 99
TABS = {
    "registered": (gettext_lazy("待派单"), {"state": "registered"}),
    "dispatched": (gettext_lazy("待签收"), {"state": "dispatched"}),
    "handling": (gettext_lazy("办理中"), {"state": "handling"}),
    "extension": (gettext_lazy("延期审批"), {"state": "extension"}),
    "replied": (gettext_lazy("待审核"), {"state": "replied"}),
    "callback": (gettext_lazy("待回访"), {"state": "callback"}),
    "returned": (gettext_lazy("已退单"), {"state": "returned"}),
    "approaching": (gettext_lazy("即将超期"), {"approaching": True}),
    "overdue": (gettext_lazy("已超期"), {"overdue": True}),
    "all": (gettext_lazy("全部"), {}),
}


def _orders():
    from shuzheng.governance.hotline.selectors import orders

    return orders


# --------------------------------------------------------------------------- queues


def _default_tab(user) -> str:
    return "registered" if access.holds(user, "hotline.register") else "dispatched"


@staff_page("hotline.view")
def queue_page(request):
    """工单队列: a tab per state with its (capped) count, filters, newest first, "more"."""
    user = request.user
    orders = _orders()
    tab = request.GET.get("tab") or _default_tab(user)
    if tab not in TABS:
        raise Http404(_("没有这个工单队列"))
    category = Category.objects.filter(pk=int_or_none(request.GET.get("category"))).first()
    channel = request.GET.get("channel") or ""
    channel = channel if channel in Channel.values else ""
    q = (request.GET.get("q") or "").strip()[:100]
    after = int_or_none(request.GET.get("after"))
    rows = orders.queue(
        user,
        **TABS[tab][1],
        category=category,
        channel=channel or None,
        q=q or None,
        after=after,
        limit=PAGE_SIZE + 1,
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    now = timezone.now()
    filters = {
        k: v
        for k, v in (("tab", tab), ("category", category and category.pk), ("channel", channel))
        if v
    }
    if q:
        filters["q"] = q
    tabs = []
    for key, (label, kwargs) in TABS.items():
        count = orders.count(user, **kwargs, cap=COUNT_CAP)
        tabs.append(
            {
                "name": key,
                "label": label,
                "count": min(count, COUNT_CAP),
                "capped": count > COUNT_CAP,
                "url": "?"
                + urlencode({**{k: v for k, v in filters.items() if k != "tab"}, "tab": key}),
            }
        )
    return render(
        request,
        "hotline/workbench/queue.html",
        {
            "tab": tab,
            "tabs": tabs,
            "rows": [{"order": o, **deadline_flags(o, now)} for o in rows],
            "next_url": "?" + urlencode({**filters, "after": rows[-1].pk}) if more else "",
            "first_url": "?" + urlencode(filters) if after else "",
            "filters": {"category": category, "channel": channel, "q": q},
            "categories": Category.objects.filter(is_active=True).order_by("code"),
            "channels": Channel.choices,
            "may_register": access.holds(user, "hotline.register"),
        },
    )


# --------------------------------------------------------------------------- one order


def _history(order) -> list[dict]:
    spec = spec_of(order.workflow.definition) if order.workflow_id else None
    self_reported = order.reporter_id is not None and order.channel != "grid"
    rows = []
    for record in _orders().history(order):
        t = spec.transition(record.action) if spec else None
        if t is not None:
            label = t.label
        else:
            label = _("受理登记") if record.action == "start" else record.action
        actor = record.actor_name
        if self_reported and record.actor_id == order.reporter_id:
            actor = _("诉求人本人")  # the caller's name stays masked, here too
        rows.append(
            {
                "record": record,
                "actor": actor,
                "label": label,
                "to": spec.label(record.to_state) if spec and record.to_state else "",
            }
        )
    return rows


def _map_points(order, state_label: str) -> list[dict]:
    if order.latitude is None or order.longitude is None:
        return []
    return [
        {
            "lat": order.latitude,
            "lng": order.longitude,
            "number": order.number,
            "label": order.title,
            "state": order.state,
            "state_label": state_label,
            "category": order.category.name if order.category_id else "",
        }
    ]


def _action_forms(request, order, *, failed=None, failed_form=None) -> list[dict]:
    user = request.user
    rows = []
    for act in available_acts(user, order):
        if act.name == failed:
            form = failed_form
        else:
            form = act.form(prefix=act.name, user=user, order=order)
        rows.append({"act": act, "form": form, "open": act.name == failed})
    return rows


def _detail_context(request, order, *, failed=None, failed_form=None) -> dict:
    now = timezone.now()
    orders = _orders()
    spec = spec_of(order.workflow.definition) if order.workflow_id else None
    state_label = spec.label(order.state) if spec else order.get_state_display()
    return {
        "order": order,
        "state_label": state_label,
        "caller": caller_of(order),
        "flags": deadline_flags(order, now),
        "photos": list(order.photos.select_related("file").order_by("pk")),
        "points": _map_points(order, state_label),
        "s": order.suggestion or {},
        "history": _history(order),
        "urges": list(orders.urges(order)),
        "followers": list(order.followers.order_by("pk").only("pk", "number", "created_at")),
        "co_units": list(order.co_units.all()),
        "actions": _action_forms(request, order, failed=failed, failed_form=failed_form),
        "revision": order.workflow.revision if order.workflow_id else 0,
    }


@staff_page("hotline.view")
def order_page(request, number: str):
    """工单详情 with the actions open to the user."""
    order = _orders().order(request.user, number)
    return render(request, "hotline/workbench/order.html", _detail_context(request, order))


@staff_page("hotline.view")
def order_action(request, number: str, action: str):
    """One action on one order from its form; a stale revision changes nothing."""
    if request.method != "POST":
        return redirect("hotline:order", number=number)
    user = request.user
    orders = _orders()
    order = orders.order(user, number)
    act = ACTS.get(action)
    if act is None:
        raise Http404(_("没有这个办理操作"))
    revision = int_or_none(request.POST.get("revision"))
    current = order.workflow.revision if order.workflow_id else None
    if revision is None or (current is not None and revision != current):
        messages.error(request, str(CONFLICT))
        return redirect("hotline:order", number=number)
    if act not in available_acts(user, order):
        raise PermissionDenied(_("您当前不能对该工单执行“%(label)s”") % {"label": act.label})
    form = act.form(request.POST, prefix=act.name, user=user, order=order)
    if form.is_valid():
        try:
            act.run(user, order, form.cleaned_data, revision)
        except workflow.Conflict:
            messages.error(request, str(CONFLICT))
            return redirect("hotline:order", number=number)
        except ValidationError as exc:
            apply_errors(form, exc, dict(act.aliases))
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已办理：%(label)s") % {"label": act.label})
            try:  # after 退单 / 下派 the order may have left the user's units
                orders.order(user, number)
            except Http404:
                return redirect("hotline:queue")
            return redirect("hotline:order", number=number)
    order = orders.order(user, number)
    context = _detail_context(request, order, failed=act.name, failed_form=form)
    context["failed"] = True
    return render(request, "hotline/workbench/order.html", context, status=400)


@login_required
def order_photo(request, number: str, pk: int):
    """A photo of an order, for whoever may see the order (handlers and its reporter)."""
    order = _orders().order(request.user, number)
    return photo_response(order, pk)


urlpatterns = [
    path("workbench/hotline/", queue_page, name="queue"),
    path("workbench/hotline/orders/<str:number>/", order_page, name="order"),
    path(
        "workbench/hotline/orders/<str:number>/actions/<str:action>/",
        order_action,
        name="order-action",
    ),
    path("hotline/orders/<str:number>/photos/<int:pk>/", order_photo, name="order-photo"),
]
