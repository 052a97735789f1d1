"""12345 intake throughput over HTTP: work orders registered per second through
``POST /api/v1/hotline/orders/`` on 2 cores, on SQLite and PostgreSQL, against a trivial
authenticated GET of the same server measured in the same run.

Run: ``.venv/bin/python bench/hotline_intake.py [--seconds 30] [--connections 8]
[--workers 2] [--blocking-threads 4] [--no-model] [--inprocess 200] [--no-pg]
[--no-sqlite]`` (one JSON object on stdout, progress on stderr).

Set-up (a worker process per throwaway database): migrate, the work calendar, the Zhuhai
demo tree, the category tree (helper B's ``load_categories``), the demo grid when the grid
app has a loader, and — unless ``--no-model`` — the classifier trained on the synthetic
labelled set (``synthetic.orders()`` as confirmed history → ``routing.train``), so intake
pays for a real suggestion as in production; ``--connections`` 12345 operators (热线话务员
of the centre granted on 珠海市), each with an API token.

HTTP: granian (WSGI, ``--workers``, ``--blocking-threads``) serves the installation; an
asyncio client (bench/services_submit.py's keep-alive connection, in this process) keeps
``--connections`` connections busy, one operator each. Each request registers one order
from the synthetic set — title, content, 诉求类型, urgency, category code, address and
coordinates, a caller's name and mobile, channel 电话 — with a fresh Idempotency-Key, and
must answer 201. Latency is per request; orders/s over the wall time.

Baselines in the same run, same client, same connections and tokens: ``GET /api/v1/me/``
(the cheapest authenticated API: token, DRF, one small serialiser — the framework's cost) and
``GET /api/v1/hotline/categories/`` (the app's own read-only tree), measured before and
after the intake load. Server CPU seconds (granian processes + their PostgreSQL backends) per
request give "capacity" = cores ÷ CPU per request, which does not move with the load
generator sharing the cores.

``--inprocess N`` also times N calls of ``intake.register`` in one process (no HTTP): the
use case's own cost.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ORDERS_PATH = "/api/v1/hotline/orders/"
BASELINES = ("/api/v1/me/", "/api/v1/hotline/categories/")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30, help="intake load duration")
    parser.add_argument("--baseline-seconds", type=float, default=10, help="per baseline run")
    parser.add_argument("--connections", type=int, default=8, help="HTTP client connections")
    parser.add_argument("--workers", type=int, default=2, help="granian workers")
    parser.add_argument(
        "--blocking-threads",
        type=int,
        default=4,
        help="granian threads per worker (each holds a database connection)",
    )
    parser.add_argument("--no-model", action="store_true", help="no trained classifier")
    parser.add_argument(
        "--inprocess", type=int, default=200, help="intake.register calls without HTTP (0: none)"
    )
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--worker", choices=["setup", "inprocess", "count"], help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=int, default=8, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- set-up (worker)


def setup(accounts: int, *, model: bool) -> dict:
    """Migrate and load what intake needs; returns the operators' tokens and the payloads."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    year = timezone.now().year
    call_command("seedcalendar", "--years", str(year), str(year + 1), verbosity=0)
    from rest_framework.authtoken.models import Token

    from shuzheng.foundation import access
    from shuzheng.foundation.access import services as access_services
    from shuzheng.foundation.access.models import Role
    from shuzheng.foundation.identity import services as identity

    sys.path.insert(0, str(BENCH_DIR))
    import hotline_data

    orgs = hotline_data.organisations()
    hotline_data.categories(orgs)
    cells = hotline_data.grid_cells()
    samples = synthetic_orders()
    trained = None
    if model:
        trained = train_model(samples)
    users = []
    for i in range(accounts):
        profile = identity.create_staff(
            access.SYSTEM,
            organisation=orgs["centre"],
            username=f"bench_operator{i}",
            display_name=f"话务员{i}",
        )
        access_services.grant_role(
            access.SYSTEM,
            user=profile.user,
            role=Role.objects.get(code="hotline-operator"),
            organisation=orgs["root"],
        )
        users.append(
            {
                "username": profile.user.username,
                "token": Token.objects.create(user=profile.user).key,
            }
        )
    return {
        "users": users,
        "payloads": payloads(samples),
        "grid_cells": sum(len(v) for v in cells.values()),
        "model": trained,
    }


def synthetic_orders() -> list[dict]:
    from shuzheng.governance.hotline import synthetic

    return synthetic.orders()


def train_model(samples: list[dict]) -> dict:
    """The classifier trained on the synthetic set as confirmed history (then the history is
    removed again, so the measured table starts empty): its version and metrics."""
    import hotline_data

    from shuzheng.foundation import access
    from shuzheng.governance.hotline.models import WorkOrder
    from shuzheng.governance.hotline.services import routing

    started = time.perf_counter()
    hotline_data.labelled_history(samples)
    model = routing.train(access.SYSTEM)
    WorkOrder.objects.all().delete()
    log(f"classifier v{model.version} trained in {time.perf_counter() - started:.1f} s")
    return {"version": model.version, "metrics": model.metrics}


