"""Publishing into the outbox and running the handlers with per-handler bookkeeping.

Flow (embedded mode, ``EVENTS_BACKEND=inprocess``): :func:`publish` inserts an
:class:`OutboxEvent` in the caller's transaction and registers an ``on_commit`` callback;
after the commit that callback runs :func:`deliver` for the event synchronously, in the
committing thread (``EVENTS_DELIVER_ON_COMMIT``; the request pays for its handlers, which is
fine for the demo and keeps it free of background threads). Whatever failed or was never
tried (process died between commit and callback) is picked up by :func:`deliver_due`, run
by ``manage.py events deliver --loop`` or the periodic job ``events.sweep_outbox``.

Distributed mode (``EVENTS_BACKEND=nats``): the commit delivers nothing; the relay
(``manage.py events relay``) publishes unrelayed rows to JetStream and the workers
(``manage.py events worker``) call :func:`dispatch` for what they receive.

Either way :func:`dispatch` does the same bookkeeping: one :class:`Delivery` row per
(event, handler); each due handler runs in a savepoint together with marking its row done,
so a handler's own database writes and its "processed" record commit together (effectively
once); a handler that raises is rolled back alone, retried with exponential backoff
(``EVENTS_RETRY_BASE_SECONDS`` · 2^(attempt-1), capped at ``EVENTS_RETRY_MAX_SECONDS``) and
dead-lettered after ``EVENTS_MAX_ATTEMPTS``. Side effects outside the database (mail, HTTP)
are at least once: a handler must tolerate seeing an event id again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import traceback
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import close_old_connections, connection, transaction
from django.db.models import F, Min
from django.utils import timezone

from shuzheng.foundation.events import registry
from shuzheng.foundation.events.models import Delivery, DeliveryStatus, OutboxEvent

logger = logging.getLogger("shuzheng.events")

_MAX_PAYLOAD = 64 * 1024
_MAX_ERROR = 4000


@dataclass(frozen=True)
class Event:
    """What a handler receives. ``payload`` is plain JSON (dates, UUIDs and decimals arrive
    as strings), the same in both modes."""

    id: uuid.UUID
    type: str
    payload: dict
    key: str = ""
    created_at: dt.datetime | None = None

    @classmethod
    def of(cls, row: OutboxEvent) -> Event:
        return cls(row.id, row.type, row.payload, row.key, row.created_at)


@dataclass
class DispatchResult:
    done: int = 0
    failed: int = 0
    dead: int = 0
    # event id → when its next pending delivery is due (absent: nothing left to do)
    pending: dict[uuid.UUID, dt.datetime] = field(default_factory=dict)


def fresh_connection() -> None:
    """Drop a broken or expired database connection between units of work (long-running
    processes) — never inside an open transaction (a caller's, or a test's)."""
    if not connection.in_atomic_block:
        close_old_connections()


def backend() -> str:
    return getattr(settings, "EVENTS_BACKEND", "inprocess")


def _max_attempts() -> int:
    return getattr(settings, "EVENTS_MAX_ATTEMPTS", 8)


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failed ones: base · 2^(attempts-1)."""
    base = getattr(settings, "EVENTS_RETRY_BASE_SECONDS", 10)
    cap = getattr(settings, "EVENTS_RETRY_MAX_SECONDS", 3600)
    return dt.timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def publish(type: str, payload: dict, *, key: str | None = None) -> uuid.UUID:  # noqa: A002
    """Announce that something happened, as part of the caller's transaction.

    The event is written to the outbox now and delivered to the subscribed handlers only
    after the transaction commits (never if it rolls back), at least once. ``type`` is a
    dotted lower-case code (``"services.case.accepted"``); ``payload`` a JSON-able dict of
    identifiers and codes, not personal data; ``key`` an optional business key (e.g. the
    case number) kept with the event for tracing. Returns the event id.
    """
    if not connection.in_atomic_block:
        raise RuntimeError(
            "events.publish() must run inside the business transaction (transaction.atomic)"
        )
    if len(type) > 150 or not registry.TYPE_PATTERN.match(type):
        raise ValueError(f"event type must be a dotted lower-case code, got {type!r}")
    if not isinstance(payload, dict):
        raise TypeError("event payload must be a dict")
    text = json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False)
    if len(text) > _MAX_PAYLOAD:
        raise ValueError(f"event payload exceeds {_MAX_PAYLOAD} characters: send identifiers")
    key = key or ""
    if len(key) > 150:
        raise ValueError("event key exceeds 150 characters")
    now = timezone.now()
    # Embedded mode knows every subscriber in this process: an event nobody listens to is
    # recorded as already delivered, and costs no after-commit dispatch. (Distributed mode
    # always relays: workers may run other code.)
    inprocess = backend() == "inprocess"
    unheard = inprocess and not registry.handlers_for(type)
    row = OutboxEvent.objects.create(
        type=type,
        key=key,
        payload=json.loads(text),
        created_at=now,
        available_at=now,
        delivered_at=now if unheard else None,
    )
    if inprocess and not unheard and getattr(settings, "EVENTS_DELIVER_ON_COMMIT", True):
        transaction.on_commit(lambda: _deliver_after_commit(row.id))
    return row.id


def _deliver_after_commit(event_id: uuid.UUID) -> None:
    try:
        deliver([event_id])
    except Exception:  # the business transaction has committed: never fail the caller
        logger.exception("events: delivering %s after commit failed; the sweep retries", event_id)


