"""接入应用 (consumer): the department's client applications and their gateway credentials —
register one (the secret is shown once, on the answer to the form: never stored in clear,
never put in the session or a URL), rotate its secret (the new one shown once), disable it;
and the department's active grants with the address to call, an example call and how each
granted item is delivered."""

from __future__ import annotations

import shlex

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from shuzheng.data.catalog import masking, snapshot
from shuzheng.data.catalog.models import MaskRule
from shuzheng.data.exchange import selectors, services
from shuzheng.data.exchange.models import ClientApp, ClientStatus
from shuzheng.data.exchange.views import reads
from shuzheng.data.exchange.views.common import (
    address_of,
    apply_errors,
    change_status,
    departments,
    home_department,
    int_or_none,
    is_conflict,
    staff_page,
)
from shuzheng.data.exchange.views.forms import ClientForm

PERM = "exchange.manage_clients"
DELIVERY = {
    masking.CLEAR: gettext_lazy("明文"),
    masking.MASKED: gettext_lazy("脱敏"),
    masking.WITHHELD: gettext_lazy("不提供（核心数据）"),
}
MASK_LABELS = dict(MaskRule.choices)


def _grant_rows(request, organisations, clients) -> list[dict]:
    """Each active grant with what its holder needs to call it."""
    grants = reads.active_grants(request.user, organisations)
    by_entry = reads.active_services_of({g.entry_id for g in grants})
    key_ids = {}
    for c in clients:
        if c.status == ClientStatus.ACTIVE:
            key_ids.setdefault(c.organisation_id, c.key_id)
    rows = []
    for grant in grants:
        items = {i["code"]: i for i in snapshot.items_of(grant.entry)}
        plan = masking.plan(items.values(), grant.fields, grant.clear_fields)
        fields = []
        for code in grant.fields:
            item = items.get(code, {})
            how = plan.get(code, masking.WITHHELD)
            fields.append(
                {
                    "code": code,
                    "name": item.get("name", code),
                    "how": how,
                    "how_label": DELIVERY[how],
                    "mask": MASK_LABELS.get(item.get("mask")) if how == masking.MASKED else "",
                }
            )
        delivered = [f["code"] for f in fields if f["how"] != masking.WITHHELD]
        key_id = key_ids.get(grant.consumer_id) or f"<{_('应用标识')}>"
        calls = []
        for svc in by_entry.get(grant.entry_id, []):
            url = address_of(request, svc)
            calls.append({"service": svc, "url": url, "curl": curl(url, key_id, delivered)})
        rows.append({"grant": grant, "fields": fields, "calls": calls})
    return rows


def curl(url: str, key_id: str, fields: list[str]) -> str:
    """An example call with placeholders — never a secret."""
    query = f"?fields={','.join(fields)}" if fields else ""
    headers = (
        ("Authorization", f"Bearer {key_id}.<{_('密钥')}>"),
        ("X-Message-Id", f"<{_('每次调用唯一的消息标识')}>"),
        ("X-End-User", f"<{_('经办人标识')}>"),
        ("X-Purpose", f"<{_('用途或办件编号')}>"),
    )
    lines = ["curl", *("-H " + shlex.quote(f"{k}: {v}") for k, v in headers)]
    lines.append(shlex.quote(url + query))
    return " \\\n  ".join(lines)


def _page(request, *, form=None, status=200, conflict=False):
    user = request.user
    orgs = departments(user, PERM)
    clients = list(selectors.clients_for(user))
    if form is None:
        own = home_department(user, PERM, orgs)
        form = ClientForm(organisations=orgs, initial={"organisation": own.pk if own else None})
    return render(
        request,
        "exchange/clients/list.html",
        {
            "clients": clients,
            "form": form,
            "grants": _grant_rows(request, orgs, clients),
            "conflict": conflict,
        },
        status=status,
    )


def _issued(request, client: ClientApp, secret: str, *, rotated: bool):
    """The one answer that carries the secret (``never_cache`` on the views: not kept by the
    browser's cache either)."""
    return render(
        request,
        "exchange/clients/secret.html",
        {"client": client, "credential": f"{client.key_id}.{secret}", "rotated": rotated},
    )


@never_cache
@staff_page(PERM)
def client_list(request):
    """接入应用 — the list, the form, the department's grants."""
    return _page(request)


@require_POST
@never_cache
@staff_page(PERM)
def client_new(request):
    """登记接入应用: the answer shows the secret once."""
    user = request.user
    orgs = departments(user, PERM)
    form = ClientForm(request.POST, organisations=orgs)
    if form.is_valid():
        data = form.cleaned_data
        organisation = next(o for o in orgs if o.pk == data["organisation"])
        try:
            client, secret = services.create_client(
                user,
                organisation=organisation,
                name=data["name"],
                system_code=data["system_code"],
                allowed_ips=data["allowed_ips"],
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return _issued(request, client, secret, rotated=False)
    return _page(request, form=form, status=400)


@require_POST
@never_cache
@staff_page(PERM)
def client_rotate(request, pk: int):
    """更换密钥: the old secret stops working, the new one is shown once."""
    user = request.user
    client = selectors.client(user, pk)
    revision = int_or_none(request.POST.get("revision"))
    if revision is None:
        return _page(request, status=409, conflict=True)
    try:
        secret = services.rotate_secret(user, client, revision=revision)
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
        return redirect("exchange:clients")
    except Exception as exc:
        if not is_conflict(exc):
            raise
        return _page(request, status=409, conflict=True)
    return _issued(request, client, secret, rotated=True)


@require_POST
@staff_page(PERM)
def client_status(request, pk: int):
    """停用 / 启用 an application: a stale revision changes nothing and says so (409)."""
    user = request.user
    client = selectors.client(user, pk)
    return change_status(
        request,
        allowed=ClientStatus.values,
        change=lambda wanted, revision: services.set_client_status(
            user, client, wanted, revision=revision
        ),
        conflict_page=lambda: _page(request, status=409, conflict=True),
        done_text=lambda wanted: "{} {}".format(
            _("已停用") if wanted == ClientStatus.DISABLED else _("已启用"), client.name
        ),
        back="exchange:clients",
    )


urlpatterns = [
    path("workbench/data/apps/", client_list, name="clients"),
    path("workbench/data/apps/new/", client_new, name="client-new"),
    path("workbench/data/apps/<int:pk>/rotate/", client_rotate, name="client-rotate"),
    path("workbench/data/apps/<int:pk>/status/", client_status, name="client-status"),
]
