"""Reading the exchange gateway's registry and log. Every query starts from
``access.scope``: a provider's services (``exchange.manage_services``), a department's client
applications (``exchange.manage_clients``), and the log rows of the calls a department took
part in as consumer or provider (``exchange.view_logs``; the object rule reaches a row
through ``consumer_id`` OR ``provider_id``).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from shuzheng.data.catalog.models import VISIBLE_STATES
from shuzheng.data.exchange.gateway.core import quota_windows
from shuzheng.data.exchange.models import (
    ClientApp,
    DataService,
    ExchangeLog,
    Outcome,
    QuotaCounter,
    QuotaWindow,
    ServiceStatus,
)
from shuzheng.data.sharing.models import Grant, GrantStatus
from shuzheng.foundation import access
from shuzheng.foundation.identity.models import Organisation

MANAGE_SERVICES = "exchange.manage_services"
MANAGE_CLIENTS = "exchange.manage_clients"
VIEW_LOGS = "exchange.view_logs"
SIDES = ("provider", "consumer")
MAX_DAYS = 90


def services_for(user) -> QuerySet[DataService]:
    """The data services of the provider departments ``user`` manages services for."""
    rows = access.scope(user, DataService.objects.all(), MANAGE_SERVICES)
    return rows.select_related("entry", "provider").order_by("code", "version")


def service(user, pk) -> DataService:
    """One of :func:`services_for` (404 otherwise)."""
    found = services_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def clients_for(user) -> QuerySet[ClientApp]:
    """The client applications of the departments ``user`` manages clients for."""
    rows = access.scope(user, ClientApp.objects.all(), MANAGE_CLIENTS)
    return rows.select_related("organisation").order_by("organisation__name", "name")


def client(user, pk) -> ClientApp:
    """One of :func:`clients_for` (404 otherwise)."""
    found = clients_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


def callable_services(user, *, at=None) -> list[tuple[DataService, Grant]]:
    """(service, grant) pairs a department of ``user`` (where they manage clients or read
    logs) may call now: running services of published entries it holds an active grant for.
    For the consumer's "how to call" page; the gateway decides on every call anyway."""
    at = at or timezone.now()
    paths = set(access.org_paths(user, MANAGE_CLIENTS)) | set(access.org_paths(user, VIEW_LOGS))
    if not paths:
        return []
    within = Q()
    for path in paths:
        within |= Q(consumer__path__startswith=path)
    grants = (
        Grant.objects.filter(within, status=GrantStatus.ACTIVE)
        .filter(valid_from__lte=at, valid_until__gt=at)
        .select_related("entry", "consumer")
    )
    by_entry: dict[int, list[Grant]] = {}
    for grant in grants:
        by_entry.setdefault(grant.entry_id, []).append(grant)
    services = DataService.objects.filter(
        entry_id__in=by_entry,
        status=ServiceStatus.ACTIVE,
        entry__status__in=VISIBLE_STATES,
    ).select_related("entry", "provider")
    return [
        (svc, grant)
        for svc in services.order_by("code", "version")
        for grant in by_entry[svc.entry_id]
    ]


def logs(
    user,
    *,
    organisation=None,
    side: str | None = None,
    service=None,
    client=None,
    outcome: str | None = None,
    reason: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    message_id: str | None = None,
    before_seq: int | None = None,
) -> QuerySet[ExchangeLog]:
    """交换日志 ``user`` may read, newest first. ``organisation`` (id or object) with
    ``side`` ``"consumer"`` / ``"provider"`` (or either) narrows to one department's calls;
    ``service`` / ``client`` are ids; ``before_seq`` is the keyset cursor (the last seq of
    the previous page)."""
    rows = access.scope(user, ExchangeLog.objects.all(), VIEW_LOGS)
    if reads_unattributed(user):
        # calls that reached no department (an unknown client on an unknown service)
        rows = rows | ExchangeLog.objects.filter(consumer_id__isnull=True, provider_id__isnull=True)
    org_id = getattr(organisation, "pk", organisation)
    if org_id is not None:
        if side == "consumer":
            rows = rows.filter(consumer_id=org_id)
        elif side == "provider":
            rows = rows.filter(provider_id=org_id)
        else:
            rows = rows.filter(Q(consumer_id=org_id) | Q(provider_id=org_id))
    if service is not None:
        rows = rows.filter(service_id=getattr(service, "pk", service))
    if client is not None:
        rows = rows.filter(client_id=getattr(client, "pk", client))
    if outcome:
        rows = rows.filter(outcome=outcome)
    if reason:
        rows = rows.filter(reason=reason)
    if since:
        rows = rows.filter(time__gte=since)
    if until:
        rows = rows.filter(time__lt=until)
    if message_id:
        rows = rows.filter(message_id=message_id)
    if before_seq:
        rows = rows.filter(seq__lt=before_seq)
    return rows.order_by("-seq")


