"""Shared pieces of the benchmarks: a throwaway installation, a granian server, wrk.

Everything here targets the loopback interface only (``HOST``). The installation lives in
a temporary directory (``SHUZHENG_VAR_DIR``) that is removed afterwards, and the server
runs in its own process group, which is always terminated — also on errors, Ctrl-C and
SIGTERM.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
WRK_SCRIPT = BENCH_DIR / "wrk_report.lua"
BIN_DIR = Path(sys.executable).parent  # the venv's bin/ (not resolved: keep the venv)
SETTINGS_MODULE = "shuzheng.config.settings"
WSGI_TARGET = "shuzheng.config.wsgi:application"
WRK_MARKER = "WRK_JSON "

KEYS_MODULE = "shuzheng.foundation.trust.keys"

# granian's blocking threads per worker when a benchmark does not say (``make serve``'s
# ``THREADS`` default too); None would leave granian's own default (hundreds of threads,
# which contend for the GIL). The sweep behind the value: docs/benchmarks.md, "HTTP baseline".
DEFAULT_BLOCKING_THREADS: int | None = 1

# Variables that must not leak from the caller's shell into the throwaway installation:
# a DATABASE_URL would point the benchmark at a real database, real key material must not
# be used (or needed) for throwaway data, DEBUG would change the behaviour being measured.
_SCRUBBED_ENV = (
    "DEBUG",
    "DATABASE_URL",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "SHUZHENG_KEYS_DIR",
    "PII_KEYS",
    "BLIND_INDEX_KEY",
    "AUDIT_SIGNING_KEY_FILE",
)
# Whole families of settings a benchmark must not inherit (a shell set up for distributed
# mode would otherwise turn an embedded measurement into a NATS / Redis one).
_SCRUBBED_PREFIXES = ("EVENTS_", "JOBS_")


class BenchError(RuntimeError):
    """A benchmark cannot run; the message says why and what to do."""


def log(message: str) -> None:
    """Progress goes to stderr so stdout stays one JSON document."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- the throwaway installation ------------------------------------------------------------


@dataclass(frozen=True)
class Installation:
    var_dir: Path
    env: dict[str, str]

    def manage(self, *args: str, timeout: float = 300) -> str:
        """Run ``manage.py`` with this installation's environment; raise on failure."""
        return self.python(str(REPO_ROOT / "manage.py"), *args, timeout=timeout)

    def python(self, *args: str, timeout: float = 300) -> str:
        """Run the venv's Python with this installation's environment; raise on failure."""
        command = [sys.executable, *args]
        try:
            done = subprocess.run(
                command,
                cwd=REPO_ROOT,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise BenchError(f"`{shlex.join(command)}` did not finish in {timeout:.0f} s") from exc
        if done.returncode != 0:
            shown = shlex.join(a.removeprefix(f"{REPO_ROOT}/") for a in args)
            raise BenchError(
                f"`python {shown}` failed (exit {done.returncode}):\n"
                f"{_tail(done.stdout)}\n{_tail(done.stderr)}"
            )
        return done.stdout

    @property
    def keys_dir(self) -> Path:
        return self.var_dir / "keys"


def installation_env(var_dir: Path) -> dict[str, str]:
    """The environment of a production-like (DEBUG off) installation in ``var_dir``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _SCRUBBED_ENV and not k.startswith(_SCRUBBED_PREFIXES)
    }
    src = str(REPO_ROOT / "src")
    env.update(
        SHUZHENG_VAR_DIR=str(var_dir),
        SHUZHENG_KEYS_DIR=str(var_dir / "keys"),
        SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
        LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(p for p in (src, env.get("PYTHONPATH", "")) if p),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


@contextlib.contextmanager
def throwaway_installation(*, demo: bool = False) -> Iterator[Installation]:
    """Keys, migrations and static files in a temporary ``SHUZHENG_VAR_DIR``.

    Mirrors ``make demo`` (minus the server): demo keys generated into ``<var>/keys`` when
    the tree has the key module, ``migrate``, ``collectstatic``; with ``demo`` also the
    Zhuhai demo data (~80 organisations, demo accounts). The directory is removed on exit.
    """
    with tempfile.TemporaryDirectory(prefix="shuzheng-bench-") as tmp:
        var_dir = Path(tmp)
        inst = Installation(var_dir=var_dir, env=installation_env(var_dir))
        started = time.monotonic()
        if (REPO_ROOT / "src" / Path(*KEYS_MODULE.split("."))).with_suffix(".py").exists():
            inst.python("-m", KEYS_MODULE, "init", str(inst.keys_dir))
        inst.manage("migrate", "--no-input")
        inst.manage("collectstatic", "--no-input", "-v0")
        if demo:
            inst.manage("demo")
        log(f"installation ready in {time.monotonic() - started:.1f} s ({var_dir})")
        yield inst


def throwaway_databases(
    name: str, *, pg_url: str, include_pg: bool = True
) -> Iterator[tuple[str, dict[str, str]]]:
    """``(vendor, env)`` for a throwaway SQLite installation, then (unless ``include_pg`` is
    false) for a database created on the PostgreSQL server at ``pg_url``; demo keys are
    generated, and the directory and the database are removed afterwards. Each benchmark runs
    its measurements in a worker process per database, because settings are read once."""
    with tempfile.TemporaryDirectory(prefix=f"shuzheng-bench-{name}-") as tmp:
        env = installation_env(Path(tmp))
        subprocess.run(
            [sys.executable, "-m", KEYS_MODULE, "init", env["SHUZHENG_KEYS_DIR"]],
            env=env,
            cwd=REPO_ROOT,
            check=True,
            capture_output=True,
        )
        yield "sqlite", env
        if not include_pg:
            return
        database = f"shuzheng_bench_{name}_{secrets.token_hex(4)}"
        psql(pg_url, f'CREATE DATABASE "{database}"')
        try:
            url = urlunsplit(urlsplit(pg_url)._replace(path=f"/{database}"))
            yield "postgresql", {**env, "DATABASE_URL": url}
        finally:
            psql(pg_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def psql(url: str, sql: str) -> None:
    """Run one statement as the server's administrator (database ``postgres``)."""
    parts = urlsplit(url)
    subprocess.run(
        ["psql", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432),
         "-U", parts.username or "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1",
         "-q", "-c", sql],
        check=True, capture_output=True,
    )  # fmt: skip


