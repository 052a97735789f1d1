"""The transactional outbox: one row per published event, one delivery row per handler.

``OutboxEvent`` is written by :func:`shuzheng.foundation.events.publish` inside the business
transaction (it commits or rolls back with the change it announces). ``Delivery`` is the
state of one subscribed handler for one event — attempts, next attempt, done or dead — so a
failing handler is retried and dead-lettered on its own, and a handler that already ran for
an event (status ``done``) is never run for it again: that row is the idempotency record.
"""

import os
import threading
import time
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

_uuid_lock = threading.Lock()
_uuid_last = [0, 0]  # [millisecond, counter] of the last id made in this process


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7: 48-bit Unix milliseconds, a 12-bit counter
    that keeps ids made in one process within one millisecond in order, then random bits).

    Ordering the outbox by id is ordering by publication time.
    """
    with _uuid_lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _uuid_last[0]:
            ms = _uuid_last[0]
            _uuid_last[1] += 1
            if _uuid_last[1] > 0xFFF:  # 4096 ids in one millisecond: borrow the next one
                ms += 1
                _uuid_last[1] = 0
        else:
            _uuid_last[1] = 0
        _uuid_last[0] = ms
        counter = _uuid_last[1]
    rand = int.from_bytes(os.urandom(8), "big") & 0x3FFF_FFFF_FFFF_FFFF
    value = (ms << 80) | (0x7 << 76) | (counter << 64) | (0b10 << 62) | rand
    return uuid.UUID(int=value)


class OutboxEvent(models.Model):
    id = models.UUIDField(_("事件编号"), primary_key=True, default=uuid7, editable=False)
    type = models.CharField(_("事件类型"), max_length=150, db_index=True)
    key = models.CharField(_("业务键"), max_length=150, blank=True, default="")
    payload = models.JSONField(_("内容"), default=dict)
    created_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    available_at = models.DateTimeField(_("下次投递时间"), default=timezone.now)
    attempts = models.PositiveIntegerField(_("投递轮次"), default=0)
    relayed_at = models.DateTimeField(_("转发到消息代理时间"), null=True, blank=True)
    relays = models.PositiveIntegerField(_("转发次数"), default=0)
    delivered_at = models.DateTimeField(_("处理完成时间"), null=True, blank=True)
    last_error = models.TextField(_("最近错误"), blank=True, default="")

    class Meta:
        verbose_name = _("发件箱事件")
        verbose_name_plural = _("发件箱事件")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at"],
                name="events_outbox_due",
                condition=Q(delivered_at__isnull=True),
            ),
            models.Index(
                fields=["id"], name="events_outbox_unrelayed", condition=Q(relayed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待投递")
    DONE = "done", _("已处理")
    DEAD = "dead", _("死信")


class Delivery(models.Model):
    event = models.ForeignKey(
        OutboxEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("事件")
    )
    handler = models.CharField(_("处理器"), max_length=150)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), default=timezone.now)
    last_error = models.TextField(_("最近错误"), blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("事件投递")
        verbose_name_plural = _("事件投递")
        constraints = [
            models.UniqueConstraint(fields=["event", "handler"], name="events_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="events_delivery_due",
                condition=Q(status="pending"),
            ),
            models.Index(fields=["status", "handler"], name="events_delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.handler} ← {self.event_id}"
