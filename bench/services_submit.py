"""网上申报 throughput: complete applications per second (draft → two PDF materials → submit)
on 2 cores, on SQLite and PostgreSQL, against the HTTP ceiling measured in the same run.

Run: ``.venv/bin/python bench/services_submit.py [--mode inprocess|http|both]
[--applications 400] [--processes 2] [--no-pg]`` (one JSON object on stdout, progress on
stderr; needs ``wrk`` for the ceiling).

One application is what a citizen does: ``apply.create_draft`` (published version pinned,
form prefilled, workflow started, audit), ``apply.attach_material`` twice (a small PDF each:
type sniffing, SM3 digest, the file written to the installation's storage, audit),
``apply.submit`` (JSON-Schema validation of the form, material check, 办件编号, workflow
transition with history, audit, the ``services.case.submitted`` event through the outbox
and its in-process handlers). Each step is its own transaction, as four requests would be.

Modes:

- ``inprocess``: ``--processes`` worker processes (default 2, one per core), each with its
  own citizen, call the service functions in a loop — the cost of the use case without
  HTTP. Rate = all applications / wall time from a common start.
- ``http``: granian (WSGI, ``--workers`` 2, ``--blocking-threads`` 4) serves a throwaway installation; a Python
  asyncio client (``--connections`` keep-alive connections, one citizen and API token
  each, in its own process) makes the same four requests per application through the
  applicant API (``POST applications/`` and ``…/submit/`` with Idempotency-Key,
  ``POST …/materials/`` multipart). Needs the applicant API; skipped with a note if absent.

Baseline in the same run (both modes): wrk on ``GET /healthz`` against the same granian
server (2 workers) — the trivial-endpoint ceiling of docs/benchmarks.md. An application is
four requests, so "requests/s equivalent" = 4 × applications/s is reported beside the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REQUESTS_PER_APPLICATION = 4
TARGET = 300.0
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FORM_SCHEMA = {
    "type": "object",
    "required": ["business_name", "address", "employees"],
    "additionalProperties": False,
    "properties": {
        "business_name": {"type": "string", "title": "经营者名称", "minLength": 2, "maxLength": 60},
        "address": {"type": "string", "title": "经营场所", "minLength": 4, "maxLength": 120},
        "employees": {"type": "integer", "title": "从业人数", "minimum": 1, "maximum": 500},
        "note": {"type": "string", "title": "备注", "maxLength": 200},
    },
}
FORM_UI = {
    "order": ["business_name", "address", "employees", "note"],
    "widgets": {"note": "textarea"},
    "prefill": {"business_name": "applicant.name"},
}
FORM = {"business_name": "张三便利店", "address": "珠海市香洲区拱北街道夏湾路1号", "employees": 3}
MATERIALS = ("id_proof", "premises")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mode", choices=["inprocess", "http", "both"], default="both")
    parser.add_argument(
        "--applications", type=int, default=400, help="applications per process / connection"
    )
    parser.add_argument("--processes", type=int, default=2, help="in-process workers")
    parser.add_argument("--workers", type=int, default=2, help="granian workers")
    parser.add_argument("--connections", type=int, default=8, help="HTTP client connections")
    parser.add_argument(
        "--blocking-threads",
        type=int,
        default=4,
        help="granian threads per worker (each holds a database connection; 0 = granian's "
        "default, which can exhaust PostgreSQL's max_connections)",
    )
    parser.add_argument("--http-seconds", type=float, default=30, help="HTTP load duration")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--worker", choices=["setup", "run"], help=argparse.SUPPRESS)
    parser.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    parser.add_argument("--accounts", type=int, default=2, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


# --------------------------------------------------------------------------- CPU accounting
# The machine is shared (the load generator, PostgreSQL, other work): besides wall-clock
# rates, each mode reports the CPU seconds that the server side (Django processes and their
# PostgreSQL backends) spent per application, and "capacity" = cores / that — what 2 cores
# given only to this work would sustain. It does not move with background load.


def _ticks() -> float:
    return float(os.sysconf("SC_CLK_TCK"))


def cpu_of(pids) -> float:
    """User + system CPU seconds of live processes ``pids`` (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _ticks()


def group_pids(pgid: int) -> list[int]:
    """Processes of process group ``pgid`` (the granian master and its workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid:
                pids.append(int(entry.name))
    return pids


def backend_pids(database_url: str | None) -> list[int]:
    """PostgreSQL backends connected to the benchmark's database (none for SQLite)."""
    if not database_url:
        return []
    import subprocess
    from urllib.parse import urlsplit

    parts = urlsplit(database_url)
    done = subprocess.run(
        ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
         "-U", parts.username or "postgres", "-d", "postgres", "-Atc",
         f"SELECT pid FROM pg_stat_activity WHERE datname = '{parts.path.lstrip('/')}'"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return [int(x) for x in done.stdout.split()]


class ServerCpu:
    """CPU seconds of the server's processes and its database backends between two reads."""

    def __init__(self, pgid: int, database_url: str | None):
        self.pgid, self.url = pgid, database_url

    def read(self) -> dict[int, float]:
        pids = group_pids(self.pgid) + backend_pids(self.url)
        return {pid: cpu_of([pid]) for pid in pids}

    @staticmethod
    def spent(before: dict, after: dict) -> float:
        return sum(v - before.get(pid, 0.0) for pid, v in after.items())


# --------------------------------------------------------------------------- set-up (worker)


def setup(accounts: int) -> dict:
    """Migrate; the demo tree, one published item with two required PDF materials and a
    form; ``accounts`` citizens (person record + login + API token)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("seedcalendar", "--years", "2026", "2027", verbosity=0)
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from shuzheng.foundation import access
    from shuzheng.foundation.identity import demo, synthetic
    from shuzheng.foundation.identity import services as identity
    from shuzheng.foundation.identity.models import Organisation
    from shuzheng.foundation.identity.validators import IdType
    from shuzheng.services.catalogue.models import BasicItem, ItemVersion, Material, ServiceItem

    demo.load_organisations()
    org = Organisation.objects.get(name="珠海市市场监督管理局")
    basic = BasicItem.objects.create(
        basic_code="000201001000", name="个体工商户设立登记", item_type="licensing"
    )
    item = ServiceItem.objects.create(
        implementation_code="11440400MB2C" + "0" * 23 + "1", basic=basic, organisation=org
    )
    version = ItemVersion.objects.create(
        item=item, version=1, status="published", name="个体工商户设立登记",
        item_type="licensing", legal_limit=15, promised_limit=1, case_kind="promised",
        audience="both", online_depth=4, review_steps=["审查", "审批"],
        form_schema=FORM_SCHEMA, form_ui=FORM_UI, published_at=timezone.now(),
    )  # fmt: skip
    for i, (code, name) in enumerate(
        zip(MATERIALS, ("经营者身份证明", "经营场所使用证明"), strict=True)
    ):
        Material.objects.create(
            version=version, code=code, name=name, kind="electronic", necessity="required",
            sort_order=i,
        )  # fmt: skip
    Material.objects.create(
        version=version, code="health", name="健康证明", kind="electronic",
        necessity="deferrable", sort_order=9,
    )  # fmt: skip
    item.current = version
    item.save(update_fields=["current"])
    rng = random.Random(2026)
    users = []
    for i in range(accounts):
        user = identity.register_account(
            access.SYSTEM, username=f"applicant{i}", display_name=f"申请人{i}",
            password="Zhuhai@2026x",
        )  # fmt: skip
        identity.register_person(
            access.SYSTEM, name=synthetic.person_name(rng), id_type=IdType.RESIDENT_ID,
            id_number=synthetic.resident_id(rng), mobile=synthetic.mobile(rng), user=user,
        )  # fmt: skip
        users.append({"username": user.username, "token": Token.objects.create(user=user).key})
    return {"item": item.implementation_code, "users": users}


def run_inprocess(index: int, applications: int, start_at: float) -> dict:
    """One worker process: ``applications`` complete applications as citizen ``index``."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection

    from shuzheng.foundation.identity.models import User
    from shuzheng.services.cases.services import apply
    from shuzheng.services.catalogue.models import ServiceItem

    item = ServiceItem.objects.select_related("current", "organisation").get()
    user_id = User.objects.get(username=f"applicant{index}").pk

    def fresh_user():  # a request loads the user (and its grants) afresh
        return User.objects.get(pk=user_id)

    connection.ensure_connection()
    backend = [connection.connection.info.backend_pid] if connection.vendor == "postgresql" else []
    while time.time() < start_at:
        time.sleep(0.001)
    cpu_started, db_started = time.process_time(), cpu_of(backend)
    started = time.perf_counter()
    latencies = []
    for _ in range(applications):
        t0 = time.perf_counter()
        case = apply.create_draft(fresh_user(), item)
        for code in MATERIALS:
            upload = SimpleUploadedFile(f"{code}.pdf", PDF, "application/pdf")
            apply.attach_material(fresh_user(), case, material_code=code, upload=upload)
        case = apply.submit(fresh_user(), case, form=FORM)
        assert case.state == "submitted" and case.number
        latencies.append(1000 * (time.perf_counter() - t0))
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    db_cpu = cpu_of(backend) - db_started
    queries = _queries_per_step(fresh_user, item) if index == 0 else None
    return {
        "queries_per_step": queries,
        "index": index,
        "applications": applications,
        "wall_start": start_at,
        "seconds": elapsed,
        "cpu_seconds_python": round(cpu, 3),
        "cpu_seconds_database": round(db_cpu, 3),
        "latency_ms_p50": round(statistics.median(latencies), 2),
        "latency_ms_p95": round(sorted(latencies)[int(0.95 * len(latencies))], 2),
    }


def _queries_per_step(fresh_user, item) -> dict:
    """SQL statements per step of one more application (where the time goes)."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from shuzheng.services.cases.services import apply

    counts = {}
    with CaptureQueriesContext(connection) as q:
        case = apply.create_draft(fresh_user(), item)
    counts["create_draft"] = len(q.captured_queries)
    for code in MATERIALS:
        upload = SimpleUploadedFile(f"{code}.pdf", PDF, "application/pdf")
        with CaptureQueriesContext(connection) as q:
            apply.attach_material(fresh_user(), case, material_code=code, upload=upload)
        counts[f"attach_material[{code}]"] = len(q.captured_queries)
    with CaptureQueriesContext(connection) as q:
        apply.submit(fresh_user(), case, form=FORM)
    counts["submit (with after-commit event delivery)"] = len(q.captured_queries)
    return counts


# --------------------------------------------------------------------------- HTTP client


class Connection:
    """A minimal HTTP/1.1 keep-alive client over asyncio streams (loopback only)."""

    def __init__(self, host: str, port: int, token: str):
        self.host, self.port, self.token = host, port, token
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes = b"", headers=None):
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Authorization: Token {self.token}",
            "Accept: application/json",
            f"Content-Length: {len(body)}",
        ]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        payload = await self.reader.readexactly(length) if length else b""
        return status, payload


def _multipart(code: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="material"\r\n\r\n{code}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{code}.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


async def _client(port: int, user: dict, item: str, until: float, results: list, errors: list):
    conn = Connection("127.0.0.1", port, user["token"])
    await conn.open()
    json_headers = {"Content-Type": "application/json"}
    while time.monotonic() < until:
        t0 = time.perf_counter()
        status, body = await conn.request(
            "POST", "/api/v1/applications/", json.dumps({"item": item}).encode(),
            {**json_headers, "Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        if status != 201:
            errors.append(("create", status, body[:300].decode(errors="replace")))
            continue
        case_id = json.loads(body)["id"]
        ok = True
        for code in MATERIALS:
            payload, content_type = _multipart(code)
            status, body = await conn.request(
                "POST", f"/api/v1/applications/{case_id}/materials/", payload,
                {"Content-Type": content_type, "Idempotency-Key": uuid.uuid4().hex},
            )  # fmt: skip
            if status not in (200, 201):
                errors.append(("material", status, body[:300].decode(errors="replace")))
                ok = False
                break
        if not ok:
            continue
        status, body = await conn.request(
            "POST", f"/api/v1/applications/{case_id}/submit/", json.dumps({"form": FORM}).encode(),
            {**json_headers, "Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        if status != 200:
            errors.append(("submit", status, body[:300].decode(errors="replace")))
            continue
        results.append(1000 * (time.perf_counter() - t0))


async def _load(port: int, users: list, item: str, seconds: float) -> dict:
    results: list = []
    errors: list = []
    until = time.monotonic() + seconds
    started = time.perf_counter()
    await asyncio.gather(*(_client(port, u, item, until, results, errors) for u in users))
    elapsed = time.perf_counter() - started
    ordered = sorted(results) or [0.0]
    return {
        "applications": len(results),
        "seconds": round(elapsed, 2),
        "applications_per_s": round(len(results) / elapsed, 1),
        "latency_ms_p50": round(statistics.median(ordered), 1),
        "latency_ms_p95": round(ordered[int(0.95 * (len(ordered) - 1))], 1),
        "errors": len(errors),
        "first_errors": errors[:3],
    }


# --------------------------------------------------------------------------- orchestration


def _applicant_api_present() -> bool:
    api = (BENCH_DIR.parent / "src/shuzheng/services/cases/api/applicant.py").read_text()
    return "applications/" in api and "submit" in api


def _measure_vendor(args, harness, vendor: str, env: dict) -> dict:
    import subprocess

    accounts = max(args.processes, args.connections)
    base = [sys.executable, __file__]
    info = harness.run_json_worker(
        [*base, "--worker", "setup", "--accounts", str(accounts)], env, timeout=900
    )
    result: dict = {"vendor": vendor}
    inst = harness.Installation(var_dir=Path(env["SHUZHENG_VAR_DIR"]), env=env)
    inst.manage("collectstatic", "--no-input", "-v0")
    cores = os.cpu_count() or 1
    with harness.running_server(
        inst, workers=args.workers, blocking_threads=args.blocking_threads
    ) as server:
        cpu = ServerCpu(server.process.pid, env.get("DATABASE_URL"))
        harness.run_wrk(server.url("/healthz"), duration=2, connections=32, threads=2)
        result["background_cpu_pct"] = harness.cpu_busy_percent()
        harness.warn_if_busy(result["background_cpu_pct"])
        before = cpu.read()
        runs = [
            harness.run_wrk(server.url("/healthz"), duration=10, connections=32, threads=2)
            for _ in range(2)
        ]
        spent = ServerCpu.spent(before, cpu.read())
        ceiling = harness.summarise(runs)
        requests = sum(r["requests"] for r in runs)
        ceiling["server_cpu_ms_per_request"] = round(1000 * spent / requests, 3)
        ceiling["capacity_rps"] = round(cores * requests / spent, 1)
        result["ceiling_healthz"] = ceiling
        log(
            f"{vendor}: ceiling /healthz {ceiling['rps']:.0f} req/s ({args.workers} workers), "
            f"capacity {ceiling['capacity_rps']:.0f} req/s"
        )
        if args.mode in ("http", "both"):
            if not _applicant_api_present():
                result["http"] = {"skipped": "the applicant API (applications/) is not there yet"}
            else:
                users = info["users"][: args.connections]
                asyncio.run(_load(server.port, users, info["item"], 3))  # warm-up
                before = cpu.read()
                http = asyncio.run(_load(server.port, users, info["item"], args.http_seconds))
                spent = ServerCpu.spent(before, cpu.read())
                if http["applications"]:
                    per_app = spent / http["applications"]
                    http["server_cpu_ms_per_application"] = round(1000 * per_app, 2)
                    http["capacity_applications_per_s"] = round(cores / per_app, 1)
                    http["capacity_ratio_to_ceiling_requests"] = round(
                        REQUESTS_PER_APPLICATION * cores / per_app / ceiling["capacity_rps"], 3
                    )
                http["requests_per_s_equivalent"] = round(
                    REQUESTS_PER_APPLICATION * http["applications_per_s"], 1
                )
                http["ratio_to_ceiling_requests"] = round(
                    http["requests_per_s_equivalent"] / ceiling["rps"], 3
                )
                if http["errors"]:  # what the server said about its 500s
                    log_text = server.log_path.read_text(errors="replace").splitlines()
                    http["server_log_tail"] = log_text[-40:]
                result["http"] = http
                log(f"{vendor}: HTTP {http['applications_per_s']} applications/s")
    if args.mode in ("inprocess", "both"):
        start_at = time.time() + 3
        procs = [
            subprocess.Popen(
                [
                    *base,
                    "--worker",
                    "run",
                    "--index",
                    str(i),
                    "--applications",
                    str(args.applications),
                    "--start-at",
                    str(start_at),
                ],
                env=env,
                cwd=harness.REPO_ROOT,
                stdout=subprocess.PIPE,
                text=True,
            )  # fmt: skip
            for i in range(args.processes)
        ]
        outputs = []
        for proc in procs:
            out, _ = proc.communicate(timeout=3600)
            if proc.returncode != 0:
                raise harness.BenchError(f"in-process worker failed (exit {proc.returncode})")
            outputs.append(json.loads(out.strip().splitlines()[-1]))
        wall = max(o["seconds"] for o in outputs)
        total = sum(o["applications"] for o in outputs)
        rate = total / wall
        cpu_total = sum(o["cpu_seconds_python"] + o["cpu_seconds_database"] for o in outputs)
        per_app = cpu_total / total
        result["inprocess"] = {
            "cpu_ms_per_application": round(1000 * per_app, 2),
            "capacity_applications_per_s": round(cores / per_app, 1),
            "capacity_ratio_to_ceiling_requests": round(
                REQUESTS_PER_APPLICATION
                * cores
                / per_app
                / result["ceiling_healthz"]["capacity_rps"],
                3,
            ),
            "processes": args.processes,
            "applications": total,
            "seconds": round(wall, 2),
            "applications_per_s": round(rate, 1),
            "requests_per_s_equivalent": round(REQUESTS_PER_APPLICATION * rate, 1),
            "ratio_to_ceiling_requests": round(
                REQUESTS_PER_APPLICATION * rate / result["ceiling_healthz"]["rps"], 3
            ),
            "per_process": outputs,
        }
        log(f"{vendor}: in-process {rate:.1f} applications/s ({args.processes} processes)")
    return result


def main() -> None:
    args = parse_args()
    if args.worker == "setup":
        print(json.dumps(setup(args.accounts)))
        return
    if args.worker == "run":
        print(json.dumps(run_inprocess(args.index, args.applications, args.start_at)))
        return
    sys.path.insert(0, str(BENCH_DIR))
    import harness

    results = []
    with harness.sigterm_as_interrupt():
        for vendor, env in harness.throwaway_databases(
            "submit", pg_url=args.pg_url, include_pg=not args.no_pg
        ):
            if vendor == "sqlite" and args.no_sqlite:
                continue
            results.append(_measure_vendor(args, harness, vendor, env))
    print(
        json.dumps(
            {
                "benchmark": "services submit",
                "machine": f"{os.cpu_count()} CPU, {platform.platform()}",
                "python": platform.python_version(),
                "command": " ".join([Path(sys.executable).name, *sys.argv]),
                "target_applications_per_s": TARGET,
                "results": results,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
