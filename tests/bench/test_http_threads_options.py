"""The HTTP benchmarks' thread options: one default (the harness's, as ``make serve``), and 0
for granian's own default, which must leave ``--blocking-threads`` off the command line."""

import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))

import harness  # noqa: E402  (bench/ is not a package)
import http_baseline  # noqa: E402
import http_threads  # noqa: E402

ROOT = BENCH.parent


def _threads_flag(command: list[str]) -> str | None:
    flags = [command[i + 1] for i, a in enumerate(command) if a == "--blocking-threads"]
    assert len(flags) <= 1
    return flags[0] if flags else None


def test_the_harness_default_is_the_make_serve_default():
    makefile = (ROOT / "Makefile").read_text()
    threads = re.search(r"^THREADS \?= (\d+)$", makefile, re.MULTILINE)
    assert threads and int(threads.group(1)) == harness.DEFAULT_BLOCKING_THREADS
    assert http_baseline.parse_args([]).blocking_threads == harness.DEFAULT_BLOCKING_THREADS


def test_zero_threads_leaves_granian_its_own_default():
    assert _threads_flag(harness.granian_command(8000, 1, None)) is None
    assert _threads_flag(harness.granian_command(8000, 2, 3)) == "3"
    assert http_baseline.parse_args(["--blocking-threads", "0"]).blocking_threads == 0


def test_the_sweep_grid_and_the_token_header_reach_wrk(monkeypatch):
    monkeypatch.setattr(harness, "wrk_binary", lambda: "wrk")  # CI need not have wrk
    args = http_threads.parse_args([])
    assert args.blocking_threads == [1, 2, 4, 8, 0]
    assert args.workers == [1, 2] and args.connections == [8, 32]
    command = harness.wrk_command(
        f"http://{harness.HOST}:8000/api/v1/staff/",
        duration=1,
        connections=8,
        threads=2,
        headers={"Authorization": "Token abc"},
    )
    assert "--header=Authorization: Token abc" in command
    assert command[-1].endswith("/api/v1/staff/")
