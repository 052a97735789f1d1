"""质量问题 (the owner's list): open problems of the user's datasets, filtered by dataset and
status, each resolvable as 已整改 or 不属问题 (with a reason)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from shuzheng.data.quality import selectors, services
from shuzheng.data.quality.models import IssueStatus
from shuzheng.data.quality.views.common import MANAGE, VIEW, int_or_none
from shuzheng.foundation import workflow
from shuzheng.foundation.web.views import require

PAGE = 50
STATUSES = [
    ("open", IssueStatus.OPEN.label),
    ("fixed", IssueStatus.FIXED.label),
    ("dismissed", IssueStatus.DISMISSED.label),
    ("all", gettext_lazy("全部")),
]


@require_GET
@require(VIEW)
def issue_list(request):
    user = request.user
    entry_pk = int_or_none(request.GET.get("entry"))
    entry = selectors.entry(user, entry_pk) if entry_pk else None
    state = request.GET.get("status") or "open"
    if state not in dict(STATUSES):
        state = "open"
    after = int_or_none(request.GET.get("after"))
    rows = selectors.issues(
        user, entry=entry, status=None if state == "all" else state, after=after, limit=PAGE
    )
    next_url = None
    if len(rows) == PAGE:
        query = {k: v for k, v in (("entry", entry_pk), ("status", state)) if v}
        next_url = f"{reverse('dataquality:issues')}?{urlencode({**query, 'after': rows[-1].pk})}"
    return render(
        request,
        "dataquality/issues.html",
        {
            "rows": rows,
            "entry": entry,
            "status": state,
            "statuses": [(v, str(label)) for v, label in STATUSES],
            "datasets": selectors.datasets(user, checked_only=True),
            "next_url": next_url,
            "may_manage": selectors.entries(user, MANAGE).exists(),
            "here": request.get_full_path(),
        },
    )


@require_POST
@require(MANAGE)
def issue_resolve(request, pk: int):
    issue = selectors.issue(request.user, pk, MANAGE)
    back = request.POST.get("next") or reverse("dataquality:issues")
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
        back = reverse("dataquality:issues")
    try:
        services.resolve_issue(
            request.user,
            issue,
            status=request.POST.get("status", ""),
            resolution=request.POST.get("resolution", ""),
        )
    except workflow.Conflict as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    else:
        messages.success(
            request,
            _("问题 #%(id)s 已标记为%(status)s")
            % {"id": issue.pk, "status": issue.get_status_display()},
        )
    return redirect(back)


urlpatterns = [
    path("workbench/data/quality/issues/", issue_list, name="issues"),
    path("workbench/data/quality/issues/<int:pk>/resolve/", issue_resolve, name="issue-resolve"),
]
