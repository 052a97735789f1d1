"""12345 order list at a million orders: ``selectors.orders.queue()`` per user, tab and page
depth, against the same query without access scoping, measured in the same run.

Run: ``.venv/bin/python bench/hotline_list.py [--n 1000000] [--sqlite-n 1000000]
[--repeat 60] [--no-pg] [--no-sqlite] [--try-only] [--try-index SQL ...]`` (one JSON object
on stdout, progress on stderr).

Each database is a throwaway one (SQLite in a temporary SHUZHENG_VAR_DIR, PostgreSQL a
database created on the local server and dropped afterwards), migrated, then filled by
``bench/hotline_data.py`` (the Zhuhai demo tree, the category tree, N orders over two years
in realistic states). Four staff users, as in a real installation:

- ``operator``: 12345 热线话务员 of the centre, granted on 珠海市 — every order;
- ``district``: 工单承办人员 granted on 香洲区 — that district's subtree;
- ``street``: 工单承办人员 on the street of 香洲区 holding the most orders;
- ``dept``: 工单承办人员 on the department holding the most orders.

For each user, tab (a state tab of that user's work — 待派单 ``registered`` / 待审核
``replied`` / 待回访 ``callback`` for the operator, 待签收 ``dispatched`` / 办理中
``handling`` for the handlers —, 已超期 ``overdue=True``, 全部) and page (the first; the
20th, reached by walking the keyset; a deep one whose key is the median order id) the call
``queue(user, state=…, overdue=…, after=key, limit=50)`` is timed ``--repeat`` times. Each
call starts with the user's grants forgotten (``access.forget``), so it pays the grant query
a request pays.

Baseline in the same run, per combination: the same filter and page without access scoping,
as raw as possible — one SQL statement through the driver cursor
(``SELECT * FROM hotline_workorder WHERE state = %s [AND id < %s] ORDER BY id DESC LIMIT
50``; the overdue tab ``state IN (timed) AND sla_state = 'running' AND due_at < now``), rows fetched, no model
instances; the ORM form of it (``list(WorkOrder.objects.filter(state=…).order_by("-id")[:50])``,
which decrypts the callers) is reported beside it for the first page.

Also per user: the workbench queue page's tab counts as that page makes them (ten
``len(queue(user, **tab, limit=100))`` per page view: every state tab, 即将超期, 已超期, 全部).
Each timing also records this process's CPU time per call (the Python side; the machine is
shared and CPU time moves less with other processes' load than wall-clock time).

``--try-only`` measures everything again with the page's rows read ``.only(ROW_COLUMNS)``
(the columns the API's summary and the workbench row show) — the candidate selector change —
by patching ``orders.visible`` for the duration.

The slowest combinations are explained (``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL,
``EXPLAIN QUERY PLAN`` on SQLite). ``--try-index`` runs the whole measurement again after
executing the given statements (e.g. ``CREATE INDEX …``) in the throwaway database, and
reports both.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from harness import percentiles

BENCH_DIR = Path(__file__).resolve().parent
TARGET_P50_MS, TARGET_P95_MS = 15.0, 40.0
TIMED_STATES = ("dispatched", "handling", "extension")
# (label, queue keyword arguments) per user
TABS = {
    "operator": [
        ("registered", {"state": "registered"}),
        ("replied", {"state": "replied"}),
        ("callback", {"state": "callback"}),
        ("overdue", {"overdue": True}),
        ("all", {}),
    ],
    "handler": [
        ("dispatched", {"state": "dispatched"}),
        ("handling", {"state": "handling"}),
        ("overdue", {"overdue": True}),
        ("all", {}),
    ],
}


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="orders on PostgreSQL")
    parser.add_argument("--sqlite-n", type=int, default=1_000_000, help="orders on SQLite")
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
    parser.add_argument(
        "--try-only",
        action="store_true",
        help="measure again with the page's rows read .only(ROW_COLUMNS)",
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
    with harness.sigterm_as_interrupt():
        for vendor, env in harness.throwaway_databases(
            "hotline_list", pg_url=args.pg_url, include_pg=not args.no_pg
        ):
            if vendor == "sqlite" and args.no_sqlite:
                continue
            n = args.sqlite_n if vendor == "sqlite" else args.n
            log(f"{vendor}: migrating, generating {n:,} orders, measuring")
            command = [
                sys.executable, __file__, "--worker", vendor, "--n", str(n),
                "--repeat", str(args.repeat),
            ]  # fmt: skip
            for sql in args.try_index:
                command += ["--try-index", sql]
            if args.try_only:
                command.append("--try-only")
            results.append(harness.run_json_worker(command, env, timeout=4 * 3600))
    print(
        json.dumps(
            {
                "benchmark": "hotline order list",
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


def users(summary: dict) -> dict:
    """The benchmark's staff: operator (city), district, street and department handlers."""
    from django.db.models import Count

    from shuzheng.foundation import access
    from shuzheng.foundation.access import services as access_services
    from shuzheng.foundation.access.models import Role
    from shuzheng.foundation.identity import services as identity
    from shuzheng.foundation.identity.models import Organisation, OrgKind
    from shuzheng.governance.hotline.models import WorkOrder

    def staff(username, org, role, grant_on=None):
        profile = identity.create_staff(
            access.SYSTEM, organisation=org, username=username, display_name=username
        )
        access_services.grant_role(
            access.SYSTEM,
            user=profile.user,
            role=Role.objects.get(code=role),
            organisation=grant_on or org,
        )
        return profile.user

    def busiest(kinds, within=None):
        orgs = Organisation.objects.filter(kind__in=kinds)
        if within is not None:
            orgs = orgs.filter(path__startswith=within.path)
        counts = (
            WorkOrder.objects.filter(unit__in=orgs)
            .values("unit")
            .annotate(n=Count("pk"))
            .order_by("-n")
        )
        return Organisation.objects.get(pk=counts[0]["unit"])

    centre = Organisation.objects.get(pk=summary["centre"])
    root = Organisation.objects.get(pk=summary["root"])
    xiangzhou = Organisation.objects.get(pk=summary["xiangzhou"])
    street = busiest([OrgKind.STREET, OrgKind.TOWN], within=xiangzhou)
    dept = busiest([OrgKind.DEPARTMENT])
    return {
        "operator": (staff("bench_operator", centre, "hotline-operator", root), root),
        "district": (staff("bench_district", xiangzhou, "order-handler"), xiangzhou),
        "street": (staff("bench_street", street, "order-handler"), street),
        "dept": (staff("bench_dept", dept, "order-handler"), dept),
    }


