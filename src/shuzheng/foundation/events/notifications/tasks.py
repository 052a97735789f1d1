"""Background jobs of the notifications app (loaded by the events app at start-up)."""

from django.conf import settings

from shuzheng.foundation.events import jobs


@jobs.task(
    retries=getattr(settings, "NOTIFICATIONS_SEND_RETRIES", 3),
    retry_delay=getattr(settings, "NOTIFICATIONS_RETRY_SECONDS", 60),
    context=True,
    name="notifications.send_delivery",
)
def send_delivery(delivery_id: int, task=None) -> str | None:
    """Send one email or SMS; failures are retried, the last one marks the delivery failed."""
    from shuzheng.foundation.events.notifications import sending

    final = task is None or not task.retries
    return sending.send(delivery_id, final=final)


@jobs.periodic(minutes=15, name="notifications.requeue_stale")
def requeue_stale() -> int:
    """Safety net: a delivery still pending ``NOTIFICATIONS_STALE_MINUTES`` after it was
    created lost its job (a process died, an embedded retry was only in memory) — queue it
    again. Sending is at least once: a rare duplicate beats a lost overdue notice."""
    import datetime as dt

    from django.utils import timezone

    from shuzheng.foundation.events.notifications.models import Delivery, DeliveryStatus

    minutes = getattr(settings, "NOTIFICATIONS_STALE_MINUTES", 60)
    cutoff = timezone.now() - dt.timedelta(minutes=minutes)
    stale = Delivery.objects.filter(status=DeliveryStatus.PENDING, created_at__lt=cutoff)
    ids = list(stale.order_by("pk").values_list("pk", flat=True)[:500])
    for pk in ids:
        send_delivery(pk)
    return len(ids)
