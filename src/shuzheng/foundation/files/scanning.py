"""The virus-scan hook: ``FILES_SCANNER`` names a callable ``scan(path) -> None`` that raises
:class:`Infected` for a bad file. It runs on the complete upload, before anything is stored.

* :func:`no_scan` (the default) scans nothing — say so to whoever runs the installation:
  uploads are then checked for type, size, executables and archive bombs only.
* :func:`clamd_scan` streams the file to a ClamAV daemon (``INSTREAM``) at
  ``FILES_CLAMD_SOCKET`` (a Unix socket path) or ``FILES_CLAMD_ADDRESS`` (``host:port``).

A scanner that cannot answer raises :class:`ScannerUnavailable`; the upload is then refused
(fail closed), never stored unscanned.
"""

from __future__ import annotations

import socket
import struct
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string

_CHUNK = 64 * 1024


class Infected(Exception):  # noqa: N818  (the hook's documented name)
    """The scanner found something; ``signature`` names it."""

    def __init__(self, signature: str = ""):
        self.signature = signature
        super().__init__(signature or "infected")


class ScannerUnavailable(Exception):  # noqa: N818
    """The scanner could not give an answer (daemon down, timeout, protocol error)."""


def no_scan(path: str) -> None:
    """Scans nothing (the default). Configure FILES_SCANNER for a real scanner."""


@cache
def _scanner(dotted: str):
    return import_string(dotted)


def scan(path: str) -> None:
    _scanner(settings.FILES_SCANNER)(path)


def _connect() -> socket.socket:
    timeout = getattr(settings, "FILES_CLAMD_TIMEOUT", 30)
    unix = getattr(settings, "FILES_CLAMD_SOCKET", "")
    if unix:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(unix)
        return sock
    host, _sep, port = getattr(settings, "FILES_CLAMD_ADDRESS", "127.0.0.1:3310").rpartition(":")
    return socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout)


def clamd_scan(path: str) -> None:
    """ClamAV through clamd's INSTREAM command (no client library needed)."""
    try:
        with _connect() as sock, open(path, "rb") as handle:
            sock.sendall(b"zINSTREAM\0")
            while chunk := handle.read(_CHUNK):
                sock.sendall(struct.pack("!L", len(chunk)) + chunk)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0"):
                part = sock.recv(4096)
                if not part:
                    break
                reply += part
    except OSError as exc:
        raise ScannerUnavailable(f"clamd: {exc}") from exc
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    # "stream: OK", "stream: Eicar-Test-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if answer.endswith("FOUND"):
        raise Infected(answer.removeprefix("stream:").removesuffix("FOUND").strip())
    if not answer.endswith("OK"):
        raise ScannerUnavailable(f"clamd: {answer or 'no answer'}")
