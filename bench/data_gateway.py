"""Exchange gateway throughput and latency against a direct call to the same data, on SQLite
and on PostgreSQL (issue 7: ≥ 1,000 requests/s on 2 cores with grant check, masking, logging
and sealing on; p95 latency ≤ 1.5× a direct call measured in the same run).

Run: ``.venv/bin/python bench/data_gateway.py`` (prints one JSON object; progress on stderr;
about 6 minutes for both databases; ``--no-pg`` / ``--no-sqlite`` for one of them).

Data, per database (a throwaway one, ``bench/harness.py``): the Zhuhai demo organisations,
the catalogue's classification tree, three staff (公安局 and 卫健局 data administrators, the
data authority), the demo's 人口基础信息 entry (``entries.yaml``: 14 信息项, 重要数据) created,
graded, submitted and published through the catalogue's use cases, ``--rows`` (100,000)
synthetic people of ``shuzheng.data.synthetic.population`` loaded with ``store.put_records``
in batches (SM4-GCM at rest, blind index of the ID number), a store ``DataService``
(``register_service``), a ``ClientApp`` of 卫健局 with its secret (``create_client``) and an
active ``Grant`` of nine items (five of them masked by grade: ID number, name, birth date,
address, phone) with quotas of 10⁹ per minute and per day — checked on every call, never hit.

HTTP mode (default): two granian servers (WSGI, ``--workers`` 2, the same thread count),
started side by side and measured in interleaved runs:

* the gateway — ``shuzheng.config.wsgi:application``, which mounts the gateway's lean WSGI
  application at ``/gateway/v1/`` (the site with its embedded job scheduler behind it):
  ``GET /gateway/v1/services/population-basic/v1/records/<ID number>`` with ``Authorization``,
  ``X-Purpose``, ``X-End-User`` and a unique ``X-Message-Id`` per request;
* the direct baseline — ``bench/data_direct_app.py``: ``GET /records/<ID number>`` answered by
  ``store.lookup`` + the same nine fields unmasked + JSON, nothing else.

wrk (``bench/data_gateway.lua``: a random key of all stored ID numbers per request) with
2 threads: ``--warmup``, then per round (``--runs``) the gateway and the direct app at
``--connections`` (32: enough to keep both granian workers saturated — more only adds
queueing — and the count of the other HTTP benchmarks) for ``--duration`` seconds each, and
the same two at ``--light-connections`` (2) for ``--light-duration`` seconds: latency with
little queueing, since at saturation p50 ≈ connections ÷ throughput and the latency ratio
mostly repeats the throughput ratio. The target is judged on the 32-connection runs.

While the gateway is loaded a sealer thread in this process calls ``sealing.seal_all()``
every ``--seal-every`` seconds (paused during the direct runs, so sealing is charged to the
gateway; the servers' own periodic job runs too); afterwards the rest is sealed and
``sealing.verify()`` walks every seal. Reported: requests/s and p50 / p95 / p99 for both
sides, the gateway/direct ratios, whether the target is met, how busy the CPUs were before
each run, log rows written against the requests wrk counted (the difference is requests in
flight when wrk stopped), the quota counted against the log, seals made and verified.

Threads: ``--blocking-threads`` (default 2 per worker, both servers). granian's default
(up to 256 threads per worker) makes the gateway's writers queue on SQLite's write lock
behind each other and the GIL (p95 ≈ 0.4 s at 1,300 req/s in a sweep, against 40 ms at
1,800 req/s with 2 threads); ``docs/benchmarks.md`` has the sweep.

In-process mode (``--mode inprocess``, also part of ``--mode both``): the same calls through
``gateway.core.handle`` and the direct app's ``respond`` in one thread (µs per call, CPU per
call), then ``core.handle`` under cProfile: where the time of one call goes, by area
(database driver, SM3 / SM4 / HMAC, JSON, masking, Django, the gateway's own code) and by
function.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import platform
import pstats
import random
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO_ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO_ROOT / "src"))

import harness  # noqa: E402  (the bench/ directory is not a package)
from harness import log  # noqa: E402

TARGET_RPS = 1000
TARGET_P95_RATIO = 1.5
SEED = 20261201
SERVICE_CODE = "population-basic"
VERSION = "v1"
GATEWAY_PREFIX = f"/gateway/v1/services/{SERVICE_CODE}/{VERSION}/records/"
DIRECT_PREFIX = "/records/"
DIRECT_TARGET = "data_direct_app:application"
LUA_SCRIPT = BENCH / "data_gateway.lua"
PURPOSE = "出生医学证明签发时核验父母身份信息"
# what 卫健局 is granted of 人口基础信息: 4 items clear (一般 2 级), 5 masked by their level
FIELDS = [
    "id_number",  # 一般 4 级, sensitive: masked (前6后4)
    "name",  # 一般 3 级: masked (姓)
    "sex",
    "birth_date",  # 一般 3 级: masked (year)
    "ethnicity",
    "household_address",  # 一般 3 级: masked (to the street)
    "district",
    "street",
    "phone",  # 一般 3 级: masked (前3后4)
]
QUOTA = 1_000_000_000


# --------------------------------------------------------------------------- setup


def _staff(username: str, name: str, org, role_code: str, on):
    from shuzheng.foundation import access
    from shuzheng.foundation.access import services as access_services
    from shuzheng.foundation.access.models import Role
    from shuzheng.foundation.identity import services as identity

    profile = identity.create_staff(
        access.SYSTEM, organisation=org, username=username, display_name=name, position="科员"
    )
    role = Role.objects.get(code=role_code)
    access_services.grant_role(access.SYSTEM, user=profile.user, role=role, organisation=on)
    return profile.user


def setup(rows: int, *, seed: int = SEED, batch: int = 10_000, demo_orgs: bool = True) -> dict:
    """Build the gateway's world in the current database (see the module docstring) and
    return what the measurements need: the service's path prefix, the client's token, the
    granted fields, the entry id and every stored key."""
    import datetime as dt

    from django.db import connection
    from django.utils import timezone

    from shuzheng.data import synthetic
    from shuzheng.data.catalog import demo as catalog_demo
    from shuzheng.data.catalog import services as catalog
    from shuzheng.data.catalog import store
    from shuzheng.data.catalog.models import GRADE_RANK, Classification
    from shuzheng.data.exchange import services as exchange
    from shuzheng.data.exchange.models import ServiceKind
    from shuzheng.data.sharing.models import Grant
    from shuzheng.foundation.identity import demo as identity_demo
    from shuzheng.foundation.identity.models import Organisation

    started = time.perf_counter()
    if demo_orgs:
        identity_demo.load_organisations()
    root = Organisation.objects.get(parent__isnull=True, division_code="440400")
    gongan = Organisation.objects.get(name="珠海市公安局")
    weijian = Organisation.objects.get(name="珠海市卫生健康局")
    zwfw = Organisation.objects.get(name="珠海市政务服务数据管理局")
    catalog.load_classifications()
    ga = _staff("bench-gadata", "公安数据管理员", gongan, "data-admin", gongan)
    wj = _staff("bench-wjdata", "卫健数据管理员", weijian, "data-admin", weijian)
    authority = _staff("bench-sjju", "数据局审核员", zwfw, "data-authority", root)

    spec = catalog_demo.spec("population")
    entry = catalog.create_entry(
        ga,
        provider=gongan,
        classification=Classification.objects.get(code=spec["classification"]),
        name=spec["name"],
        summary=spec["summary"],
        kind=spec["kind"],
        resource_format=spec["resource_format"],
        update_cycle=spec["update_cycle"],
        share_type=spec["share_type"],
        share_method=spec["share_method"],
        open_type=spec["open_type"],
        items=[catalog_demo.item_payload(i) for i in spec["items"]],
        theme=spec.get("theme", ""),
        keywords=spec.get("keywords", ()),
        share_condition=spec.get("share_condition", ""),
        on_platform=spec.get("on_platform", True),
    )
    grade = spec.get("grade")
    if grade and GRADE_RANK[grade["level"]] > GRADE_RANK[entry.grade]:  # aggregation
        record = catalog.propose_grading(
            ga,
            entry,
            to_grade=grade["level"],
            impact_object=grade["impact_object"],
            impact_degree=grade["impact_degree"],
            basis=" ".join(grade["basis"].split()),
            factors=grade.get("factors", ()),
        )
        catalog.review_grading(authority, record, approve=True, opinion="同意。")
        entry.refresh_from_db()
    entry = catalog.submit(ga, entry, revision=entry.revision, note="首次编目。")
    entry = catalog.publish(authority, entry, revision=entry.revision, note="予以发布。")
    catalog_s = time.perf_counter() - started

    started = time.perf_counter()
    data = synthetic.population(rows, seed=seed, today=timezone.localdate())
    generate_s = time.perf_counter() - started
    started = time.perf_counter()
    loaded = 0
    for at in range(0, len(data.rows), batch):
        loaded += store.put_records(ga, entry, data.rows[at : at + batch])
        if rows >= 10 * batch and (at // batch) % 5 == 4:
            log(f"{connection.vendor}: {loaded} rows stored")
    load_s = time.perf_counter() - started

    service = exchange.register_service(
        ga,
        entry=entry,
        code=SERVICE_CODE,
        version=VERSION,
        name=spec["service"]["name"],
        kind=ServiceKind.STORE,
    )
    client, secret = exchange.create_client(
        wj, organisation=weijian, name="卫健综合业务系统", system_code="wj-zhyw"
    )
    now = timezone.now()
    grant = Grant.objects.create(
        number="SQ-BENCH-000001",
        entry=entry,
        consumer=weijian,
        provider=gongan,
        fields=list(FIELDS),
        clear_fields=[],
        purpose=PURPOSE,
        valid_from=now - dt.timedelta(days=1),
        valid_until=now + dt.timedelta(days=30),
        quota_per_minute=QUOTA,
        quota_per_day=QUOTA,
        granted_by=ga,
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "vendor": connection.vendor,
        "entry_id": entry.pk,
        "entry_grade": entry.grade,
        "service_id": service.pk,
        "grant_id": grant.pk,
        "token": f"{client.key_id}.{secret}",
        "fields": list(FIELDS),
        "keys": sorted({row["id_number"] for row in data.rows}),
        "rows_stored": loaded,
        "setup_s": {
            "catalogue": round(catalog_s, 1),
            "generate": round(generate_s, 1),
            "store": round(load_s, 1),
            "store_rows_per_s": round(loaded / load_s) if load_s else None,
        },
    }


# --------------------------------------------------------------------------- in-process


def _headers(ctx: dict, message_id: str, clerk: int) -> dict:
    return {
        "Authorization": f"Bearer {ctx['token']}",
        "X-Purpose": PURPOSE,
        "X-End-User": f"wj-clerk-{clerk:02d}",
        "X-Message-Id": message_id,
    }


def _stats(wall_ms: list[float], cpu_ms: list[float]) -> dict:
    p = harness.percentiles(wall_ms)
    mean = statistics.fmean(wall_ms)
    return {
        "calls": len(wall_ms),
        "p50_ms": p["p50"],
        "p95_ms": p["p95"],
        "p99_ms": p["p99"],
        "mean_ms": round(mean, 3),
        "cpu_mean_ms": round(statistics.fmean(cpu_ms), 3),
        "calls_per_s_one_thread": round(1000 / mean, 1) if mean else None,
    }


def measure_inprocess(ctx: dict, calls: int, *, seed: int = SEED) -> dict:
    """``core.handle`` and the direct app's ``respond`` in one thread, interleaved call by
    call, on the same random keys."""
    import data_direct_app

    from shuzheng.data.exchange.gateway import core

    rnd = random.Random(seed)
    run = f"inproc{int(time.time())}"
    keys, prefix, fields, entry_id = ctx["keys"], GATEWAY_PREFIX, ctx["fields"], ctx["entry_id"]
    sides = {"gateway": ([], []), "direct": ([], [])}
    for i in range(-min(200, calls), calls):  # negative i: warm-up
        key = rnd.choice(keys)
        headers = _headers(ctx, f"{run}-{i}", rnd.randint(1, 20))
        c0, t0 = time.thread_time(), time.perf_counter()
        status, _h, body = core.handle("GET", prefix + key, "", headers, "127.0.0.1")
        t1, c1 = time.perf_counter(), time.thread_time()
        if status != 200:
            raise harness.BenchError(f"gateway answered {status}: {body[:300]!r}")
        direct_status, _body = data_direct_app.respond(entry_id, fields, key)
        t2, c2 = time.perf_counter(), time.thread_time()
        if direct_status != 200:
            raise harness.BenchError(f"direct lookup of {key} answered {direct_status}")
        if i >= 0:
            sides["gateway"][0].append((t1 - t0) * 1000)
            sides["gateway"][1].append((c1 - c0) * 1000)
            sides["direct"][0].append((t2 - t1) * 1000)
            sides["direct"][1].append((c2 - c1) * 1000)
    result = {side: _stats(*values) for side, values in sides.items()}
    result["ratio_cpu"] = round(
        result["gateway"]["cpu_mean_ms"] / result["direct"]["cpu_mean_ms"], 2
    )
    result["ratio_p95"] = round(result["gateway"]["p95_ms"] / result["direct"]["p95_ms"], 2)
    return result


_AREAS = (
    # (area, substrings of "file:function" that put a profiled function in it), first wins
    ("database driver", ("psycopg", "sqlite3")),
    (
        "crypto (SM3 / SM4 / HMAC)",
        ("/trust/gm", "/trust/pii", "cryptography", "gmalglib", "hmac", "_hashlib", "openssl"),
    ),
    ("masking", ("/catalog/masking", "identity/validators")),
    ("json", ("/json/", "_json")),
    ("gateway code", ("/exchange/gateway/", "/exchange/canonical")),
    ("django", ("/django/",)),
)


def _area(filename: str, function: str) -> str:
    where = f"{filename}:{function}"
    for area, marks in _AREAS:
        if any(mark in where for mark in marks):
            return area
    return "python (stdlib, other)"


def profile_gateway(ctx: dict, calls: int, *, seed: int = SEED + 1, top: int = 25) -> dict:
    """cProfile over ``calls`` gateway calls: self time per call by area and by function."""
    from shuzheng.data.exchange.gateway import core

    rnd = random.Random(seed)
    run = f"prof{int(time.time())}"
    work = [
        (GATEWAY_PREFIX + rnd.choice(ctx["keys"]), _headers(ctx, f"{run}-{i}", rnd.randint(1, 20)))
        for i in range(calls)
    ]
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for path, headers in work:
        core.handle("GET", path, "", headers, "127.0.0.1")
    profiler.disable()
    wall = time.perf_counter() - started
    stats = pstats.Stats(profiler).stats  # (file, line, function) → (cc, nc, tt, ct, callers)
    areas: dict[str, float] = {}
    rows = []
    for (filename, line, function), (_cc, ncalls, tottime, cumtime, _callers) in stats.items():
        area = _area(filename, function)
        areas[area] = areas.get(area, 0.0) + tottime
        short = filename.split("/site-packages/")[-1].split("/src/")[-1]
        rows.append((tottime, cumtime, ncalls, f"{short}:{line}({function})", area))
    total = sum(areas.values()) or 1.0

    def us(seconds: float) -> float:
        return round(seconds / calls * 1e6, 1)

    rows.sort(reverse=True)
    by_cumulative = sorted(rows, key=lambda r: r[1], reverse=True)
    return {
        "calls": calls,
        "wall_us_per_call_profiled": us(wall),
        "self_us_per_call_by_area": {
            area: {"us": us(t), "share": round(t / total, 3)}
            for area, t in sorted(areas.items(), key=lambda kv: -kv[1])
        },
        "top_self": [
            {"function": name, "area": area, "per_call": round(n / calls, 2), "self_us": us(tt)}
            for tt, _ct, n, name, area in rows[:top]
        ],
        "top_cumulative": [
            {"function": name, "per_call": round(n / calls, 2), "cumulative_us": us(ct)}
            for _tt, ct, n, name, _area in by_cumulative[:top]
        ],
    }


# --------------------------------------------------------------------------- HTTP


@contextlib.contextmanager
def _harness_globals(**values):
    """Point the harness at another WSGI target or wrk script for the duration (its functions
    read these module globals when called)."""
    saved = {name: getattr(harness, name) for name in values}
    for name, value in values.items():
        setattr(harness, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(harness, name, value)


class Sealer(threading.Thread):
    """``sealing.seal_all()`` every ``every`` seconds while resumed (its own connection).
    Paused while the direct baseline is measured, so that sealing the gateway's rows is
    charged to the gateway's runs (the rows of a run's last seconds, younger than the seal
    lag, are sealed early in the next gateway run)."""

    def __init__(self, every: float):
        super().__init__(name="bench-sealer", daemon=True)
        self.every = every
        self.halt = threading.Event()
        self.enabled = threading.Event()
        self.lock = threading.Lock()
        self.seals = 0
        self.rows = 0
        self.busy_s = 0.0
        self.error: str | None = None

    def run(self) -> None:
        from django.db import connection

        from shuzheng.data.exchange import sealing

        try:
            while not self.halt.wait(self.every):
                with self.lock:
                    if not self.enabled.is_set():
                        continue
                    started = time.perf_counter()
                    made = sealing.seal_all()
                    self.busy_s += time.perf_counter() - started
                    self.seals += len(made)
                    self.rows += sum(s.row_count for s in made)
        except Exception as exc:  # reported, not raised: the measurement goes on
            self.error = repr(exc)
        finally:
            connection.close()

    def resume(self) -> None:
        self.enabled.set()

    def pause(self) -> None:
        """Stop sealing; returns once a seal in progress has finished."""
        self.enabled.clear()
        with self.lock:
            pass

    def stop(self) -> dict:
        self.pause()
        self.halt.set()
        self.join(timeout=120)
        return {
            "seals": self.seals,
            "rows": self.rows,
            "busy_s": round(self.busy_s, 2),
            "every_s": self.every,
            "error": self.error,
        }


def _get(url: str, headers: dict) -> tuple[int, bytes]:
    if urllib.parse.urlsplit(url).hostname != harness.HOST:
        raise harness.BenchError(f"refusing to target {url}")
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (loopback only)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _check_sides(ctx: dict, gateway, direct) -> dict:
    """One call on each side for the same key: both 200, the same record, the gateway's
    masked where the grant says so."""
    key = ctx["keys"][len(ctx["keys"]) // 2]
    headers = {
        "Authorization": f"Bearer {ctx['token']}",
        "X-Purpose": urllib.parse.quote(PURPOSE),
        "X-Message-Id": f"check-{int(time.time())}",
    }
    status, body = _get(gateway.url(GATEWAY_PREFIX + key), headers)
    if status != 200:
        server_log = gateway.log_path.read_text(errors="replace").strip().splitlines()[-40:]
        raise harness.BenchError(
            f"gateway check answered {status}: {body[:400]!r}\nserver log:\n"
            + "\n".join(server_log)
        )
    got = json.loads(body)
    status, direct_body = _get(direct.url(DIRECT_PREFIX + key), {})
    if status != 200:
        raise harness.BenchError(f"direct check answered {status}: {direct_body[:400]!r}")
    plain = json.loads(direct_body)["records"][0]
    record = got["records"][0]
    if plain["id_number"] != key or set(record) != set(plain):
        raise harness.BenchError("gateway and direct answers differ in record or fields")
    return {
        "gateway_bytes": len(body),
        "direct_bytes": len(direct_body),
        "masked": sorted(k for k, v in got["masking"].items() if v == "masked"),
        "example_gateway": record,
    }


def _log_counts(grant_id: int) -> dict:
    from django.db.models import Sum

    from shuzheng.data.exchange.models import ExchangeLog, ExchangeSeal, Outcome, QuotaCounter

    return {
        "logs": ExchangeLog.objects.count(),
        "logs_ok": ExchangeLog.objects.filter(grant_id=grant_id, outcome=Outcome.OK).count(),
        "seals": ExchangeSeal.objects.count(),
        "quota_day_used": QuotaCounter.objects.filter(grant_id=grant_id, window="day").aggregate(
            n=Sum("used")
        )["n"]
        or 0,
    }


def measure_http(ctx: dict, args) -> dict:
    """Both servers up side by side, wrk runs interleaved, the sealer running meanwhile."""
    from shuzheng.data.exchange import sealing

    var_dir = Path(os.environ["SHUZHENG_VAR_DIR"])
    keys_file = var_dir / "bench-keys.txt"
    keys_file.write_text("\n".join(ctx["keys"]) + "\n")
    inst = harness.Installation(var_dir=var_dir, env=dict(os.environ))
    direct_env = {
        **inst.env,
        "PYTHONPATH": os.pathsep.join(filter(None, (str(BENCH), inst.env.get("PYTHONPATH")))),
        "BENCH_DIRECT_ENTRY": str(ctx["entry_id"]),
        "BENCH_DIRECT_FIELDS": ",".join(ctx["fields"]),
    }
    direct_inst = harness.Installation(var_dir=var_dir, env=direct_env)
    server = {"workers": args.workers, "blocking_threads": args.blocking_threads or None}
    runs: dict[str, list[dict]] = {"gateway": [], "direct": []}
    light_runs: dict[str, list[dict]] = {"gateway": [], "direct": []}
    lua_env = {
        "BENCH_KEYS_FILE": str(keys_file),
        "BENCH_AUTH": ctx["token"],
        "BENCH_PURPOSE": urllib.parse.quote(PURPOSE),
    }
    stamp = int(time.time())
    with contextlib.ExitStack() as stack:
        gateway = stack.enter_context(harness.running_server(inst, **server))
        with _harness_globals(WSGI_TARGET=DIRECT_TARGET):
            direct = stack.enter_context(harness.running_server(direct_inst, **server))
        stack.enter_context(_harness_globals(WRK_SCRIPT=LUA_SCRIPT))
        sides = {"gateway": (gateway, GATEWAY_PREFIX), "direct": (direct, DIRECT_PREFIX)}
        check = _check_sides(ctx, gateway, direct)

        def load(side: str, duration: float, label: str, connections: int) -> dict:
            srv, prefix = sides[side]
            os.environ.update(lua_env, BENCH_PATH_PREFIX=prefix, BENCH_RUN=f"{label}{stamp}")
            return harness.run_wrk(
                srv.url(prefix), duration=duration, connections=connections, threads=args.threads
            )

        if args.warmup:
            for side in sides:
                log(f"{ctx['vendor']}: warm-up {side} ({args.warmup} s)")
                load(side, args.warmup, f"w{side[0]}", args.connections)
        sealer = Sealer(args.seal_every)
        sealer.start()
        before_all = _log_counts(ctx["grant_id"])
        plan = [("gateway", args.connections), ("direct", args.connections)]
        if args.light_connections:
            plan += [("gateway", args.light_connections), ("direct", args.light_connections)]
        try:
            for i in range(1, args.runs + 1):
                for side, connections in plan:  # interleaved: drift hits both sides alike
                    light = connections != args.connections
                    if side == "gateway":
                        sealer.resume()
                    else:
                        sealer.pause()
                    busy = harness.cpu_busy_percent()
                    harness.warn_if_busy(busy)
                    before = _log_counts(ctx["grant_id"])["logs"]
                    duration = args.light_duration if light else args.duration
                    tag = f"r{i}{side[0]}{'l' if light else ''}"
                    result = load(side, duration, tag, connections)
                    time.sleep(0.5)  # requests still in flight finish and log
                    result["logs_written"] = _log_counts(ctx["grant_id"])["logs"] - before
                    result["background_cpu_pct"] = busy
                    result["connections"] = connections
                    lat = result["latency_ms"]
                    log(
                        f"{ctx['vendor']}: run {i}/{args.runs} {side} x{connections}: "
                        f"{result['rps']:.0f} req/s, p50 {lat['p50']:.2f} ms, "
                        f"p95 {lat['p95']:.2f} ms, p99 {lat['p99']:.2f} ms, "
                        f"errors {result['errors']['total']}, log rows {result['logs_written']} "
                        f"(background CPU {busy} %)"
                    )
                    (light_runs if light else runs)[side].append(result)
        finally:
            sealed_during = sealer.stop()
        after_runs = _log_counts(ctx["grant_id"])
        wrk_command = harness.wrk_command(
            gateway.url(GATEWAY_PREFIX),
            duration=args.duration,
            connections=args.connections,
            threads=args.threads,
        )
        commands = {
            "gateway_server": list(gateway.command),
            "direct_server": list(direct.command),
            "wrk": wrk_command,
        }
    # every row sealed, then every seal verified
    time.sleep(sealing.lag_seconds() + 0.5)
    started = time.perf_counter()
    final = sealing.seal_all()
    final_s = time.perf_counter() - started
    report = sealing.verify()
    end = _log_counts(ctx["grant_id"])

    gw, dr = harness.summarise(runs["gateway"]), harness.summarise(runs["direct"])
    ratio_rps = round(gw["rps"] / dr["rps"], 3) if dr["rps"] else None
    ratio_p95 = round(gw["p95_ms"] / dr["p95_ms"], 2) if dr["p95_ms"] else None
    light = None
    if args.light_connections:
        lg, ld = harness.summarise(light_runs["gateway"]), harness.summarise(light_runs["direct"])
        light = {
            "connections": args.light_connections,
            "gateway": {**lg, "runs": light_runs["gateway"]},
            "direct": {**ld, "runs": light_runs["direct"]},
            "ratio_rps": round(lg["rps"] / ld["rps"], 3) if ld["rps"] else None,
            "ratio_p50": round(lg["p50_ms"] / ld["p50_ms"], 2) if ld["p50_ms"] else None,
            "ratio_p95": round(lg["p95_ms"] / ld["p95_ms"], 2) if ld["p95_ms"] else None,
        }
    gateway_runs = runs["gateway"] + light_runs["gateway"]
    requests = sum(r["requests"] for r in gateway_runs)
    written = sum(r["logs_written"] for r in gateway_runs)
    return {
        "check": check,
        "gateway": {**gw, "runs": runs["gateway"]},
        "direct": {**dr, "runs": runs["direct"]},
        "ratio_rps": ratio_rps,
        "ratio_p95": ratio_p95,
        "light": light,
        "target": {
            "rps": TARGET_RPS,
            "p95_ratio": TARGET_P95_RATIO,
            "rps_met": gw["rps"] >= TARGET_RPS,
            "p95_met": ratio_p95 is not None and ratio_p95 <= TARGET_P95_RATIO,
            "met": gw["rps"] >= TARGET_RPS
            and ratio_p95 is not None
            and ratio_p95 <= TARGET_P95_RATIO,
        },
        "log": {
            "wrk_requests_measured": requests,
            "log_rows_measured": written,
            "in_flight_difference": written - requests,
            "direct_log_rows": sum(
                r["logs_written"] for r in runs["direct"] + light_runs["direct"]
            ),
            "log_rows_total": end["logs"],
            "quota_day_used": after_runs["quota_day_used"],
            "ok_log_rows_of_grant": after_runs["logs_ok"],
            "quota_matches_ok_rows": after_runs["quota_day_used"] == after_runs["logs_ok"],
            "measured_runs_log_rows": after_runs["logs"] - before_all["logs"],
        },
        "sealing": {
            "during_load_by_sealer_thread": sealed_during,
            "seals_during_load_total": after_runs["seals"] - before_all["seals"],
            "after_load": {
                "seals": len(final),
                "rows": sum(s.row_count for s in final),
                "seconds": round(final_s, 2),
            },
            "seals_total": end["seals"],
            "verify": report.as_dict() | {"problem": str(report.problem or "")},
        },
        "commands": commands,
    }


# --------------------------------------------------------------------------- worker / parent


def worker(args) -> dict:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    started = time.perf_counter()
    ctx = setup(args.rows)
    log(
        f"{ctx['vendor']}: {ctx['rows_stored']} rows stored, service and grant ready in "
        f"{time.perf_counter() - started:.1f} s"
    )
    result = {
        "vendor": connection.vendor,
        "rows_stored": ctx["rows_stored"],
        "distinct_keys": len(ctx["keys"]),
        "entry_grade": ctx["entry_grade"],
        "granted_fields": ctx["fields"],
        "setup_s": ctx["setup_s"],
    }
    if args.mode in ("http", "both"):
        result["http"] = measure_http(ctx, args)
    if args.mode in ("inprocess", "both"):
        log(f"{ctx['vendor']}: in-process, {args.calls} calls per side")
        result["inprocess"] = measure_inprocess(ctx, args.calls)
        log(f"{ctx['vendor']}: cProfile over {args.profile_calls} gateway calls")
        result["profile"] = profile_gateway(ctx, args.profile_calls)
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="人口 rows in the store")
    parser.add_argument("--mode", choices=("http", "inprocess", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2, help="granian workers per server")
    parser.add_argument(
        "--blocking-threads",
        type=int,
        default=2,
        help="granian threads per worker, the same for both servers (0: granian's default)",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument(
        "--light-connections",
        type=int,
        default=2,
        help="wrk connections of the light-load runs (latency without queueing; 0: none)",
    )
    parser.add_argument("--light-duration", type=int, default=8, help="seconds per light run")
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per side")
    parser.add_argument("--runs", type=int, default=2, help="measured runs per side")
    parser.add_argument("--seal-every", type=float, default=5.0, help="sealer period, seconds")
    parser.add_argument("--calls", type=int, default=3000, help="in-process calls per side")
    parser.add_argument("--profile-calls", type=int, default=2000)
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    for name in ("rows", "workers", "connections", "threads", "duration", "runs", "calls"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if not 0 <= args.light_connections < args.connections:
        parser.error("--light-connections must be below --connections (0: no light runs)")
    if args.no_pg and args.no_sqlite:
        parser.error("--no-pg and --no-sqlite leave nothing to measure")
    return args


def _worker_argv(args) -> list[str]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker"]
    for name in ("rows", "mode", "workers", "connections", "threads", "duration", "warmup",
                 "runs", "seal_every", "calls", "profile_calls", "light_connections",
                 "light_duration"):  # fmt: skip
        argv += [f"--{name.replace('_', '-')}", str(getattr(args, name))]
    argv += ["--blocking-threads", str(args.blocking_threads)]
    return argv


def run(args) -> dict:
    machine = harness.machine() if args.mode != "inprocess" else None
    results = []
    started = time.monotonic()
    for vendor, env in harness.throwaway_databases(
        "data_gateway", pg_url=args.pg_url, include_pg=not args.no_pg
    ):
        if vendor == "sqlite" and args.no_sqlite:
            continue
        log(vendor)
        busy = harness.cpu_busy_percent()
        harness.warn_if_busy(busy)
        result = harness.run_json_worker(_worker_argv(args), env, timeout=3600)
        results.append({**result, "background_cpu_pct_at_start": busy})
    return {
        "benchmark": "data_gateway",
        "rows": args.rows,
        "mode": args.mode,
        "workers": args.workers,
        "blocking_threads": args.blocking_threads,
        "connections": args.connections,
        "threads": args.threads,
        "duration_s": args.duration,
        "runs": args.runs,
        "target": {"rps": TARGET_RPS, "p95_ratio": TARGET_P95_RATIO},
        "elapsed_s": round(time.monotonic() - started, 1),
        "machine": machine or {"cpus": os.cpu_count(), "python": platform.python_version()},
        "command": harness.command_line(),
        "results": results,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args), ensure_ascii=False))
        return 0
    try:
        with harness.sigterm_as_interrupt():
            report = run(args)
    except harness.BenchError as exc:
        print(f"data_gateway: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "data_gateway: interrupted (servers stopped, temporary data removed)", file=sys.stderr
        )
        return 130
    json.dump(report, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
