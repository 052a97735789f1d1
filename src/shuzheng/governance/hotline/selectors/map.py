"""Work orders on the map: points (one per located order) and counts per grid cell (the heat
map), each through ``access.scope(user, …, "hotline.view")`` — a street officer's map shows
only the orders his street holds, the city operator's the whole city's."""

import datetime as dt

from django.db.models import Count, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from shuzheng.foundation import access
from shuzheng.governance.hotline.models import OPEN_STATES, Category, OrderState, WorkOrder

_PLACEHOLDER = "GD00000000000000"


def _moment(value, *, end: bool = False):
    """A date (the whole day: from its start, or through its end) or datetime → aware."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    day = value + dt.timedelta(days=1) if end else value
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _category_code(category) -> str | None:
    if category is None or category == "":
        return None
    if isinstance(category, Category):
        return category.code
    text = str(category)
    if text.isdigit() and len(text) in (2, 4, 6):
        return text
    row = Category.objects.filter(pk=text).values_list("code", flat=True).first()
    return row or "\x00"  # unknown: matches nothing


def _located(user, *, category=None, start=None, end=None, state=None):
    """The scoped, located orders matching the filters. ``category``: a Category or its code
    (the whole subtree); ``start`` / ``end``: dates (inclusive) or datetimes on the
    受理时间; ``state``: a state, a list of states, or "open"; merged followers are left
    out unless asked for (their master stands for them)."""
    qs = access.scope(user, WorkOrder.objects.all(), "hotline.view").filter(
        latitude__isnull=False, longitude__isnull=False
    )
    code = _category_code(category)
    if code:
        qs = qs.filter(category__code__startswith=code)
    if start is not None:
        qs = qs.filter(created_at__gte=_moment(start))
    if isinstance(end, dt.datetime):
        qs = qs.filter(created_at__lte=_moment(end))
    elif end is not None:  # a date: through the end of that day
        qs = qs.filter(created_at__lt=_moment(end, end=True))
    if state == "open":
        qs = qs.filter(state__in=OPEN_STATES)
    elif isinstance(state, list | tuple | set | frozenset):
        qs = qs.filter(state__in=list(state))
    elif state:
        qs = qs.filter(state=state)
    else:
        qs = qs.exclude(state=OrderState.MERGED)
    return qs


def _url_maker():
    try:
        base = reverse("hotline:order", kwargs={"number": _PLACEHOLDER})
    except NoReverseMatch:
        return lambda number: None
    return lambda number: base.replace(_PLACEHOLDER, number)


def map_points(user, *, category=None, start=None, end=None, state=None, limit=5000) -> list[dict]:
    """The newest ``limit`` located orders the user may see, as
    {lat, lng, number, title, state, state_label, category, url}."""
    qs = _located(user, category=category, start=start, end=end, state=state)
    rows = qs.order_by("-id").values_list(
        "latitude", "longitude", "number", "title", "state", "category__name"
    )[: max(0, int(limit))]
    labels = dict(OrderState.choices)
    url = _url_maker()
    return [
        {
            "lat": lat,
            "lng": lng,
            "number": number,
            "title": title,
            "state": state_code,
            "state_label": str(labels.get(state_code, state_code)),
            "category": category_name or "",
            "url": url(number),
        }
        for lat, lng, number, title, state_code, category_name in rows
    ]


def heat_cells(user, *, category=None, start=None, end=None, state=None, limit=5000) -> list[dict]:
    """Orders per grid cell (the same filters and scope as ``map_points``), busiest first:
    {code, name, street, district, lat, lng (the cell's centre), count, callers}. Orders in
    no cell are not counted here."""
    qs = _located(user, category=category, start=start, end=end, state=state).filter(
        grid__isnull=False
    )
    rows = (
        qs.values(
            "grid__code",
            "grid__name",
            "grid__street__name",
            "grid__district__name",
            "grid__centre_lat",
            "grid__centre_lng",
        )
        .annotate(count=Count("id"), callers=Sum("callers_count"))
        .order_by("-count", "grid__code")[: max(0, int(limit))]
    )
    return [
        {
            "code": r["grid__code"],
            "name": r["grid__name"],
            "street": r["grid__street__name"],
            "district": r["grid__district__name"],
            "lat": r["grid__centre_lat"],
            "lng": r["grid__centre_lng"],
            "count": r["count"],
            "callers": r["callers"] or r["count"],
        }
        for r in rows
    ]
