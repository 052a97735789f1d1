"""Pages of sharing requests: the queues (我的申请 / 待合规审查 / 待我方审核 / 待协调 / 全部)
with deadlines and overdue marks, the new-request form for one catalogue entry (its items,
each item's level and how it would be delivered), and one request with its timeline and a
form for each action the workflow offers the user now. Every action form carries the
revision the user saw: a page overtaken by someone else changes nothing."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from shuzheng.data.catalog import masking, snapshot
from shuzheng.data.catalog.models import VISIBLE_STATES, CatalogueEntry, Grade, ShareType
from shuzheng.data.sharing import selectors, services
from shuzheng.data.sharing.api.requests import available_actions
from shuzheng.data.sharing.models import OPEN_STATES, Grant, RequestState
from shuzheng.data.sharing.views.common import (
    CONFLICT,
    ActForm,
    RequestForm,
    apply_errors,
    int_or_none,
    staff_page,
)
from shuzheng.foundation import access, workflow
from shuzheng.foundation.workflow.services import spec_of

PAGE_SIZE = 50
COUNT_CAP = 99
DANGER = {"reject", "return", "withdraw", "coordinate_refuse", "accept_rejection"}


# --------------------------------------------------------------------------- queues


def _boxes(user) -> list[str]:
    return [
        name for name, (_label, perm, _state) in selectors.BOXES.items() if access.holds(user, perm)
    ]


def _default_box(boxes: list[str]) -> str:
    for name in ("to_check", "to_coordinate", "to_decide", "mine"):
        if name in boxes:
            return name
    return "all"


@staff_page("datasharing.view")
def queue_page(request):
    """共享申请队列: a tab per box the user holds, newest first, "more"."""
    user = request.user
    boxes = _boxes(user)
    box = request.GET.get("box") or _default_box(boxes)
    if box not in boxes:
        raise Http404(_("没有这个申请队列"))
    state = request.GET.get("state") or ""
    state = state if state in RequestState.values else ""
    after = int_or_none(request.GET.get("after"))
    now = timezone.now()
    rows = list(
        selectors.requests_for(
            user, box=box, state=state or None, after=after, limit=PAGE_SIZE + 1, now=now
        )
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    filters = {k: v for k, v in (("box", box), ("state", state)) if v}
    tabs = []
    for name in boxes:
        counted = selectors.count(user, box=name, cap=COUNT_CAP)
        tabs.append(
            {
                "name": name,
                "label": selectors.BOXES[name][0],
                "count": min(counted, COUNT_CAP),
                "capped": counted > COUNT_CAP,
                "url": "?" + urlencode({"box": name}),
            }
        )
    return render(
        request,
        "datasharing/workbench/queue.html",
        {
            "box": box,
            "tabs": tabs,
            "rows": [{"r": r, **selectors.deadline_flags(r, now)} for r in rows],
            "next_url": "?" + urlencode({**filters, "after": rows[-1].pk}) if more else "",
            "first_url": "?" + urlencode(filters) if after else "",
            "state": state,
            "states": RequestState.choices,
            "may_request": access.holds(user, "datasharing.request"),
        },
    )


# --------------------------------------------------------------------------- new request


def item_rows(entry, fields=(), clear_fields=()) -> list[dict]:
    """The entry's published items with their level and how each is delivered: masked or
    clear as requested, clear if clear delivery is asked for (and may be), or withheld."""
    rows = []
    chosen, clear = set(fields), set(clear_fields)
    for item in snapshot.items_of(entry):
        plain = masking.delivery(item, clear_granted=False)
        if_clear = masking.delivery(item, clear_granted=True)
        rows.append(
            {
                "item": item,
                "grade_label": Grade(item["grade"]).label if item.get("grade") else "—",
                "delivery": plain,
                "delivery_if_clear": if_clear,
                "withheld": plain == masking.WITHHELD,
                "clear_possible": plain == masking.MASKED
                and if_clear == masking.CLEAR
                and masking.may_grant_clear(item),
                "chosen": item["code"] in chosen,
                "clear": item["code"] in clear,
                "now": masking.delivery(item, clear_granted=item["code"] in clear),
            }
        )
    return rows


def _visible_entry(code: str):
    code = (code or "").strip()
    if not code:
        return None
    return (
        CatalogueEntry.objects.select_related("provider")
        .filter(code=code, status__in=VISIBLE_STATES)
        .first()
    )


@staff_page("datasharing.request")
def new_page(request):
    """提出共享申请 for ``?entry=<信息资源代码>`` (申请协调 for a 不予共享 entry)."""
    user = request.user
    code = request.GET.get("entry") or request.POST.get("entry") or ""
    entry = _visible_entry(code)
    if entry is None:
        return render(
            request,
            "datasharing/workbench/new.html",
            {"entry": None, "code": code, "missing": bool(code)},
            status=404 if code else 200,
        )
    share_type = services.published_share_type(entry)
    coordination = share_type == ShareType.NONE
    codes = snapshot.item_codes(entry)
    today = timezone.localdate()
    if request.method == "POST":
        form = RequestForm(request.POST, codes=codes, coordination=coordination)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                if coordination:
                    created = services.request_coordination(user, entry=entry, **data)
                else:
                    data.pop("reason", None)
                    created = services.create_request(user, entry=entry, **data)
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _("共享申请 %(number)s 已提交") % {"number": created.number},
                )
                return redirect("datasharing:request", number=created.number)
        fields = request.POST.getlist("fields")
        clear_fields = request.POST.getlist("clear_fields")
        status = 400
    else:
        form = RequestForm(
            codes=codes,
            coordination=coordination,
            initial={
                "period_start": today,
                "period_end": today + dt.timedelta(days=364),
                "quota_per_minute": 60,
                "quota_per_day": 10000,
            },
        )
        fields, clear_fields = (), ()
        status = 200
    return render(
        request,
        "datasharing/workbench/new.html",
        {
            "entry": entry,
            "code": entry.code,
            "published": entry.published or {},
            "share_type_label": ShareType(share_type).label,
            "coordination": coordination,
            "own": entry.provider_id
            == getattr(getattr(user, "staff", None), "organisation_id", None),
            "form": form,
            "items": item_rows(entry, fields, clear_fields),
            "max_days": services.max_days(),
        },
        status=status,
    )


# --------------------------------------------------------------------------- one request


def _history(sharing) -> list[dict]:
    spec = spec_of(sharing.workflow.definition) if sharing.workflow_id else None
    rows = []
    for record in selectors.history(sharing):
        t = spec.transition(record.action) if spec else None
        label = (
            t.label
            if t is not None
            else (_("创建申请") if record.action == "start" else record.action)
        )
        rows.append(
            {
                "record": record,
                "label": label,
                "to": spec.label(record.to_state) if spec and record.to_state else "",
            }
        )
    return rows


def _action_forms(request, sharing, *, failed=None, failed_form=None) -> list[dict]:
    rows = []
    for action in available_actions(request.user, sharing):
        if action["name"] == failed:
            form = failed_form
        else:
            form = ActForm(prefix=action["name"], require=action["required"])
        rows.append(
            {
                "name": action["name"],
                "label": action["label"],
                "form": form,
                "open": action["name"] == failed,
                "danger": action["name"] in DANGER,
            }
        )
    return rows


def _detail_context(request, sharing, *, failed=None, failed_form=None) -> dict:
    now = timezone.now()
    try:
        grant = sharing.grant
    except Grant.DoesNotExist:
        grant = None
    return {
        "r": sharing,
        "flags": selectors.deadline_flags(sharing, now),
        "open": sharing.state in OPEN_STATES,
        "share_type_label": ShareType(sharing.share_type).label
        if sharing.share_type in ShareType.values
        else sharing.share_type,
        "items": [
            row
            for row in item_rows(sharing.entry, sharing.fields, sharing.clear_fields)
            if row["chosen"]
        ],
        "history": _history(sharing),
        "actions": _action_forms(request, sharing, failed=failed, failed_form=failed_form),
        "grant": grant,
        "grant_state": selectors.grant_state(grant, now) if grant else "",
        "grant_state_label": selectors.GRANT_STATE_LABELS.get(selectors.grant_state(grant, now))
        if grant
        else "",
    }


@staff_page("datasharing.view")
def request_page(request, number: str):
    """共享申请详情: what was asked, the timeline, the deadline and the actions open to the user."""
    sharing = selectors.get_request(request.user, number)
    return render(request, "datasharing/workbench/request.html", _detail_context(request, sharing))


@staff_page("datasharing.view")
def request_action(request, number: str, action: str):
    """One action on one request from its form; a stale revision changes nothing."""
    if request.method != "POST":
        return redirect("datasharing:request", number=number)
    user = request.user
    sharing = selectors.get_request(user, number)
    offered = {a["name"]: a for a in available_actions(user, sharing)}
    revision = int_or_none(request.POST.get("revision"))
    if revision is None or revision != sharing.revision:
        messages.error(request, str(CONFLICT))
        return redirect("datasharing:request", number=number)
    if action not in offered:
        raise PermissionDenied(_("您当前不能对该申请执行此操作"))
    form = ActForm(request.POST, prefix=action, require=offered[action]["required"])
    if form.is_valid():
        try:
            services.act(
                user,
                sharing,
                action,
                revision=revision,
                opinion=form.cleaned_data.get("opinion", ""),
                reason=form.cleaned_data.get("reason", ""),
            )
        except workflow.Conflict:
            messages.error(request, str(CONFLICT))
            return redirect("datasharing:request", number=number)
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已办理：%(label)s") % {"label": offered[action]["label"]})
            return redirect("datasharing:request", number=number)
    sharing = selectors.get_request(user, number)
    context = _detail_context(request, sharing, failed=action, failed_form=form)
    return render(request, "datasharing/workbench/request.html", context, status=400)


urlpatterns = [
    path("workbench/data/sharing/", queue_page, name="queue"),
    path("workbench/data/sharing/new/", new_page, name="new"),
    path("workbench/data/sharing/requests/<str:number>/", request_page, name="request"),
    path(
        "workbench/data/sharing/requests/<str:number>/actions/<str:action>/",
        request_action,
        name="request-action",
    ),
]
