"""Sending SMS through a small backend interface, chosen by the ``SMS_BACKEND`` setting.

A provider integration is a class with a no-argument constructor and one method::

    class AcmeSmsBackend(BaseSmsBackend):
        def send(self, phone_e164: str, text: str) -> str:
            # call the provider; return its message id
            # on any refusal or transport error raise SmsError("what went wrong") —
            # the message is stored on the delivery row and retried, so it must not
            # contain the phone number (the caller also scrubs it, as a second line).

``phone_e164`` is the clear number (``+8613800138000``), decrypted in memory only for the
call: a backend must not log it. The demo backends print or write the number masked.
"""

from __future__ import annotations

import json
import sys
import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from shuzheng.foundation.identity.validators import mask_mobile


class SmsError(Exception):
    """The provider refused the message or could not be reached (retried, then failed)."""


class BaseSmsBackend:
    def send(self, phone_e164: str, text: str) -> str:
        """Send ``text`` to ``phone_e164``; return the provider's message id."""
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Demo: print the message (number masked) to standard output."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, phone_e164: str, text: str) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        self.stream.write(f"[SMS {message_id}] to {mask_mobile(phone_e164)}: {text}\n")
        self.stream.flush()
        return message_id


class FileSmsBackend(BaseSmsBackend):
    """Demo: append one JSON line per message (number masked) to ``SMS_FILE_PATH``
    (default ``var/sms/outbox.jsonl``)."""

    _lock = threading.Lock()

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path or getattr(settings, "SMS_FILE_PATH", "") or _default_path())

    def send(self, phone_e164: str, text: str) -> str:
        message_id = f"file-{uuid.uuid4().hex}"
        line = {
            "id": message_id,
            "to": mask_mobile(phone_e164),
            "text": text,
            "at": timezone.now().isoformat(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
        return message_id


class LocmemSmsBackend(BaseSmsBackend):
    """Tests: keep ``(phone, text, id)`` in :data:`outbox` in memory (like ``mail.outbox``)."""

    def send(self, phone_e164: str, text: str) -> str:
        message_id = f"locmem-{len(outbox) + 1}"
        outbox.append((phone_e164, text, message_id))
        return message_id


outbox: list[tuple[str, str, str]] = []


def _default_path() -> Path:
    return Path(settings.VAR_DIR) / "sms" / "outbox.jsonl"


def get_backend(path: str | None = None) -> BaseSmsBackend:
    return import_string(path or settings.SMS_BACKEND)()


def send_sms(phone_e164: str, text: str) -> str:
    """Send through the configured backend; returns the provider's message id."""
    message_id = get_backend().send(phone_e164, text)
    if not message_id:
        raise SmsError("the SMS backend returned no message id")
    return str(message_id)
