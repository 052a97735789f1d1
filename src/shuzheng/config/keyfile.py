"""The demo's secret key: generated once into ``var/secret_key``, read on every start.

Run as ``python -m shuzheng.config.keyfile`` (``make demo`` does) before Django starts, so
that a demo installation keeps its sessions across restarts without DEBUG.
"""

import os
import secrets
import sys
from pathlib import Path


def read_secret_key(var_dir: Path, *, create: bool) -> str:
    """Return the key stored under ``var_dir``; create it first only when asked."""
    path = Path(var_dir) / "secret_key"
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    if not create:
        return ""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key + "\n", encoding="ascii")
    path.chmod(0o600)
    return key


if __name__ == "__main__":
    # The same folder the settings read: SHUZHENG_VAR_DIR, else var/ in the repository.
    default = os.environ.get("SHUZHENG_VAR_DIR") or Path(__file__).resolve().parents[3] / "var"
    read_secret_key(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(default), create=True)
