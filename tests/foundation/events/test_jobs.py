"""Background jobs: embedded (immediate) mode, the embedded scheduler, and a real worker
process on Redis."""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.db import transaction

from shuzheng.config.tasks import build_huey
from shuzheng.foundation.events import jobs
from shuzheng.foundation.trust import audit
from shuzheng.foundation.trust.models import AuditAnchor

from . import jobs_tasks

REPO = Path(__file__).resolve().parents[3]


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def test_a_task_runs_in_process_in_embedded_mode(tmp_path):
    assert jobs.huey.immediate
    marker = tmp_path / "here"
    assert jobs_tasks.write_marker(str(marker), "here") is None  # no result store
    assert marker.read_text() == f"here {os.getpid()}"  # ran at once, in this process
    assert jobs_tasks.add.call_local(2, 3) == 5


def test_a_failing_task_is_retried_in_embedded_mode():
    key = uuid.uuid4().hex
    jobs_tasks.flaky(key)
    assert jobs_tasks.FLAKY[key] == 3


@pytest.mark.django_db
def test_after_commit_queues_only_when_the_transaction_commits(
    tmp_path, django_capture_on_commit_callbacks
):
    kept, dropped = tmp_path / "kept", tmp_path / "dropped"
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(LookupError), transaction.atomic():
            jobs.after_commit(jobs_tasks.write_marker, str(dropped), "no")
            raise LookupError
        with transaction.atomic():
            jobs.after_commit(jobs_tasks.write_marker, str(kept), "yes")
            assert not kept.exists()
    assert kept.read_text().startswith("yes") and not dropped.exists()


def test_the_embedded_scheduler_runs_delayed_work(tmp_path):
    marker = tmp_path / "later"
    jobs_tasks.write_marker.schedule((str(marker), "later"), delay=1)
    assert not marker.exists()
    stop = threading.Event()
    thread = threading.Thread(target=jobs.run_scheduler, args=(stop,), kwargs={"tick": 0.2})
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join(5)
    assert marker.read_text().startswith("later")


def test_periodic_jobs_are_registered_on_their_intervals(settings):
    interval = settings.AUDIT_ANCHOR_INTERVAL_MINUTES
    start = dt.datetime(2026, 3, 2, 8, 0)
    runs = {"events.sweep_outbox": [], "trust.seal_audit_anchor": []}
    for m in range(2 * interval):
        moment = start + dt.timedelta(minutes=m)
        for job in jobs.huey.read_periodic(moment):
            runs.setdefault(job.name, []).append(moment)
    assert len(runs["events.sweep_outbox"]) == 2 * interval  # every minute
    sealed = runs["trust.seal_audit_anchor"]
    assert len(sealed) == 2 and sealed[1] - sealed[0] == dt.timedelta(minutes=interval)
    with pytest.raises(TypeError):
        jobs.periodic()


@pytest.mark.django_db
def test_the_audit_sealing_job_seals_the_chain_head(tree):
    from shuzheng.foundation.events import tasks

    assert tree.city.pk  # creating the organisations wrote audit records
    anchor_pk = tasks.seal_audit_anchor.call_local()
    anchor = AuditAnchor.objects.get(pk=anchor_pk)
    assert audit.verify().ok and anchor.head_seq >= 1
    assert tasks.seal_audit_anchor.call_local() is None  # nothing new


@pytest.mark.skipif(
    not redis_reachable() and os.environ.get("SHUZHENG_REQUIRE_SERVICES") != "1",
    reason="needs Redis on 127.0.0.1:6379 (CI has it)",
)
def test_a_task_is_run_by_a_separate_worker_process_on_redis(tmp_path):
    queue = f"shuzheng-test-{uuid.uuid4().hex[:12]}"
    remote = build_huey("redis", name=queue, url="redis://127.0.0.1:6379/0")
    # The same task (same module-qualified name) declared on the Redis queue.
    write_marker = remote.task()(jobs_tasks.write_marker.func)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shuzheng.config.settings_test",
        "JOBS_BACKEND": "redis",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "JOBS_QUEUE_NAME": queue,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
    }
    env.pop("DATABASE_URL", None)  # the task touches no database
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "jobs", "worker", "--workers", "1", "--no-periodic"]
        + ["--import", "tests.foundation.events.jobs_tasks"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        marker = tmp_path / "remote"
        result = write_marker(str(marker), "from-redis")
        pid = result.get(blocking=True, timeout=30)
        assert pid == worker.pid != os.getpid()
        assert marker.read_text() == f"from-redis {worker.pid}"
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(5)
        remote.storage.flush_all()


@pytest.mark.skipif(
    not redis_reachable() and os.environ.get("SHUZHENG_REQUIRE_SERVICES") != "1",
    reason="needs Redis on 127.0.0.1:6379 (CI has it)",
)
def test_a_separate_scheduler_process_queues_periodic_and_delayed_jobs_and_runs_none():
    """Distributed mode: `jobs scheduler` is its own process; it puts the periodic jobs due
    at its first minute (events.sweep_outbox is due every minute) and a delayed task whose
    time has come (a retry) on the Redis queue, for workers — and runs nothing itself."""
    queue = f"shuzheng-test-{uuid.uuid4().hex[:12]}"
    remote = build_huey("redis", name=queue, url="redis://127.0.0.1:6379/0")
    write_marker = remote.task()(jobs_tasks.write_marker.func)
    # What a worker leaves on the schedule for a failed task's delayed retry.
    retry = write_marker.s("/nonexistent/never-written", "later")
    retry.eta = remote._get_timestamp() + dt.timedelta(seconds=1)
    remote.add_schedule(retry)
    assert (remote.storage.schedule_size(), remote.storage.queue_size()) == (1, 0)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shuzheng.config.settings_test",
        "JOBS_BACKEND": "redis",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "JOBS_QUEUE_NAME": queue,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "src")]),
    }
    env.pop("DATABASE_URL", None)  # the scheduler runs no task: it touches no database
    scheduler = subprocess.Popen(
        [sys.executable, "manage.py", "jobs", "scheduler", "--tick", "0.2"]
        + ["--import", "tests.foundation.events.jobs_tasks"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        queued = b""
        while time.monotonic() < deadline:
            queued = b"".join(remote.storage.enqueued_items())
            if b"events.sweep_outbox" in queued and remote.storage.schedule_size() == 0:
                break
            time.sleep(0.2)
        assert b"events.sweep_outbox" in queued  # a periodic job, queued by the scheduler
        assert remote.storage.schedule_size() == 0  # the delayed task moved to the queue
        assert b"write_marker" in queued  # … and waits there for a worker: not run
        assert scheduler.poll() is None  # still running
    finally:
        os.killpg(scheduler.pid, signal.SIGTERM)
        try:
            output, _ = scheduler.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(scheduler.pid, signal.SIGKILL)
            output, _ = scheduler.communicate(timeout=5)
        remote.storage.flush_all()
    assert scheduler.returncode == 0, output.decode()[-2000:]
    assert b"distributed mode: scheduler running" in output