def plan(sql: str, params=()) -> str:
    from django.db import connection

    explain = (
        "EXPLAIN (ANALYZE, BUFFERS) "
        if connection.vendor == "postgresql"
        else "EXPLAIN QUERY PLAN "
    )
    with connection.cursor() as cur:
        cur.execute(explain + sql, params)
        rows = cur.fetchall()
    return "\n".join(" ".join(str(c) for c in row) for row in rows)


def baseline_sql(kwargs: dict, after: int | None, now: dt.datetime) -> tuple[str, list]:
    """The tab's filter and page without access scoping: one statement, ``SELECT *``."""
    from django.db import connection

    from shuzheng.governance.hotline.models import WorkOrder

    table = WorkOrder._meta.db_table
    where, params = [], []
    if kwargs.get("state"):
        where.append("state = %s")
        params.append(kwargs["state"])
    if kwargs.get("overdue"):
        where.append(
            f"state IN ({', '.join(['%s'] * len(TIMED_STATES))}) AND sla_state = %s AND due_at < %s"
        )
        params += [*TIMED_STATES, "running", connection.ops.adapt_datetimefield_value(now)]
    if after is not None:
        where.append("id < %s")
        params.append(after)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return f"SELECT * FROM {table}{clause} ORDER BY id DESC LIMIT 50", params


