"""Tasks for the job tests (imported by the tests and, with --import, by a worker process)."""

import os
from pathlib import Path

from shuzheng.foundation.events import jobs

FLAKY: dict[str, int] = {}


@jobs.task()
def add(a: int, b: int) -> int:
    return a + b


@jobs.task(retries=2)
def flaky(key: str) -> int:
    FLAKY[key] = FLAKY.get(key, 0) + 1
    if FLAKY[key] < 3:
        raise RuntimeError(f"attempt {FLAKY[key]} fails")
    return FLAKY[key]


@jobs.task()
def write_marker(path: str, text: str) -> int:
    Path(path).write_text(f"{text} {os.getpid()}")
    return os.getpid()