def run_json_worker(command: list[str], env: dict[str, str], *, timeout: float = 600) -> dict:
    """Run a benchmark's worker process; its last line of standard output is its JSON result
    (its standard error, the progress, passes through)."""
    done = subprocess.run(
        command,
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(f"worker {command[1:3]} failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    """A currently unused TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    port: int
    workers: int
    command: tuple[str, ...]
    process: subprocess.Popen[bytes]
    log_path: Path

    def url(self, path: str) -> str:
        if not path.startswith("/"):
            raise BenchError(f"path must start with '/': {path!r}")
        return f"http://{HOST}:{self.port}{path}"


def granian_command(port: int, workers: int, blocking_threads: int | None = None) -> list[str]:
    """granian's command line; ``blocking_threads`` caps the threads (and so the database
    connections) per worker, granian's default when None."""
    granian = BIN_DIR / "granian"
    if not granian.exists():
        raise BenchError(f"granian not found at {granian}; run `make install`")
    threads = ["--blocking-threads", str(blocking_threads)] if blocking_threads else []
    return [
        str(granian),
        "--interface", "wsgi",
        "--host", HOST,
        "--port", str(port),
        "--workers", str(workers),
        *threads,
        "--log-level", "warning",
        WSGI_TARGET,
    ]  # fmt: skip


@contextlib.contextmanager
def running_server(
    inst: Installation,
    *,
    workers: int,
    ready_path: str = "/healthz",
    timeout: float = 60,
    blocking_threads: int | None = DEFAULT_BLOCKING_THREADS,
) -> Iterator[Server]:
    """Start granian (WSGI) on a free loopback port; stop its whole process group on exit.

    ``blocking_threads`` None is granian's own default (no ``--blocking-threads`` flag)."""
    port = free_port()
    command = granian_command(port, workers, blocking_threads)
    log_path = inst.var_dir / f"granian-{port}.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=inst.env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # own process group: the workers die with it
        )
    server = Server(port, workers, tuple(command), process, log_path)
    try:
        _wait_ready(server, ready_path, timeout)
        log(f"granian up on {HOST}:{port} with {workers} worker(s)")
        yield server
    finally:
        _stop(process)


def _wait_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchError(
                f"granian exited with {server.process.returncode} before answering:\n"
                f"{_tail(server.log_path.read_text(errors='replace'))}"
            )
        try:
            status, _ = http_get(server.url(path), timeout=2)
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise BenchError(
        f"GET {path} did not answer 200 within {timeout:.0f} s (last: {last}):\n"
        f"{_tail(server.log_path.read_text(errors='replace'))}"
    )


def _stop(process: subprocess.Popen[bytes], grace: float = 10) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace)
    # Workers may outlive the master for a moment; make sure none are left behind.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def http_get(
    url: str, timeout: float = 5, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """GET a loopback URL; return (status, body) — also for 4xx/5xx answers."""
    _check_loopback(url)
    try:
        request = urllib.request.Request(url, headers=headers or {})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def check_path(server: Server, path: str, headers: dict[str, str] | None = None) -> int:
    """Fail early (with the answer) unless ``path`` answers 2xx; return the body size."""
    status, body = http_get(server.url(path), headers=headers)
    if not 200 <= status < 300:
        excerpt = body[:500].decode(errors="replace")
        raise BenchError(f"GET {path} answered HTTP {status}, not 2xx; body starts:\n{excerpt}")
    return len(body)