def deliver(event_ids) -> DispatchResult:
    """Run the due handlers of these events now (embedded mode's after-commit step)."""
    events = list(OutboxEvent.objects.filter(pk__in=list(event_ids)).order_by("id"))
    return dispatch(events)


def deliver_due(*, limit: int = 200, now: dt.datetime | None = None) -> int:
    """One sweep of embedded mode: dispatch up to ``limit`` events that have handlers due
    (new, or retries whose backoff has passed), oldest first. Returns how many were taken."""
    now = now or timezone.now()
    events = list(
        OutboxEvent.objects.filter(delivered_at__isnull=True, available_at__lte=now).order_by("id")[
            :limit
        ]
    )
    if events:
        dispatch(events, now=now)
    return len(events)


def _chunks(items: list, size: int = 500):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _error_text(exc: BaseException) -> str:
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return text[-_MAX_ERROR:]


def dispatch(events: list[OutboxEvent], *, now: dt.datetime | None = None) -> DispatchResult:
    """Deliver each event to each subscribed handler that is due, with bookkeeping.

    Concurrent dispatchers of the same events do not run a handler twice: on PostgreSQL a
    delivery row is locked (``SKIP LOCKED``: another dispatcher has it) and on SQLite the
    IMMEDIATE transaction serialises them; a row already ``done`` is skipped either way.
    """
    result = DispatchResult()
    if not events:
        return result
    now = now or timezone.now()
    by_id = {e.id: e for e in events}
    ids = list(by_id)
    with transaction.atomic():
        wanted = [
            Delivery(event_id=e.id, handler=s.name, next_attempt_at=now, created_at=now)
            for e in by_id.values()
            for s in registry.handlers_for(e.type)
        ]
        if wanted:
            Delivery.objects.bulk_create(wanted, ignore_conflicts=True, batch_size=500)
        due = Delivery.objects.filter(
            event_id__in=ids, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        due = list(due.order_by("event_id", "handler"))
        errors: dict[uuid.UUID, str] = {}
        for delivery in due:
            _run(delivery, by_id[delivery.event_id], now, result, errors)
        # Write back in a few set-based UPDATEs: the common case is "all done".
        done = [d.pk for d in due if d.status == DeliveryStatus.DONE]
        for chunk in _chunks(done):
            Delivery.objects.filter(pk__in=chunk).update(
                status=DeliveryStatus.DONE, attempts=F("attempts") + 1, done_at=now, last_error=""
            )
        for d in due:
            if d.status != DeliveryStatus.DONE:
                d.save(update_fields=["status", "attempts", "next_attempt_at", "last_error"])
        open_ = dict(
            Delivery.objects.filter(event_id__in=ids, status=DeliveryStatus.PENDING)
            .values("event_id")
            .annotate(due=Min("next_attempt_at"))
            .values_list("event_id", "due")
        )
        finished = []
        for event in by_id.values():
            event.attempts += 1
            if event.id in open_:
                event.available_at = open_[event.id]
                event.delivered_at = None
                result.pending[event.id] = open_[event.id]
                OutboxEvent.objects.filter(pk=event.id).update(
                    attempts=F("attempts") + 1,
                    available_at=event.available_at,
                    delivered_at=None,
                    last_error=errors.get(event.id, event.last_error),
                )
            elif event.id in errors:  # finished, with a dead letter
                event.delivered_at = event.delivered_at or now
                OutboxEvent.objects.filter(pk=event.id).update(
                    attempts=F("attempts") + 1,
                    delivered_at=event.delivered_at,
                    last_error=errors[event.id],
                )
            else:
                event.delivered_at = event.delivered_at or now
                finished.append(event.id)
        for chunk in _chunks(finished):
            OutboxEvent.objects.filter(pk__in=chunk, delivered_at__isnull=True).update(
                attempts=F("attempts") + 1, delivered_at=now
            )
    return result


def _run(delivery: Delivery, row: OutboxEvent, now, result: DispatchResult, errors) -> None:
    delivery.attempts += 1
    sub = registry.subscription(delivery.handler)
    if sub is None:
        delivery.status = DeliveryStatus.DEAD
        delivery.last_error = f"no handler named {delivery.handler!r} in this process"
        errors[row.id] = delivery.last_error
        result.dead += 1
        logger.error("events: %s for %s dead-lettered: handler gone", delivery.handler, row.id)
        return
    try:
        with transaction.atomic():
            sub.handler(Event.of(row))
    except Exception as exc:
        delivery.last_error = _error_text(exc)
        errors[row.id] = f"{delivery.handler}: {exc!r}"[:_MAX_ERROR]
        if delivery.attempts >= _max_attempts():
            delivery.status = DeliveryStatus.DEAD
            result.dead += 1
            logger.error(
                "events: %s for %s %s dead-lettered after %s attempts: %r",
                delivery.handler,
                row.type,
                row.id,
                delivery.attempts,
                exc,
            )
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            result.failed += 1
            logger.warning(
                "events: %s for %s %s failed (attempt %s), retry at %s: %r",
                delivery.handler,
                row.type,
                row.id,
                delivery.attempts,
                delivery.next_attempt_at,
                exc,
            )
    else:
        delivery.status = DeliveryStatus.DONE
        delivery.done_at = now
        delivery.last_error = ""
        result.done += 1
