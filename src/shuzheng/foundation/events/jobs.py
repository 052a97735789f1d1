"""Background and scheduled jobs: a small facade over the one huey instance.

    from shuzheng.foundation.events import jobs

    @jobs.task(retries=3, retry_delay=30)
    def render_certificate(case_number: str) -> None: ...

    @jobs.periodic(minutes=5)
    def close_overdue_tickets() -> None: ...

    @jobs.periodic(crontab=jobs.crontab(hour="2", minute="0"))
    def nightly_statistics() -> None: ...

    render_certificate("ZH2026-0001")                 # queue it (embedded: runs now)
    jobs.after_commit(render_certificate, "ZH2026-0001")   # queue it once the transaction commits

Declare jobs in a module named ``tasks`` of an installed app (loaded at start-up by the
events app), so a worker process knows them by name. Arguments are pickled: pass ids and
codes, not model instances. A task runs outside any request: it acts as ``access.SYSTEM``
or as a user it loads, and records its own audit entries.

Embedded mode runs a task in the calling thread at the moment it is queued (huey immediate
mode) — so queue from ``after_commit`` when the task must see the caller's writes or must
not run if they roll back. Retries with a delay and periodic jobs wait for the embedded
scheduler: :func:`start_embedded_scheduler` (a daemon thread) or ``manage.py jobs worker``.
"""

from __future__ import annotations

import calendar
import logging
import threading
import time

from django.db import close_old_connections, connection, transaction
from huey import crontab

from shuzheng.config.tasks import huey

logger = logging.getLogger("shuzheng.jobs")

__all__ = [
    "after_commit",
    "crontab",
    "huey",
    "periodic",
    "run_scheduler",
    "start_embedded_scheduler",
    "task",
]


def task(*, retries: int = 0, retry_delay: int = 0, name: str | None = None, **options):
    """Declare a background task. Calling the decorated function queues it and returns a
    huey ``Result`` in distributed mode (``None`` in embedded mode, which keeps no results:
    do not build on return values); ``.call_local(...)`` runs it here and now; ``.schedule(args, delay=s)``
    queues it for later. A failing task is retried ``retries`` times, ``retry_delay``
    seconds apart; ``options`` go to huey (``priority``, ``expires``, ``context``)."""
    return huey.task(retries=retries, retry_delay=retry_delay, name=name, **options)


def every_minutes(minutes: int):
    """A periodic-job validator: true every ``minutes`` minutes (counted from the epoch, so
    every process agrees; 60 divides evenly into an hour, 1440 into a day)."""
    if minutes < 1:
        raise ValueError("minutes must be at least 1")

    def due(moment) -> bool:
        return (calendar.timegm(moment.timetuple()) // 60) % minutes == 0

    return due


def periodic(
    *,
    minutes: int | None = None,
    crontab=None,  # noqa: F811 (the huey.crontab(...) value)
    retries: int = 0,
    retry_delay: int = 0,
    name: str | None = None,
):
    """Declare a periodic job: every ``minutes`` minutes, or on a ``jobs.crontab(...)``
    (evaluated in UTC, like huey's clock). The scheduler checks once a minute."""
    if (minutes is None) == (crontab is None):
        raise TypeError("periodic() needs exactly one of minutes= or crontab=")
    validate = every_minutes(minutes) if minutes is not None else crontab
    return huey.periodic_task(validate, retries=retries, retry_delay=retry_delay, name=name)


def after_commit(task_fn, *args, **kwargs) -> None:
    """Queue ``task_fn(*args, **kwargs)`` once the current transaction commits (never if it
    rolls back); outside a transaction, at once."""
    transaction.on_commit(lambda: task_fn(*args, **kwargs))


@huey.pre_execute()
def _fresh_connection(task_obj) -> None:
    if not connection.in_atomic_block:  # embedded mode may run a task inside a transaction
        close_old_connections()


@huey.post_execute()
def _release_connection(task_obj, value, exc) -> None:
    if not connection.in_atomic_block:
        close_old_connections()


def run_scheduler(stop: threading.Event | None = None, *, tick: float = 1.0) -> None:
    """The scheduler: every ``tick`` seconds queue what is scheduled and due (delayed
    retries, ``.schedule()``), and once each minute the periodic jobs due then. In embedded
    mode queuing runs the task here, in this thread (immediate mode); in distributed mode it
    puts the task on the Redis queue for the ``jobs worker`` processes (``manage.py jobs
    scheduler``). Returns when ``stop`` is set."""
    stop = stop or threading.Event()
    last_minute = None
    while not stop.is_set():
        now = huey._get_timestamp()
        try:
            for scheduled in huey.read_schedule(now):
                huey.enqueue(scheduled)
            minute = now.replace(second=0, microsecond=0)
            if minute != last_minute:
                last_minute = minute
                for job in huey.read_periodic(now):
                    logger.info("jobs: running periodic %s", job.name)
                    huey.enqueue(job)
        except Exception:
            logger.exception("jobs: embedded scheduler iteration failed")
        stop.wait(max(0.05, tick - (time.time() % tick)))


_embedded: dict[str, threading.Thread] = {}
_embedded_lock = threading.Lock()


def start_embedded_scheduler() -> threading.Thread | None:
    """Start :func:`run_scheduler` in a daemon thread of this process, once (embedded mode
    only; returns ``None`` in distributed mode, where ``jobs worker`` processes schedule)."""
    if not huey.immediate:
        return None
    with _embedded_lock:
        thread = _embedded.get("scheduler")
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=run_scheduler, name="jobs-scheduler", daemon=True)
            thread.start()
            _embedded["scheduler"] = thread
        return thread
