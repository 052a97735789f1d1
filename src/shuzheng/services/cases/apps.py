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
        from shuzheng.services.cases.services import apply  # noqa: F401  (materials readable)

        notifications.register()  # templates, recipients and handlers of case events
        nav.workbench("cases:queue", _("办件受理审批"), "cases.view", order=20)
        nav.workbench("cases:window-apply", _("窗口代办"), "cases.apply_on_behalf", order=15)
        nav.workbench("cases:supervision", _("电子监察"), "cases.supervise", order=25)
        nav.portal("cases:my-cases", _("我的办件"), login=True, order=20)
        nav.portal("cases:progress", _("办件进度查询"), order=30)
        calendar_changed.connect(tasks.sync_deadlines, dispatch_uid="cases.sync_deadlines")
