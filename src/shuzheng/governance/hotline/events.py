"""The hotline's event wiring (HotlineConfig.ready → ``register()``, idempotent):

* ``services.evaluation.bad`` (a bad 好差评 rating) → ``intake.from_rating``: a 投诉 order at
  the 12345 centre, once per evaluation however often the event is delivered;
* the notification templates and recipients of ``governance.order.*`` (``notifications``);
* a change of the work calendar (a typhoon closure, next year's 调休) → the orders' copies of
  their deadlines follow the engine's recomputed clocks (``tasks.sync_deadlines``).

Events the hotline publishes (payloads: identifiers and codes only): ``governance.order.
registered`` {"order", "channel", "category", "district"} and, after each act of the loop,
``governance.order.<event>`` {"order", "state", "unit", …} with the events of
``services.loop.EVENTS`` plus ``urged`` / ``supervised`` (``services.urging``).
"""

from __future__ import annotations

RATING_EVENT = "services.evaluation.bad"


def on_bad_rating(event) -> None:
    """A bad service rating → a complaint work order (idempotent by the evaluation id)."""
    from shuzheng.governance.hotline.services import intake

    intake.from_rating(dict(event.payload or {}))


def register() -> None:
    from shuzheng.foundation import events
    from shuzheng.foundation.workflow.calendar.services import calendar_changed
    from shuzheng.governance.hotline import notifications, tasks
    from shuzheng.governance.hotline.services import intake  # noqa: F401  (photos readable)

    events.subscribe(RATING_EVENT, on_bad_rating, name="hotline.from_rating")
    notifications.register()
    calendar_changed.connect(tasks.sync_deadlines, dispatch_uid="hotline.sync_deadlines")
