"""The sharing app's event wiring (SharingConfig.ready → ``register()``, idempotent):

* the notification templates, recipients and subscriptions of ``data.sharing.*`` and of the
  engine's SLA events for ``data.sharing`` (``notifications``);
* a change of the work calendar (a typhoon closure, next year's 调休) → the requests' copies
  of their deadlines follow the engine's recomputed clocks (``tasks.sync_deadlines``).

Events the app publishes (payloads: identifiers and codes only, key = the number):

* ``data.sharing.<event>`` after each act, ``<event>`` from ``services.EVENTS`` —
  ``submitted``, ``coordination_requested``, ``forwarded``, ``returned``, ``withdrawn``,
  ``rejected``, ``disputed``, ``closed``, ``refused`` — with {"request", "state", "entry",
  "entry_id", "requester", "provider", "action"};
* ``data.sharing.granted`` when a request enters ``granted`` — the same plus {"grant",
  "consumer", "fields", "clear_fields", "valid_from", "valid_until", "quota_per_minute",
  "quota_per_day"};
* ``data.sharing.grant_revoked`` {"grant", "request", "entry", "entry_id", "consumer",
  "provider"} and ``data.sharing.grant_expiring`` {"grant", "entry", "entry_id", "consumer",
  "provider", "valid_until"} (the daily job, once per grant).
"""

from __future__ import annotations


def register() -> None:
    from shuzheng.data.sharing import notifications, tasks
    from shuzheng.foundation.workflow.calendar.services import calendar_changed

    notifications.register()
    calendar_changed.connect(tasks.sync_deadlines, dispatch_uid="datasharing.sync_deadlines")
