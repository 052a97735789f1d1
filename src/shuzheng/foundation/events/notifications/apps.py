from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "shuzheng.foundation.events.notifications"
    label = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        from shuzheng.foundation import access
        from shuzheng.foundation.events.notifications import builtin, events
        from shuzheng.foundation.events.notifications.models import Delivery, Message, Preference

        # Self-service: everyone reads and manages their own inbox and preferences (owner
        # rule). The capability is in no built-in role; a role that carried it would reach
        # the messages of staff in its organisation subtree — do not put it in one.
        access.capability("notifications.own_messages", _("查看与管理本人消息"), self_service=True)
        access.rule(Message, org="recipient__staff__organisation", owner="recipient")
        access.rule(Preference, org="user__staff__organisation", owner="user")
        # Deliveries are operations data: the system administrator inspects them in admin.
        access.rule(Delivery, org=None)
        builtin.register_all()
        events.subscribe_all()
