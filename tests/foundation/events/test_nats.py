"""Distributed mode against the real NATS JetStream server on 127.0.0.1:4222.

Each test uses a stream, subject prefix and durable consumer of its own (deleted after), so
it neither sees nor disturbs anything else on the server.
"""

import collections
import os
import threading
import time
import uuid

import pytest
from django.db import transaction

from shuzheng.foundation import events
from shuzheng.foundation.events import broker
from shuzheng.foundation.events.models import Delivery, DeliveryStatus, OutboxEvent

NATS_URL = "nats://127.0.0.1:4222"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        # CI sets SHUZHENG_REQUIRE_SERVICES=1: there a missing broker fails instead.
        not broker.reachable(NATS_URL) and os.environ.get("SHUZHENG_REQUIRE_SERVICES") != "1",
        reason="needs NATS JetStream on 127.0.0.1:4222 (CI starts it; locally: nats-server -js)",
    ),
]


@pytest.fixture
def jetstream(settings):
    tag = uuid.uuid4().hex[:12]
    settings.EVENTS_BACKEND = "nats"
    settings.NATS_URL = NATS_URL
    settings.EVENTS_NATS_STREAM = f"SHUZHENG_TEST_{tag}"
    settings.EVENTS_NATS_SUBJECT_PREFIX = f"shuzheng-test.{tag}"
    settings.EVENTS_NATS_DURABLE = f"handlers-{tag}"
    yield settings
    with broker.Broker() as b:
        b.delete_stream()


def test_the_broker_works_from_a_thread_that_already_runs_an_event_loop(jetstream):
    # e.g. a caller inside asyncio, or a process where Playwright's sync API is active
    import asyncio

    async def inside_a_running_loop():
        with broker.Broker() as b:
            b.ensure_stream()
            return b.connected(1.0)

    assert asyncio.run(inside_a_running_loop()) is True


def drain(timeout=60.0, batch=200):
    """Run a worker until every event is delivered (or the time is up)."""
    deadline = time.monotonic() + timeout
    with broker.Broker() as b:
        b.consume()
        while time.monotonic() < deadline:
            b.work_once(batch, timeout=0.5)
            if not OutboxEvent.objects.filter(delivered_at__isnull=True).exists():
                return
    raise AssertionError("events left undelivered")


def test_the_commit_delivers_nothing_the_relay_and_worker_deliver_everything(
    jetstream, subscribed, django_capture_on_commit_callbacks
):
    one = subscribed("test.case.*", "tests.one")
    two = subscribed("test.case.accepted", "tests.two")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ids = [events.publish("test.case.accepted", {"n": n}) for n in range(20)]
        ids.append(events.publish("test.case.closed", {"n": 20}))
    assert one == [] and two == []
    assert broker.relay_pending() == 21
    assert not OutboxEvent.objects.filter(relayed_at__isnull=True).exists()
    assert broker.relay_pending() == 0
    drain()
    assert sorted(one) == sorted(ids)
    assert sorted(two) == sorted(ids[:20])
    assert Delivery.objects.filter(status=DeliveryStatus.DONE).count() == 41


def test_a_failing_handler_is_redelivered_after_its_backoff(jetstream, subscribed):
    jetstream.EVENTS_RETRY_BASE_SECONDS = 0.5
    steady = subscribed("test.case.accepted", "tests.steady")
    flaky = subscribed("test.case.accepted", "tests.flaky", fail=2)
    with transaction.atomic():
        event_id = events.publish("test.case.accepted", {})
    broker.relay_pending()
    drain(timeout=30)
    assert flaky == [event_id] and flaky.calls == 3
    assert steady == [event_id] and steady.calls == 1
    assert Delivery.objects.get(handler="tests.flaky").attempts == 3


def test_outage_ten_thousand_events_wait_in_the_outbox_and_arrive_exactly_once(
    jetstream, subscribed
):
    counts = {"tests.audit_trail": collections.Counter(), "tests.notify": collections.Counter()}
    for name, seen in counts.items():
        events.subscribe("test.*", lambda e, seen=seen: seen.update([e.id]), name=name)
    try:
        with transaction.atomic():
            for n in range(10_000):
                events.publish("test.burst.item", {"n": n})
        # The broker is unreachable during the burst: nothing is marked, nothing is lost.
        with pytest.raises(Exception):  # noqa: B017 (connect error type is the client's)
            broker.relay_pending("nats://127.0.0.1:1")
        assert OutboxEvent.objects.filter(relayed_at__isnull=True).count() == 10_000
        # It is back: everything is relayed, in order, in batches.
        assert broker.relay_pending() == 10_000
        # A relay that died after publishing but before marking sends some again.
        again = list(OutboxEvent.objects.order_by("id").values_list("id", flat=True)[:500])
        OutboxEvent.objects.filter(pk__in=again).update(relayed_at=None, relays=1)
        assert broker.relay_pending() == 500
        drain(timeout=240, batch=500)
    finally:
        for name in counts:
            events.unsubscribe(name)
    ids = set(OutboxEvent.objects.values_list("id", flat=True))
    for seen in counts.values():
        assert set(seen) == ids
        assert set(seen.values()) == {1}
    assert Delivery.objects.filter(status=DeliveryStatus.DONE).count() == 20_000


def test_the_relay_and_worker_loops_run_until_stopped(jetstream, subscribed):
    seen = subscribed("test.case.accepted", "tests.seen")
    with transaction.atomic():
        ids = [events.publish("test.case.accepted", {"n": n}) for n in range(5)]
    stop = threading.Event()
    timer = threading.Timer(1.5, stop.set)  # what SIGTERM does in `manage.py events relay`
    timer.start()
    started = time.monotonic()
    broker.run_relay(stop, idle=0.05)
    assert time.monotonic() - started < 5
    assert not OutboxEvent.objects.filter(relayed_at__isnull=True).exists()
    handled = broker.run_worker(threading.Event(), idle_exit=1.0)
    assert handled == 5 and sorted(seen) == sorted(ids)
