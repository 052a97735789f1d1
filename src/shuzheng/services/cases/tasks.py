"""Background upkeep of 办件 deadlines.

A case keeps a copy of its workflow's ``due_at`` (so the queues are one indexed query) and
its own 法定办结时间. When an administrator changes the work calendar (a typhoon closure,
next year's 调休), the engine recomputes its clocks; :func:`sync_deadlines` does the same
for the cases' copies, so 即将超期 / 已超期 keep telling the truth.
"""

from __future__ import annotations

from django.db import transaction

from shuzheng.foundation.workflow import sla
from shuzheng.foundation.workflow.models import SlaState
from shuzheng.services.cases.models import OPEN_STATES, Case


def sync_deadlines(**_signal) -> int:
    """Recompute the promised and legal deadlines of open cases with a live clock from the
    current calendar; returns how many cases changed. Connected to ``calendar_changed``."""
    from shuzheng.services.cases.services.handle import legal_due

    changed = 0
    live = (
        Case.objects.filter(
            state__in=OPEN_STATES,
            workflow__sla_state__in=[SlaState.RUNNING, SlaState.PAUSED],
        )
        .select_related("workflow", "item_version")
        .only("due_at", "legal_due_at", "accepted_at", "workflow__clock", "item_version")
    )
    for case in live.iterator(chunk_size=500):
        due = sla.due_at(case.workflow.clock)
        legal = legal_due(case)
        if due != case.due_at or legal != case.legal_due_at:
            with transaction.atomic():
                Case.objects.filter(pk=case.pk).update(due_at=due, legal_due_at=legal)
            changed += 1
    return changed
