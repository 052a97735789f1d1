"""``manage.py events deliver | relay | worker | status`` — the outbox's processes.

manage.py events deliver [--loop]   # embedded mode: run due handlers (retries, leftovers)
manage.py events relay              # distributed: outbox → JetStream, runs until stopped
manage.py events worker [--import M] # distributed: JetStream → handlers, runs until stopped
manage.py events status             # counts: unrelayed, undelivered, dead letters
"""

import importlib
import signal
import threading
import time

from django.core.management.base import BaseCommand, CommandError

from shuzheng.foundation.events import outbox
from shuzheng.foundation.events.models import Delivery, DeliveryStatus, OutboxEvent


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    return stop


class Command(BaseCommand):
    help = "Deliver, relay and consume outbox events."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        deliver = sub.add_parser("deliver", help="run due handlers (embedded mode)")
        deliver.add_argument("--loop", action="store_true", help="keep running")
        deliver.add_argument("--interval", type=float, default=1.0, help="idle sleep (s)")
        relay = sub.add_parser("relay", help="publish the outbox to NATS JetStream")
        relay.add_argument("--once", action="store_true", help="relay what is there, then exit")
        relay.add_argument("--url", help="NATS URL (default: NATS_URL)")
        worker = sub.add_parser("worker", help="consume from JetStream and run handlers")
        worker.add_argument("--url", help="NATS URL (default: NATS_URL)")
        worker.add_argument("--batch", type=int, default=200)
        worker.add_argument(
            "--import",
            dest="imports",
            action="append",
            default=[],
            help="also load this module's handlers (repeatable)",
        )
        worker.add_argument(
            "--idle-exit", type=float, help="exit after this many idle seconds (draining)"
        )
        sub.add_parser("status", help="outbox and dead-letter counts")

    def handle(self, *args, action, **options):
        getattr(self, "do_" + action)(**options)

    def do_deliver(self, *, loop=False, interval=1.0, **options):
        stop = _stop_on_signals() if loop else threading.Event()
        total = 0
        while True:
            outbox.fresh_connection()
            taken = outbox.deliver_due()
            total += taken
            if taken:
                continue
            if not loop or stop.wait(interval):
                break
        self.stdout.write(f"dispatched {total} event(s)")

    def do_relay(self, *, once=False, url=None, **options):
        from shuzheng.foundation.events import broker

        if once:
            try:
                count = broker.relay_pending(url)
            except Exception as exc:
                raise CommandError(f"relay failed: {exc!r}") from exc
            self.stdout.write(f"relayed {count} event(s)")
            return
        stop = _stop_on_signals()
        self.stdout.write("events relay running (SIGTERM or Ctrl-C stops)")
        self.stdout.flush()
        broker.run_relay(stop, url=url)
        self.stdout.write("events relay stopped")

    def do_worker(self, *, url=None, batch=200, idle_exit=None, imports=(), **options):
        from shuzheng.foundation.events import broker

        for module in imports:  # handlers subscribe when their module is imported
            importlib.import_module(module)
        stop = _stop_on_signals()
        self.stdout.write("events worker running (SIGTERM or Ctrl-C stops)")
        self.stdout.flush()
        start = time.monotonic()
        handled = broker.run_worker(stop, url=url, batch=batch, idle_exit=idle_exit)
        self.stdout.write(f"handled {handled} message(s) in {time.monotonic() - start:.1f} s")

    def do_status(self, **options):
        counts = {
            "unrelayed": OutboxEvent.objects.filter(relayed_at__isnull=True).count(),
            "undelivered": OutboxEvent.objects.filter(delivered_at__isnull=True).count(),
            "pending deliveries": Delivery.objects.filter(status=DeliveryStatus.PENDING).count(),
            "dead letters": Delivery.objects.filter(status=DeliveryStatus.DEAD).count(),
        }
        self.stdout.write(f"backend: {outbox.backend()}")
        for label, n in counts.items():
            self.stdout.write(f"{label}: {n}")
