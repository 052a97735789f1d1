"""Operator actions on the outbox: resending dead letters."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shuzheng.foundation import access
from shuzheng.foundation.events import outbox
from shuzheng.foundation.events.models import Delivery, DeliveryStatus, OutboxEvent
from shuzheng.foundation.trust import audit


@transaction.atomic
def resend_delivery(actor, delivery: Delivery, *, request=None) -> Delivery:
    """重新投递: a dead letter gets a fresh set of attempts, due now.

    Only the system administrator (system.configure) may, and it is on the audit record:
    resending runs a handler again with an old event. In distributed mode the event is
    relayed again (under a new message id, past the broker's de-duplication window).
    """
    access.check(actor, delivery, "system.configure")
    delivery = Delivery.objects.select_for_update().select_related("event").get(pk=delivery.pk)
    if delivery.status != DeliveryStatus.DEAD:
        raise ValidationError(_("只有死信可以重新投递。"))
    now = timezone.now()
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
    event = delivery.event
    event.delivered_at = None
    event.available_at = now
    fields = ["delivered_at", "available_at"]
    if outbox.backend() == "nats":
        event.relayed_at = None
        event.relays += 1
        fields += ["relayed_at", "relays"]
    event.save(update_fields=fields)
    audit.record(
        actor,
        "events.delivery.resend",
        delivery,
        details={"event": str(event.id), "type": event.type, "handler": delivery.handler},
        request=request,
    )
    if outbox.backend() == "inprocess":
        transaction.on_commit(lambda: outbox._deliver_after_commit(event.id))
    return delivery


def resend_dead(actor, deliveries, *, request=None) -> int:
    """Resend each dead letter among ``deliveries`` (a queryset or list); returns how many."""
    count = 0
    for delivery in deliveries:
        if delivery.status == DeliveryStatus.DEAD:
            resend_delivery(actor, delivery, request=request)
            count += 1
    return count


def dead_letters(actor):
    """The dead letters the actor may see (system.configure), newest first."""
    rows = Delivery.objects.filter(status=DeliveryStatus.DEAD).select_related("event")
    return access.scope(actor, rows, "system.configure").order_by("-pk")


__all__ = ["OutboxEvent", "dead_letters", "resend_dead", "resend_delivery"]


def purge_delivered(*, before=None, batch: int = 5000) -> int:
    """Forget finished events: outbox rows older than ``EVENTS_RETENTION_DAYS`` whose every
    delivery is done (and, in distributed mode, that were relayed). Dead letters and
    anything still pending stay. The business change each event announced is in the audit
    trail; the outbox is a delivery mechanism, not the record."""
    import datetime as dt

    from django.conf import settings
    from django.db import transaction
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from shuzheng.foundation.events.models import Delivery, DeliveryStatus, OutboxEvent

    before = before or timezone.now() - dt.timedelta(days=settings.EVENTS_RETENTION_DAYS)
    unfinished = Delivery.objects.filter(event=OuterRef("pk")).exclude(status=DeliveryStatus.DONE)
    old = OutboxEvent.objects.filter(delivered_at__isnull=False, created_at__lt=before).exclude(
        Exists(unfinished)
    )
    if getattr(settings, "EVENTS_BACKEND", "inprocess") == "nats":
        old = old.filter(relayed_at__isnull=False)
    removed = 0
    while True:
        ids = list(old.values_list("pk", flat=True)[:batch])
        if not ids:
            return removed
        with transaction.atomic():
            Delivery.objects.filter(event_id__in=ids).delete()
            OutboxEvent.objects.filter(pk__in=ids).delete()
        removed += len(ids)