def payloads(samples: list[dict]) -> list[dict]:
    """What an operator submits for each synthetic order (the API's register fields)."""
    import random

    from shuzheng.foundation.identity import synthetic as people

    rng = random.Random(12345)
    out = []
    for s in samples:
        body = {
            "channel": "phone",
            "request_type": s.get("request_type") or "complaint",
            "urgency": s.get("urgency") or "normal",
            "title": s.get("title", ""),
            "content": s["content"],
            "category": s.get("category"),
            "address": s.get("address", ""),
            "caller_name": people.person_name(rng),
            "caller_phone": people.mobile(rng),
        }
        if s.get("latitude") is not None:
            body["latitude"] = s["latitude"]
            body["longitude"] = s["longitude"]
        out.append(body)
    return out


def run_inprocess(n: int) -> dict:
    """``n`` × intake.register in this process, as operator 0: the use case without HTTP."""
    import django

    django.setup()
    from django.db import connection

    from shuzheng.foundation.identity.models import User
    from shuzheng.governance.hotline.services import intake

    sys.path.insert(0, str(BENCH_DIR))
    from services_submit import cpu_of

    bodies = payloads(synthetic_orders())
    user_id = User.objects.get(username="bench_operator0").pk
    connection.ensure_connection()
    backend = [connection.connection.info.backend_pid] if connection.vendor == "postgresql" else []
    cpu0, db0 = time.process_time(), cpu_of(backend)
    started = time.perf_counter()
    latencies = []
    for i in range(n):
        body = dict(bodies[i % len(bodies)])
        t0 = time.perf_counter()
        user = User.objects.get(pk=user_id)  # a request loads its user afresh
        intake.register(user, **body)
        latencies.append(1000 * (time.perf_counter() - t0))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu0 + cpu_of(backend) - db0
    ordered = sorted(latencies)
    return {
        "orders": n,
        "seconds": round(wall, 2),
        "orders_per_s": round(n / wall, 1),
        "latency_ms_p50": round(statistics.median(ordered), 2),
        "latency_ms_p95": round(ordered[int(0.95 * (n - 1))], 2),
        "cpu_ms_per_order": round(1000 * cpu / n, 2),
        "capacity_orders_per_s_2_processes": round(2 * n / cpu, 1),
    }


def count_orders() -> dict:
    import django

    django.setup()
    from shuzheng.governance.hotline.models import WorkOrder

    orders = WorkOrder.objects.all()
    suggested = orders.exclude(suggestion={}).filter(suggestion__has_key="category")
    return {
        "orders": orders.count(),
        "with_suggestion": suggested.exclude(suggestion__category=None).count(),
        "with_grid": orders.filter(grid__isnull=False).count(),
        "registered": orders.filter(state="registered").count(),
    }


# --------------------------------------------------------------------------- HTTP load


async def _client(conn, method, path, bodies, offset, until, results, errors):
    i = offset
    while time.monotonic() < until:
        if method == "POST":
            body = json.dumps(bodies[i % len(bodies)], ensure_ascii=False).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
            expected = (201,)
        else:
            body, headers, expected = b"", None, (200,)
        i += 7
        t0 = time.perf_counter()
        status, payload = await conn.request(method, path, body, headers)
        elapsed = 1000 * (time.perf_counter() - t0)
        if status in expected:
            results.append(elapsed)
        else:
            errors.append((status, payload[:300].decode(errors="replace")))


