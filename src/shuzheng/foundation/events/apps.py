from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "shuzheng.foundation.events"
    label = "events"
    verbose_name = _("事件与消息")
