"""Run a snippet in a fresh interpreter whose Django settings are read from a given environment.

Settings are read once per process, so what a variable does at start-up (SECRET_KEY, DEBUG,
DATABASE_URL, SECURE_COOKIES, SQLITE_CACHE_MB, …) is tested in a child process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_python(
    script: str, env: dict, *, drop: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    """``python -c script`` in the repository root with this process's environment minus
    ``drop``, plus ``DJANGO_SETTINGS_MODULE`` and ``env``; the result is not checked."""
    base = {k: v for k, v in os.environ.items() if k not in drop}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "shuzheng.config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
