"""Calls to a provider's own HTTP API (``DataService.kind == remote``): one pooled
``urllib3`` manager per process, no retries, no redirects, a total timeout per service and a
cap on the response size. Whatever the provider returns is only *input*: the gateway keeps
the granted fields of each record and masks them (``core``), so extra fields never pass.

The provider's API answers ``GET {remote_url}/records?after=&limit=&<item>=<value>`` with a
JSON list of records or ``{"records": [...], "next": ...}``, and
``GET {remote_url}/records/<key>`` with one record (a JSON object, or ``{"record": {...}}``;
404 when there is none). The gateway sends ``Authorization: Bearer <remote_token>`` and the
call's ``X-Message-Id``; never the end user's identity.
"""

from __future__ import annotations

import json
import threading
from urllib.parse import quote

import urllib3
from django.conf import settings

_lock = threading.Lock()
_pool: urllib3.PoolManager | None = None


class RemoteError(Exception):
    """The provider's API failed: ``status`` is 502 (error, bad answer) or 504 (timeout)."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


class NotFound(Exception):
    """The provider answered 404 for a detail."""


def pool() -> urllib3.PoolManager:
    global _pool
    if _pool is None:
        with _lock:
            if _pool is None:
                _pool = urllib3.PoolManager(
                    num_pools=int(getattr(settings, "DATA_EXCHANGE_REMOTE_POOLS", 20)),
                    maxsize=int(getattr(settings, "DATA_EXCHANGE_REMOTE_POOL_SIZE", 10)),
                    retries=False,
                )
    return _pool


def max_bytes() -> int:
    return int(getattr(settings, "DATA_EXCHANGE_REMOTE_MAX_BYTES", 10 * 1024 * 1024))


def get(service, suffix: str, params: list[tuple[str, str]], message_id: str):
    """GET ``service.remote_url`` + ``suffix`` and return the parsed JSON."""
    url = service.remote_url.rstrip("/") + suffix
    headers = {"Accept": "application/json", "X-Message-Id": message_id}
    if service.remote_token:
        headers["Authorization"] = f"Bearer {service.remote_token}"
    try:
        response = pool().request(
            "GET",
            url,
            fields=params or None,
            headers=headers,
            timeout=urllib3.Timeout(total=service.remote_timeout),
            retries=False,
            redirect=False,
            preload_content=False,
        )
    except urllib3.exceptions.TimeoutError:
        raise RemoteError(504, "provider_timeout") from None
    except urllib3.exceptions.HTTPError:
        raise RemoteError(502, "provider_unreachable") from None
    try:
        limit = max_bytes()
        try:
            body = response.read(limit + 1)
        except urllib3.exceptions.TimeoutError:
            raise RemoteError(504, "provider_timeout") from None
        except urllib3.exceptions.HTTPError:
            raise RemoteError(502, "provider_unreachable") from None
        if response.status == 404:
            raise NotFound
        if response.status != 200:
            raise RemoteError(502, "provider_error")
        if len(body) > limit:
            raise RemoteError(502, "provider_too_large")
    finally:
        response.release_conn()
    try:
        return json.loads(body)
    except ValueError:
        raise RemoteError(502, "provider_bad_response") from None


def records(service, params, message_id) -> tuple[list[dict], str | None]:
    """(records, next cursor) of a list / search call."""
    try:
        data = get(service, "/records", params, message_id)
    except NotFound:
        raise RemoteError(502, "provider_error") from None
    nxt = None
    if isinstance(data, dict):
        nxt = data.get("next")
        data = data.get("records")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise RemoteError(502, "provider_bad_response")
    if nxt is not None and not isinstance(nxt, str | int):
        raise RemoteError(502, "provider_bad_response")
    return data, (None if nxt in (None, "") else str(nxt))


def record(service, key: str, message_id: str) -> dict | None:
    """One record by its key, ``None`` when the provider has none."""
    try:
        data = get(service, "/records/" + quote(key, safe=""), [], message_id)
    except NotFound:
        return None
    if isinstance(data, dict) and isinstance(data.get("record"), dict):
        data = data["record"]
    if not isinstance(data, dict):
        raise RemoteError(502, "provider_bad_response")
    return data
