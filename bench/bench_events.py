"""Events: delivery throughput and publish→handled latency, embedded and through NATS.

Run: ``.venv/bin/python bench/bench_events.py [--no-pg] [--n 2000]`` (prints one JSON
object; progress on stderr). Needs NATS JetStream on 127.0.0.1:4222 for the NATS part
(skipped with a note otherwise). Bounded: about a minute per database.

Per database (a throwaway SQLite under a temporary SHUZHENG_VAR_DIR; a throwaway PostgreSQL
database on the local server, dropped afterwards), in a worker process of its own:

* ``baseline_call``: the handler called in a plain Python loop (the cost floor).
* ``inprocess``: embedded mode as a web request uses it — one business transaction per
  event (``publish()`` + commit), delivery to one handler right after the commit.
  Throughput in events/s and publish→handled latency (p50 / p95).
* ``baseline_nats``: raw nats-py on the same server — JetStream publish with acks
  (``publish_async``) of N messages of the same size, then a pull consumer taking them all.
* ``nats_burst``: distributed mode end to end with the relay and a worker running as
  threads of the worker process (each with its own database connection): N events in
  transactions of 100, events/s from the first publish to the last handled.
* ``nats_latency``: the same, events published one per transaction at a paced rate;
  publish→handled p50 / p95 (the relay polls the outbox every EVENTS_RELAY_POLL_SECONDS).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

import harness

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"
NATS_URL = "nats://127.0.0.1:4222"


def log(message: str) -> None:
    print(f"[bench_events] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="events per throughput run")
    parser.add_argument("--latency-n", type=int, default=400, help="paced events (latency)")
    parser.add_argument("--rate", type=float, default=200.0, help="paced events per second")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def pct(values, q) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ms(values) -> dict:
    return {
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(pct(values, 0.95) * 1000, 2),
        "max_ms": round(max(values) * 1000, 2),
    }


# --------------------------------------------------------------------------- parent


def run_worker(vendor: str, args, env: dict) -> dict:
    return harness.run_json_worker([
        sys.executable, __file__, "--worker", vendor, "--n", str(args.n),
        "--latency-n", str(args.latency_n), "--rate", str(args.rate),
    ], env, timeout=300)  # fmt: skip


def main(args) -> None:
    started = time.perf_counter()
    report: dict = {
        "benchmark": "events",
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m_at_start": os.getloadavg()[0],
    }
    for vendor, env in harness.throwaway_databases(
        "events", pg_url=args.pg_url, include_pg=not args.no_pg
    ):
        log(f"{vendor} worker")
        report[vendor] = run_worker(vendor, args, env)
    report["elapsed_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(report, indent=2, ensure_ascii=False))


# --------------------------------------------------------------------------- worker


def worker(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    from shuzheng.foundation.events import broker

    result = {"database": connection.vendor, "n": args.n}
    result["baseline_call"] = bench_call(args.n * 50)
    result["inprocess"] = bench_inprocess(args.n)
    if broker.reachable(NATS_URL):
        result["baseline_nats"] = bench_raw_nats(args.n)
        result["nats_burst"] = bench_nats_burst(args.n)
        result["nats_latency"] = bench_nats_latency(args.latency_n, args.rate)
    else:
        result["nats"] = "skipped: NATS is not reachable on 127.0.0.1:4222"
    print(json.dumps(result))


class Recorder:
    """The benchmark's handler: publish→handled latency from the payload's ``t0``."""

    def __init__(self):
        self.latencies: list[float] = []
        self.done = threading.Event()
        self.expect = 0

    def __call__(self, event) -> None:
        self.latencies.append(time.perf_counter() - event.payload["t0"])
        if len(self.latencies) >= self.expect:
            self.done.set()

    def reset(self, expect: int) -> None:
        self.latencies, self.expect = [], expect
        self.done.clear()


def bench_call(n: int) -> dict:
    from shuzheng.foundation.events.outbox import Event

    recorder = Recorder()
    recorder.reset(n)
    event = Event(uuid.uuid4(), "bench.item.created", {"t0": 0.0})
    start = time.perf_counter()
    for _ in range(n):
        recorder(event)
    elapsed = time.perf_counter() - start
    return {"calls": n, "per_s": round(n / elapsed)}


def bench_inprocess(n: int) -> dict:
    from django.db import transaction

    from shuzheng.foundation import events

    recorder = Recorder()
    events.subscribe("bench.*", recorder, name="bench.recorder")
    try:
        recorder.reset(n)
        log(f"in-process: {n} events, one transaction each")
        start = time.perf_counter()
        for i in range(n):
            with transaction.atomic():
                events.publish("bench.item.created", {"n": i, "t0": time.perf_counter()})
        elapsed = time.perf_counter() - start
    finally:
        events.unsubscribe("bench.recorder")
    assert len(recorder.latencies) == n
    return {"events": n, "per_s": round(n / elapsed), **ms(recorder.latencies)}


def bench_raw_nats(n: int) -> dict:
    import asyncio

    import nats

    stream, subject = f"BENCH_RAW_{uuid.uuid4().hex[:8]}", f"bench-raw.{uuid.uuid4().hex[:8]}"
    body = json.dumps({"id": str(uuid.uuid4()), "type": "bench.item.created", "key": ""})
    body = (body + " " * max(0, 160 - len(body))).encode()

    async def run():
        nc = await nats.connect(NATS_URL)
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[subject + ".>"])
        try:
            start = time.perf_counter()
            futures = []
            for _ in range(n):
                futures.append(await js.publish_async(f"{subject}.x", body))
                if len(futures) >= 500:
                    await asyncio.gather(*futures)
                    futures = []
            await asyncio.gather(*futures)
            published = time.perf_counter() - start
            sub = await js.pull_subscribe(f"{subject}.>", durable="bench")
            start, got = time.perf_counter(), 0
            while got < n:
                msgs = await sub.fetch(500, timeout=5)
                await asyncio.gather(*(m.ack() for m in msgs))
                got += len(msgs)
            consumed = time.perf_counter() - start
        finally:
            await js.delete_stream(stream)
            await nc.close()
        return {
            "messages": n,
            "publish_acked_per_s": round(n / published),
            "consume_acked_per_s": round(n / consumed),
        }

    log(f"raw nats-py: {n} messages")
    return asyncio.run(run())


class Distributed:
    """Relay and worker threads on a stream of their own."""

    def __init__(self):
        from django.conf import settings

        tag = uuid.uuid4().hex[:8]
        settings.EVENTS_BACKEND = "nats"
        settings.NATS_URL = NATS_URL
        settings.EVENTS_NATS_STREAM = f"SHUZHENG_BENCH_{tag}"
        settings.EVENTS_NATS_SUBJECT_PREFIX = f"shuzheng-bench.{tag}"
        settings.EVENTS_NATS_DURABLE = f"bench-{tag}"
        self.stop = threading.Event()

    def __enter__(self):
        from django.db import connection

        from shuzheng.foundation.events import broker

        def relay():
            try:
                broker.run_relay(self.stop)
            finally:
                connection.close()

        def work():
            try:
                broker.run_worker(self.stop, batch=500)
            finally:
                connection.close()

        self.threads = [threading.Thread(target=relay), threading.Thread(target=work)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        from shuzheng.foundation.events import broker

        self.stop.set()
        for thread in self.threads:
            thread.join(30)
        with broker.Broker() as b:
            b.delete_stream()


def bench_nats_burst(n: int) -> dict:
    from django.db import transaction

    from shuzheng.foundation import events

    recorder = Recorder()
    events.subscribe("bench.*", recorder, name="bench.recorder")
    try:
        with Distributed():
            recorder.reset(n)
            log(f"NATS burst: {n} events in transactions of 100")
            start = time.perf_counter()
            for first in range(0, n, 100):
                with transaction.atomic():
                    for i in range(first, min(n, first + 100)):
                        events.publish("bench.item.created", {"n": i, "t0": time.perf_counter()})
            published = time.perf_counter() - start
            if not recorder.done.wait(120):
                raise RuntimeError(f"only {len(recorder.latencies)} of {n} handled")
            elapsed = time.perf_counter() - start
    finally:
        events.unsubscribe("bench.recorder")
    return {
        "events": n,
        "published_per_s": round(n / published),
        "handled_per_s": round(n / elapsed),
        **ms(recorder.latencies),
    }


def bench_nats_latency(n: int, rate: float) -> dict:
    from django.conf import settings
    from django.db import transaction

    from shuzheng.foundation import events

    recorder = Recorder()
    events.subscribe("bench.*", recorder, name="bench.recorder")
    try:
        with Distributed():
            time.sleep(0.5)  # relay and worker connected
            recorder.reset(n)
            log(f"NATS latency: {n} events at {rate:.0f}/s, one transaction each")
            start = time.perf_counter()
            for i in range(n):
                pause = start + i / rate - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                with transaction.atomic():
                    events.publish("bench.item.created", {"n": i, "t0": time.perf_counter()})
            if not recorder.done.wait(60):
                raise RuntimeError(f"only {len(recorder.latencies)} of {n} handled")
    finally:
        events.unsubscribe("bench.recorder")
    return {
        "events": n,
        "rate_per_s": rate,
        "relay_poll_s": settings.EVENTS_RELAY_POLL_SECONDS,
        **ms(recorder.latencies),
    }


if __name__ == "__main__":
    arguments = parse_args()
    if arguments.worker:
        worker(arguments)
    else:
        main(arguments)