def reads_unattributed(user) -> bool:
    """Whether ``user`` reads the log at city level (``exchange.view_logs`` on a root of the
    organisation tree): the calls attributed to no department are theirs to watch."""
    if user is access.SYSTEM:
        return True
    paths = access.org_paths(user, VIEW_LOGS)
    if not paths:
        return False
    roots = Organisation.objects.filter(parent__isnull=True).values_list("path", flat=True)
    return any(root.startswith(p) for root in roots for p in paths)


def log_entry(user, seq) -> ExchangeLog:
    found = logs(user).filter(seq=seq).first()
    if found is None:
        raise Http404
    return found


def _percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile of sorted ``values``."""
    if not values:
        return None
    rank = max(1, min(len(values), int(-(-share * len(values) // 1))))
    return round(values[rank - 1], 3)


def dashboard(user, *, organisation, side: str = "provider", days: int = 7) -> dict:
    """调用统计 of one department as provider or consumer over the last ``days`` days
    (local calendar days, today included). ``PermissionDenied`` unless ``user`` reads logs
    for ``organisation``.

    Keys of the returned dict:

    * ``organisation`` — ``{"id", "name"}``; ``side`` — ``"provider"`` | ``"consumer"``;
      ``days``; ``since`` / ``until`` — aware datetimes of the period (until = now);
    * ``calls``, ``ok``, ``errors`` (calls whose outcome is not ``ok``), ``error_rate``
      (0–1, ``None`` without calls);
    * ``by_outcome`` — ``{outcome code: count}`` for every ``Outcome`` (zeros included);
      ``outcome_labels`` — ``{outcome code: label}``;
    * ``by_reason`` — ``[{"reason", "count"}]`` of refused / failed calls, most first (≤ 10);
    * ``latency`` — ``{"p50", "p95", "max", "sample"}`` in ms over the period's calls (the
      latest ``DATA_EXCHANGE_DASHBOARD_SAMPLE``, default 100,000; ``None`` without calls);
    * ``series`` — one dict per day, oldest first: ``{"date", "calls", "errors"}``;
    * ``services`` — ``[{"service_id", "service_code", "calls", "errors"}]``, most first (≤ 20);
    * ``counterparts`` — the other side's departments: ``[{"organisation_id", "name",
      "calls", "errors"}]``, most first (≤ 20);
    * ``quota`` — per grant active now on this side: ``{"grant_id", "number", "entry_code",
      "entry_name", "consumer_id", "consumer", "provider_id", "provider", "per_minute",
      "per_day", "used_minute", "used_today", "day_share"}`` (``day_share`` 0–1).
    """
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}")
    if not isinstance(organisation, Organisation):
        organisation = Organisation.objects.get(pk=organisation)
    access.check(user, organisation, VIEW_LOGS)
    days = max(1, min(int(days), MAX_DAYS))
    now = timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now)
    first_day = today - dt.timedelta(days=days - 1)
    since = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min), tz)
    column = "provider_id" if side == "provider" else "consumer_id"
    other = "consumer_id" if side == "provider" else "provider_id"
    rows = ExchangeLog.objects.filter(**{column: organisation.pk}, time__gte=since, time__lte=now)

    by_outcome = {code: 0 for code in Outcome.values}
    for code, count in rows.values_list("outcome").annotate(n=Count("seq")).order_by():
        by_outcome[code] = by_outcome.get(code, 0) + count
    calls = sum(by_outcome.values())
    ok = by_outcome.get(Outcome.OK, 0)
    by_reason = [
        {"reason": reason or outcome, "count": count}
        for outcome, reason, count in rows.exclude(outcome=Outcome.OK)
        .values_list("outcome", "reason")
        .annotate(n=Count("seq"))
        .order_by("-n")[:10]
    ]
    sample_size = int(getattr(settings, "DATA_EXCHANGE_DASHBOARD_SAMPLE", 100_000))
    latencies = sorted(rows.order_by("-seq").values_list("latency_ms", flat=True)[:sample_size])
    per_day = {
        day: (n, errors)
        for day, n, errors in rows.annotate(day=TruncDate("time", tzinfo=tz))
        .values_list("day")
        .annotate(n=Count("seq"), errors=Count("seq", filter=~Q(outcome=Outcome.OK)))
        .values_list("day", "n", "errors")
        .order_by()
    }
    series = []
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        n, errors = per_day.get(day, (0, 0))
        series.append({"date": day, "calls": n, "errors": errors})
    services = [
        {"service_id": sid, "service_code": code, "calls": n, "errors": errors}
        for sid, code, n, errors in rows.values_list("service_id", "service_code")
        .annotate(n=Count("seq"), errors=Count("seq", filter=~Q(outcome=Outcome.OK)))
        .order_by("-n")[:20]
    ]
    parties = list(
        rows.exclude(**{f"{other}__isnull": True})
        .values_list(other)
        .annotate(n=Count("seq"), errors=Count("seq", filter=~Q(outcome=Outcome.OK)))
        .order_by("-n")[:20]
    )
    names = dict(
        Organisation.objects.filter(pk__in=[p[0] for p in parties]).values_list("pk", "name")
    )
    counterparts = [
        {"organisation_id": pk, "name": names.get(pk, ""), "calls": n, "errors": errors}
        for pk, n, errors in parties
    ]
    return {
        "organisation": {"id": organisation.pk, "name": organisation.name},
        "side": side,
        "days": days,
        "since": since,
        "until": now,
        "calls": calls,
        "ok": ok,
        "errors": calls - ok,
        "error_rate": round((calls - ok) / calls, 4) if calls else None,
        "by_outcome": by_outcome,
        "outcome_labels": {code: str(label) for code, label in Outcome.choices},
        "by_reason": by_reason,
        "latency": {
            "p50": _percentile(latencies, 0.50),
            "p95": _percentile(latencies, 0.95),
            "max": round(latencies[-1], 3) if latencies else None,
            "sample": len(latencies),
        },
        "series": series,
        "services": services,
        "counterparts": counterparts,
        "quota": quota_use(organisation, side=side, at=now),
    }


def quota_use(organisation, *, side: str = "consumer", at=None) -> list[dict]:
    """Quota used this minute and today by each grant active now where ``organisation`` is
    the consumer (or the provider); see :func:`dashboard` for the keys."""
    at = at or timezone.now()
    field = "consumer" if side == "consumer" else "provider"
    grants = list(
        Grant.objects.filter(**{field: organisation}, status=GrantStatus.ACTIVE)
        .filter(valid_from__lte=at, valid_until__gt=at)
        .select_related("entry", "consumer", "provider")
        .order_by("entry__code", "pk")
    )
    minute, day = quota_windows(at)
    used = {
        (grant_id, window): n
        for grant_id, window, n in QuotaCounter.objects.filter(grant_id__in=[g.pk for g in grants])
        .filter(
            Q(window=QuotaWindow.MINUTE, window_start=minute)
            | Q(window=QuotaWindow.DAY, window_start=day)
        )
        .values_list("grant_id", "window", "used")
    }
    out = []
    for grant in grants:
        today = used.get((grant.pk, QuotaWindow.DAY), 0)
        out.append(
            {
                "grant_id": grant.pk,
                "number": grant.number,
                "entry_code": grant.entry.code,
                "entry_name": grant.entry.name,
                "consumer_id": grant.consumer_id,
                "consumer": grant.consumer.name,
                "provider_id": grant.provider_id,
                "provider": grant.provider.name,
                "per_minute": grant.quota_per_minute,
                "per_day": grant.quota_per_day,
                "used_minute": used.get((grant.pk, QuotaWindow.MINUTE), 0),
                "used_today": today,
                "day_share": round(today / grant.quota_per_day, 4) if grant.quota_per_day else None,
            }
        )
    return out
