"""``manage.py jobs worker`` — the task queue's worker and scheduler.

Distributed mode (``JOBS_BACKEND=redis``): a huey consumer — ``--workers`` threads taking
tasks from Redis, plus the scheduler (delayed tasks, and the periodic jobs unless
``--no-periodic``; run the scheduler in one worker process only, or accept duplicate runs).
Embedded mode: the embedded scheduler in the foreground (delayed retries and periodic jobs;
tasks themselves already run where they are queued).
"""

import importlib
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
        sub.add_parser("list", help="the registered tasks and periodic jobs")

    def handle(self, *args, action, **options):
        getattr(self, "do_" + action)(**options)

    def do_list(self, **options):
        for name in sorted(jobs.huey._registry._registry):
            self.stdout.write(name)

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
