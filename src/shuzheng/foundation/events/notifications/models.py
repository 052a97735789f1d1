"""站内消息 and what was sent where: the inbox row, the per-user channel preferences and
one delivery row per email or SMS (the inbox itself needs no delivery)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """One inbox item, rendered once in the recipient's language when it is sent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("收件人"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    event_type = models.CharField(_("事件类型"), max_length=150)
    event_id = models.UUIDField(_("事件编号"), null=True, blank=True, editable=False)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("正文"))
    link = models.CharField(_("链接"), max_length=500, blank=True)
    language = models.CharField(_("语言"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("发送时间"), default=timezone.now, editable=False)
    read_at = models.DateTimeField(_("阅读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        indexes = [models.Index(fields=["recipient", "read_at"], name="notif_msg_inbox")]
        constraints = [
            # A handler may see an event twice (at least once delivery): one message per
            # recipient and event.
            models.UniqueConstraint(
                fields=["recipient", "event_id"],
                condition=Q(event_id__isnull=False),
                name="notif_msg_once_per_event",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class Preference(models.Model):
    """Which channels besides the inbox a user wants for an event type or pattern
    (``*`` for everything). The inbox is always on; without a row, email on and SMS off."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    event_type = models.CharField(_("事件类型"), max_length=150)
    email = models.BooleanField(_("电子邮件"), default=True)
    sms = models.BooleanField(_("短信"), default=False)

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")
        constraints = [
            models.UniqueConstraint(fields=["user", "event_type"], name="notif_pref_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.event_type}"


class Channel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    SMS = "sms", _("短信")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One email or SMS for a message. The address is looked up when sending and never
    stored in clear: ``destination`` keeps a masked form for the operator."""

    message = models.ForeignKey(
        Message, verbose_name=_("消息"), on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    destination = models.CharField(_("发送地址（已遮蔽）"), max_length=80, blank=True)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    provider_id = models.CharField(_("服务商消息编号"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        indexes = [models.Index(fields=["status", "created_at"], name="notif_delivery_status")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.message_id}"
