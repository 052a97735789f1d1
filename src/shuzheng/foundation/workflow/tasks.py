"""Periodic jobs of the workflow engine (loaded by the events app at start-up)."""

from django.conf import settings

from shuzheng.foundation.events import jobs


@jobs.periodic(
    minutes=getattr(settings, "WORKFLOW_SLA_SWEEP_MINUTES", 5), name="workflow.check_deadlines"
)
def check_deadlines() -> dict:
    """临期 / 超期: emit approaching and overdue events for running SLA clocks."""
    from shuzheng.foundation.workflow import services

    return services.check_deadlines()
