"""Distributed mode as it runs in production: ``manage.py events relay`` and ``manage.py
events worker`` as separate OS processes, against the real NATS JetStream server on
127.0.0.1:4222 and the test database (the tests commit: ``transaction=True``).

The worker loads its handlers with ``--import tests.foundation.events.process_handlers``;
they record every call in a file, so "exactly once" is counted where the handlers ran. Each
test uses a stream, subject prefix and durable consumer of its own (deleted after), so runs
in parallel (xdist, CI) neither see nor disturb each other.

The outage test puts a TCP proxy between the relay and the server and switches it off: the
relay's connection really drops, the burst waits in the outbox, and when the proxy is back
the relay's client reconnects and everything arrives, each event once per handler.
"""

import collections
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from nats.js.errors import NotFoundError

from shuzheng.foundation import events
from shuzheng.foundation.events import broker
from shuzheng.foundation.events.models import Delivery, DeliveryStatus, OutboxEvent

from .process_handlers import ACCEPTED, EVERY

REPO = Path(__file__).resolve().parents[3]
NATS_HOST, NATS_PORT = "127.0.0.1", 4222
NATS_URL = f"nats://{NATS_HOST}:{NATS_PORT}"
HANDLERS = "tests.foundation.events.process_handlers"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        # CI sets SHUZHENG_REQUIRE_SERVICES=1: there a missing broker fails instead.
        not broker.reachable(NATS_URL) and os.environ.get("SHUZHENG_REQUIRE_SERVICES") != "1",
        reason="needs NATS JetStream on 127.0.0.1:4222 (CI starts it; locally: nats-server -js)",
    ),
]


