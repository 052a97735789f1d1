"""我的消息 (portal and workbench: one view, two layouts) and 通知设置. Thin pages over the
selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuzheng.foundation.events.notifications import registry, selectors, services
from shuzheng.foundation.events.notifications.models import Message
from shuzheng.foundation.web.views import require

PAGE_SIZE = 25


def _inbox(request, *, base_template: str, here: str):
    page = Paginator(selectors.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "base_template": base_template, "here": here},
    )


@login_required
def inbox(request):
    return _inbox(request, base_template="web/base.html", here=request.get_full_path())


@require("web.use_workbench")
def workbench_inbox(request):
    return _inbox(request, base_template="workbench/base.html", here=request.get_full_path())


def _back(request) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return "notifications:inbox"


@require_POST
@login_required
def read(request, pk: int):
    """Mark one message read; with ``open`` go on to its link."""
    try:
        message = selectors.message(request.user, pk)
    except Message.DoesNotExist:
        raise Http404 from None
    services.mark_read(request.user, message)
    if request.POST.get("open") and message.link.startswith("/"):
        return redirect(message.link)
    return redirect(_back(request))


@require_POST
@login_required
def read_all(request):
    count = services.mark_all_read(request.user)
    messages.success(request, _("已将 %(count)s 条消息标为已读") % {"count": count})
    return redirect(_back(request))


@login_required
def preferences(request):
    """通知设置: email and SMS per kind of notification; the inbox always receives them."""
    user = request.user
    if request.method == "POST":
        patterns = ["*", *(t.pattern for t in registry.templates())]
        try:
            for n, pattern in enumerate(patterns):
                services.set_preference(
                    user,
                    user,
                    pattern,
                    email=request.POST.get(f"email-{n}") == "on",
                    sms=request.POST.get(f"sms-{n}") == "on",
                )
        except ValidationError as exc:
            for text in exc.messages:
                messages.error(request, text)
        else:
            messages.success(request, _("通知设置已保存"))
            return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": selectors.preference_rows(user),
            "has_mobile": bool(services.mobile_of(user)),
            "has_email": bool(user.email),
        },
    )
