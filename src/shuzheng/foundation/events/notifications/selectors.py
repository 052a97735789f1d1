"""Reads: one's own inbox and preferences. Every query starts from ``access.scope`` with the
self-service capability ``notifications.own_messages`` (nobody reads another's inbox)."""

from __future__ import annotations

from django.db.models import BooleanField, ExpressionWrapper, Q

from shuzheng.foundation import access
from shuzheng.foundation.events.notifications import registry
from shuzheng.foundation.events.notifications.models import Message, Preference

CAPABILITY = "notifications.own_messages"


def messages(user, *, unread: bool | None = None):
    """The user's own messages, newest first (``unread=True``: only unread)."""
    rows = access.scope(user, Message.objects.all(), CAPABILITY).filter(recipient_id=user.pk)
    if unread is True:
        rows = rows.filter(read_at__isnull=True)
    elif unread is False:
        rows = rows.filter(read_at__isnull=False)
    return rows.order_by("-pk")


def inbox(user):
    """For the inbox pages: unread first, then newest first."""
    is_read = ExpressionWrapper(Q(read_at__isnull=False), output_field=BooleanField())
    return messages(user).annotate(is_read_=is_read).order_by("is_read_", "-pk")


def message(user, pk) -> Message:
    """One of the user's messages (``Message.DoesNotExist`` for anyone else's)."""
    return messages(user).get(pk=pk)


def unread_count(user) -> int:
    """The badge in the shell: how many of the user's messages are unread (0 when signed out)."""
    if not (user is not None and user.is_authenticated and user.pk):
        return 0
    return messages(user, unread=True).count()


def preferences(user) -> dict[str, Preference]:
    """The user's stored preference rows by event type or pattern."""
    rows = access.scope(user, Preference.objects.all(), CAPABILITY).filter(user_id=user.pk)
    return {p.event_type: p for p in rows}


def channels_for(prefs: dict[str, Preference], event_type: str) -> tuple[bool, bool]:
    """(email, sms) for one event type from a user's rows: the most specific pattern wins;
    without one, email on and SMS off."""
    pattern = registry.best_match(prefs, event_type)
    if pattern is None:
        return True, False
    row = prefs[pattern]
    return row.email, row.sms


def preference_rows(user) -> list[dict]:
    """The preferences page: "all notifications" and each registered kind, with the
    channels in effect for it."""
    prefs = preferences(user)
    rows = [{"pattern": "*", "label": None}]
    rows += [{"pattern": t.pattern, "label": t.label} for t in registry.templates()]
    for row in rows:
        row["email"], row["sms"] = channels_for(prefs, _example(row["pattern"]))
    return rows


def _example(pattern: str) -> str:
    """An event type that ``pattern`` covers (to read the setting in effect for it)."""
    if pattern == "*":
        return "any.event"
    return ".".join("x" if p == "*" else p for p in pattern.split("."))
