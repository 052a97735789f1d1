"""The direct-call baseline of ``bench/data_gateway.py``: a provider's own minimal API over
the same data — what the provider's system would do to answer the same request without the
exchange gateway in front of it.

``GET /records/<key>`` looks the record up in the platform store by its key item
(``catalog.store.lookup``: blind index of the key, the row read through the ORM, SM4-GCM
decrypted), keeps the same fields the gateway delivers (unmasked), and answers them as JSON
(``{"records": [{…}]}``, or 404). No authentication, no grant check, no masking, no log.
``GET /healthz`` answers ``ok`` (the harness waits for it).

Served like the gateway — granian, WSGI, the same worker and thread counts — and with the
connection handling Django's request signals give any view (``close_old_connections``
before and after the call), as the gateway's own WSGI application does. Configured through
the environment: ``BENCH_DIRECT_ENTRY`` (the catalogue entry's id) and
``BENCH_DIRECT_FIELDS`` (comma-separated item codes, in delivery order).

    granian --interface wsgi data_direct_app:application   # with bench/ on PYTHONPATH
"""

from __future__ import annotations

import json
import os
from urllib.parse import unquote

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shuzheng.config.settings")
django.setup(set_prefix=False)

from django.db import close_old_connections  # noqa: E402

from shuzheng.data.catalog import store  # noqa: E402

PREFIX = "/records/"
JSON_TYPE = "application/json; charset=utf-8"
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _config() -> tuple[int, tuple[str, ...]]:
    entry = int(os.environ.get("BENCH_DIRECT_ENTRY") or 0)
    fields = tuple(f for f in os.environ.get("BENCH_DIRECT_FIELDS", "").split(",") if f)
    return entry, fields


ENTRY_ID, FIELDS = _config()


def respond(entry_id: int, fields, key: str) -> tuple[int, bytes]:
    """The provider's answer for one key: (HTTP status, JSON body)."""
    found = store.lookup(entry_id, key)
    if found is None:
        return 404, b'{"detail":"not found"}'
    data = found[1]
    return 200, _dumps({"records": [{code: data.get(code) for code in fields}]}).encode()


def application(environ, start_response):
    path = environ.get("PATH_INFO", "")
    if path == "/healthz":
        status, body = 200, b'{"status":"ok"}'
    elif path.startswith(PREFIX) and len(path) > len(PREFIX):
        key = path[len(PREFIX) :]
        key = unquote(key) if "%" in key else key
        close_old_connections()
        try:
            status, body = respond(ENTRY_ID, FIELDS, key)
        finally:
            close_old_connections()
    else:
        status, body = 404, b'{"detail":"not found"}'
    start_response(
        "200 OK" if status == 200 else "404 Not Found",
        [("Content-Type", JSON_TYPE), ("Content-Length", str(len(body)))],
    )
    return [body]
