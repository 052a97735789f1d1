"""数据服务 (provider): the department's registered services — register one over a published
catalogue entry (held in the platform's store or served by the provider's own HTTP API),
change it, suspend and resume it. Thin: the rules are ``exchange.services``'."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from shuzheng.data.exchange import selectors, services
from shuzheng.data.exchange.models import ServiceStatus
from shuzheng.data.exchange.views import reads
from shuzheng.data.exchange.views.common import (
    CONFLICT,
    address_of,
    apply_errors,
    change_status,
    int_or_none,
    is_conflict,
    staff_page,
)
from shuzheng.data.exchange.views.forms import ServiceForm

PERM = "exchange.manage_services"


def _list(request, *, status=200, conflict=False):
    rows = list(selectors.services_for(request.user))
    calls = reads.calls_today(s.pk for s in rows)
    for service in rows:
        service.calls_today = calls.get(service.pk, 0)
        service.address = address_of(request, service)
    return render(
        request,
        "exchange/services/list.html",
        {"services": rows, "conflict": conflict},
        status=status,
    )


@staff_page(PERM)
def service_list(request):
    """数据服务 — the department's services with today's calls."""
    return _list(request)


@staff_page(PERM)
def service_new(request):
    """登记数据服务."""
    user = request.user
    entries = reads.registrable_entries(user)
    form = ServiceForm(request.POST or None, entries=entries)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service = services.register_service(
                user,
                entry=data["entry"],
                code=data["code"],
                name=data["name"],
                kind=data["kind"],
                version=data["version"],
                remote_url=data["remote_url"],
                remote_token=data["remote_token"],
                remote_timeout=data["remote_timeout"],
                description=data["description"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已登记数据服务 %(service)s") % {"service": f"{service}"})
            return redirect("exchange:services")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "exchange/services/form.html",
        {"form": form, "service": None, "no_entries": not entries.exists()},
        status=status,
    )


@staff_page(PERM)
def service_edit(request, pk: int):
    """修改数据服务 (name, source, remote address and credential, description)."""
    user = request.user
    service = selectors.service(user, pk)
    initial = {
        "name": service.name,
        "remote_url": service.remote_url,
        "remote_timeout": service.remote_timeout,
        "description": service.description,
    }
    form = ServiceForm(request.POST or None, initial=initial, service=service)
    revision = int_or_none(request.POST.get("revision")) if request.method == "POST" else None
    status = 200
    if request.method == "POST":
        status = 400
        if revision is None:
            form.add_error(None, str(CONFLICT))
        elif form.is_valid():
            data = dict(form.cleaned_data)
            if not data.get("remote_token"):
                data.pop("remote_token", None)  # blank keeps the stored credential
            try:
                services.update_service(user, service, revision=revision, **data)
            except ValidationError as exc:
                apply_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            except Exception as exc:
                if not is_conflict(exc):
                    raise
                form.add_error(None, str(CONFLICT))
                status = 409
            else:
                messages.success(request, _("已保存数据服务 %(service)s") % {"service": service})
                return redirect("exchange:services")
    return render(
        request,
        "exchange/services/form.html",
        {"form": form, "service": service, "revision": service.revision},
        status=status,
    )


@require_POST
@staff_page(PERM)
def service_status(request, pk: int):
    """暂停 / 恢复: a stale revision changes nothing and says so (409)."""
    user = request.user
    service = selectors.service(user, pk)
    return change_status(
        request,
        allowed=ServiceStatus.values,
        change=lambda wanted, revision: services.set_service_status(
            user, service, wanted, revision=revision
        ),
        conflict_page=lambda: _list(request, status=409, conflict=True),
        done_text=lambda wanted: "{} {}".format(
            _("已暂停") if wanted == ServiceStatus.SUSPENDED else _("已恢复"), service
        ),
        back="exchange:services",
    )


urlpatterns = [
    path("workbench/data/services/", service_list, name="services"),
    path("workbench/data/services/new/", service_new, name="service-new"),
    path("workbench/data/services/<int:pk>/edit/", service_edit, name="service-edit"),
    path("workbench/data/services/<int:pk>/status/", service_status, name="service-status"),
]
