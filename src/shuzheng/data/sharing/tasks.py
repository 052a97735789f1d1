"""Background upkeep of sharing (loaded by the events app at start-up).

* ``expiring_grants`` — daily (08:30 Beijing time): consumers of grants that end within
  ``DATA_SHARING_EXPIRY_NOTICE_DAYS`` (default 7) are told once (``services.notify_expiring``).
* ``sync_deadlines`` — after the work calendar changed (connected in ``events.register``):
  a request keeps a copy of its clock's deadline so the queues are one query; it is
  recomputed from the current calendar, like the engine's clocks.
"""

from __future__ import annotations

from django.db import transaction

from shuzheng.foundation.events import jobs


@jobs.periodic(crontab=jobs.crontab(hour="0", minute="30"), name="datasharing.expiring_grants")
def expiring_grants() -> int:
    from shuzheng.data.sharing import services

    return services.notify_expiring()


def sync_deadlines(**_signal) -> int:
    """Recompute ``due_at`` of open requests whose clock runs or is paused; returns how many
    requests changed."""
    from shuzheng.data.sharing.models import OPEN_STATES, SharingRequest
    from shuzheng.foundation.workflow import sla
    from shuzheng.foundation.workflow.models import SlaState

    changed = 0
    live = (
        SharingRequest.objects.filter(
            state__in=OPEN_STATES,
            workflow__sla_state__in=[SlaState.RUNNING, SlaState.PAUSED],
        )
        .select_related("workflow")
        .only("due_at", "workflow", "workflow__clock")
    )
    for request in live.iterator(chunk_size=500):
        due = sla.due_at(request.workflow.clock)
        if due == request.due_at:
            continue
        with transaction.atomic():
            SharingRequest.objects.filter(pk=request.pk).update(due_at=due)
        changed += 1
    return changed
