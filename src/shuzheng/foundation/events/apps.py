from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "shuzheng.foundation.events"
    label = "events"
    verbose_name = _("事件与消息")

    def ready(self) -> None:
        from django.utils.module_loading import autodiscover_modules

        from shuzheng.foundation import access
        from shuzheng.foundation.events.models import Delivery, OutboxEvent

        # Outbox rows belong to no organisation: the system administrator (system.configure)
        # inspects and resends them; nobody else sees any.
        access.rule(OutboxEvent, org=None)
        access.rule(Delivery, org=None)
        # Every installed app's ``tasks`` module declares its jobs (@jobs.task, @jobs.periodic)
        # on the one task queue (shuzheng.config.tasks); load them so that a worker process
        # knows every task by name and the scheduler every periodic job.
        autodiscover_modules("tasks")
