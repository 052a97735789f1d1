"""Reads of work orders, every one through ``access.scope(user, …, "hotline.view")``: staff
see the orders their units hold now (a street officer his street's), citizens and grid
officers the orders they reported. An order out of scope is neither listed nor found (404).

Lists are keyset-paginated newest first (``after`` = the last key seen). The page's keys are
read first with the unit keys spelled out (the ``order_queue`` / ``order_unit`` indexes),
then those rows through ``access.scope`` — the same two-step plan as the 办件 queues.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.trust import pii
from shuzheng.governance.hotline.models import (
    OPEN_STATES,
    TIMED_STATES,
    Category,
    WorkOrder,
)
from shuzheng.governance.hotline.services import numbering

LIMIT_MAX = 200
EARTH_RADIUS_M = 6_371_008.8
ROW_RELATED = ("category", "unit", "district", "grid")


def visible(user) -> QuerySet[WorkOrder]:
    """Every order ``user`` may see."""
    return access.scope(user, WorkOrder.objects.all(), "hotline.view")


def unit_ids(user, perm: str = "hotline.view") -> list[int] | None:
    """The organisations on whose subtrees ``user`` holds ``perm``, as keys (None: all, for
    the installation); kept on the user object for the request."""
    from shuzheng.foundation.identity.models import Organisation

    if user is access.SYSTEM:
        return None
    paths = tuple(access.org_paths(user, perm))
    attr = "_hotline_units"
    cached = getattr(user, attr, None)
    if cached is not None and cached[0] == (perm, paths):
        return cached[1]
    ids: list[int] = []
    if paths:
        within = Q()
        for root in paths:
            within |= Q(path__startswith=root)
        ids = list(Organisation.objects.filter(within).values_list("pk", flat=True))
    with contextlib.suppress(AttributeError):
        setattr(user, attr, ((perm, paths), ids))
    return ids


def _branches(user, within: list[int] | None = None) -> list[Q]:
    """The visibility of ``user`` on plain columns, as separate conditions each one index
    serves: the units held (``order_queue`` / ``order_unit``), the orders one reported
    (``order_reporter``). ``within`` narrows the units (a unit filter)."""
    units = unit_ids(user)
    if units is None:
        return [Q(unit_id__in=within)] if within is not None else [Q()]
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return []
    mine = Q(reporter_id=user.pk)
    if within is not None:
        units = sorted(set(units) & set(within))
        mine &= Q(unit_id__in=within)
    return [Q(unit_id__in=units), mine] if units else [mine]


def _subtree_ids(organisation) -> list[int]:
    from shuzheng.foundation.identity.models import Organisation

    if not isinstance(organisation, Organisation):
        organisation = Organisation.objects.filter(pk=organisation).first()
        if organisation is None:
            return []
    return list(
        Organisation.objects.filter(path__startswith=organisation.path).values_list("pk", flat=True)
    )


def _category_prefix(category) -> str | None:
    """A category filter (a Category or its key) as its code: the codes below it start
    with it."""
    if category in (None, ""):
        return None
    if isinstance(category, Category):
        return category.code
    try:
        key = int(category)
    except (TypeError, ValueError):
        return "~"  # matches nothing
    return Category.objects.filter(pk=key).values_list("code", flat=True).first() or "~"


def approaching_filter(now: dt.datetime) -> Q:
    """即将超期: the clock runs, the 催办 moment has come, the deadline is still ahead."""
    return Q(state__in=TIMED_STATES, sla_state="running", urge_at__lte=now, due_at__gte=now)


def overdue_filter(now: dt.datetime) -> Q:
    """已超期: the clock runs past the 办结时限."""
    return Q(state__in=TIMED_STATES, sla_state="running", due_at__lt=now)


# the columns a list row shows (API summary, workbench row): a page builds 50 light objects,
# not 50 full orders with their grid geometry (bench/hotline_list.py)
ROW_COLUMNS = (
    "number", "state", "channel", "request_type", "urgency", "title", "callers_count",
    "created_at", "updated_at", "sign_due_at", "due_at", "urge_at", "sla_state", "urged",
    "supervised", "caller_name", "caller_phone", "anonymous", "reporter", "master",
    "category", "unit", "district", "grid",
    "category__code", "category__name", "category__level", "unit__name", "district__name",
    "grid__code", "grid__name",
)  # fmt: skip


def _keys(
    user,
    *,
    state=None,
    unit=None,
    overdue=None,
    approaching=None,
    category=None,
    channel=None,
    q=None,
    after=None,
    now=None,
):
    """The filtered key queries of a queue, one per visibility branch (each served by its
    own index), or [] when the user sees nothing."""
    now = now or timezone.now()
    keys = WorkOrder.objects.all()
    if state:
        states = [state] if isinstance(state, str) else list(state)
        keys = keys.filter(state__in=states) if len(states) > 1 else keys.filter(state=states[0])
    if overdue is True:
        keys = keys.filter(overdue_filter(now))
    elif overdue is False:
        keys = keys.exclude(overdue_filter(now))
    if approaching is True:
        keys = keys.filter(approaching_filter(now))
    elif approaching is False:
        keys = keys.exclude(approaching_filter(now))
    prefix = _category_prefix(category)
    if prefix is not None:
        keys = keys.filter(category__code__startswith=prefix)
    if channel:
        keys = keys.filter(channel=channel)
    text = str(q or "").strip()
    if text:
        if numbering.is_number(text):
            keys = keys.filter(number=text.upper())
        else:
            keys = keys.filter(Q(title__icontains=text) | Q(content__icontains=text))
    if after not in (None, ""):
        keys = keys.filter(pk__lt=int(after))
    within = _subtree_ids(unit) if unit not in (None, "") else None
    return [keys.filter(branch) for branch in _branches(user, within)]


def queue(user, *, limit: int = 50, **filters) -> list[WorkOrder]:
    """One page of orders, newest first. Filters: ``state`` (a state or a list of them),
    ``unit`` (an organisation: its subtree), ``overdue`` / ``approaching``, ``category`` (its
    subtree of codes), ``channel``, ``q`` (a 工单编号 or words of the title / content),
    ``after`` (the last id seen), ``now``. The keys come from the scoped branches, so the page
    is read by key with only the columns a row shows."""
    limit = max(1, min(int(limit), LIMIT_MAX))
    found: set[int] = set()
    for keys in _keys(user, **filters):
        found.update(keys.order_by("-pk").values_list("pk", flat=True)[:limit])
    page = sorted(found, reverse=True)[:limit]
    if not page:
        return []
    return list(
        WorkOrder.objects.filter(pk__in=page)
        .select_related(*ROW_RELATED)
        .only(*ROW_COLUMNS)
        .order_by("-pk")
    )


def count(user, *, cap: int = 100, **filters) -> int:
    """How many orders a queue holds, counted up to ``cap`` + 1 (a tab's badge shows "99+")
    without building a row."""
    found: set[int] = set()
    for keys in _keys(user, **filters):
        found.update(keys.order_by().values_list("pk", flat=True)[: cap + 1])
    return min(len(found), cap + 1)


def order(user, number: str) -> WorkOrder:
    """One order by 工单编号, or Http404 when it does not exist or is out of scope."""
    try:
        return (
            visible(user)
            .select_related(
                *ROW_RELATED,
                "category__parent",
                "category__parent__parent",
                "workflow",
                "workflow__definition",
                "dispatched_by",
                "reporter",
                "registered_by",
                "master",
            )
            .get(number=str(number or "").strip())
        )
    except WorkOrder.DoesNotExist:
        raise Http404(_("找不到该工单")) from None


def history(order: WorkOrder) -> list:
    """流转记录 of the order, oldest first (an order read through ``order``)."""
    if order.workflow_id is None:
        return []
    return list(order.workflow.history.select_related("actor").order_by("seq"))


def urges(order: WorkOrder) -> list:
    """催办督办记录 of the order, newest first."""
    return list(order.urges.select_related("by", "unit").order_by("-at", "-pk"))


def photos(order: WorkOrder) -> list:
    return list(
        order.photos.select_related("file").filter(
            file__deleted_at__isnull=True, file__purged_at__isnull=True
        )
    )


def followers(order: WorkOrder) -> list[WorkOrder]:
    """The orders merged into this one (their callers are counted here)."""
    return list(order.followers.only("pk", "number", "created_at", "channel").order_by("pk"))


def by_caller(user, phone: str, *, limit: int = 20) -> list[WorkOrder]:
    """The caller's earlier orders (by the phone's blind index), newest first, scoped."""
    from django.core.exceptions import ValidationError

    from shuzheng.governance.hotline.services.intake import normalise_phone

    try:
        e164 = normalise_phone(str(phone or ""))
    except ValidationError:
        return []
    limit = max(1, min(int(limit), LIMIT_MAX))
    return list(
        visible(user)
        .filter(pii.lookup(WorkOrder, "caller_phone", e164))
        .select_related(*ROW_RELATED)
        .order_by("-pk")[:limit]
    )


def mine(user, *, after: int | None = None, limit: int = 20) -> list[WorkOrder]:
    """我的诉求: the orders ``user`` reported, newest first."""
    if not getattr(user, "pk", None) or not user.is_authenticated:
        return []
    rows = visible(user).filter(reporter_id=user.pk)
    if after not in (None, ""):
        rows = rows.filter(pk__lt=int(after))
    limit = max(1, min(int(limit), LIMIT_MAX))
    return list(rows.select_related(*ROW_RELATED).order_by("-pk")[:limit])


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def duplicate_candidates(
    user,
    *,
    category,
    latitude,
    longitude,
    at: dt.datetime | None = None,
    exclude=None,
    radius_m: float | None = None,
    hours: float | None = None,
) -> list[tuple[WorkOrder, float]]:
    """Possible duplicates of a report: the same category, within ``radius_m`` metres
    (HOTLINE_DUPLICATE_RADIUS_M) and the last ``hours`` hours (HOTLINE_DUPLICATE_HOURS),
    masters only (not merged), open or closed; nearest first, with the distance."""
    try:
        lat, lng = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return []
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return []
    category_id = getattr(category, "pk", category)
    if category_id in (None, ""):
        return []
    radius = float(radius_m if radius_m is not None else settings.HOTLINE_DUPLICATE_RADIUS_M)
    window = float(hours if hours is not None else settings.HOTLINE_DUPLICATE_HOURS)
    at = at or timezone.now()
    dlat = math.degrees(radius / EARTH_RADIUS_M)
    dlng = dlat / max(math.cos(math.radians(lat)), 1e-6)
    rows = visible(user).filter(
        category_id=category_id,
        created_at__gte=at - dt.timedelta(hours=window),
        created_at__lte=at,
        master__isnull=True,
        state__in=[*OPEN_STATES, "closed"],
        latitude__gte=lat - dlat,
        latitude__lte=lat + dlat,
        longitude__gte=lng - dlng,
        longitude__lte=lng + dlng,
    )
    if exclude is not None:
        rows = rows.exclude(pk=getattr(exclude, "pk", exclude))
    found = []
    for row in rows.select_related(*ROW_RELATED)[:500]:
        distance = distance_m(lat, lng, row.latitude, row.longitude)
        if distance <= radius:
            found.append((row, round(distance, 1)))
    found.sort(key=lambda pair: (pair[1], -pair[0].pk))
    return found


def dispatch_targets(user, order: WorkOrder) -> list:
    """The units ``user`` may send ``order`` to now: within the user's hotline.dispatch
    subtrees, active, not the unit holding it; for 下派 (an order already dispatched) only
    below the unit holding it."""
    from shuzheng.foundation.identity.models import Organisation

    units = Organisation.objects.filter(is_active=True).exclude(pk=order.unit_id)
    if user is not access.SYSTEM:
        paths = access.org_paths(user, "hotline.dispatch")
        if not paths:
            return []
        within = Q()
        for root in paths:
            within |= Q(path__startswith=root)
        units = units.filter(within)
    if order.state == "dispatched":
        units = units.filter(path__startswith=order.unit.path)
    return list(units.order_by("path")[:1000])
