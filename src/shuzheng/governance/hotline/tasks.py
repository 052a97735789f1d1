"""Background upkeep of work-order deadlines (loaded by the events app at start-up).

* ``sweep_orders`` — every ``HOTLINE_SWEEP_MINUTES`` (default 5): the automatic 催办 / 督办
  that are due (``services.urging.sweep``).
* ``sync_deadlines`` — after the work calendar changed (connected in ``events.register``):
  an order keeps copies of its clock's deadline and 催办 moment, so the queues are one
  indexed query; they are recomputed from the current calendar, like the engine's clocks.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from shuzheng.foundation.events import jobs


@jobs.periodic(minutes=getattr(settings, "HOTLINE_SWEEP_MINUTES", 5), name="hotline.sweep")
def sweep_orders() -> dict:
    from shuzheng.governance.hotline.services import urging

    return urging.sweep()


def sync_deadlines(**_signal) -> int:
    """Recompute ``due_at`` and ``urge_at`` of open orders whose clock runs or is paused;
    returns how many orders changed."""
    from shuzheng.foundation.workflow import sla
    from shuzheng.foundation.workflow.models import SlaState
    from shuzheng.governance.hotline.models import OPEN_STATES, WorkOrder
    from shuzheng.governance.hotline.services import urging

    changed = 0
    live = (
        WorkOrder.objects.filter(
            state__in=OPEN_STATES,
            workflow__sla_state__in=[SlaState.RUNNING, SlaState.PAUSED],
        )
        .select_related("workflow")
        .only("due_at", "urge_at", "workflow", "workflow__clock")
    )
    for order in live.iterator(chunk_size=500):
        due = sla.due_at(order.workflow.clock)
        if due == order.due_at:
            continue
        order.due_at = due
        urge_at = urging.urge_at_for(order)
        with transaction.atomic():
            WorkOrder.objects.filter(pk=order.pk).update(due_at=due, urge_at=urge_at)
        changed += 1
    return changed