def database_url() -> str:
    """The test database, as a DATABASE_URL for a child process."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        name = str(db["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            pytest.skip("an in-memory SQLite test database cannot be shared with a process")
        return f"sqlite:///{Path(name).resolve()}"
    if "postgresql" in db["ENGINE"]:
        auth = quote(db["USER"] or "", safe="")
        if db["PASSWORD"]:
            auth += ":" + quote(db["PASSWORD"], safe="")
        host = db["HOST"] or "localhost"
        return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{db['NAME']}"
    pytest.skip(f"no child-process database URL for {db['ENGINE']}")


@pytest.fixture
def jetstream(settings):
    tag = uuid.uuid4().hex[:12]
    settings.EVENTS_BACKEND = "nats"
    settings.NATS_URL = NATS_URL
    settings.EVENTS_NATS_STREAM = f"SHUZHENG_TEST_{tag}"
    settings.EVENTS_NATS_SUBJECT_PREFIX = f"shuzheng-test.{tag}"
    settings.EVENTS_NATS_DURABLE = f"handlers-{tag}"
    with broker.Broker() as b:
        yield b  # the test's own connection: stream and consumer state
        b.delete_stream()


class Children:
    """``manage.py events …`` child processes sharing the test's database and stream."""

    def __init__(self, settings, folder: Path):
        self.folder = folder
        self.log = folder / "handled.log"
        self.log.touch()
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "shuzheng.config.settings_test",
            "DATABASE_URL": database_url(),
            "EVENTS_BACKEND": "nats",
            "NATS_URL": NATS_URL,
            "EVENTS_NATS_STREAM": settings.EVENTS_NATS_STREAM,
            "EVENTS_NATS_SUBJECT_PREFIX": settings.EVENTS_NATS_SUBJECT_PREFIX,
            "EVENTS_NATS_DURABLE": settings.EVENTS_NATS_DURABLE,
            "EVENTS_RELAY_POLL_SECONDS": "0.05",
            "SHUZHENG_TEST_EVENTS_LOG": str(self.log),
            "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
        }
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *args: str) -> subprocess.Popen:
        out = self.folder / f"{args[0]}-{len(self.procs)}.out"
        with out.open("wb") as sink:
            proc = subprocess.Popen(
                [sys.executable, "manage.py", "events", *args],
                cwd=REPO,
                env=self.env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.procs.append((proc, out))
        return proc

    def output(self, proc) -> str:
        return next(out for p, out in self.procs if p is proc).read_text(errors="replace")

    def check_running(self) -> None:
        for proc, _out in self.procs:
            if proc.poll() is not None:
                raise AssertionError(
                    f"{proc.args[3]} exited with {proc.returncode}:\n{self.output(proc)[-3000:]}"
                )

    def stop(self, proc, timeout: float = 20) -> str:
        """SIGTERM; the output of a process that exited by itself within ``timeout``."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
            raise AssertionError(
                f"{proc.args[3]} ignored SIGTERM:\n{self.output(proc)[-3000:]}"
            ) from None
        return self.output(proc)

    def handled(self) -> list[tuple[str, uuid.UUID, int]]:
        lines = self.log.read_text().splitlines()
        return [(n, uuid.UUID(i), int(pid)) for n, i, pid in (line.split() for line in lines)]

    def close(self) -> None:
        for proc, _out in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)


@pytest.fixture
def children(jetstream, settings, tmp_path):
    # Requested after the database fixtures: stopped before the tables are flushed.
    kids = Children(settings, tmp_path)
    yield kids
    kids.close()


def settled(b: broker.Broker) -> bool:
    """Everything is relayed and delivered, and the worker acknowledged every message."""
    if OutboxEvent.objects.filter(relayed_at__isnull=True).exists():
        return False
    if OutboxEvent.objects.filter(delivered_at__isnull=True).exists():
        return False
    try:
        info = b._run(b.js.consumer_info(b.stream, b.durable), timeout=5)
        last = b._run(b.js.stream_info(b.stream), timeout=5).state.last_seq
    except NotFoundError:
        return False
    return info.num_pending == 0 and info.num_ack_pending == 0 and info.ack_floor.stream_seq == last


def wait_for(check, kids: Children, what: str, timeout: float = 45) -> None:
    """Poll ``check`` (bounded); fail at once if a child process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        kids.check_running()
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def handled_count(output: str) -> int:
    line = next(x for x in output.splitlines() if x.startswith("handled "))
    return int(line.split()[1])


def assert_each_once(kids: Children, worker, every: list, accepted: list) -> None:
    handled = kids.handled()
    calls = collections.Counter((name, event_id) for name, event_id, _pid in handled)
    assert {pid for *_x, pid in handled} == {worker.pid}  # only in the worker process
    assert set(calls.values()) == {1}  # nobody saw an event twice
    assert {i for name, i in calls if name == EVERY} == set(every)
    assert {i for name, i in calls if name == ACCEPTED} == set(accepted)
    rows = Delivery.objects.filter(handler__in=[EVERY, ACCEPTED])
    assert rows.count() == len(every) + len(accepted)
    assert set(rows.values_list("status", "attempts").distinct()) == {(DeliveryStatus.DONE, 1)}


def test_a_relay_process_and_a_worker_process_deliver_each_event_exactly_once(jetstream, children):
    relay = children.start("relay")
    worker = children.start("worker", "--import", HANDLERS, "--batch", "50")
    accepted, every = [], []
    for round_ in range(3):
        with transaction.atomic():
            for n in range(25):
                kind = "accepted" if n % 5 else "closed"
                event_id = events.publish(f"test.proc.{kind}", {"round": round_, "n": n})
                every.append(event_id)
                if kind == "accepted":
                    accepted.append(event_id)
    with pytest.raises(LookupError), transaction.atomic():
        ghost = events.publish("test.proc.accepted", {"rolled": "back"})
        raise LookupError
    wait_for(lambda: settled(jetstream), children, "the worker process to handle every event")

    relay_output = children.stop(relay)
    worker_output = children.stop(worker)
    assert relay.returncode == 0, relay_output[-3000:]
    assert worker.returncode == 0, worker_output[-3000:]
    assert "events relay stopped" in relay_output
    assert handled_count(worker_output) == len(every)  # one message per event
    assert ghost not in {i for _n, i, _p in children.handled()}
    assert_each_once(children, worker, every, accepted)
    assert worker.pid != os.getpid() != relay.pid


class Proxy:
    """A TCP proxy to the NATS server that can be switched off (listener closed, every
    connection cut) and on again (same port)."""

    def __init__(self, upstream=(NATS_HOST, NATS_PORT)):
        self.upstream = upstream
        self.port = 0
        self.accepted = 0
        self._lock = threading.Lock()
        self._socks: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def on(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.1)
        self.port = listener.getsockname()[1]
        self._listener, self._stop = listener, threading.Event()
        self._thread = threading.Thread(target=self._accept, args=(listener, self._stop))
        self._thread.daemon = True
        self._thread.start()

    def off(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        with self._lock:
            socks, self._socks = list(self._socks), set()
        for sock in socks:
            self._cut(sock)

    def _accept(self, listener, stop) -> None:
        while not stop.is_set():
            try:
                client, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            client.settimeout(None)
            upstream.settimeout(None)
            with self._lock:
                self._socks |= {client, upstream}
                self.accepted += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _pump(self, src, dst) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._cut(src)
            self._cut(dst)

    def _cut(self, sock) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


@pytest.fixture
def proxy():
    p = Proxy()
    p.on()
    yield p
    if not p._stop.is_set():
        p.off()


def test_outage_the_relay_loses_the_broker_ten_thousand_events_wait_and_arrive_once(
    jetstream, children, proxy
):
    relay = children.start("relay", "--url", proxy.url)
    worker = children.start("worker", "--import", HANDLERS, "--batch", "500")
    with transaction.atomic():
        first = events.publish("test.proc.accepted", {"n": -1})
    wait_for(lambda: settled(jetstream), children, "the first event, through the proxy")
    assert proxy.accepted == 1

    # The broker goes away under the relay: its connection is cut and new ones are refused.
    proxy.off()
    every, accepted = [first], [first]
    for start in range(0, 10_000, 100):
        with transaction.atomic():
            for n in range(start, start + 100):
                kind = "accepted" if n % 2 else "closed"
                every.append(events.publish(f"test.proc.{kind}", {"n": n}))
                if kind == "accepted":
                    accepted.append(every[-1])
    children.check_running()  # the relay kept waiting for the broker; it did not give up
    assert OutboxEvent.objects.filter(relayed_at__isnull=True).count() == 10_000
    assert OutboxEvent.objects.filter(delivered_at__isnull=True).count() == 10_000
    assert (
        not Delivery.objects.filter(handler=EVERY, status=DeliveryStatus.DONE)
        .exclude(event_id=first)
        .exists()
    )

    # It is back: the relay's client reconnects through a new connection and sends them all.
    proxy.on()
    wait_for(lambda: settled(jetstream), children, "the burst to drain", timeout=90)
    assert proxy.accepted >= 2

    # A relay that died after publishing but before marking sends some again, under new
    # message ids (so JetStream does not drop them): the handlers do not run again.
    again = list(OutboxEvent.objects.order_by("id").values_list("id", flat=True)[:500])
    OutboxEvent.objects.filter(pk__in=again).update(relayed_at=None, relays=1)
    stream_before = jetstream._run(jetstream.js.stream_info(jetstream.stream)).state.last_seq
    wait_for(lambda: settled(jetstream), children, "the repeats to be acknowledged")
    stream_after = jetstream._run(jetstream.js.stream_info(jetstream.stream)).state.last_seq
    assert stream_after - stream_before == 500

    relay_output = children.stop(relay)
    worker_output = children.stop(worker)
    assert relay.returncode == 0, relay_output[-3000:]
    assert worker.returncode == 0, worker_output[-3000:]
    assert handled_count(worker_output) == len(every) + 500  # the repeats were acked too
    assert_each_once(children, worker, every, accepted)
