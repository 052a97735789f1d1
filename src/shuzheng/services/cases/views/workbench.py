"""Workbench pages of 办件 handling: the queues (待受理, 待审查, 待办结 …) with their bulk
bar, and one case with everything a handler needs to decide — and only the actions the
workflow offers this user now. Thin: parse, call the selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from shuzheng.foundation import workflow
from shuzheng.foundation.identity.validators import mask_id_number, mask_mobile
from shuzheng.foundation.web.views import require
from shuzheng.foundation.workflow.calendar import Clock, working_days_between
from shuzheng.foundation.workflow.services import spec_of
from shuzheng.services.cases import masking
from shuzheng.services.cases.models import (
    CaseMaterial,
    DeliveryMethod,
    SpecialKind,
)
from shuzheng.services.cases.selectors import workbench as selectors
from shuzheng.services.cases.services import handle, reveal

PAGE_SIZE = 50
BULK_MAX = 200
CONFLICT = gettext_lazy("该办件已被他人处理，请刷新后重试")
STAFF_ACTIONS = tuple(handle.ACTS)


# --------------------------------------------------------------------------- shared bits


def mask_name(name: str, applicant_type: str = "person") -> str:
    """A person's name shown in lists as 张*明 (enterprise names are public)."""
    if applicant_type != "person" or not name:
        return name
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or fallback
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


def action_fields(action: str, case=None) -> list[dict]:
    """The inputs each act asks for (the page's forms; the API names the same fields)."""
    basis = case.item_version.legal_basis if case is not None else ""
    text = {"widget": "textarea", "required": True}
    fields = {
        "accept": [{"name": "opinion", "label": _("受理意见"), "widget": "textarea"}],
        "reject": [{"name": "reason", "label": _("不予受理理由"), **text}],
        "request_correction": [
            {
                "name": "reasons",
                "label": _("补正内容"),
                "help": _("每行一项，一次性告知申请人需要补齐补正的全部内容"),
                **text,
            },
            {
                "name": "days",
                "label": _("补正期限（工作日）"),
                "widget": "number",
                "initial": 5,
                "required": True,
            },
        ],
        "start_review": [],
        "pass_step": [{"name": "opinion", "label": _("审查意见"), **text}],
        "start_special": [
            {
                "name": "kind",
                "label": _("特别程序种类"),
                "widget": "select",
                "choices": SpecialKind.choices,
                "required": True,
            },
            {"name": "reason", "label": _("启动理由"), **text},
            {"name": "planned_days", "label": _("预计时长（工作日）"), "widget": "number"},
        ],
        "end_special": [{"name": "result", "label": _("特别程序结果"), **text}],
        "approve": [
            {"name": "opinion", "label": _("审批意见"), **text},
            {"name": "legal_basis", "label": _("法律依据"), "initial": basis, **text},
            {
                "name": "licence_number",
                "label": _("结果证照编号"),
                "widget": "text",
                "help": _("留空则由系统编号"),
            },
        ],
        "deny": [
            {"name": "reason", "label": _("不予准予理由"), **text},
            {"name": "legal_basis", "label": _("法律依据"), "initial": basis, **text},
        ],
        "conclude": [],
        "deliver": [
            {
                "name": "method",
                "label": _("送达方式"),
                "widget": "select",
                "choices": DeliveryMethod.choices,
                "required": True,
            }
        ],
    }
    return fields.get(action, [])


def act_kwargs(action: str, data) -> dict:
    """The service's keyword arguments from a form or a request body."""
    kwargs = {}
    for field in action_fields(action):
        name = field["name"]
        if name == "reasons":
            value = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
            if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
                value = value[0].splitlines()
            elif isinstance(value, str):
                value = value.splitlines()
            kwargs[name] = value or []
        elif name in data:
            kwargs[name] = data.get(name)
        elif name == "days":
            kwargs[name] = 5
        elif field.get("required"):
            kwargs[name] = ""
    return kwargs


# --------------------------------------------------------------------------- queues


