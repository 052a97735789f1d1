"""Workbench queue latency at a million cases: ``selectors.workbench.queue()`` per user, queue
and page depth, against a primary-key lookup measured in the same run.

Run: ``.venv/bin/python bench/workbench_list.py [--n 1000000] [--sqlite-n 200000]
[--repeat 60] [--no-pg] [--no-sqlite] [--try-index SQL ...]`` (one JSON object on stdout,
progress on stderr).

Each database is a throwaway one (SQLite in a temporary SHUZHENG_VAR_DIR, PostgreSQL a
database created on the local server and dropped afterwards), migrated, then filled by
``bench/case_data.py`` (the Zhuhai demo tree, 60 items, N cases in realistic states). Three
staff users, as in a real installation:

- ``clerk``: 窗口人员 (window-clerk) granted on 香洲区 — that district's subtree;
- ``head``: 部门负责人 (department-head) on 珠海市市场监督管理局, the busiest department;
- ``city``: 电子监察人员 (supervisor) on 珠海市 — every case.

For each user, queue (to_accept, to_review, overdue, all) and page (the first; the 20th,
reached by walking the keyset; a deep one whose key is the median case id) the call
``queue(user, name, after=key, limit=50)`` is timed ``--repeat`` times. Each call starts
with the user's grants forgotten (``access.forget``), so it pays the grant query a request
pays. Baseline in the same run: ``Case.objects.get(pk=…)`` of a random case. Timings are
wall-clock in one process, the database server (PostgreSQL) on the same 2 cores.

Also measured at the same size: the 电子监察 reads (``selectors.supervision``: per
department, per item, the daily trend, the overdue list) for the city-wide supervisor, this
month, for the whole city and for 香洲区.

``--try-index`` runs the whole measurement again after executing the given statements
(e.g. ``CREATE INDEX …``) in the throwaway database, and reports both.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

from harness import percentiles

BENCH_DIR = Path(__file__).resolve().parent
QUEUES = ("to_accept", "to_review", "overdue", "all")
TARGET_P50_MS, TARGET_P95_MS = 15.0, 40.0


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="cases on PostgreSQL")
    parser.add_argument("--sqlite-n", type=int, default=1_000_000, help="cases on SQLite")
    parser.add_argument("--repeat", type=int, default=60, help="timed calls per combination")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--try-index",
        action="append",
        default=[],
        metavar="SQL",
        help="statement to run before a second measurement (repeatable)",
    )
    parser.add_argument("--worker", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> None:
    args = parse_args()
    if args.worker:
        print(json.dumps(worker(args), ensure_ascii=False, default=str))
        return
    sys.path.insert(0, str(BENCH_DIR))
    import harness

    results = []
    for vendor, env in harness.throwaway_databases(
        "workbench", pg_url=args.pg_url, include_pg=not args.no_pg
    ):
        if vendor == "sqlite" and args.no_sqlite:
            continue
        n = args.sqlite_n if vendor == "sqlite" else args.n
        log(f"{vendor}: migrating, generating {n:,} cases, measuring")
        command = [
            sys.executable, __file__, "--worker", vendor, "--n", str(n),
            "--repeat", str(args.repeat),
        ]  # fmt: skip
        for sql in args.try_index:
            command += ["--try-index", sql]
        results.append(harness.run_json_worker(command, env, timeout=4 * 3600))
    print(
        json.dumps(
            {
                "benchmark": "workbench queue",
                "machine": f"{os.cpu_count()} CPU, {platform.platform()}",
                "python": platform.python_version(),
                "command": " ".join([Path(sys.executable).name, *sys.argv]),
                "targets_ms": {"p50": TARGET_P50_MS, "p95": TARGET_P95_MS},
                "results": results,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


def _users():
    from shuzheng.foundation import access
    from shuzheng.foundation.access import services as access_services
    from shuzheng.foundation.access.models import Role
    from shuzheng.foundation.identity import services as identity
    from shuzheng.foundation.identity.models import Organisation

    def staff(username, org_name, role, grant_on=None):
        org = Organisation.objects.get(name=org_name)
        profile = identity.create_staff(
            access.SYSTEM, organisation=org, username=username, display_name=username
        )
        target = Organisation.objects.get(name=grant_on) if grant_on else org
        access_services.grant_role(
            access.SYSTEM,
            user=profile.user,
            role=Role.objects.get(code=role),
            organisation=target,
        )
        return profile.user

    return {
        "clerk": staff("bench_clerk", "香洲区", "window-clerk"),
        "head": staff("bench_head", "珠海市市场监督管理局", "department-head"),
        "city": staff("bench_city", "珠海市政务服务数据管理局", "supervisor", "珠海市"),
    }


def _plan(sql: str) -> str:
    from django.db import connection

    explain = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cur:
        cur.execute(explain + sql)
        rows = cur.fetchall()
    return "\n".join(" ".join(str(c) for c in row) for row in rows)


def measure(users: dict, repeat: int, rng: random.Random) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shuzheng.foundation import access
    from shuzheng.services.cases.models import Case
    from shuzheng.services.cases.selectors import workbench

    queue = workbench.queue

    ids = list(Case.objects.order_by("pk").values_list("pk", flat=True)[::1000])
    median_id = ids[len(ids) // 2]
    max_id = Case.objects.order_by("-pk").values_list("pk", flat=True).first()

    # baseline: a primary-key lookup
    samples = []
    for _ in range(repeat * 4):
        pk = rng.randint(1, max_id)
        started = time.perf_counter()
        Case.objects.filter(pk=pk).first()
        samples.append(1000 * (time.perf_counter() - started))
    baseline = percentiles(samples)
    log(f"baseline pk lookup p50 {baseline['p50']} ms")

    combos = []
    for who, user in users.items():
        for name in QUEUES:
            # the 20th page: walk the keyset like a user paging
            key = None
            for _ in range(19):
                page = queue(user, name, after=key, limit=50)
                if len(page) < 50:
                    key = None
                    break
                key = page[-1].pk
            for depth, after in (("first", None), ("page20", key), ("deep", median_id)):
                if depth == "page20" and after is None:
                    continue  # fewer than 20 pages in this queue
                rows = 0
                times = []
                for i in range(repeat + 3):
                    access.forget(user)
                    started = time.perf_counter()
                    page = queue(user, name, after=after, limit=50)
                    elapsed = 1000 * (time.perf_counter() - started)
                    if i >= 3:  # warm-up calls are not counted
                        times.append(elapsed)
                    rows = len(page)
                with CaptureQueriesContext(connection) as queries:
                    access.forget(user)
                    queue(user, name, after=after, limit=50)
                stats = percentiles(times)
                combos.append(
                    {
                        "user": who,
                        "queue": name,
                        "page": depth,
                        "rows": rows,
                        "queries": len(queries.captured_queries),
                        **stats,
                        # the page's key query (the one with the LIMIT), for EXPLAIN
                        "sql": next(
                            (q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"]),
                            queries.captured_queries[-1]["sql"],
                        ),
                    }
                )
                log(
                    f"{who:5} {name:9} {depth:6}: p50 {stats['p50']:7.2f} ms, "
                    f"p95 {stats['p95']:7.2f} ms ({rows} rows)"
                )
    all_times = [c["p50"] for c in combos]
    slowest = sorted(combos, key=lambda c: -c["p95"])[:3]
    for combo in slowest:
        combo["plan"] = _plan(combo["sql"])
    for combo in combos:
        if "plan" not in combo:
            combo.pop("sql")
    met = [c for c in combos if c["p50"] <= TARGET_P50_MS and c["p95"] <= TARGET_P95_MS]
    return {
        "baseline_pk_lookup_ms": baseline,
        "combinations": combos,
        "median_of_p50s_ms": round(statistics.median(all_times), 3),
        "worst_p50_ms": max(c["p50"] for c in combos),
        "worst_p95_ms": max(c["p95"] for c in combos),
        "met": f"{len(met)}/{len(combos)}",
        "ratio_median_p50_to_baseline": round(statistics.median(all_times) / baseline["p50"], 1),
    }


def measure_supervision(users: dict, repeat: int) -> dict:
    """The 电子监察 page's reads at this size (this month, city-wide and for 香洲区): the
    per-department and per-item tables (one set of queries), the trend, the overdue list."""
    from shuzheng.foundation import access
    from shuzheng.foundation.identity.models import Organisation
    from shuzheng.services.cases.selectors import supervision

    period = supervision.this_month()
    user = users["city"]
    out = {}
    for organisation in (None, Organisation.objects.get(name="香洲区")):
        calls = {
            "departments_and_items": lambda u=user, o=organisation: supervision.breakdown(
                u, period, organisation=o
            ),
            "trend": lambda u=user, o=organisation: supervision.trend(u, period, organisation=o),
            "overdue_list": lambda u=user, o=organisation: supervision.overdue_cases(
                u, organisation=o, limit=100
            ),
        }
        for name, call in calls.items():
            times = []
            for i in range(max(3, repeat // 6) + 1):
                access.forget(user)
                started = time.perf_counter()
                call()
                if i:
                    times.append(1000 * (time.perf_counter() - started))
            label = "香洲区" if organisation else "city"
            out[f"{label}:{name}"] = percentiles(times)
            log(f"supervision {label:4} {name:12}: p50 {out[f'{label}:{name}']['p50']:8.1f} ms")
    return out


def worker(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    sys.path.insert(0, str(BENCH_DIR))
    import case_data

    call_command("migrate", verbosity=0)
    summary = case_data.generate(args.n)
    users = _users()
    rng = random.Random(7)
    result = {
        "vendor": connection.vendor,
        "database_version": _version(),
        "data": summary,
        "repeat": args.repeat,
        "measured": measure(users, args.repeat, rng),
        "supervision": measure_supervision(users, args.repeat),
    }
    if args.try_index:
        with connection.cursor() as cur:
            started = time.perf_counter()
            for sql in args.try_index:
                cur.execute(sql)
            cur.execute("ANALYZE")
        log(f"indexes created in {time.perf_counter() - started:.1f} s; measuring again")
        result["with_indexes"] = {
            "statements": args.try_index,
            "seconds_to_create": round(time.perf_counter() - started, 1),
            "measured": measure(users, args.repeat, random.Random(7)),
            "supervision": measure_supervision(users, args.repeat),
        }
    return result


def _version() -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
        else:
            cur.execute("SELECT sqlite_version()")
        return cur.fetchone()[0]


if __name__ == "__main__":
    main()
