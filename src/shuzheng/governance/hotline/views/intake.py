"""Pages: 来电登记 — the 12345 operator's screen. While the call goes on the screen looks up
the caller's earlier orders (masked), suggests the category and the handling unit with the
words that drove the suggestion, offers knowledge-base answers and nearby duplicates; then
one button registers the order and, in the same transaction, dispatches it, answers it
directly, or merges it into a duplicate — nothing is half-written."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from shuzheng.foundation import workflow
from shuzheng.governance.hotline.models import Category, WorkOrder
from shuzheng.governance.hotline.views import forms
from shuzheng.governance.hotline.views.common import (
    CONFLICT,
    apply_errors,
    caller_of,
    float_or_none,
    int_or_none,
    masked_phone,
    staff_page,
)

OPS = ("dispatch", "register", "answer", "merge")
MIN_TEXT = 4  # fewer characters say nothing to the classifier
MIN_PHONE_DIGITS = 7  # while the number is still being typed, look nothing up
# service fields → the form's fields
ALIASES = {"location": "address", "coordinates": "latitude", "opinion": "answer"}


def _targets(user) -> list:
    """The units the operator may dispatch to. The order does not exist yet: the targets of
    an order the centre holds are asked for (an unsaved order at the centre)."""
    from shuzheng.governance.hotline.selectors import orders
    from shuzheng.governance.hotline.services import intake

    return list(orders.dispatch_targets(user, WorkOrder(unit=intake.centre())))


def _register(user, form, op: str, post) -> WorkOrder | None:
    """Register, then dispatch / answer / merge — one transaction; None with the errors on
    ``form`` when anything refused."""
    from shuzheng.governance.hotline.selectors import orders
    from shuzheng.governance.hotline.services import intake, loop

    data = form.cleaned_data
    if op == "dispatch" and not data.get("unit"):
        form.add_error("unit", _("“登记并派单”请选择承办单位"))
    if op == "answer" and not data.get("answer", "").strip():
        form.add_error("answer", _("“直接答复办结”请填写答复内容"))
    master = None
    if op == "merge":
        try:
            master = orders.order(user, post.get("merge_into", "").strip())
        except Http404:
            form.add_error(None, _("找不到要并入的工单"))
    if form.errors:
        return None
    try:
        with transaction.atomic():
            order = intake.register(
                user,
                channel=data["channel"],
                request_type=data["request_type"],
                content=data["content"],
                title=data["title"],
                category=data["category"],
                urgency=data["urgency"],
                address=data["address"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                caller_name=data["caller_name"],
                caller_phone=data["caller_phone"],
                anonymous=data["anonymous"],
                related_case=data["related_case"],
            )
            if op == "dispatch":
                loop.dispatch(user, order, unit=data["unit"], category=data["category"])
            elif op == "answer":
                loop.answer(
                    user,
                    order,
                    answer=data["answer"],
                    article=(post.get("article") or "").strip() or None,
                )
            elif op == "merge":
                loop.merge(
                    user,
                    order,
                    master,
                    reason=_("来电反映同一问题，并入工单 %(number)s") % {"number": master.number},
                )
    except ValidationError as exc:
        apply_errors(form, exc, ALIASES)
        return None
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return None
    except workflow.Conflict:
        form.add_error(None, str(CONFLICT))
        return None
    return order


DONE = {
    "register": gettext_lazy("已登记工单 %(number)s"),
    "dispatch": gettext_lazy("已登记工单 %(number)s 并派往%(unit)s"),
    "answer": gettext_lazy("已登记工单 %(number)s 并直接答复办结"),
    "merge": gettext_lazy("已登记工单 %(number)s 并并入 %(master)s"),
}


@staff_page("hotline.register")
def intake_page(request):
    """来电登记: the form, the live suggestions, and the three ways to finish a call."""
    user = request.user
    units = _targets(user)
    if request.method == "POST":
        op = "merge" if request.POST.get("merge_into") else request.POST.get("op", "register")
        if op not in OPS:
            op = "register"
        form = forms.IntakeForm(request.POST, user=user, units=units)
        if form.is_valid():
            order = _register(user, form, op, request.POST)
            if order is not None:
                order.refresh_from_db()
                master = order.master.number if order.master_id else ""
                messages.success(
                    request,
                    str(DONE[op])
                    % {"number": order.number, "unit": order.unit.name, "master": master},
                )
                return redirect("hotline:order", number=order.number)
        status = 400
    else:
        initial = {"caller_phone": request.GET.get("phone", "")[:32]}
        form = forms.IntakeForm(initial=initial, user=user, units=units)
        status = 200
    return render(
        request,
        "hotline/intake/page.html",
        {"form": form, "article": request.POST.get("article", "")},
        status=status,
    )


# --------------------------------------------------------------------------- partials


@staff_page("hotline.register")
def caller_lookup(request):
    """来电号码的历史工单 (htmx partial): masked, never the number in clear."""
    from shuzheng.governance.hotline.selectors import orders
    from shuzheng.governance.hotline.services.intake import normalise_phone

    data = request.POST if request.method == "POST" else request.GET
    raw = (data.get("caller_phone") or data.get("phone") or "").strip()[:32]
    digits = sum(ch.isdigit() for ch in raw)
    context = {"rows": [], "error": "", "masked": "", "asked": digits >= MIN_PHONE_DIGITS}
    if context["asked"]:
        try:
            phone = normalise_phone(raw)
        except ValidationError:
            context["error"] = _("号码格式不正确，无法查询历史工单")
        else:
            rows = orders.by_caller(request.user, phone, limit=20)
            context["masked"] = masked_phone(phone)
            context["rows"] = [{"order": o, "caller": caller_of(o)} for o in rows]
    return render(request, "hotline/intake/_caller.html", context)


@staff_page("hotline.register")
def classify_suggest(request):
    """智能分类建议 (htmx partial): category with confidence, unit, and why."""
    from shuzheng.governance.hotline.services import routing

    data = request.POST if request.method == "POST" else request.GET
    text = " ".join(
        part.strip()
        for part in (data.get("title", ""), data.get("content", "") or data.get("text", ""))
        if part and part.strip()
    )[:4000]
    suggestion = None
    if len(text) >= MIN_TEXT:
        cell = _cell(data)
        suggestion = routing.suggest(
            text, district=cell.district if cell is not None else None, grid=cell
        )
    return render(request, "hotline/intake/_suggest.html", {"s": suggestion})


def _cell(data):
    lat, lng = float_or_none(data.get("latitude")), float_or_none(data.get("longitude"))
    if lat is None or lng is None:
        return None
    from shuzheng.governance.grid import services as grid

    try:
        return grid.locate(lat, lng)
    except (ValueError, ValidationError):
        return None


@staff_page("hotline.register")
def duplicate_check(request):
    """疑似重复工单 (htmx partial): the same category nearby and recently, nearest first."""
    from shuzheng.governance.hotline.selectors import orders

    pk = int_or_none(request.GET.get("category"))
    lat = float_or_none(request.GET.get("latitude"))
    lng = float_or_none(request.GET.get("longitude"))
    category = Category.objects.filter(pk=pk, is_active=True).first() if pk else None
    ready = category is not None and lat is not None and lng is not None
    rows = []
    if ready:
        try:
            found = orders.duplicate_candidates(
                request.user, category=category, latitude=lat, longitude=lng
            )
        except ValidationError:
            found, ready = [], False
        rows = [{"order": o, "distance": round(d)} for o, d in found]
    return render(request, "hotline/intake/_duplicates.html", {"ready": ready, "rows": rows})


urlpatterns = [
    path("workbench/hotline/intake/", intake_page, name="intake"),
    path("workbench/hotline/intake/caller/", caller_lookup, name="caller-lookup"),
    path("workbench/hotline/intake/classify/", classify_suggest, name="classify-suggest"),
    path("workbench/hotline/intake/duplicates/", duplicate_check, name="duplicate-check"),
]
