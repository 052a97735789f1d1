from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "shuzheng.services.cases"
    label = "cases"
    verbose_name = _("办件")

    def ready(self) -> None:
        from shuzheng.foundation.web import nav
        from shuzheng.foundation.workflow.calendar.services import calendar_changed
        from shuzheng.services.cases import access_rules, guards, notifications, tasks  # noqa: F401

        notifications.register()  # templates, recipients and handlers of case events
        nav.workbench("cases:queue", _("办件受理审批"), "cases.view", order=20)
        calendar_changed.connect(tasks.sync_deadlines, dispatch_uid="cases.sync_deadlines")
