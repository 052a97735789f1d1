"""The one way a work order changes state: a workflow transition, then the order's copy of
the state, deadline and clock state, in the caller's transaction (like 办件)."""

from __future__ import annotations

from pathlib import Path

from django.utils import timezone

from shuzheng.foundation import access, workflow
from shuzheng.governance.hotline.models import WorkOrder

WORKFLOW_FILE = Path(__file__).resolve().parent.parent / "workflow.yaml"
WORKFLOW_CODE = "governance.order"


def ensure_workflow():
    """The 工单 definition: loaded from ``workflow.yaml`` the first time an order starts;
    later versions come from the admin or ``manage.py workflow import``."""
    from shuzheng.foundation.workflow.models import WorkflowDefinition

    if not WorkflowDefinition.objects.filter(code=WORKFLOW_CODE).exists():
        workflow.save_definition(access.SYSTEM, WORKFLOW_FILE.read_text(encoding="utf-8"))


def start(actor, order: WorkOrder) -> WorkOrder:
    """Put a newly registered order on the 工单 workflow; call inside the use case's
    transaction."""
    ensure_workflow()
    order.workflow = workflow.start(actor, order, WORKFLOW_CODE, at=order.created_at)
    order.state = order.workflow.state
    WorkOrder.objects.filter(pk=order.pk).update(workflow=order.workflow, state=order.state)
    return order


def move(actor, order: WorkOrder, action: str, *, revision: int | None = None, **kwargs):
    """Take workflow transition ``action`` on ``order`` (access check on the unit holding
    it, required fields, optimistic lock on ``revision``, SLA clock, history, audit and the
    engine's event are the engine's) and copy state, deadline and clock state onto the order
    row. A stale ``revision`` raises ``workflow.Conflict``. Call inside the use case's
    transaction."""
    instance = order.workflow
    # The engine reads the subject for the limit (``limit_text``): give it this object.
    instance.subject = order
    instance = workflow.transition(actor, instance, action, revision=revision, **kwargs)
    order.state = instance.state
    order.due_at = instance.due_at
    order.sla_state = instance.sla_state
    order.updated_at = timezone.now()
    WorkOrder.objects.filter(pk=order.pk).update(
        state=order.state,
        due_at=order.due_at,
        sla_state=order.sla_state,
        updated_at=order.updated_at,
    )
    return order
