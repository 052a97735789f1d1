"""Pages: the applicant's side of 一网通办 — start an application, fill in the form and
upload materials, submit (receipt), 我的办件 with the progress timeline, 补正 and 撤件, and
the public progress query. Thin: parse, call ``services.apply`` or ``selectors.applicant``,
render. The draft page is shared with the window's 代办 (``views.window``)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuzheng.foundation import workflow
from shuzheng.foundation.identity import selectors as identity
from shuzheng.foundation.identity.login import policy, ratelimit
from shuzheng.foundation.identity.login.middleware import too_many_requests
from shuzheng.services.cases import forms
from shuzheng.services.cases.models import CaseState
from shuzheng.services.cases.selectors import applicant as selectors
from shuzheng.services.cases.services import apply
from shuzheng.services.catalogue import selectors as catalogue
from shuzheng.services.catalogue.models import Audience

TOKENS = "cases.submit_tokens"
CONTROL_PREFIX = "_"  # _action, _token, _commitment, _file-<material>: never form fields
WITHDRAWABLE = ("submitted", "correction", "accepted", "review", "special")
PROGRESS_RATE_DEFAULT = 10


# --------------------------------------------------------------------------- helpers


def _errors(exc: ValidationError) -> tuple[dict, list[str]]:
    """Field errors by field, and the messages that belong to no field."""
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        general = fields.pop("__all__", [])
        return fields, general
    return {}, [str(m) for m in exc.messages]


def _form_from_post(post) -> dict:
    """The posted form fields (the last value of each: a checkbox's hidden "false" comes
    first); control inputs and the CSRF token are not part of the form."""
    return {
        key: post.get(key)
        for key in post
        if not key.startswith(CONTROL_PREFIX) and key != "csrfmiddlewaretoken"
    }


def _token(request, case) -> str:
    tokens = request.session.setdefault(TOKENS, {})
    key = str(case.pk)
    if key not in tokens:
        tokens[key] = secrets.token_urlsafe(16)
        request.session.modified = True
    return tokens[key]


def _spend_token(request, case, given: str) -> bool:
    """One submission per rendered page: the token is spent by the first POST."""
    tokens = request.session.get(TOKENS, {})
    expected = tokens.get(str(case.pk))
    if not expected or not given or not secrets.compare_digest(expected, given):
        return False
    tokens.pop(str(case.pk), None)
    request.session.modified = True
    return True


def _submitted(case) -> bool:
    return case.state not in (CaseState.DRAFT, CaseState.CORRECTION) and bool(case.number)


def draft_page(request, case, *, template: str, receipt_url, base_context=None):
    """GET: the form and the materials checklist. POST: save what was typed, store the
    uploads, and — for 提交 — submit; a second click on 提交 lands on the receipt."""
    user = request.user
    field_errors: dict = {}
    material_errors: dict = {}
    posted: dict = {}
    if request.method == "POST":
        action = request.POST.get("_action", "save")
        posted = _form_from_post(request.POST)
        try:
            apply.save_draft(user, case, form=posted)
        except ValidationError as exc:
            case.refresh_from_db()
            if _submitted(case):  # a second click after the first one submitted
                return redirect(receipt_url(case))
            field_errors, general = _errors(exc)
            for text in general:
                messages.error(request, text)
        for row in case.item_version.materials.all():
            upload = request.FILES.get(f"_file-{row.code}")
            if upload is None:
                continue
            try:
                apply.attach_material(user, case, material_code=row.code, upload=upload)
            except ValidationError as exc:
                fields, general = _errors(exc)
                texts = [t for v in fields.values() for t in v] + general
                material_errors[row.code] = texts[0] if texts else _("上传失败")
        case.refresh_from_db()
        if _submitted(case):
            messages.info(request, _("申请已提交"))
            return redirect(receipt_url(case))
        if action == "submit" and not field_errors and not material_errors:
            result = _submit(request, case, receipt_url)
            if result is not None:
                return result
            field_errors = getattr(request, "_submit_errors", {})
        elif not field_errors and not material_errors:
            messages.success(request, _("草稿已保存"))
            return redirect(request.path)
    known = set(forms.properties(case.item_version.form_schema)) | {"materials", "commitment"}
    for name in sorted(set(field_errors) - known):  # not drawn on the page: say it on top
        for text in field_errors[name]:
            messages.error(request, f"{name}：{text}")
    values = {**(case.form_data or {}), **posted}
    editable = selectors.editable_fields(case)
    fields = forms.fields_for(case.item_version, values, field_errors)
    for row in fields:
        row["disabled"] = editable is not None and row["name"] not in editable
    materials = selectors.material_rows(case)
    for row in materials:
        row["error"] = material_errors.get(row["code"], "")
    context = {
        "case": case,
        "version": case.item_version,
        "fields": fields,
        "materials": materials,
        "materials_error": (field_errors.get("materials") or [""])[0],
        "commitment_error": (field_errors.get("commitment") or [""])[0],
        "commitment_checked": request.POST.get("_commitment") == "on",
        "token": _token(request, case),
        "correction": case.state == CaseState.CORRECTION,
        "limit_text": selectors.limit_text(case.item_version),
        **(base_context or {}),
    }
    return render(request, template, context, status=400 if request.method == "POST" else 200)


def _submit(request, case, receipt_url):
    """Spend the page's token and submit (or resubmit after 补正); None = stay on the page
    with the errors in ``request._submit_errors``."""
    request._submit_errors = {}
    if not _spend_token(request, case, request.POST.get("_token", "")):
        messages.error(request, _("页面已过期，请核对后再次提交"))
        return None
    try:
        if case.state == CaseState.CORRECTION:
            apply.resubmit(request.user, case)
        else:
            apply.submit(request.user, case, commitment=request.POST.get("_commitment") == "on")
    except ValidationError as exc:
        fields, general = _errors(exc)
        for text in general + fields.pop("item", []):
            messages.error(request, text)
        request._submit_errors = fields
        return None
    except workflow.Conflict as exc:
        messages.error(request, str(exc))
        return None
    messages.success(request, _("申请已提交，办件编号 %(number)s") % {"number": case.number})
    return redirect(receipt_url(case))


def _receipt_url(case) -> str:
    return reverse("cases:receipt", kwargs={"number": case.number})


# --------------------------------------------------------------------------- pages


@login_required
def start(request, code: str):
    """申请: resume the draft of this item, or start one — for oneself or, for an agent,
    for an enterprise they may apply for (以企业身份办理)."""
    item = catalogue.item_by_code(code)
    version = item.current
    user = request.user
    options = []
    if version.audience != Audience.LEGAL and identity.persons(user).filter(user=user).exists():
        options.append(("person", _("以个人身份办理"), None))
    if version.audience != Audience.PERSON:
        for enterprise in selectors.apply_enterprises(user):
            label = _("以企业身份办理：%(name)s") % {"name": enterprise.name}
            options.append((str(enterprise.pk), label, enterprise))
    chosen = request.POST.get("as") if request.method == "POST" else request.GET.get("as")
    if chosen is None and len(options) == 1 and request.method == "GET":
        chosen = options[0][0]
    if chosen is not None:
        match = next((o for o in options if o[0] == chosen), None)
        if match is None:
            messages.error(request, _("请选择办理身份"))
        else:
            enterprise = match[2]
            case = selectors.resumable_draft(user, item, enterprise=enterprise)
            try:
                case = case or apply.create_draft(user, item, enterprise=enterprise)
            except (ValidationError, PermissionDenied) as exc:
                for text in getattr(exc, "messages", None) or [str(exc)]:
                    messages.error(request, text)
            else:
                return redirect("cases:draft", pk=case.pk)
    return render(
        request,
        "cases/portal/start.html",
        {"item": item, "version": version, "options": options},
        status=200 if options else 403,
    )


@login_required
def draft(request, pk: int):
    """填写申请: the draft (or the case in 补齐补正) of mine with this id."""
    case = selectors.my_application(request.user, pk)
    if case.state not in (CaseState.DRAFT, CaseState.CORRECTION):
        if request.method == "POST":  # a repeated 提交: the first one stands
            return redirect(_receipt_url(case))
        return redirect("cases:my-case", number=case.number)
    return draft_page(request, case, template="cases/portal/draft.html", receipt_url=_receipt_url)


def _row(case) -> dict:
    return {
        "case": case,
        "badge": selectors.badge(case),
        "next_step": selectors.next_step(case),
        "url": reverse("cases:my-case", kwargs={"number": case.number})
        if case.number
        else reverse("cases:draft", kwargs={"pk": case.pk}),
    }


@login_required
def my_cases(request):
    """我的办件: drafts to finish, then submitted cases newest first (keyset pages)."""
    after = request.GET.get("after")
    limit = 20
    cases = selectors.my_cases(
        request.user, after=int(after) if after and after.isdigit() else None, limit=limit
    )
    drafts = [] if after else list(selectors.my_drafts(request.user)[:50])
    return render(
        request,
        "cases/portal/my_cases.html",
        {
            "drafts": [_row(c) for c in drafts],
            "cases": [_row(c) for c in cases],
            "next_after": cases[-1].pk if len(cases) == limit else None,
        },
    )


@login_required
def my_case(request, number: str):
    """办件详情: progress timeline, materials, 补正 notice, result, 撤件."""
    case = selectors.my_case(request.user, number)
    return render(
        request,
        "cases/portal/case.html",
        {
            "case": case,
            "receipt": selectors.receipt(case),
            "timeline": selectors.timeline(case),
            "materials": selectors.material_rows(case),
            "badge": selectors.badge(case),
            "next_step": selectors.next_step(case),
            "may_withdraw": case.state in WITHDRAWABLE,
            "correction": case.state == CaseState.CORRECTION,
        },
    )


@login_required
def receipt(request, number: str):
    """申请回执 (printable)."""
    case = selectors.my_case(request.user, number)
    return render(
        request, "cases/portal/receipt.html", {"case": case, "receipt": selectors.receipt(case)}
    )


@require_POST
@login_required
def withdraw(request, number: str):
    """撤件 with a reason."""
    case = selectors.my_case(request.user, number)
    try:
        apply.withdraw(request.user, case, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        fields, general = _errors(exc)
        for text in general + [t for v in fields.values() for t in v]:
            messages.error(request, text)
    except workflow.Conflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("申请已撤回"))
    return redirect("cases:my-case", number=case.number)


def progress_rate() -> int:
    return int(getattr(settings, "PROGRESS_QUERY_RATE_PER_MINUTE", PROGRESS_RATE_DEFAULT))


def progress(request):
    """办件进度查询 (public): 办件编号 + the last four characters of the applicant's
    document number; a miss of either gets the same answer. Limited per address."""
    context = {"number": "", "result": None, "not_found": False}
    if request.method == "POST":
        wait = ratelimit.hit("progress", policy.client_ip(request), progress_rate())
        if wait:
            return too_many_requests(request, wait)
        number = request.POST.get("number", "")[:40]
        result = selectors.progress(number, request.POST.get("id_tail", "")[:8])
        context.update(number=number, result=result, not_found=result is None)
    return render(request, "cases/portal/progress.html", context)


urlpatterns = [
    path("services/<str:code>/apply/", start, name="apply"),
    path("my/drafts/<int:pk>/", draft, name="draft"),
    path("my/cases/", my_cases, name="my-cases"),
    path("my/cases/<str:number>/", my_case, name="my-case"),
    path("my/cases/<str:number>/receipt/", receipt, name="receipt"),
    path("my/cases/<str:number>/withdraw/", withdraw, name="withdraw"),
    path("progress/", progress, name="progress"),
]