def _timed(call, repeat: int, before=None) -> tuple[dict, object]:
    """Wall-clock percentiles of ``repeat`` calls (after 3 warm-up calls), and the median
    CPU time of this process per call (the Python side; the machine is shared, and CPU time
    moves less with other processes' load than wall-clock time)."""
    times, cpu = [], []
    result = None
    for i in range(repeat + 3):
        if before:
            before()
        cpu0 = time.process_time()
        started = time.perf_counter()
        result = call()
        elapsed = 1000 * (time.perf_counter() - started)
        if i >= 3:  # warm-up calls are not counted
            times.append(elapsed)
            cpu.append(1000 * (time.process_time() - cpu0))
    return {**percentiles(times), "cpu_p50": round(statistics.median(cpu), 3)}, result


# What a queue row shows (the API's OrderSummarySerializer, the workbench's queue.html): the
# candidate ``.only()`` of the page's rows measured with ``--try-only``.
ROW_COLUMNS = (
    "number", "state", "channel", "request_type", "urgency", "title", "callers_count",
    "created_at", "sign_due_at", "due_at", "urge_at", "sla_state", "urged", "supervised",
    "caller_name", "caller_phone", "anonymous", "reporter",
    "category", "unit", "district", "grid",
    "category__code", "category__name", "unit__name", "district__name", "grid__name",
)  # fmt: skip
# The workbench queue page (views/workbench.py) counts every tab: len(queue(…, limit=100)).
PAGE_TABS = [
    {"state": "registered"}, {"state": "dispatched"}, {"state": "handling"},
    {"state": "extension"}, {"state": "replied"}, {"state": "callback"},
    {"state": "returned"}, {"approaching": True}, {"overdue": True}, {},
]  # fmt: skip
COUNT_LIMIT = 100


@contextlib.contextmanager
def lean_rows():
    """``queue()`` with the page's rows read ``.only(ROW_COLUMNS)`` (the selector's scoped
    read, ``orders.visible``, patched for the duration)."""
    from shuzheng.governance.hotline.selectors import orders

    original = orders.visible
    orders.visible = lambda user: original(user).only(*ROW_COLUMNS)
    try:
        yield
    finally:
        orders.visible = original


