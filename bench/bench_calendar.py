"""Work calendar: ``add_working_days`` against a naive day-by-day loop, in the same run.

Run: ``.venv/bin/python bench/bench_calendar.py [--n 100000]`` (prints one JSON object;
progress on stderr).

A throwaway SQLite installation (``harness.throwaway_installation``) seeded with
``manage.py seedcalendar --years 2024 … 2028``; the measurement runs in a worker process on
it. The inputs are N random (start, span) pairs: starts uniform over 2024–2027, spans
uniform over 0–60 working days (the platform's time limits: 1–20 working days for 办件,
3 / 13 for 12345, 60 for the longest statutory limits). Both sides see exactly the same
calendar: the baseline walks day by day asking ``is_working_day`` (the cached bitmap, no
query), the real one jumps with the per-year running counts and a binary search.
``deadline(..., "working_days")`` and ``working_days_between`` are timed on the same inputs,
and the cold start (first call: one query for five years plus the package layer).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def inputs(n: int, seed: int = 20260214) -> list[tuple[dt.date, int]]:
    rnd = random.Random(seed)
    first = dt.date(2024, 1, 1).toordinal()
    last = dt.date(2027, 12, 31).toordinal()
    return [(dt.date.fromordinal(rnd.randint(first, last)), rnd.randint(0, 60)) for _ in range(n)]


def timed(fn, pairs) -> tuple[float, list]:
    started = time.perf_counter()
    out = [fn(d, k) for d, k in pairs]
    return time.perf_counter() - started, out


def worker(n: int, rounds: int) -> dict:
    import django

    django.setup()
    from django.db import connection

    from shuzheng.foundation.workflow.calendar import calendar

    cst = calendar.time_zone()
    calendar.clear_cache()
    started = time.perf_counter()
    calendar.is_working_day(dt.date(2026, 1, 1))
    cold_ms = (time.perf_counter() - started) * 1000
    for year in range(2024, 2029):  # the whole range in the cache before timing
        calendar.is_working_day(dt.date(year, 6, 1))

    def naive(start: dt.date, k: int) -> dt.date:
        day = start
        while k:
            day += dt.timedelta(days=1)
            if calendar.is_working_day(day):
                k -= 1
        return day

    pairs = inputs(n)
    moments = [(dt.datetime.combine(d, dt.time(10), tzinfo=cst), k) for d, k in pairs]
    fast, slow, dl, between = [], [], [], []
    for _ in range(rounds):  # interleaved rounds, best of each
        t, got = timed(calendar.add_working_days, pairs)
        fast.append(t)
        t, want = timed(naive, pairs)
        slow.append(t)
        if got != want:
            raise SystemExit("add_working_days and the naive loop disagree")
        t, _ = timed(lambda m, k: calendar.deadline(m, k, "working_days"), moments)
        dl.append(t)
        ends = [(d, e) for (d, _), e in zip(pairs, got, strict=True)]
        t, counts = timed(calendar.working_days_between, ends)
        between.append(t)
        if counts != [k for _, k in pairs]:
            raise SystemExit("working_days_between does not invert add_working_days")
    rate = lambda seconds: round(n / min(seconds))  # noqa: E731
    return {
        "database": connection.vendor,
        "n": n,
        "rounds": rounds,
        "cold_first_call_ms": round(cold_ms, 1),
        "add_working_days_ops_s": rate(fast),
        "naive_loop_ops_s": rate(slow),
        "speedup": round(min(slow) / min(fast), 1),
        "deadline_working_days_ops_s": rate(dl),
        "working_days_between_ops_s": rate(between),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.n, args.rounds)))
        return
    with harness.throwaway_installation() as inst:
        inst.manage("seedcalendar", "--years", *map(str, range(2024, 2029)))
        harness.log(f"timing {args.n} calls x {args.rounds} rounds")
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker",
                "--n",
                str(args.n),
                "--rounds",
                str(args.rounds),
            ],
            env=inst.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"worker failed ({done.returncode}):\n{done.stderr[-3000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
    result["python"] = platform.python_version()
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
