"""`python -m shuzheng.foundation.trust.keys init` (what `make demo` runs) writes the demo keys
where the settings read them: ``SHUZHENG_KEYS_DIR``, else ``<SHUZHENG_VAR_DIR>/keys``."""

import os
import subprocess
import sys


def _init(env_extra: dict, *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v for k, v in os.environ.items() if k not in ("SHUZHENG_KEYS_DIR", "SHUZHENG_VAR_DIR")
    }
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "-m", "shuzheng.foundation.trust.keys", "init", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def test_keys_follow_the_var_dir(tmp_path):
    done = _init({"SHUZHENG_VAR_DIR": str(tmp_path)})
    keys = tmp_path / "keys"
    assert (keys / "blind-index.key").is_file()
    assert (keys / "pii" / "CURRENT").is_file()
    assert (keys / "audit" / "CURRENT").is_file()
    assert str(keys) in done.stdout


def test_keys_dir_wins_over_var_dir_and_nothing_is_replaced(tmp_path):
    keys = tmp_path / "elsewhere"
    _init({"SHUZHENG_VAR_DIR": str(tmp_path / "var"), "SHUZHENG_KEYS_DIR": str(keys)})
    blind = (keys / "blind-index.key").read_bytes()
    assert not (tmp_path / "var" / "keys").exists()
    again = _init({"SHUZHENG_KEYS_DIR": str(keys)})
    assert again.stdout == ""
    assert (keys / "blind-index.key").read_bytes() == blind