def measure_tab_counts(staff: dict, repeat: int) -> dict:
    """The workbench page's tab counts as the page makes them: ten
    ``len(queue(user, **tab, limit=100))`` per page view, per user."""
    from shuzheng.foundation import access
    from shuzheng.governance.hotline.selectors import orders

    out = {}
    for who, (user, _org) in staff.items():

        def counts(u=user):
            return [len(orders.queue(u, limit=COUNT_LIMIT, **tab)) for tab in PAGE_TABS]

        stats, found = _timed(counts, max(3, repeat // 6), before=lambda u=user: access.forget(u))
        out[who] = {**stats, "rows_read": sum(found), "counts": found}
        log(f"{who:8} tab counts (10 × queue(limit=100)): p50 {stats['p50']:7.1f} ms")
    return out


def measure(staff: dict, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from shuzheng.foundation import access
    from shuzheng.governance.hotline.models import WorkOrder
    from shuzheng.governance.hotline.selectors import orders

    queue = orders.queue
    now = timezone.now()
    ids = list(WorkOrder.objects.order_by("pk").values_list("pk", flat=True)[::1000])
    median_id = ids[len(ids) // 2]

    def raw(sql, params):
        def call():
            with connection.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall()

        return call

    combos = []
    for who, (user, org) in staff.items():
        for tab, kwargs in TABS["operator" if who == "operator" else "handler"]:
            key = None  # the 20th page: walk the keyset like a user paging
            for _ in range(19):
                page = queue(user, after=key, limit=50, **kwargs)
                if len(page) < 50:
                    key = None
                    break
                key = page[-1].pk
            for depth, after in (("first", None), ("page20", key), ("deep", median_id)):
                if depth == "page20" and after is None:
                    continue  # fewer than 20 pages in this tab
                stats, page = _timed(
                    lambda u=user, a=after, k=kwargs: queue(u, after=a, limit=50, **k),
                    repeat,
                    before=lambda u=user: access.forget(u),
                )
                sql, params = baseline_sql(kwargs, after, now)
                base, base_rows = _timed(raw(sql, params), repeat)
                with CaptureQueriesContext(connection) as queries:
                    access.forget(user)
                    queue(user, after=after, limit=50, **kwargs)
                combo = {
                    "user": who,
                    "unit": org.name,
                    "tab": tab,
                    "page": depth,
                    "rows": len(page),
                    "baseline_rows": len(base_rows),
                    "queries": len(queries.captured_queries),
                    **stats,
                    "baseline_p50": base["p50"],
                    "baseline_cpu_p50": base["cpu_p50"],
                    "baseline_p95": base["p95"],
                    "ratio_p50": round(stats["p50"] / base["p50"], 2) if base["p50"] else None,
                    "met": stats["p50"] <= TARGET_P50_MS and stats["p95"] <= TARGET_P95_MS,
                    # the page's query (the one with the LIMIT), for EXPLAIN
                    "sql": next(
                        (q["sql"] for q in queries.captured_queries if "LIMIT" in q["sql"]),
                        queries.captured_queries[-1]["sql"] if queries.captured_queries else "",
                    ),
                    "baseline_sql": (sql, params),
                }
                if depth == "first":
                    orm, _ = _timed(
                        lambda k=kwargs: list(_orm_baseline(k, now)), max(5, repeat // 3)
                    )
                    combo["orm_baseline_p50"] = orm["p50"]
                combos.append(combo)
                log(
                    f"{who:8} {tab:10} {depth:6}: p50 {stats['p50']:7.2f} ms, "
                    f"p95 {stats['p95']:7.2f} ms, cpu {stats['cpu_p50']:6.2f} ms "
                    f"({len(page)} rows; unscoped p50 {base['p50']:.2f} ms)"
                )
    slowest = sorted(combos, key=lambda c: -c["p95"])[:3]
    for combo in slowest:
        if combo["sql"]:
            combo["plan"] = plan(combo["sql"])
        combo["baseline_plan"] = plan(*combo["baseline_sql"])
    for combo in combos:
        combo.pop("baseline_sql")
        if "plan" not in combo:
            combo.pop("sql")
    p50s = [c["p50"] for c in combos]
    met = [c for c in combos if c["met"]]
    return {
        "combinations": combos,
        "median_of_p50s_ms": round(statistics.median(p50s), 3),
        "median_of_baseline_p50s_ms": round(
            statistics.median(c["baseline_p50"] for c in combos), 3
        ),
        "median_of_cpu_p50s_ms": round(statistics.median(c["cpu_p50"] for c in combos), 3),
        "worst_p50_ms": max(p50s),
        "worst_p95_ms": max(c["p95"] for c in combos),
        "met": f"{len(met)}/{len(combos)}",
        "missed": [f"{c['user']}·{c['tab']}·{c['page']}" for c in combos if not c["met"]],
    }


def _orm_baseline(kwargs: dict, now: dt.datetime):
    from shuzheng.governance.hotline.models import WorkOrder

    rows = WorkOrder.objects.all()
    if kwargs.get("state"):
        rows = rows.filter(state=kwargs["state"])
    if kwargs.get("overdue"):
        rows = rows.filter(state__in=TIMED_STATES, sla_state="running", due_at__lt=now)
    return rows.order_by("-id")[:50]


def worker(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    sys.path.insert(0, str(BENCH_DIR))
    import hotline_data

    call_command("migrate", verbosity=0)
    summary = hotline_data.generate(args.n)
    staff = users(summary)
    import harness

    busy = harness.cpu_busy_percent(interval=2)
    harness.warn_if_busy(busy)
    result = {
        "vendor": connection.vendor,
        "database_version": _version(),
        "background_cpu_pct": busy,
        "load_average": os.getloadavg(),
        "data": summary,
        "repeat": args.repeat,
        "measured": measure(staff, args.repeat),
        "tab_counts": measure_tab_counts(staff, args.repeat),
    }
    if args.try_only:
        log("measuring again with the page's rows read .only(ROW_COLUMNS)")
        with lean_rows():
            result["with_only"] = {
                "columns": ROW_COLUMNS,
                "measured": measure(staff, args.repeat),
                "tab_counts": measure_tab_counts(staff, args.repeat),
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
            "measured": measure(staff, args.repeat),
            "tab_counts": measure_tab_counts(staff, args.repeat),
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
