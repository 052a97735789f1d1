"""Open311 应用 (workbench, ``hotline.manage``): the applications that may file reports
through Open311 — issue a key (shown once, on the answer to the form, never stored in
clear or put in a URL or the session) and revoke one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shuzheng.foundation.web.views import require
from shuzheng.governance.hotline.models import Open311Client
from shuzheng.governance.hotline.services import open311_clients as services


def _page(request, *, form=None, issued=None, errors=None, status=200):
    endpoint = request.build_absolute_uri(
        reverse("open311:discovery", kwargs={"fmt": "xml"})
    ).rsplit("discovery.", 1)[0]
    return render(
        request,
        "hotline/open311/clients.html",
        {
            "clients": services.clients(request.user),
            "form": form or {},
            "errors": errors or {},
            "issued": issued,
            "endpoint": endpoint,
        },
        status=status,
    )


@never_cache
@require("hotline.manage")
def clients(request):
    """The list, and the form that issues a new key."""
    if request.method != "POST":
        return _page(request)
    form = {"name": request.POST.get("name", ""), "contact": request.POST.get("contact", "")}
    try:
        client, key = services.issue_key(request.user, name=form["name"], contact=form["contact"])
    except ValidationError as exc:
        return _page(request, form=form, errors=exc.message_dict, status=400)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
        return redirect("hotline:open311-clients")
    # rendered, not redirected: the key exists only in this answer
    return _page(request, issued={"client": client, "key": key})


@require_POST
@require("hotline.manage")
def revoke(request, pk: int):
    try:
        client = services.client(request.user, pk)
    except Open311Client.DoesNotExist:
        raise Http404 from None
    try:
        services.revoke(request.user, client)
        messages.success(request, _("已停用应用“%(name)s”的密钥") % {"name": client.name})
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect("hotline:open311-clients")


urlpatterns = [
    # not under workbench/hotline/: that prefix takes order numbers
    path("workbench/open311/", clients, name="open311-clients"),
    path("workbench/open311/<int:pk>/revoke/", revoke, name="open311-client-revoke"),
]
