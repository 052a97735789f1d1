"""HTTP baseline: the ceiling of the stack (granian WSGI + Django middleware) on this machine.

Builds a throwaway installation (temporary SHUZHENG_VAR_DIR, SQLite, DEBUG off), serves it
with granian on a free 127.0.0.1 port (``--blocking-threads`` per worker: the harness default,
1, as ``make serve``; 0 for granian's own) and drives ``--path`` (default the trivial
``/healthz``) with wrk: a warm-up, then ``--runs`` measured runs. With ``--compare-path``
a second path is measured against the same server, runs interleaved with the baseline, and
reported with its ratio to the baseline ("x % of the ceiling").

Prints one JSON object on stdout; progress goes to stderr. Needs ``wrk``
(``apt-get install wrk``). Results: docs/benchmarks.md.

    .venv/bin/python bench/http_baseline.py --workers 2
    .venv/bin/python bench/http_baseline.py --compare-path /api/v1/organisations/
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402  (the bench/ directory is not a package)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/healthz", help="baseline path (default /healthz)")
    parser.add_argument(
        "--compare-path",
        help="second path measured in the same run, reported as a ratio to --path",
    )
    parser.add_argument("--workers", type=int, default=1, help="granian worker processes")
    parser.add_argument(
        "--blocking-threads",
        type=int,
        default=harness.DEFAULT_BLOCKING_THREADS or 0,
        help="granian threads per worker (default %(default)s; 0: granian's own default)",
    )
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per path")
    parser.add_argument("--runs", type=int, default=3, help="measured runs per path")
    parser.add_argument(
        "--demo",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="load the demo data (`manage.py demo`); default: only with --compare-path",
    )
    args = parser.parse_args(argv)
    for name in ("workers", "connections", "threads", "duration", "runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.warmup < 0 or args.blocking_threads < 0:
        parser.error("--warmup and --blocking-threads must not be negative")
    for path in filter(None, (args.path, args.compare_path)):
        if not path.startswith("/"):
            parser.error(f"paths must start with '/': {path!r}")
    if args.demo is None:
        args.demo = bool(args.compare_path)
    return args


def run(args: argparse.Namespace) -> dict:
    """Set up, measure, tear down; return the report."""
    paths = [args.path] + ([args.compare_path] if args.compare_path else [])
    wrk = {"connections": args.connections, "threads": args.threads}
    machine = harness.machine()  # fails early with the install hint when wrk is missing
    runs: dict[str, list[dict]] = {path: [] for path in paths}
    body_bytes: dict[str, int] = {}

    with (
        harness.throwaway_installation(demo=args.demo) as inst,
        harness.running_server(
            inst, workers=args.workers, blocking_threads=args.blocking_threads or None
        ) as server,
    ):
        for path in paths:
            body_bytes[path] = harness.check_path(server, path)
            if args.warmup:
                harness.log(f"warm-up {path} ({args.warmup} s)")
                harness.run_wrk(server.url(path), duration=args.warmup, **wrk)
        for i in range(1, args.runs + 1):
            for path in paths:  # interleaved, so drift hits both paths alike
                background = harness.cpu_busy_percent()
                harness.warn_if_busy(background)
                result = harness.run_wrk(server.url(path), duration=args.duration, **wrk)
                result["background_cpu_pct"] = background
                harness.log(
                    f"run {i}/{args.runs} {path}: {result['rps']:.0f} req/s, "
                    f"p50 {result['latency_ms']['p50']:.2f} ms, "
                    f"p99 {result['latency_ms']['p99']:.2f} ms, errors {result['errors']['total']}"
                )
                runs[path].append(result)
        wrk_command = harness.wrk_command(server.url(args.path), duration=args.duration, **wrk)
        server_command = list(server.command)

    report: dict = {
        "benchmark": "http_baseline",
        "path": args.path,
        "workers": args.workers,
        "blocking_threads": args.blocking_threads or None,  # None: granian's default
        "connections": args.connections,
        "threads": args.threads,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "demo_data": args.demo,
        "response_bytes": body_bytes[args.path],
        "runs": runs[args.path],
        "median": harness.summarise(runs[args.path]),
    }
    if args.compare_path:
        median = harness.summarise(runs[args.compare_path])
        ratio = median["rps"] / report["median"]["rps"] if report["median"]["rps"] else 0.0
        report["compare"] = {
            "path": args.compare_path,
            "response_bytes": body_bytes[args.compare_path],
            "runs": runs[args.compare_path],
            "median": median,
            "ratio": round(ratio, 3),
            "percent_of_baseline": round(100 * ratio, 1),
        }
    report["machine"] = machine
    report["command"] = harness.command_line()
    report["server_command"] = server_command
    report["wrk_command"] = wrk_command
    return report


def main(argv: list[str] | None = None) -> int:
    return harness.run_main("http_baseline", parse_args, run, argv)


if __name__ == "__main__":
    sys.exit(main())