@require("web.use_workbench")
def queue_page(request):
    """办件队列: one tab per queue with its (capped) count, newest first, filters, next page."""
    user = request.user
    name = request.GET.get("queue") or "to_accept"
    if name not in selectors.QUEUES:
        raise Http404(_("没有这个办件队列"))
    item, org = _int(request.GET.get("item")), _int(request.GET.get("organisation"))
    after = _int(request.GET.get("after"))
    rows = selectors.queue(
        user, name, after=after, limit=PAGE_SIZE + 1, item=item, organisation=org
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    now = timezone.now()
    filters = {k: v for k, v in (("queue", name), ("item", item), ("organisation", org)) if v}
    counts = selectors.queue_counts(user, now=now)
    return render(
        request,
        "cases/workbench/queue.html",
        {
            "queue": name,
            "tabs": [
                {
                    "name": key,
                    "label": label,
                    "count": counts.get(key),
                    "capped": counts.get(key, 0) >= selectors.COUNT_CAP,
                    "url": "?" + urlencode({**filters, "queue": key}),
                }
                for key, label in selectors.QUEUES.items()
            ],
            "rows": [
                {
                    "case": case,
                    "applicant": mask_name(case.applicant_name, case.applicant_type),
                    "step": selectors.current_step(case),
                    "approaching": selectors.is_approaching(case, now),
                    "overdue": selectors.is_overdue(case, now),
                }
                for case in rows
            ],
            "next_url": "?" + urlencode({**filters, "after": rows[-1].pk}) if more else "",
            "first_url": "?" + urlencode(filters) if after else "",
            "filters": {"item": item, "organisation": org},
            "items": selectors.filter_items(user),
            "organisations": selectors.filter_organisations(user),
            "bulk_actions": [(a, bulk_label(a)) for a in handle.BULK_ACTIONS],
            "delivery_methods": DeliveryMethod.choices,
            "here": request.get_full_path(),
        },
    )


def bulk_label(action: str) -> str:
    labels = {
        "start_review": _("批量签收（开始审查）"),
        "conclude": _("批量办结"),
        "deliver": _("批量送达"),
    }
    return labels.get(action, action)


@require_POST
@require("web.use_workbench")
def bulk_page(request):
    """批量签收 / 办结 / 送达 of the ticked cases; each case succeeds or fails on its own."""
    user = request.user
    back = _safe_next(request, reverse("cases:queue"))
    numbers = list(dict.fromkeys(n for n in request.POST.getlist("numbers") if n))[:BULK_MAX]
    action = request.POST.get("action", "")
    if not numbers:
        messages.error(request, _("请先勾选办件"))
        return redirect(back)
    found = {c.number: c for c in selectors.cases_by_numbers(user, numbers)}
    kwargs = {"method": request.POST.get("method", "")} if action == "deliver" else {}
    try:
        outcomes = handle.bulk(user, [found[n] for n in numbers if n in found], action, **kwargs)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect(back)
    done = [case.number for case, ok, _m in outcomes if ok]
    if done:
        messages.success(
            request,
            _("已办理 %(n)s 件：%(numbers)s") % {"n": len(done), "numbers": "、".join(done)},
        )
    for case, ok, message in outcomes:
        if not ok:
            messages.error(request, f"{case.number}：{message}")
    for number in numbers:
        if number not in found:
            messages.error(request, _("%(number)s：找不到该办件") % {"number": number})
    return redirect(back)


# --------------------------------------------------------------------------- one case


def _form_rows(case, answers: dict | None = None) -> list[tuple[str, str]]:
    """申请表 as (title, value) in the form's order, with the enum labels the form used: the
    personal numbers masked by type (``masking``), unless ``answers`` are the revealed ones."""
    schema = case.item_version.form_schema or {}
    ui = case.item_version.form_ui or {}
    if answers is None:
        answers = masking.mask_case_form(case)
    props = schema.get("properties", {})
    order = [f for f in ui.get("order", []) if f in props] + [
        f for f in props if f not in ui.get("order", [])
    ]
    labels = ui.get("labels", {})
    rows = []
    for field in order:
        if field not in answers:
            continue
        value = answers[field]
        if isinstance(value, bool):
            value = _("是") if value else _("否")
        else:
            value = labels.get(field, {}).get(str(value), value)
        rows.append((props[field].get("title") or field, value))
    rows += [(k, v) for k, v in answers.items() if k not in props]
    return rows


def _history(case) -> list[dict]:
    spec = spec_of(case.workflow.definition)
    rows = []
    for record in case.workflow.history.select_related(None).order_by("seq"):
        t = spec.transition(record.action)
        rows.append(
            {
                "record": record,
                "label": t.label
                if t
                else (_("创建") if record.action == "start" else record.action),
                "from": spec.label(record.from_state) if record.from_state else "",
                "to": spec.label(record.to_state),
                "legal_basis": (record.data or {}).get("legal_basis", ""),
            }
        )
    return rows


def _deadlines(case, now) -> dict:
    clock = case.workflow.clock or {}
    remaining = None
    if clock:
        remaining = Clock.from_dict(clock).remaining_working_days(now)
    legal_remaining = None
    if case.legal_due_at and not case.is_final and case.state != "concluded":
        legal_remaining = working_days_between(now, case.legal_due_at)
    return {"remaining": remaining, "legal_remaining": legal_remaining}


def _detail_context(request, case, *, errors=None, open_action="", posted=None, revealed=None):
    user = request.user
    now = timezone.now()
    offered = [
        t for t in workflow.available_actions(user, case.workflow) if t.name in STAFF_ACTIONS
    ]
    actions = []
    for t in offered:
        fields = []
        for field in action_fields(t.name, case):
            value = (posted or {}).get(field["name"]) if open_action == t.name else None
            fields.append(
                {
                    **field,
                    "id": f"{t.name}-{field['name']}",
                    "value": value if value is not None else field.get("initial", ""),
                    "errors": (errors or {}).get(field["name"], [])
                    if open_action == t.name
                    else [],
                }
            )
        actions.append(
            {
                "name": t.name,
                "label": t.label,
                "fields": fields,
                "open": open_action == t.name,
                "errors": (errors or {}).get("__all__", []) if open_action == t.name else [],
                "danger": t.name in ("reject", "deny"),
            }
        )
    contact = case.contact_phone
    return {
        "case": case,
        "state_label": spec_of(case.workflow.definition).label(case.state),
        "step": selectors.current_step(case),
        "applicant_name": case.applicant_name,
        "id_masked": mask_id_number(case.applicant_id_number or ""),
        "phone_masked": mask_mobile(contact) if contact else "",
        "can_reveal": selectors.may_reveal(user, case),
        "revealed": revealed,
        "form_rows": _form_rows(case, revealed["form_data"] if revealed else None),
        "materials": case.materials.select_related("material", "file").order_by(
            "material__sort_order", "pk"
        ),
        "history": _history(case),
        "specials": case.special_procedures.select_related("started_by").order_by("started_at"),
        "deadlines": _deadlines(case, now),
        "approaching": selectors.is_approaching(case, now),
        "overdue": selectors.is_overdue(case, now),
        "actions": actions,
        "revision": case.workflow.revision,
    }


@require("web.use_workbench")
def case_page(request, number: str):
    """办件详情: applicant (masked), form, materials, history, deadlines, and the actions."""
    case = selectors.case_for_staff(request.user, number)
    return render(request, "cases/workbench/case.html", _detail_context(request, case))


@require_POST
@require("web.use_workbench")
def act_page(request, number: str, action: str):
    """One act on one case, from its form; the revision the user saw travels with it."""
    case = selectors.case_for_staff(request.user, number)
    if action not in STAFF_ACTIONS:
        raise Http404(_("没有这个办理操作"))
    revision = _int(request.POST.get("revision"))
    try:
        handle.ACTS[action](
            request.user, case, revision=revision, **act_kwargs(action, request.POST)
        )
    except workflow.Conflict:
        messages.error(request, str(CONFLICT))
        return redirect("cases:case", number=number)
    except ValidationError as exc:
        errors = (
            {k: v for k, v in exc.message_dict.items()}
            if hasattr(exc, "error_dict")
            else {"__all__": exc.messages}
        )
        case = selectors.case_for_staff(request.user, number)
        context = _detail_context(
            request, case, errors=errors, open_action=action, posted=request.POST
        )
        context["failed"] = True
        return render(request, "cases/workbench/case.html", context, status=400)
    messages.success(
        request,
        _("已办理：%(label)s")
        % {"label": spec_of(case.workflow.definition).transition(action).label},
    )
    return redirect("cases:case", number=number)


@require_POST
@require("web.use_workbench")
def reveal_page(request, number: str):
    """查看完整信息: the applicant's ID and phone numbers and the clear form answers, through
    identity's audited reveal with a stated purpose; refused (403, audited) without the
    reveal capability."""
    case = selectors.case_for_staff(request.user, number)
    try:
        revealed = reveal.reveal_case(
            request.user, case, reason=request.POST.get("reason", ""), request=request
        )
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("cases:case", number=number)
    response = render(
        request, "cases/workbench/case.html", _detail_context(request, case, revealed=revealed)
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require("web.use_workbench")
def material_page(request, number: str, pk: int):
    """A material's file, for whoever may see the case (the same scope as the page)."""
    from shuzheng.foundation.files import selectors as files

    case = selectors.case_for_staff(request.user, number)
    try:
        supplied = CaseMaterial.objects.select_related("file").get(
            pk=pk,
            case=case,
            file__isnull=False,
            file__deleted_at__isnull=True,
            file__purged_at__isnull=True,
        )
    except CaseMaterial.DoesNotExist:
        raise Http404 from None
    stored = supplied.file
    response = FileResponse(
        files.open_content(stored),
        as_attachment=True,
        filename=stored.name,
        content_type=stored.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


urlpatterns = [
    path("workbench/cases/", queue_page, name="queue"),
    path("workbench/cases/bulk/", bulk_page, name="bulk"),
    path("workbench/cases/<str:number>/", case_page, name="case"),
    path("workbench/cases/<str:number>/actions/<str:action>/", act_page, name="act"),
    path("workbench/cases/<str:number>/reveal/", reveal_page, name="case-reveal"),
    path("workbench/cases/<str:number>/materials/<int:pk>/", material_page, name="case-material"),
]
