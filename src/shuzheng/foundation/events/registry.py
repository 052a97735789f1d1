"""Who listens to what: ``subscribe()`` registers a named handler for a type or a prefix.

Handlers are registered in an app's ``ready()``; every process (web, deliverer, NATS worker)
runs the same code, so every process knows the same handlers. The name is what the delivery
bookkeeping is keyed on: keep it stable, and renaming a handler means it is a new one.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)+$")
_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_-]+)*$")


@dataclass(frozen=True)
class Subscription:
    pattern: str
    handler: Callable
    name: str

    def matches(self, event_type: str) -> bool:
        return pattern_matches(self.pattern, event_type)


def pattern_matches(pattern: str, event_type: str) -> bool:
    """``*`` alone is every type; any other ``*`` stands for one or more whole segments —
    workflow codes contain dots, so ``workflow.*.overdue`` must cover
    ``workflow.services.case.overdue``."""
    if pattern == "*":
        return True
    regex = _compiled(pattern)
    return regex.fullmatch(event_type) is not None


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern:
    parts = [
        r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*" if p == "*" else re.escape(p) for p in pattern.split(".")
    ]
    return re.compile(r"\.".join(parts))


_lock = threading.Lock()
_subscriptions: dict[str, Subscription] = {}


def subscribe(type_or_prefix: str, handler: Callable, *, name: str) -> Callable:
    """Run ``handler(event)`` for every event whose type is ``type_or_prefix`` — or, for a
    pattern with ``*`` segments, matches it — each ``*`` is one or more segments
    (``"services.case.*"``, ``"workflow.*.overdue"``); ``"*"`` is every event.

    ``name`` (dotted lower case, e.g. ``"notifications.case_accepted"``) identifies the
    handler's delivery state across processes and restarts. Subscribing the same name with
    the same handler again is a no-op; with another handler it is an error. Returns the
    handler, so it can be used as a decorator body.
    """
    probe = type_or_prefix.removesuffix(".*").replace(".*.", ".x.") + ".x"
    if type_or_prefix != "*" and not TYPE_PATTERN.match(probe):
        raise ValueError(f"not an event type or prefix: {type_or_prefix!r}")
    if not _NAME.match(name) or len(name) > 150:
        raise ValueError(f"handler name must be a dotted lower-case code, got {name!r}")
    if not callable(handler):
        raise TypeError("handler must be callable")
    new = Subscription(type_or_prefix, handler, name)
    with _lock:
        old = _subscriptions.get(name)
        if old is not None and old != new:
            raise ValueError(f"another handler is already subscribed as {name!r}")
        _subscriptions[name] = new
        handlers_for.cache_clear()
    return handler


def unsubscribe(name: str) -> None:
    """Forget a handler (tests; a handler is normally registered for the process's life)."""
    with _lock:
        _subscriptions.pop(name, None)
        handlers_for.cache_clear()


def subscription(name: str) -> Subscription | None:
    return _subscriptions.get(name)


def subscriptions() -> list[Subscription]:
    return sorted(_subscriptions.values(), key=lambda s: s.name)


@lru_cache(maxsize=1024)
def handlers_for(event_type: str) -> tuple[Subscription, ...]:
    """The subscriptions an event of ``event_type`` is delivered to, by name."""
    return tuple(s for s in subscriptions() if s.matches(event_type))
