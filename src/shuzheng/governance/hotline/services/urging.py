"""催办 and 督办: the moments a handling unit is reminded before its deadline and supervised
after it, on the work calendar — automatic (``sweep``, a periodic job) and by hand
(``loop.urge``).

* 签收时限 (``sign_due_at``): set at each 派单 / 下派 / 改派 from ``limits.sign_limit``; an
  order still unsigned after it is 督办 on the "sign" deadline.
* 催办 moment (``urge_at``): for a limit of n ≥ 2 working days, the end of the working day
  before the due day (the unit has its last day left); for shorter or other limits, 75 % of
  the way from the clock's start to the deadline.
* 办结时限 (``due_at``, the engine's clock): 催办 from ``urge_at`` while the deadline is
  ahead, 督办 once it has passed.

Each automatic reminder fires once per order, kind, deadline, unit and deadline moment (the
``Urge`` table's unique constraint): a unit that receives the order later is reminded of its
own deadline, and an approved 延期 or a 重办 (a new deadline) is reminded again.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from shuzheng.foundation import access, events
from shuzheng.foundation.trust import audit
from shuzheng.foundation.workflow.calendar.calendar import (
    WORKING_DAYS,
    Clock,
    deadline,
    is_working_day,
    office_hours,
    time_zone,
)
from shuzheng.foundation.workflow.spec import parse_limit
from shuzheng.governance.hotline.models import TIMED_STATES, Urge, UrgeKind, WorkOrder
from shuzheng.governance.hotline.services import limits

log = logging.getLogger(__name__)
URGE_SHARE = 0.75  # 催办 at three quarters of a short limit
BATCH = 500


# --------------------------------------------------------------------------- the moments


def _parsed(text: str, fallback: str) -> tuple[int, str]:
    try:
        parsed = parse_limit(text)
    except ValueError:
        parsed = None
    if not isinstance(parsed, tuple):
        log.warning("hotline: bad time limit %r, using %r", text, fallback)
        parsed = parse_limit(fallback)
    return parsed


def sign_due(order: WorkOrder, at: dt.datetime) -> dt.datetime:
    """签收时限 of a dispatch at ``at``: the category's (or the urgency's) sign limit."""
    amount, unit = _parsed(
        limits.sign_limit(order.category, order.urgency), limits.DEFAULT_SIGN_LIMIT
    )
    return deadline(at, amount, unit)


def urge_moment(start: dt.datetime, due: dt.datetime, amount: int, unit: str) -> dt.datetime:
    """When to 催办 a limit of ``amount`` ``unit`` that started at ``start`` and ends at
    ``due``: the end of the working day before the due day (n ≥ 2 working days), else 75 %
    of the way there."""
    if unit == WORKING_DAYS and amount >= 2:
        zone = time_zone()
        day = due.astimezone(zone).date() - dt.timedelta(days=1)
        while not is_working_day(day):
            day -= dt.timedelta(days=1)
        return dt.datetime.combine(day, office_hours()[1], tzinfo=zone)
    return start + (due - start) * URGE_SHARE


def urge_at_for(order: WorkOrder) -> dt.datetime | None:
    """The 催办 moment of the order's running clock (None when no clock runs)."""
    instance = order.workflow
    clock = (instance.clock or {}) if instance is not None else {}
    if not clock or order.due_at is None:
        return None
    running = Clock.from_dict(clock)
    return urge_moment(running.started, order.due_at, int(running.limit), running.unit)


# --------------------------------------------------------------------------- the sweep


def _fired(kind: str, which: str):
    """The automatic reminder of this kind already fired for the order's current unit and
    current deadline (an extension, a 重办 or a new dispatch sets a new one)."""
    due_field = "sign_due_at" if which == "sign" else "due_at"
    return Urge.objects.filter(
        order=OuterRef("pk"),
        unit=OuterRef("unit"),
        kind=kind,
        deadline=which,
        due=OuterRef(due_field),
        automatic=True,
    )


def due_for_urge(now: dt.datetime):
    """Orders whose 催办 moment has come while their deadline is still ahead."""
    return (
        WorkOrder.objects.filter(
            state__in=TIMED_STATES,
            sla_state="running",
            urge_at__lte=now,
            due_at__gt=now,
        )
        .exclude(Exists(_fired(UrgeKind.URGE, "finish")))
        .order_by("pk")
    )


def due_for_supervision(now: dt.datetime):
    """Orders past their 办结时限 with the clock still running."""
    return (
        WorkOrder.objects.filter(state__in=TIMED_STATES, sla_state="running", due_at__lt=now)
        .exclude(Exists(_fired(UrgeKind.SUPERVISE, "finish")))
        .order_by("pk")
    )


def due_for_sign_supervision(now: dt.datetime):
    """Orders dispatched but still unsigned after their 签收时限."""
    return (
        WorkOrder.objects.filter(state="dispatched", sign_due_at__lt=now)
        .exclude(Exists(_fired(UrgeKind.SUPERVISE, "sign")))
        .order_by("pk")
    )


def sweep(*, now: dt.datetime | None = None) -> dict:
    """Fire the automatic 催办 / 督办 that are due at ``now``; returns how many of each
    (``urge``, ``supervise``, ``sign``). Safe to run concurrently and repeatedly: each
    fires once."""
    now = now or timezone.now()
    counts = {"urge": 0, "supervise": 0, "sign": 0}
    for key, rows, kind, which in (
        ("sign", due_for_sign_supervision(now), UrgeKind.SUPERVISE, "sign"),
        ("supervise", due_for_supervision(now), UrgeKind.SUPERVISE, "finish"),
        ("urge", due_for_urge(now), UrgeKind.URGE, "finish"),
    ):
        due_field = "sign_due_at" if which == "sign" else "due_at"
        for pk, unit_id, due in rows.values_list("pk", "unit_id", due_field).iterator(
            chunk_size=BATCH
        ):
            if fire(pk, unit_id, kind, which, now=now, due=due):
                counts[key] += 1
    return counts


def fire(order_id: int, unit_id: int, kind: str, which: str, *, now: dt.datetime, due=None) -> bool:
    """One automatic reminder: the ``Urge`` row, the order's flag, the audit record and the
    event the unit is notified by — in one transaction; False when it had already fired."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                urge = Urge.objects.create(
                    order_id=order_id,
                    kind=kind,
                    deadline=which,
                    automatic=True,
                    unit_id=unit_id,
                    due=due,
                    at=now,
                )
        except IntegrityError:
            return False
        flag = {"urged": True} if kind == UrgeKind.URGE else {"supervised": True}
        WorkOrder.objects.filter(pk=order_id).update(**flag)
        order = WorkOrder.objects.only("number", "state").get(pk=order_id)
        audit.record(
            access.SYSTEM,
            f"hotline.order.{kind}",
            order,
            details={"deadline": which, "unit": unit_id, "automatic": True},
        )
        publish_urge(order, urge)
    return True


def publish_urge(order: WorkOrder, urge: Urge) -> None:
    events.publish(
        "governance.order.urged" if urge.kind == UrgeKind.URGE else "governance.order.supervised",
        {
            "order": order.number,
            "state": order.state,
            "unit": urge.unit_id,
            "urge": urge.pk,
            "kind": urge.kind,
            "deadline": urge.deadline,
            "automatic": urge.automatic,
        },
        key=order.number,
    )
