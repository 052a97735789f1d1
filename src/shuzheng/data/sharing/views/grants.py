"""Pages of sharing grants: the grants a department uses or provides (or, for the data
authority, all), each with its items, period, quotas and state, and 撤销 for whoever may."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from shuzheng.data.sharing import selectors, services
from shuzheng.data.sharing.models import GrantStatus
from shuzheng.data.sharing.views.common import (
    GRANT_CONFLICT,
    RevokeForm,
    apply_errors,
    int_or_none,
    staff_page,
)
from shuzheng.data.sharing.views.requests import item_rows
from shuzheng.foundation import access, workflow

PAGE_SIZE = 50


def may_revoke(user, grant) -> bool:
    if grant.status == GrantStatus.REVOKED:
        return False
    try:
        access.check(user, grant, "datasharing.revoke")
    except PermissionDenied:
        return False
    return True


def _row(user, grant, now) -> dict:
    state = selectors.grant_state(grant, now)
    return {
        "g": grant,
        "state": state,
        "state_label": selectors.GRANT_STATE_LABELS[state],
        "last_day": services.last_day(grant),
        "may_revoke": may_revoke(user, grant),
    }


@staff_page("datasharing.view")
def grants_page(request):
    """共享授权: 本部门使用 / 本部门提供 / 全部, newest first."""
    user = request.user
    side = request.GET.get("side") or "consumer"
    if side not in selectors.SIDES:
        raise Http404(_("没有这个授权列表"))
    active = request.GET.get("active") or ""
    after = int_or_none(request.GET.get("after"))
    now = timezone.now()
    rows = list(
        selectors.grants_for(
            user,
            side=side,
            active=True if active == "1" else None,
            after=after,
            limit=PAGE_SIZE + 1,
            now=now,
        )
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    filters = {k: v for k, v in (("side", side), ("active", active)) if v}
    return render(
        request,
        "datasharing/workbench/grants.html",
        {
            "side": side,
            "sides": [
                {"name": k, "label": v, "url": "?" + urlencode({"side": k})}
                for k, v in selectors.SIDES.items()
            ],
            "active": active,
            "rows": [_row(user, g, now) for g in rows],
            "next_url": "?" + urlencode({**filters, "after": rows[-1].pk}) if more else "",
            "first_url": "?" + urlencode(filters) if after else "",
        },
    )


def _grant_context(user, grant, form=None) -> dict:
    now = timezone.now()
    return {
        **_row(user, grant, now),
        "items": [
            r for r in item_rows(grant.entry, grant.fields, grant.clear_fields) if r["chosen"]
        ],
        "form": form or RevokeForm(),
    }


@staff_page("datasharing.view")
def grant_page(request, number: str):
    grant = selectors.get_grant(request.user, number)
    return render(request, "datasharing/workbench/grant.html", _grant_context(request.user, grant))


@staff_page("datasharing.revoke")
def grant_revoke(request, number: str):
    """撤销授权 from the grant page or the list; a stale revision changes nothing."""
    if request.method != "POST":
        return redirect("datasharing:grant", number=number)
    user = request.user
    grant = selectors.get_grant(user, number)
    revision = int_or_none(request.POST.get("revision"))
    if revision is None or revision != grant.revision:
        messages.error(request, str(GRANT_CONFLICT))
        return redirect("datasharing:grant", number=number)
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.revoke(user, grant, reason=form.cleaned_data["reason"], revision=revision)
        except workflow.Conflict:
            messages.error(request, str(GRANT_CONFLICT))
            return redirect("datasharing:grant", number=number)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("授权 %(number)s 已撤销") % {"number": grant.number})
            return redirect("datasharing:grant", number=number)
    grant = selectors.get_grant(user, number)
    return render(
        request,
        "datasharing/workbench/grant.html",
        _grant_context(user, grant, form),
        status=400,
    )


urlpatterns = [
    path("workbench/data/sharing/grants/", grants_page, name="grants"),
    path("workbench/data/sharing/grants/<str:number>/", grant_page, name="grant"),
    path("workbench/data/sharing/grants/<str:number>/revoke/", grant_revoke, name="grant-revoke"),
]
