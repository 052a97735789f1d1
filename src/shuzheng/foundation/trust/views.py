"""审计管理员的工作台页面: read-only search over the audit trail, the chain's status, a
verification run and evidence export. Thin: parse, call ``audit``, render."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from shuzheng.foundation.trust import audit
from shuzheng.foundation.trust.models import Result
from shuzheng.foundation.web.views import require

PAGE_SIZE = 50
TEXT_FILTERS = ("actor", "action", "object_type", "object_id")


def _moment(text: str, *, end: bool = False) -> dt.datetime | None:
    """A date-time from a form field (local time); a bare date means the whole day."""
    text = (text or "").strip()
    if not text:
        return None
    day = parse_date(text)
    if day is not None:
        value = dt.datetime.combine(day + dt.timedelta(days=1) if end else day, dt.time.min)
    else:
        value = parse_datetime(text)
        if value is None:
            raise ValueError(text)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _filters(query) -> tuple[dict, list[str]]:
    filters, errors = {}, []
    for name in TEXT_FILTERS:
        value = (query.get(name) or "").strip()
        if value:
            filters[name] = value
    for name, end in (("since", False), ("until", True)):
        try:
            value = _moment(query.get(name), end=end)
        except (ValueError, OverflowError):
            errors.append(_("时间格式无效：%(value)s") % {"value": query.get(name)})
            continue
        if value:
            filters[name] = value
    result = query.get("result") or ""
    if result in Result.values:
        filters["result"] = result
    return filters, errors


@require_GET
@require("audit.view")
def audit_list(request):
    """审计记录: newest first, filtered, keyset-paginated (``before`` = last seq shown)."""
    filters, errors = _filters(request.GET)
    for text in errors:
        messages.error(request, text)
    try:
        before = int(request.GET.get("before") or 0) or None
    except ValueError:
        before = None
    rows = audit.search(request.user, **filters, before_seq=before, limit=PAGE_SIZE + 1)
    next_query = None
    if len(rows) > PAGE_SIZE:
        rows = rows[:PAGE_SIZE]
        query = request.GET.copy()
        query["before"] = rows[-1].seq
        next_query = query.urlencode()
    first_query = None
    if before:
        query = request.GET.copy()
        query.pop("before", None)
        first_query = query.urlencode()
    return render(
        request,
        "trust/audit_list.html",
        {
            "rows": rows,
            "form": request.GET,
            "results": Result.choices,
            "next_query": next_query,
            "first_query": first_query,
            "later_page": before is not None,
            "status": audit.chain_status(),
            "verify_limit": audit.WEB_VERIFY_LIMIT,
        },
    )


@require_POST
@require("audit.view")
def audit_verify(request):
    """校验审计链 now (the latest records; the command line verifies everything)."""
    report = audit.run_verification(request.user, request=request, limit=audit.WEB_VERIFY_LIMIT)
    if report.ok:
        messages.success(
            request,
            _("审计链完整：已校验 %(n)s 条记录，已签名锚定至序号 %(sealed)s")
            % {"n": report.checked, "sealed": report.sealed_to or "—"},
        )
    else:
        messages.error(
            request,
            _("审计链在序号 %(seq)s 处断裂：%(message)s")
            % {"seq": report.problem.seq, "message": report.problem.message},
        )
    return redirect("trust:audit")


@require_POST
@require("audit.view")
def audit_export(request):
    """导出证据包 for a period: a signed JSON document anyone can check with the public key."""
    try:
        start = _moment(request.POST.get("since"))
        end = _moment(request.POST.get("until"), end=True)
    except (ValueError, OverflowError):
        start = end = None
    if start is None or end is None:
        messages.error(request, _("请填写导出时段的开始和结束时间"))
        return redirect("trust:audit")
    try:
        data = audit.export(start, end, actor=request.user, request=request)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("trust:audit")
    except audit.AuditChainBroken as exc:
        messages.error(request, _("审计链已断裂，不能导出：%(m)s") % {"m": exc})
        return redirect("trust:audit")
    name = f"audit-{timezone.localtime(start):%Y%m%d%H%M}-{timezone.localtime(end):%Y%m%d%H%M}"
    response = HttpResponse(data, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{name}.json"'
    return response
