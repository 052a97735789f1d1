"""Throughput of the SM2/SM3/SM4 facade against the pure-Python ``gmssl`` package.

Run: ``PYTHONPATH=src .venv/bin/python bench/bench_gm.py`` (prints one JSON object).

Why: the facade's backends were chosen for speed (audit anchors are SM2-signed, every
personal-information field is SM4-GCM encrypted and HMAC-SM3 indexed), so the numbers are
checked against targets and against the naive pure-Python alternative in the same run.
Everything runs in this one thread. Rates are per second of this thread's CPU time
(``time.thread_time``), i.e. per core, so that other work on the machine does not skew
them; the load average is reported alongside and the wall-clock rates too. Each metric
runs for a bounded wall-clock time, so the whole run stays well under a minute.
MB means 10**6 bytes.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

try:
    from shuzheng.foundation.trust import gm
except ImportError:  # run from a checkout without PYTHONPATH=src
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from shuzheng.foundation.trust import gm

MESSAGE_BYTES = 1024 * 1024
SIGNED_BYTES = 256  # a typical audit anchor / canonical JSON document
SECONDS_PER_METRIC = 2.0
WALL_RATES: list[float] = []  # wall-clock counterparts, in measurement order
TARGETS = {
    "sm2_sign_per_s": 2000,
    "sm2_verify_per_s": 1000,
    "sm3_mb_per_s": 150,
    "sm4_gcm_encrypt_mb_per_s": 80,
}


def rate(operation: Callable[[], object], seconds: float = SECONDS_PER_METRIC) -> float:
    """Calls per CPU-second of ``operation``, run for about ``seconds`` of wall-clock time.

    Batches grow geometrically but never past the deadline, so slow operations stay
    bounded too; at least one timed call is always made.
    """
    operation()  # warm-up: caches, lazy imports, first-touch allocations
    calls = 0
    batch = 1
    wall_start, cpu_start = time.perf_counter(), time.thread_time()
    deadline = wall_start + seconds
    while True:
        for _ in range(batch):
            operation()
        calls += batch
        now = time.perf_counter()
        if now >= deadline:
            cpu = time.thread_time() - cpu_start
            WALL_RATES.append(calls / (now - wall_start))
            return calls / cpu
        per_call = (now - wall_start) / calls
        batch = max(1, min(batch * 2, 256, int((deadline - now) / per_call)))


def once_per_second(operation: Callable[[], object]) -> float:
    """Calls per CPU-second from a single timed call, for slow pure-Python operations."""
    wall_start, cpu_start = time.perf_counter(), time.thread_time()
    operation()
    WALL_RATES.append(1.0 / (time.perf_counter() - wall_start))
    return 1.0 / (time.thread_time() - cpu_start)


def mb_per_s(calls_per_second: float, size: int = MESSAGE_BYTES) -> float:
    return calls_per_second * size / 1e6


def bench_facade() -> dict[str, float]:
    key = gm.SM2PrivateKey.generate()
    public = key.public_key()
    document = secrets.token_bytes(SIGNED_BYTES)
    signature = key.sign(document)
    data_key = secrets.token_bytes(16)
    message = secrets.token_bytes(MESSAGE_BYTES)
    blob = gm.sm4_gcm_encrypt(data_key, message, b"aad")
    wrapped = public.encrypt(data_key)
    return {
        "sm2_sign_per_s": rate(lambda: key.sign(document)),
        "sm2_verify_per_s": rate(lambda: public.verify(signature, document)),
        "sm2_encrypt_16_bytes_per_s": rate(lambda: public.encrypt(data_key), 1.0),
        "sm2_decrypt_16_bytes_per_s": rate(lambda: key.decrypt(wrapped), 1.0),
        "sm3_mb_per_s": mb_per_s(rate(lambda: gm.sm3(message))),
        "hmac_sm3_mb_per_s": mb_per_s(rate(lambda: gm.hmac_sm3(data_key, message), 1.0)),
        "sm4_gcm_encrypt_mb_per_s": mb_per_s(
            rate(lambda: gm.sm4_gcm_encrypt(data_key, message, b"aad"))
        ),
        "sm4_gcm_decrypt_mb_per_s": mb_per_s(
            rate(lambda: gm.sm4_gcm_decrypt(data_key, blob, b"aad"), 1.0)
        ),
    }


def bench_gmssl() -> dict[str, float]:
    from gmssl import sm3 as gmssl_sm3
    from gmssl import sm4 as gmssl_sm4
    from gmssl.sm2 import CryptSM2

    key = gm.SM2PrivateKey.generate()
    while key.public_key().point[1:].hex().startswith("04"):  # gmssl's lstrip("04") bug
        key = gm.SM2PrivateKey.generate()
    oracle = CryptSM2(
        private_key=key.to_der()[36:68].hex(),
        public_key=key.public_key().point[1:].hex(),
        asn1=True,
    )
    document = secrets.token_bytes(SIGNED_BYTES)
    signature = oracle.sign_with_sm3(document)
    message = secrets.token_bytes(MESSAGE_BYTES)
    as_list = list(message)
    cipher = gmssl_sm4.CryptSM4()
    cipher.set_key(secrets.token_bytes(16), gmssl_sm4.SM4_ENCRYPT)
    iv = secrets.token_bytes(16)
    return {
        "sm2_sign_per_s": rate(lambda: oracle.sign_with_sm3(document)),
        "sm2_verify_per_s": rate(lambda: oracle.verify_with_sm3(signature, document)),
        "sm3_mb_per_s": mb_per_s(once_per_second(lambda: gmssl_sm3.sm3_hash(as_list))),
        # gmssl has no GCM; CBC is its closest SM4 mode (GCM would only add GHASH work).
        "sm4_cbc_encrypt_mb_per_s": mb_per_s(
            once_per_second(lambda: cipher.crypt_cbc(iv, message))
        ),
    }


def main() -> None:
    started = time.perf_counter()
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    facade = bench_facade()
    facade_wall = dict(zip(facade, WALL_RATES[: len(facade)], strict=True))
    pure = bench_gmssl()
    ratios = {
        "sm2_sign": facade["sm2_sign_per_s"] / pure["sm2_sign_per_s"],
        "sm2_verify": facade["sm2_verify_per_s"] / pure["sm2_verify_per_s"],
        "sm3": facade["sm3_mb_per_s"] / pure["sm3_mb_per_s"],
        "sm4_gcm_vs_gmssl_cbc": facade["sm4_gcm_encrypt_mb_per_s"]
        / pure["sm4_cbc_encrypt_mb_per_s"],
    }
    report = {
        "python": platform.python_version(),
        "packages": {
            name: metadata.version(name)
            for name in ("gmalglib", "cryptography", "asn1crypto", "gmssl")
        },
        "threads": 1,
        "rates_per": "CPU-second of the benchmark thread (one core)",
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_start": load_before,
        "message_bytes": MESSAGE_BYTES,
        "signed_message_bytes": SIGNED_BYTES,
        "facade": {name: round(value, 1) for name, value in facade.items()},
        "facade_wall_clock": {
            name: round(_wall(name, value), 1) for name, value in facade_wall.items()
        },
        "gmssl_pure_python": {name: round(value, 2) for name, value in pure.items()},
        "ratio_facade_over_gmssl": {name: round(value, 1) for name, value in ratios.items()},
        "targets": TARGETS,
        "meets_targets": {name: facade[name] >= target for name, target in TARGETS.items()},
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(report, indent=2))


def _wall(name: str, calls_per_second: float) -> float:
    return mb_per_s(calls_per_second) if name.endswith("_mb_per_s") else calls_per_second


if __name__ == "__main__":
    main()
