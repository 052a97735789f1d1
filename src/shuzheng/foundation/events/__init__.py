"""foundation.events — the transactional outbox, event delivery and background jobs.

    from shuzheng.foundation import events

    events.publish("services.case.accepted", {"case": case.number}, key=case.number)
    events.subscribe("services.case.*", on_case_event, name="notifications.case_events")

``publish()`` runs inside the business transaction and returns the event id; handlers run
after commit, at least once, each with its own retries and dead-letter state, and are
idempotent by event id (a handler that completed for an event is never run for it again).
Background jobs: :mod:`shuzheng.foundation.events.jobs`. Modes and processes: see
``outbox`` (embedded) and ``nats`` (distributed).
"""

from shuzheng.foundation.events.registry import subscribe, subscriptions, unsubscribe
from shuzheng.foundation.lazy import lazy_exports

__all__ = [
    "Event",
    "deliver_due",
    "dispatch",
    "publish",
    "resend_delivery",
    "subscribe",
    "subscriptions",
    "unsubscribe",
]

_LAZY = {
    "Event": "shuzheng.foundation.events.outbox",
    "publish": "shuzheng.foundation.events.outbox",
    "deliver": "shuzheng.foundation.events.outbox",
    "deliver_due": "shuzheng.foundation.events.outbox",
    "dispatch": "shuzheng.foundation.events.outbox",
    "resend_delivery": "shuzheng.foundation.events.services",
}


__getattr__ = lazy_exports(__name__, _LAZY)