def _check_loopback(url: str) -> None:
    if urlsplit(url).hostname != HOST:
        raise BenchError(f"refusing to target {url}: only {HOST} is allowed")


# --- wrk -------------------------------------------------------------------------------------


def wrk_binary() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchError(
            "wrk is not installed. Install it with `apt-get install wrk` "
            "(Debian/Ubuntu; `sudo apt-get update && sudo apt-get install -y wrk`)."
        )
    return path


def wrk_command(
    url: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    headers: dict[str, str] | None = None,
) -> list[str]:
    _check_loopback(url)
    return [
        wrk_binary(),
        f"--threads={threads}",
        f"--connections={max(connections, threads)}",
        f"--duration={max(1, round(duration))}s",
        "--timeout=5s",
        "--latency",
        f"--script={WRK_SCRIPT}",
        *(f"--header={name}: {value}" for name, value in (headers or {}).items()),
        url,
    ]


def run_wrk(
    url: str,
    *,
    duration: float,
    connections: int,
    threads: int,
    headers: dict[str, str] | None = None,
) -> dict:
    """One wrk run; the ``done()`` hook's JSON plus requests per second."""
    command = wrk_command(
        url, duration=duration, connections=connections, threads=threads, headers=headers
    )
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish within {duration + 30:.0f} s") from exc
    for line in done.stdout.splitlines():
        if line.startswith(WRK_MARKER):
            result = json.loads(line[len(WRK_MARKER) :])
            break
    else:
        raise BenchError(
            f"wrk (exit {done.returncode}) printed no report:\n{_tail(done.stdout)}\n{_tail(done.stderr)}"
        )
    result["rps"] = (
        round(result["requests"] / result["duration_s"], 1) if result["duration_s"] else 0.0
    )
    result["errors"]["total"] = sum(result["errors"].values())
    return result


def summarise(runs: Sequence[dict]) -> dict:
    """Per-metric median over runs (each metric independently)."""
    return {
        "rps": round(statistics.median(r["rps"] for r in runs), 1),
        "p50_ms": round(statistics.median(r["latency_ms"]["p50"] for r in runs), 3),
        "p95_ms": round(statistics.median(r["latency_ms"]["p95"] for r in runs), 3),
        "p99_ms": round(statistics.median(r["latency_ms"]["p99"] for r in runs), 3),
        "errors": sum(r["errors"]["total"] for r in runs),
    }


# --- context -------------------------------------------------------------------------------


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "wrk": _version([wrk_binary(), "--version"]),
        "granian": _version([str(BIN_DIR / "granian"), "--version"]),
    }


def cpu_busy_percent(interval: float = 0.5, settle: float = 0.5) -> float | None:
    """Share of all CPUs busy over ``interval`` seconds (Linux /proc/stat; else None).

    Sampled while the server idles between runs (after ``settle`` seconds, so requests
    still in flight from the previous run have drained), it measures the background:
    other processes that will compete with the benchmark for the same cores.
    """
    time.sleep(settle)

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    try:
        total0, idle0 = sample()
        time.sleep(interval)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return None
    total = total1 - total0
    return round(100 * (1 - (idle1 - idle0) / total), 1) if total > 0 else None


def warn_if_busy(busy: float | None, threshold: float = 20) -> None:
    """Say so on stderr when other processes already keep the CPUs busy."""
    if busy is not None and busy > threshold:
        log(f"warning: CPUs {busy:.0f} % busy before the run; other processes compete with it")


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def _version(command: list[str]) -> str:
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
        lines = (done.stdout or done.stderr).strip().splitlines()
        return lines[0] if lines else ""
    return ""


def command_line() -> str:
    """The command that started this process, shell-quoted."""
    return shlex.join([sys.executable, *sys.argv])


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so ``finally`` blocks (server stop) still run."""

    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def percentiles(samples: list[float]) -> dict:
    """p50 / p95 / p99 / max of latency samples (ms), rounded to µs."""
    ordered = sorted(samples)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    return {
        "p50": round(statistics.median(ordered), 3),
        "p95": at(0.95),
        "p99": at(0.99),
        "max": round(ordered[-1], 3),
    }


def run_main(name: str, parse_args, run, argv: list[str] | None = None) -> int:
    """The ``main()`` of a benchmark that starts servers: run it with SIGTERM as an interrupt,
    print its JSON report, and exit 1 on a ``BenchError`` and 130 when interrupted (the
    servers are stopped and the temporary folders removed either way)."""
    args = parse_args(argv)
    try:
        with sigterm_as_interrupt():
            report = run(args)
    except BenchError as exc:
        print(f"{name}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{name}: interrupted (server stopped, temp dir removed)", file=sys.stderr)
        return 130
    json.dump(report, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
