"""The reads the pages need beyond ``exchange.selectors``: each one starts from
``access.scope`` with the page's capability or from rows a scoped selector has already
given, so a department reaches only its own services, applications and grants."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count
from django.utils import timezone

from shuzheng.data.catalog.models import VISIBLE_STATES, CatalogueEntry
from shuzheng.data.exchange.models import DataService, ExchangeLog, ExchangeSeal, ServiceStatus
from shuzheng.data.sharing.selectors import grants_for
from shuzheng.foundation import access


def registrable_entries(user):
    """The published entries a service can be registered over: its department's."""
    entries = CatalogueEntry.objects.filter(status__in=VISIBLE_STATES)
    return access.scope(user, entries, "exchange.manage_services").order_by("code")


def _today_start():
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


def calls_today(service_ids) -> dict[int, int]:
    """Calls per service since local midnight (``service_ids`` come from a scoped list)."""
    rows = (
        ExchangeLog.objects.filter(service_id__in=list(service_ids), time__gte=_today_start())
        .values("service_id")
        .annotate(n=Count("seq"))
    )
    return {r["service_id"]: r["n"] for r in rows}


def active_grants(user, organisations) -> list:
    """The grants valid now that ``organisations`` hold as consumers — through the sharing
    selectors (``datasharing.view``: the consumer's and the provider's staff see a grant)."""
    ids = [o.pk for o in organisations]
    rows = grants_for(user, side="consumer", active=True).filter(consumer_id__in=ids)
    return list(rows.order_by("entry__code", "-pk"))


def active_services_of(entry_ids) -> dict[int, list[DataService]]:
    """The running services over each entry (the addresses a grant's holder calls)."""
    out: dict[int, list[DataService]] = {}
    rows = DataService.objects.filter(entry_id__in=list(entry_ids), status=ServiceStatus.ACTIVE)
    for svc in rows.order_by("code", "version"):
        out.setdefault(svc.entry_id, []).append(svc)
    return out


def seal_status() -> dict:
    """The last seal and how many log rows wait for the next one."""
    last = ExchangeSeal.objects.order_by("-last_seq").first()
    pending = ExchangeLog.objects.all()
    if last is not None:
        pending = pending.filter(seq__gt=last.last_seq)
    return {"last": last, "unsealed": pending.count(), "seals": ExchangeSeal.objects.count()}
