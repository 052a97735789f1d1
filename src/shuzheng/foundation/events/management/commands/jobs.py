"""``manage.py jobs worker | scheduler | list`` — the task queue's processes.

Distributed mode (``JOBS_BACKEND=redis``), the recommended layout::

    manage.py jobs scheduler                 # exactly one: queues periodic jobs when due
    manage.py jobs worker --no-periodic      # as many as needed: run the queued tasks

``jobs worker`` is a huey consumer — ``--workers`` threads taking tasks from Redis; it also
moves delayed tasks (retries, ``.schedule()``) to the queue when due (an atomic operation in
Redis, so any number of processes may do it), and queues the periodic jobs unless
``--no-periodic``. ``jobs scheduler`` runs no task: once a minute it queues the periodic
jobs due then (and moves due delayed tasks), so workers can be scaled, restarted or replaced
without the schedule running twice or not at all. Run one scheduler, or a worker without
``--no-periodic`` instead of it — never both, or each periodic job runs twice.

Embedded mode: both commands run the embedded scheduler in the foreground (delayed retries
and periodic jobs; tasks themselves already run where they are queued).
"""

import importlib
import signal
import threading

from django.core.management.base import BaseCommand

from shuzheng.foundation.events import jobs


class Command(BaseCommand):
    help = "Run the background-job worker (and scheduler)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        worker = sub.add_parser("worker", help="run tasks and periodic jobs")
        worker.add_argument("--workers", type=int, default=None, help="threads (JOBS_WORKERS)")
        worker.add_argument("--no-periodic", action="store_true", help="no periodic jobs")
        worker.add_argument(
            "--import",
            dest="imports",
            action="append",
            default=[],
            help="also load this module's tasks (repeatable)",
        )
        scheduler = sub.add_parser(
            "scheduler", help="queue periodic and delayed jobs when due (runs no task)"
        )
        scheduler.add_argument(
            "--import",
            dest="imports",
            action="append",
            default=[],
            help="also load this module's tasks (repeatable)",
        )
        scheduler.add_argument(
            "--tick", type=float, default=1.0, help="seconds between looks at the schedule"
        )
        sub.add_parser("list", help="the registered tasks and periodic jobs")

    def handle(self, *args, action, **options):
        getattr(self, "do_" + action)(**options)

    def do_list(self, **options):
        for name in sorted(jobs.huey._registry._registry):
            self.stdout.write(name)

    def do_scheduler(self, *, imports=(), tick=1.0, **options):
        for module in imports:
            importlib.import_module(module)
        mode = "embedded" if jobs.huey.immediate else "distributed"
        self.stdout.write(f"{mode} mode: scheduler running (SIGTERM or Ctrl-C stops)")
        self.stdout.flush()
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        jobs.run_scheduler(stop, tick=tick)

    def do_worker(self, *, workers=None, no_periodic=False, imports=(), **options):
        from django.conf import settings

        for module in imports:
            importlib.import_module(module)
        if jobs.huey.immediate:
            self.stdout.write("embedded mode: running the scheduler (Ctrl-C stops)")
            stop = threading.Event()
            try:
                jobs.run_scheduler(stop)
            except KeyboardInterrupt:
                stop.set()
            return
        consumer = jobs.huey.create_consumer(
            workers=workers or getattr(settings, "JOBS_WORKERS", 2),
            worker_type="thread",
            periodic=not no_periodic,
            scheduler_interval=1,
            initial_delay=0.05,
            max_delay=1.0,
        )
        consumer.run()
