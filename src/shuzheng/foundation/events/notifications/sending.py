"""Sending one email or SMS delivery (run by the ``send_delivery`` background job).

The address is read at send time — the email from the account, the mobile number from the
person's encrypted record, clear only in memory — and scrubbed from any error text before
it is stored or logged.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import timezone

from shuzheng.foundation.events.notifications import services, sms
from shuzheng.foundation.events.notifications.models import Channel, Delivery, DeliveryStatus

logger = logging.getLogger("shuzheng.notifications")

_MAX_ERROR = 2000


class SendFailed(Exception):
    """A delivery attempt failed; the job retries it (the text holds no address)."""


def absolute(link: str) -> str:
    base = getattr(settings, "NOTIFICATIONS_BASE_URL", "").rstrip("/")
    return f"{base}{link}" if link and base else link


def _scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
            digits = secret.lstrip("+")
            if len(digits) >= 6:
                text = text.replace(digits, "***")
    return text[:_MAX_ERROR]


def _send_email(delivery: Delivery) -> tuple[str, str]:
    message = delivery.message
    address = message.recipient.email
    if not address:
        raise SendFailed("the account has no email address any more")
    body = message.body
    if message.link:
        body = f"{body}\n\n{absolute(message.link)}"
    EmailMessage(
        subject=message.title,
        body=body,
        from_email=settings.NOTIFICATIONS_FROM_EMAIL,
        to=[address],
    ).send()
    return "", address


def _send_sms(delivery: Delivery, phone: str) -> str:
    message = delivery.message
    if not phone:
        raise SendFailed("the person has no mobile number any more")
    return sms.send_sms(
        phone,
        f"{message.title}：{message.body}"
        if message.language.startswith("zh")
        else f"{message.title}: {message.body}",
    )


def send(delivery_id: int, *, final: bool) -> str | None:
    """One attempt at a pending delivery; returns its new status (``None``: nothing to do).

    Success marks it sent. A failure records the (scrubbed) error and the attempt; on the
    ``final`` attempt the delivery is failed for good, otherwise :class:`SendFailed` is
    raised so the job is retried."""
    delivery = Delivery.objects.select_related("message__recipient").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return None
    secrets: tuple[str, ...] = ()
    try:
        if delivery.channel == Channel.EMAIL:
            secrets = (delivery.message.recipient.email,)
            provider_id, _address = _send_email(delivery)
        else:
            phone = services.mobile_of(delivery.message.recipient)
            secrets = (phone,)
            provider_id = _send_sms(delivery, phone)
    except Exception as exc:  # any backend failure: record it, retry, finally fail
        error = _scrub(f"{type(exc).__name__}: {exc}", *secrets)
        delivery.attempts += 1
        delivery.last_error = error
        if final:
            delivery.status = DeliveryStatus.FAILED
        delivery.save(update_fields=["attempts", "last_error", "status"])
        if final:
            logger.warning(
                "notifications: %s delivery %s failed after %s attempts: %s",
                delivery.channel,
                delivery.pk,
                delivery.attempts,
                error,
            )
            return delivery.status
        raise SendFailed(error) from None
    delivery.attempts += 1
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = timezone.now()
    delivery.provider_id = (provider_id or "")[:100]
    delivery.last_error = ""
    delivery.save(update_fields=["attempts", "status", "sent_at", "provider_id", "last_error"])
    return delivery.status
