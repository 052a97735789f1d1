from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkcalendarConfig(AppConfig):
    name = "shuzheng.foundation.workflow.calendar"
    label = "workcalendar"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        from shuzheng.foundation import access
        from shuzheng.foundation.workflow.calendar import services
        from shuzheng.foundation.workflow.calendar.models import CalendarDay, CalendarYear

        # Holidays and closures are public information and belong to no organisation.
        access.capability("workcalendar.view", _("查看工作日历"), public=True)
        access.rule(CalendarDay, org=None)
        access.rule(CalendarYear, org=None)
        services.connect_signals()
