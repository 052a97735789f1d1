"""What a notification says and who receives it, registered in code by the packages.

* :func:`register_template` — the title, body and link of the message for an event type (or
  a pattern of them), written as gettext msgids in Simplified Chinese, so the translations
  live in the normal catalogues and each recipient reads their own language.
* :func:`register_recipients` — a resolver ``(event_type, payload) -> users`` a domain package
  provides for its events (the services network knows who handles a case; the foundation
  does not). Without a resolver an event notifies nobody.

Patterns: ``"workflow.case.overdue"`` (exact), ``"workflow.*.overdue"`` and ``"workflow.*"``
(each ``*`` is one or more segments, as on the event bus), ``"*"`` (anything).
The most specific match wins (most literal segments, then exact over a trailing ``*``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from shuzheng.foundation.events.registry import pattern_matches

_lock = threading.Lock()


def matches(pattern: str, event_type: str) -> bool:
    """Whether ``event_type`` is covered by ``pattern``: the event bus's own rule."""
    return pattern_matches(pattern, event_type)


def specificity(pattern: str) -> tuple[int, int]:
    parts = pattern.split(".")
    return (sum(p != "*" for p in parts), 0 if parts[-1] == "*" else 1)


def best_match(patterns: Iterable[str], event_type: str) -> str | None:
    """The most specific of ``patterns`` covering ``event_type`` (``None``: none does)."""
    covering = [p for p in patterns if matches(p, event_type)]
    return max(covering, key=specificity) if covering else None


def valid_pattern(pattern: str) -> bool:
    if pattern == "*":
        return True
    parts = pattern.split(".")
    return len(parts) >= 2 and all(
        p == "*" or (p and all(c.isalnum() or c in "_-" for c in p) and p == p.lower())
        for p in parts
    )


@dataclass(frozen=True)
class Template:
    """How a message for a matching event reads. ``title`` and ``body`` are lazy gettext
    strings formatted with the context (``%(field)s``); ``link`` is a relative URL format
    string or a callable ``context -> str``; ``prepare`` turns an event payload into the
    context (formatting dates, say); ``label`` names the kind on the preferences page."""

    pattern: str
    title: object
    body: object
    link: str | Callable[[dict], str] = ""
    prepare: Callable[[dict], dict] | None = None
    label: object = None

    def context(self, payload: dict) -> dict:
        return self.prepare(dict(payload)) if self.prepare else dict(payload)

    def render_link(self, context: dict) -> str:
        if callable(self.link):
            return self.link(context) or ""
        return self.link % context if self.link else ""


_templates: dict[str, Template] = {}


def register_template(
    event_type: str,
    *,
    title,
    body,
    link: str | Callable[[dict], str] = "",
    prepare: Callable[[dict], dict] | None = None,
    label=None,
) -> Template:
    """Register the message for ``event_type`` (or a pattern); registering the same pattern
    again replaces it (a package may refine a foundation default)."""
    if not valid_pattern(event_type):
        raise ValueError(f"not an event type or pattern: {event_type!r}")
    template = Template(event_type, title, body, link, prepare, label)
    with _lock:
        _templates[event_type] = template
    return template


def template_for(event_type: str) -> Template | None:
    pattern = best_match(list(_templates), event_type)
    return _templates[pattern] if pattern else None


def templates() -> list[Template]:
    return sorted(_templates.values(), key=lambda t: t.pattern)


def unregister_template(event_type: str) -> None:
    """Forget a template (tests)."""
    with _lock:
        _templates.pop(event_type, None)


@dataclass(frozen=True)
class Resolver:
    pattern: str
    resolve: Callable[[str, dict], Iterable]
    name: str
    link: Callable[[dict], str] | None = field(default=None)


_resolvers: dict[str, Resolver] = {}


def register_recipients(
    pattern: str,
    resolver: Callable[[str, dict], Iterable],
    *,
    name: str,
    link: Callable[[dict], str] | None = None,
) -> Callable:
    """Let a domain package say who is told about its events: ``resolver(event_type,
    payload)`` returns the users (e.g. the handler of the case behind a workflow instance).
    ``link(payload)`` may give the page the message opens. ``name`` keeps registration
    idempotent (``ready()`` may run twice in tests)."""
    if not valid_pattern(pattern):
        raise ValueError(f"not an event type or pattern: {pattern!r}")
    with _lock:
        _resolvers[name] = Resolver(pattern, resolver, name, link)
    return resolver


def unregister_recipients(name: str) -> None:
    with _lock:
        _resolvers.pop(name, None)


def resolvers_for(event_type: str) -> list[Resolver]:
    return [
        r
        for r in sorted(_resolvers.values(), key=lambda r: r.name)
        if r.pattern and matches(r.pattern, event_type)
    ]


def recipients_for(event_type: str, payload: dict) -> list:
    """The users every registered resolver names for this event, each once, in order.
    Empty when no package registered a resolver for it: then nobody is notified."""
    seen: dict = {}
    for resolver in resolvers_for(event_type):
        for user in resolver.resolve(event_type, payload) or ():
            if user is not None and user.pk not in seen:
                seen[user.pk] = user
    return list(seen.values())


def link_for(event_type: str, payload: dict) -> str:
    for resolver in resolvers_for(event_type):
        if resolver.link is not None:
            link = resolver.link(payload)
            if link:
                return link
    return ""
