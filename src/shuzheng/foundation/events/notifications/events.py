"""Event handlers: turn events that have a template into inbox messages for the users the
domain packages' resolvers name (``registry.register_recipients``)."""

from __future__ import annotations

import logging

from shuzheng.foundation import access
from shuzheng.foundation.events.notifications import registry

logger = logging.getLogger("shuzheng.notifications")

SLA_KINDS = ("approaching", "overdue")


def notify_for_event(event) -> int:
    """Notify the resolved recipients of ``event`` (idempotent by event id); returns how
    many messages were written. No template or no resolver: nothing, by design."""
    from shuzheng.foundation.events.notifications import services

    template = registry.template_for(event.type)
    if template is None:
        return 0
    users = registry.recipients_for(event.type, event.payload)
    if not users:
        logger.debug("notifications: nobody registered to hear %s", event.type)
        return 0
    context = template.context(event.payload)
    link = registry.link_for(event.type, event.payload)
    sent = services.notify(access.SYSTEM, users, event.type, context, link=link, event_id=event.id)
    return len(sent)


def on_workflow_event(event) -> None:
    """workflow.<code>.approaching / .overdue (the SLA sweep) → the responsible users."""
    if event.type.rsplit(".", 1)[-1] in SLA_KINDS:
        notify_for_event(event)


def subscribe_all() -> None:
    from shuzheng.foundation import events

    # Only the SLA events: ordinary transitions must not pay for a delivery they ignore.
    events.subscribe(
        "workflow.*.approaching", on_workflow_event, name="notifications.workflow_sla_approaching"
    )
    events.subscribe(
        "workflow.*.overdue", on_workflow_event, name="notifications.workflow_sla_overdue"
    )
