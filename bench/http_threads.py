"""Threads sweep: granian's blocking threads per worker × workers × wrk connections.

One throwaway installation with the demo data (SQLite, DEBUG off, as in
``bench/http_baseline.py``); for each worker count and each ``--blocking-threads`` value
(``0`` = granian's own default, no flag) a granian server is started and every path is
driven with wrk at every connection count: a warm-up, then ``--runs`` measured runs. The
default paths are the ceiling (``/healthz``), a public database read (the organisation
list) and an authenticated database read (the staff list as the demo account ``clerk``,
token authentication, scoped to 香洲区 by ``access.scope``).

Prints one JSON object on stdout (one cell per path × workers × threads × connections,
each with the runs and the per-metric medians: req/s, p50/p95/p99); progress goes to
stderr. Needs ``wrk``. Results and the decision they led to: docs/benchmarks.md
("HTTP baseline").

    .venv/bin/python bench/http_threads.py
    .venv/bin/python bench/http_threads.py --workers 1 --blocking-threads 0 2 --connections 32
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402  (the bench/ directory is not a package)

PUBLIC_PATHS = ["/healthz", "/api/v1/organisations/"]
AUTH_PATH = "/api/v1/staff/"
AUTH_USER = "clerk"  # a demo account (identity/demo.py): window clerk of 香洲区


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--paths", nargs="+", default=PUBLIC_PATHS, help="public paths (default: %(default)s)"
    )
    parser.add_argument(
        "--auth-path",
        default=AUTH_PATH,
        help=f"path read with {AUTH_USER}'s API token (default %(default)s; '' to skip)",
    )
    parser.add_argument(
        "--blocking-threads",
        nargs="+",
        type=int,
        default=[1, 2, 4, 8, 0],
        help="granian blocking threads per worker; 0: granian's default (default: %(default)s)",
    )
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2], help="granian workers")
    parser.add_argument("--connections", nargs="+", type=int, default=[8, 32], help="wrk -c")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=5, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per cell")
    parser.add_argument("--runs", type=int, default=2, help="measured runs per cell")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.workers + args.connections):
        parser.error("--workers and --connections must be at least 1")
    if any(n < 0 for n in args.blocking_threads):
        parser.error("--blocking-threads must not be negative")
    for name in ("threads", "duration", "runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0:
        parser.error("--warmup must not be negative")
    for path in [*args.paths, *([args.auth_path] if args.auth_path else [])]:
        if not path.startswith("/"):
            parser.error(f"paths must start with '/': {path!r}")
    return args


def api_token(inst: harness.Installation, username: str) -> str:
    """A DRF token for a demo account (``manage.py drf_create_token``)."""
    out = inst.manage("drf_create_token", username)
    return out.split("Generated token ", 1)[1].split()[0]


def run(args: argparse.Namespace) -> dict:
    machine = harness.machine()
    cells: list[dict] = []
    started = time.monotonic()
    with harness.throwaway_installation(demo=True) as inst:
        targets: list[tuple[str, dict[str, str] | None]] = [(p, None) for p in args.paths]
        if args.auth_path:
            token = api_token(inst, AUTH_USER)
            targets.append((args.auth_path, {"Authorization": f"Token {token}"}))
        for workers, threads in itertools.product(args.workers, args.blocking_threads):
            label = threads or "granian default"
            with harness.running_server(
                inst, workers=workers, blocking_threads=threads or None
            ) as server:
                for (path, headers), connections in itertools.product(targets, args.connections):
                    cells.append(
                        measure(args, server, path, headers, workers, threads, connections)
                    )
                    median = cells[-1]["median"]
                    harness.log(
                        f"{path} w={workers} t={label} c={connections}: "
                        f"{median['rps']:.0f} req/s, p50 {median['p50_ms']:.1f} ms, "
                        f"p95 {median['p95_ms']:.1f} ms, p99 {median['p99_ms']:.1f} ms, "
                        f"errors {median['errors']}"
                    )
    return {
        "benchmark": "http_threads",
        "demo_data": True,
        "wrk_threads": args.threads,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "runs_per_cell": args.runs,
        "auth": {"path": args.auth_path, "user": AUTH_USER} if args.auth_path else None,
        "cells": cells,
        "elapsed_s": round(time.monotonic() - started, 1),
        "machine": machine,
        "command": harness.command_line(),
    }


def measure(
    args: argparse.Namespace,
    server: harness.Server,
    path: str,
    headers: dict[str, str] | None,
    workers: int,
    threads: int,
    connections: int,
) -> dict:
    url = server.url(path)
    wrk = {"connections": connections, "threads": args.threads, "headers": headers}
    body_bytes = harness.check_path(server, path, headers=headers)
    if args.warmup:
        harness.run_wrk(url, duration=args.warmup, **wrk)
    runs = []
    for _ in range(args.runs):
        background = harness.cpu_busy_percent()
        harness.warn_if_busy(background)
        result = harness.run_wrk(url, duration=args.duration, **wrk)
        result["background_cpu_pct"] = background
        runs.append(result)
    return {
        "path": path,
        "authenticated": headers is not None,
        "workers": workers,
        "blocking_threads": threads or None,  # None: granian's default
        "connections": connections,
        "response_bytes": body_bytes,
        "median": harness.summarise(runs),
        "runs": runs,
        "server_command": list(server.command),
    }


def main(argv: list[str] | None = None) -> int:
    return harness.run_main("http_threads", parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
