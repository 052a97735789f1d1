"""Distributed mode: the outbox relayed through NATS JetStream (``EVENTS_BACKEND=nats``).

* The **relay** (``manage.py events relay``, one or more processes) reads unrelayed outbox
  rows oldest first and publishes each to the stream ``EVENTS_NATS_STREAM`` on the subject
  ``<EVENTS_NATS_SUBJECT_PREFIX>.<type>`` with the message id ``<event id>`` (JetStream drops
  a repeat within its de-duplication window; a resend from the dead-letter list uses
  ``<event id>.r<n>``), waits for the stream's acknowledgements and only then marks the
  rows relayed, in the same transaction that locked them (PostgreSQL; on SQLite, whose one
  write lock would stall every writer while the broker is slow to answer, the rows are read
  outside a transaction and marked in a short one after: a second relay may send a row
  again, which the de-duplication window drops). A broker outage leaves the rows in the
  outbox; while the connection is down the relay takes none, the client reconnects, and
  the relay sends them all when the broker is back.
* **Workers** (``manage.py events worker``, as many processes as needed) share one durable
  pull consumer (``EVENTS_NATS_DURABLE``): they fetch a batch, run the subscribed handlers
  through :func:`outbox.dispatch` (the same per-handler bookkeeping and idempotency as in
  embedded mode), ack an event when nothing is left to do for it and nak it with the delay
  until its next retry otherwise. Dead-lettering is the outbox's decision, not the broker's
  (the consumer redelivers without limit).

The NATS client is asyncio; the ORM is synchronous. :class:`Broker` keeps the client on a
private event loop and drives it from synchronous code, so ORM calls never run inside a
coroutine.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import threading
import time
import uuid

import nats
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from nats.js import api
from nats.js.errors import NotFoundError

from shuzheng.foundation.events import outbox
from shuzheng.foundation.events.models import OutboxEvent

logger = logging.getLogger("shuzheng.events")


class Unavailable(ConnectionError):
    """The connection to the broker is down (the client is reconnecting, or has closed)."""


def _setting(name: str, default):
    return getattr(settings, name, default)


def subject_for(event_type: str) -> str:
    return f"{_setting('EVENTS_NATS_SUBJECT_PREFIX', 'shuzheng.events')}.{event_type}"


def message_id(row: OutboxEvent) -> str:
    return str(row.id) if not row.relays else f"{row.id}.r{row.relays}"


def encode(row: OutboxEvent) -> bytes:
    created = row.created_at.isoformat() if row.created_at else None
    body = {"id": str(row.id), "type": row.type, "key": row.key, "payload": row.payload}
    body["created_at"] = created
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


class Broker:
    """One NATS connection on its own event loop, for the relay or a worker."""

    def __init__(self, url: str | None = None, *, connect_timeout: float = 2.0):
        self.url = url or _setting("NATS_URL", "nats://127.0.0.1:4222")
        self.stream = _setting("EVENTS_NATS_STREAM", "SHUZHENG_EVENTS")
        self.prefix = _setting("EVENTS_NATS_SUBJECT_PREFIX", "shuzheng.events")
        self.durable = _setting("EVENTS_NATS_DURABLE", "shuzheng-handlers")
        self.connect_timeout = connect_timeout
        self.loop = asyncio.new_event_loop()
        self.nc = None
        self.js = None
        self.psub = None

    def _run(self, coro, timeout: float | None = None):
        if timeout is not None:
            coro = asyncio.wait_for(coro, timeout)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # the usual case: a plain thread (command, worker, request)
            return self.loop.run_until_complete(coro)
        # The calling thread already runs an event loop (a caller inside asyncio, or a library
        # such as Playwright's sync API, which keeps one marked running): the broker's own loop
        # cannot run there, so it is driven from a short-lived thread, one call at a time.
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="events-broker") as pool:
            return pool.submit(self.loop.run_until_complete, coro).result()

    # ----------------------------------------------------------------- connection

    def connect(self) -> Broker:
        async def _error(exc):
            logger.warning("events: NATS %s: %r", self.url, exc)

        self.nc = self._run(
            nats.connect(
                servers=[self.url],
                connect_timeout=self.connect_timeout,
                allow_reconnect=True,
                max_reconnect_attempts=-1,
                reconnect_time_wait=1,
                error_cb=_error,
                name=f"shuzheng-events-{threading.get_ident()}",
            ),
            timeout=self.connect_timeout * 3,
        )
        self.js = self.nc.jetstream()
        self.ensure_stream()
        return self

    def ensure_stream(self) -> None:
        async def ensure():
            try:
                await self.js.stream_info(self.stream)
            except NotFoundError:
                await self.js.add_stream(
                    name=self.stream,
                    subjects=[f"{self.prefix}.>"],
                    storage=api.StorageType.FILE,
                    duplicate_window=float(_setting("EVENTS_NATS_DUPLICATE_WINDOW", 120)),
                    max_age=float(_setting("EVENTS_NATS_MAX_AGE_DAYS", 7)) * 86400,
                )

        self._run(ensure(), timeout=10)

    def delete_stream(self) -> None:
        """Remove the stream and its consumers (tests, benchmarks)."""
        with contextlib.suppress(NotFoundError):
            self._run(self.js.delete_stream(self.stream), timeout=10)

    def close(self) -> None:
        try:
            if self.nc is not None and not self.nc.is_closed:
                self._run(self.nc.close(), timeout=5)
        except Exception:  # closing after an outage: nothing left to save
            logger.debug("events: closing the NATS connection failed", exc_info=True)
        finally:
            self.nc = self.js = self.psub = None
            self.loop.close()

    def connected(self, timeout: float = 0.0) -> bool:
        """Whether the connection is up. Runs the client's event loop a moment (it only runs
        inside calls like this one), so a dropped socket is noticed and, while the client
        reconnects, waits up to ``timeout`` seconds for it to succeed."""

        async def wait():
            await asyncio.sleep(0.02)  # let the client read what happened on the socket
            deadline = self.loop.time() + timeout
            while not (self.nc.is_connected or self.nc.is_closed):
                if self.loop.time() >= deadline:
                    break
                await asyncio.sleep(0.05)
            return self.nc.is_connected

        return self.nc is not None and self._run(wait())

    def __enter__(self) -> Broker:
        return self.connect()

    def __exit__(self, *exc) -> None:
        self.close()

    # ----------------------------------------------------------------- relay

    def relay_once(self, limit: int = 500) -> int:
        """Publish up to ``limit`` unrelayed events and mark them relayed; returns how many.
        Raises (and marks nothing) when the broker does not acknowledge them all, and
        :class:`Unavailable` (taking nothing) while the connection is down."""
        if not self.connected(timeout=1.0):
            raise Unavailable(f"NATS {self.url} is not connected")
        locking = connection.features.has_select_for_update_skip_locked
        with transaction.atomic() if locking else contextlib.nullcontext():
            rows = OutboxEvent.objects.filter(relayed_at__isnull=True).order_by("id")
            if locking:
                rows = rows.select_for_update(skip_locked=True)
            rows = list(rows.only("id", "type", "key", "payload", "created_at", "relays")[:limit])
            if not rows:
                return 0
            self._run(self._publish(rows), timeout=30)
            with transaction.atomic():
                OutboxEvent.objects.filter(pk__in=[r.id for r in rows]).update(
                    relayed_at=timezone.now()
                )
        return len(rows)

    async def _publish(self, rows) -> None:
        futures = []
        for row in rows:
            futures.append(
                await self.js.publish_async(
                    subject_for(row.type),
                    encode(row),
                    headers={"Nats-Msg-Id": message_id(row)},
                )
            )
        await asyncio.gather(*futures)

    # ----------------------------------------------------------------- worker

    def consume(self) -> None:
        config = api.ConsumerConfig(
            durable_name=self.durable,
            ack_policy=api.AckPolicy.EXPLICIT,
            ack_wait=float(_setting("EVENTS_NATS_ACK_WAIT", 60)),
            max_deliver=-1,
            max_ack_pending=int(_setting("EVENTS_NATS_MAX_ACK_PENDING", 5000)),
            filter_subject=f"{self.prefix}.>",
        )
        self.psub = self._run(
            self.js.pull_subscribe(
                f"{self.prefix}.>", durable=self.durable, stream=self.stream, config=config
            ),
            timeout=10,
        )

    def work_once(self, batch: int = 200, timeout: float = 1.0) -> int:
        """Fetch up to ``batch`` messages (waiting up to ``timeout`` s), run their handlers,
        ack or nak them; returns how many messages were taken."""
        if self.psub is None:
            self.consume()
        try:
            msgs = self._run(self.psub.fetch(batch, timeout=timeout))
        except (TimeoutError, nats.errors.TimeoutError):
            return 0
        ids: list[uuid.UUID | None] = []
        for msg in msgs:
            try:
                ids.append(uuid.UUID(json.loads(msg.data)["id"]))
            except (ValueError, KeyError, TypeError):
                ids.append(None)
        outbox.fresh_connection()
        try:
            events = OutboxEvent.objects.in_bulk([i for i in set(ids) if i is not None])
            result = outbox.dispatch(sorted(events.values(), key=lambda e: e.id))
        except Exception:
            logger.exception("events: worker could not dispatch a batch; redelivering later")
            self._run(_settle([m.nak(delay=5) for m in msgs]))
            raise
        now = timezone.now()
        acks = []
        for msg, event_id in zip(msgs, ids, strict=True):
            if event_id is None:
                logger.error("events: malformed message on %s dropped", msg.subject)
                acks.append(msg.term())
            elif event_id not in events:
                logger.warning("events: %s is not in the outbox (purged?); acked", event_id)
                acks.append(msg.ack())
            elif event_id in result.pending:
                delay = max(0.5, (result.pending[event_id] - now).total_seconds())
                acks.append(msg.nak(delay=delay))
            else:
                acks.append(msg.ack())
        self._run(_settle(acks))
        return len(msgs)


async def _settle(coros) -> None:
    await asyncio.gather(*coros)


def relay_pending(url: str | None = None, *, limit: int = 500, max_batches: int = 1000) -> int:
    """Connect, relay everything unrelayed (bounded), disconnect; returns how many."""
    total = 0
    with Broker(url) as broker:
        for _ in range(max_batches):
            taken = broker.relay_once(limit)
            total += taken
            if not taken:
                break
    return total


def run_relay(stop: threading.Event, *, url: str | None = None, idle: float | None = None) -> None:
    """The relay process's loop: relay; when there is nothing to do, sleep ``idle`` seconds
    (``EVENTS_RELAY_POLL_SECONDS``); reconnect with backoff (up to 10 s) while the broker is
    unreachable."""
    idle = idle if idle is not None else float(_setting("EVENTS_RELAY_POLL_SECONDS", 0.1))
    broker, wait = None, 0.5
    while not stop.is_set():
        try:
            if broker is None:
                broker = Broker(url).connect()
                logger.info("events: relay connected to %s", broker.url)
                wait = 0.5
            outbox.fresh_connection()
            if not broker.relay_once():
                stop.wait(idle)
        except Unavailable as exc:
            if broker.nc is not None and not broker.nc.is_closed:
                # The client reconnects by itself (relay_once let it try for a second).
                logger.debug("events: relay waiting for the broker (%r)", exc)
                continue
            logger.warning("events: relay lost the broker (%r); retrying in %.1f s", exc, wait)
            broker.close()
            broker = None
            stop.wait(wait)
            wait = min(10.0, wait * 2)
        except Exception as exc:
            logger.warning("events: relay paused (%r); retrying in %.1f s", exc, wait)
            if broker is not None:
                broker.close()
                broker = None
            stop.wait(wait)
            wait = min(10.0, wait * 2)
    if broker is not None:
        broker.close()


def run_worker(
    stop: threading.Event,
    *,
    url: str | None = None,
    batch: int = 200,
    idle_exit: float | None = None,
) -> int:
    """A worker process's loop; returns the number of messages handled. With ``idle_exit``
    it returns after that many seconds without a message (tests, draining)."""
    broker, wait, handled, idle_since = None, 0.5, 0, time.monotonic()
    while not stop.is_set():
        try:
            if broker is None:
                broker = Broker(url).connect()
                broker.consume()
                logger.info("events: worker consuming %s from %s", broker.durable, broker.url)
                wait = 0.5
            taken = broker.work_once(batch)
            handled += taken
            if taken:
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                break
        except Exception as exc:
            logger.warning("events: worker paused (%r); retrying in %.1f s", exc, wait)
            if broker is not None:
                broker.close()
                broker = None
            stop.wait(wait)
            wait = min(10.0, wait * 2)
    if broker is not None:
        broker.close()
    return handled


def reachable(url: str | None = None, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to the NATS server opens (for tests and health checks)."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url or _setting("NATS_URL", "nats://127.0.0.1:4222"))
    try:
        with socket.create_connection((parts.hostname, parts.port or 4222), timeout=timeout):
            return True
    except OSError:
        return False


__all__ = [
    "Broker",
    "Unavailable",
    "reachable",
    "relay_pending",
    "run_relay",
    "run_worker",
    "subject_for",
]