async def _load(port, users, method, path, seconds, bodies=None) -> dict:
    from services_submit import Connection

    conns = [Connection("127.0.0.1", port, u["token"]) for u in users]
    for conn in conns:
        await conn.open()
    results: list = []
    errors: list = []
    until = time.monotonic() + seconds
    started = time.perf_counter()
    await asyncio.gather(
        *(
            _client(c, method, path, bodies, n * 311, until, results, errors)
            for n, c in enumerate(conns)
        )
    )
    elapsed = time.perf_counter() - started
    for conn in conns:
        conn.writer.close()
    ordered = sorted(results) or [0.0]
    return {
        "requests": len(results),
        "seconds": round(elapsed, 2),
        "rps": round(len(results) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def _measure(args, harness, vendor: str, env: dict) -> dict:
    from services_submit import ServerCpu

    base = [sys.executable, __file__]
    setup_cmd = [*base, "--worker", "setup", "--accounts", str(args.connections)]
    if args.no_model:
        setup_cmd.append("--no-model")
    info = harness.run_json_worker(setup_cmd, env, timeout=1800)
    result: dict = {
        "vendor": vendor,
        "grid_cells": info["grid_cells"],
        "model": info["model"]
        and {
            "version": info["model"]["version"],
            "category_top1": (info["model"]["metrics"] or {}).get("category", {}).get("top1"),
        },
    }
    inst = harness.Installation(var_dir=Path(env["SHUZHENG_VAR_DIR"]), env=env)
    inst.manage("collectstatic", "--no-input", "-v0")
    cores = os.cpu_count() or 1
    users, bodies = info["users"], info["payloads"]
    with harness.running_server(
        inst, workers=args.workers, blocking_threads=args.blocking_threads or None
    ) as server:
        cpu = ServerCpu(server.process.pid, env.get("DATABASE_URL"))
        result["background_cpu_pct"] = harness.cpu_busy_percent()
        harness.warn_if_busy(result["background_cpu_pct"])

        def run(method, path, seconds, label):
            asyncio.run(_load(server.port, users, method, path, 2, bodies))  # warm-up
            before = cpu.read()
            out = asyncio.run(_load(server.port, users, method, path, seconds, bodies))
            spent = ServerCpu.spent(before, cpu.read())
            if out["requests"]:
                out["server_cpu_ms_per_request"] = round(1000 * spent / out["requests"], 2)
                out["capacity_rps"] = round(cores * out["requests"] / spent, 1)
            log(
                f"{vendor}: {label:28} {out['rps']:8.1f} req/s, p50 {out['p50_ms']:.1f} ms, "
                f"p95 {out['p95_ms']:.1f} ms, errors {out['errors']}"
            )
            return out

        before = {p: run("GET", p, args.baseline_seconds, f"GET {p}") for p in BASELINES}
        intake = run("POST", ORDERS_PATH, args.seconds, f"POST {ORDERS_PATH}")
        after = {p: run("GET", p, args.baseline_seconds, f"GET {p} (after)") for p in BASELINES}
        if intake["errors"]:
            intake["server_log_tail"] = server.log_path.read_text(errors="replace").splitlines()[
                -40:
            ]
    baselines = {
        p: {
            "rps": round(statistics.mean([before[p]["rps"], after[p]["rps"]]), 1),
            "p50_ms": round(statistics.mean([before[p]["p50_ms"], after[p]["p50_ms"]]), 2),
            "p95_ms": round(statistics.mean([before[p]["p95_ms"], after[p]["p95_ms"]]), 2),
            "capacity_rps": before[p].get("capacity_rps"),
            "runs": [before[p], after[p]],
        }
        for p in BASELINES
    }
    me = baselines[BASELINES[0]]
    intake["ratio_to_me_rps"] = round(intake["rps"] / me["rps"], 3) if me["rps"] else None
    if intake.get("capacity_rps") and me.get("capacity_rps"):
        intake["capacity_ratio_to_me"] = round(intake["capacity_rps"] / me["capacity_rps"], 3)
    result["intake"] = intake
    result["baselines"] = baselines
    result["stored"] = harness.run_json_worker([*base, "--worker", "count"], env)
    if args.inprocess:
        result["inprocess"] = harness.run_json_worker(
            [*base, "--worker", "inprocess", "--inprocess", str(args.inprocess)], env, timeout=1800
        )
        log(f"{vendor}: in-process {result['inprocess']['orders_per_s']} orders/s")
    return result


def _api_present() -> bool:
    api = BENCH_DIR.parent / "src/shuzheng/governance/hotline/api/orders.py"
    return "urlpatterns: list = []" not in api.read_text()


def main() -> None:
    args = parse_args()
    sys.path.insert(0, str(BENCH_DIR))
    if args.worker == "setup":
        print(json.dumps(setup(args.accounts, model=not args.no_model), ensure_ascii=False))
        return
    if args.worker == "inprocess":
        print(json.dumps(run_inprocess(args.inprocess)))
        return
    if args.worker == "count":
        print(json.dumps(count_orders()))
        return
    import harness

    if not _api_present():
        raise harness.BenchError("the orders API (hotline/api/orders.py) is not there yet")
    results = []
    with harness.sigterm_as_interrupt():
        for vendor, env in harness.throwaway_databases(
            "hotline_intake", pg_url=args.pg_url, include_pg=not args.no_pg
        ):
            if vendor == "sqlite" and args.no_sqlite:
                continue
            results.append(_measure(args, harness, vendor, env))
    print(
        json.dumps(
            {
                "benchmark": "hotline intake over HTTP",
                "machine": f"{os.cpu_count()} CPU, {platform.platform()}",
                "python": platform.python_version(),
                "command": " ".join([Path(sys.executable).name, *sys.argv]),
                "settings": {
                    "workers": args.workers,
                    "blocking_threads": args.blocking_threads,
                    "connections": args.connections,
                    "seconds": args.seconds,
                    "model": not args.no_model,
                },
                "results": results,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
