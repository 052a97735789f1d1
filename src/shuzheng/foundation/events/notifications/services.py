"""Writes: sending notifications, reading them, choosing channels.

``notify`` is called by other services (inside their transaction) and by the event handlers
in ``events.py``; it needs no access check of its own — the caller decided that the message
is due — and it writes the audit record only for mass sends (at least
``NOTIFICATIONS_AUDIT_MIN_RECIPIENTS`` recipients): a single message is part of a business
act that its own service already put on the record, while "who wrote to 5,000 people" is
what an auditor asks. Email and SMS leave after the commit, as background jobs with retries.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.access.registry import CAPABILITIES
from shuzheng.foundation.events import jobs
from shuzheng.foundation.events.notifications import registry, selectors
from shuzheng.foundation.events.notifications.models import (
    Channel,
    Delivery,
    Message,
    Preference,
)
from shuzheng.foundation.trust import audit

logger = logging.getLogger("shuzheng.notifications")

CAPABILITY = selectors.CAPABILITY


def language_of(user) -> str:
    """The recipient's ``preferred_language`` when it is one we serve, else LANGUAGE_CODE."""
    wanted = (getattr(user, "preferred_language", "") or "").lower().replace("_", "-")
    codes = {code for code, _name in settings.LANGUAGES}
    return wanted if wanted in codes else settings.LANGUAGE_CODE


def render(template: registry.Template, context: dict, language: str) -> tuple[str, str]:
    """(title, body) of ``template`` in ``language``."""
    with translation.override(language):
        return str(template.title) % context, str(template.body) % context


@transaction.atomic
def notify(
    actor,
    recipients: Iterable,
    event_type: str,
    context: dict,
    *,
    link: str = "",
    event_id: uuid.UUID | None = None,
) -> list[Message]:
    """发送通知: one inbox message per active recipient in their own language, plus the
    email and SMS their preferences ask for (sent after commit). With ``event_id`` a
    recipient who already has a message for that event gets no second one."""
    template = registry.template_for(event_type)
    if template is None:
        raise LookupError(f"no notification template registered for {event_type!r}")
    if link and not link.startswith("/"):
        raise ValidationError(_("通知链接必须是站内相对地址。"))
    users = {u.pk: u for u in recipients if u is not None and u.pk and u.is_active}
    if event_id is not None:
        done = set(
            Message.objects.filter(event_id=event_id, recipient_id__in=list(users)).values_list(
                "recipient_id", flat=True
            )
        )
        users = {pk: u for pk, u in users.items() if pk not in done}
    if not users:
        return []
    link = link or template.render_link(context)
    prefs: dict[int, dict[str, Preference]] = {}
    for row in Preference.objects.filter(user_id__in=list(users)):
        prefs.setdefault(row.user_id, {})[row.event_type] = row
    now = timezone.now()
    sent: list[Message] = []
    deliveries: list[Delivery] = []
    for user in users.values():
        language = language_of(user)
        title, body = render(template, context, language)
        message = Message.objects.create(
            recipient=user,
            event_type=event_type,
            event_id=event_id,
            title=title[:200],
            body=body,
            link=link,
            language=language,
            created_at=now,
        )
        sent.append(message)
        email, sms = selectors.channels_for(prefs.get(user.pk, {}), event_type)
        if email and user.email:
            deliveries.append(
                Delivery(message=message, channel=Channel.EMAIL, destination=mask_email(user.email))
            )
        if sms:
            phone = mobile_of(user)
            if phone:
                deliveries.append(
                    Delivery(message=message, channel=Channel.SMS, destination=_mask_phone(phone))
                )
    if deliveries:
        Delivery.objects.bulk_create(deliveries)
        from shuzheng.foundation.events.notifications.tasks import send_delivery

        for delivery in deliveries:
            jobs.after_commit(send_delivery, delivery.pk)
    if len(sent) >= getattr(settings, "NOTIFICATIONS_AUDIT_MIN_RECIPIENTS", 20):
        audit.record(
            actor,
            "notifications.broadcast",
            f"notifications.event:{event_type}"[:100],
            details={"event_type": event_type, "recipients": len(sent)},
        )
    return sent


@transaction.atomic
def mark_read(actor, message: Message) -> Message:
    """已读: only the recipient marks their message read; reading twice keeps the first time."""
    access.check(actor, message, CAPABILITY)
    if message.recipient_id != getattr(actor, "pk", None):
        raise access_denied()
    if message.read_at is None:
        message.read_at = timezone.now()
        Message.objects.filter(pk=message.pk, read_at__isnull=True).update(read_at=message.read_at)
    return message


@transaction.atomic
def mark_all_read(actor) -> int:
    """全部已读: every unread message of the actor; returns how many (the selector scopes
    the update to the actor's own messages)."""
    return selectors.messages(actor, unread=True).update(read_at=timezone.now())


@transaction.atomic
def set_preference(actor, user, event_type: str, *, email: bool, sms: bool) -> Preference:
    """通知偏好: a user chooses email and SMS per event type or pattern, for themselves only."""
    own = access.scope(actor, get_user_model().objects.filter(pk=user.pk), CAPABILITY)
    if getattr(actor, "pk", None) != user.pk or not own.exists():
        raise access_denied()
    if not registry.valid_pattern(event_type):
        raise ValidationError(_("无效的事件类型。"))
    pref, _created = Preference.objects.update_or_create(
        user=user, event_type=event_type, defaults={"email": bool(email), "sms": bool(sms)}
    )
    return pref


def access_denied() -> PermissionDenied:
    label = CAPABILITIES[CAPABILITY].label
    return PermissionDenied(_("无权执行此操作：%(label)s") % {"label": label})


# --- addresses: looked up when needed, never stored or logged in clear ------------------------


def mobile_of(user) -> str:
    """The user's mobile number (E.164) from their natural-person record, decrypted in
    memory; "" when none. A staff office phone is a landline or an extension: no SMS."""
    from shuzheng.foundation.identity.models import NaturalPerson

    person = NaturalPerson.objects.filter(user_id=user.pk).only("mobile").first()
    return (person.mobile or "") if person else ""


def _mask_phone(phone: str) -> str:
    from shuzheng.foundation.identity.validators import mask_mobile

    return mask_mobile(phone)


def mask_email(address: str) -> str:
    local, _at, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"
