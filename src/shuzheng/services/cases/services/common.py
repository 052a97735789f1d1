"""The one way a case changes state: a workflow transition, then the case's copy of the
state, deadline and clock state, in the caller's transaction."""

from pathlib import Path

from django.utils import timezone

from shuzheng.foundation import access, workflow
from shuzheng.services.cases.models import Case

WORKFLOW_FILE = Path(__file__).resolve().parent.parent / "workflow.yaml"
WORKFLOW_CODE = "services.case"


def ensure_workflow():
    """The 办件 definition: loaded from ``workflow.yaml`` the first time a case starts;
    later versions come from the admin or ``manage.py workflow import``."""
    from shuzheng.foundation.workflow.models import WorkflowDefinition

    if not WorkflowDefinition.objects.filter(code=WORKFLOW_CODE).exists():
        workflow.save_definition(access.SYSTEM, WORKFLOW_FILE.read_text(encoding="utf-8"))


def start(actor, case: Case) -> Case:
    """Put a new (draft) case on the 办件 workflow; call inside the use case's transaction."""
    ensure_workflow()
    case.workflow = workflow.start(actor, case, WORKFLOW_CODE)
    Case.objects.filter(pk=case.pk).update(workflow=case.workflow)
    return case


def move(actor, case: Case, action: str, *, revision: int | None = None, **kwargs) -> Case:
    """Take workflow transition ``action`` on ``case`` (access check, required fields, guards,
    optimistic lock, SLA clock, history, audit and event are the engine's) and copy the
    result onto the case row. ``revision`` is the workflow revision the actor saw; a stale
    one raises ``workflow.Conflict``. Call inside the use case's transaction."""
    instance = case.workflow
    # The engine reads the subject for guards and the SLA limit: give it this case object (a
    # cached copy from an earlier move would show the guards a stale review step).
    instance.subject = case
    instance = workflow.transition(actor, instance, action, revision=revision, **kwargs)
    case.state = instance.state
    case.due_at = instance.due_at
    case.sla_state = instance.sla_state
    case.updated_at = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        state=case.state, due_at=case.due_at, sla_state=case.sla_state, updated_at=case.updated_at
    )
    return case
