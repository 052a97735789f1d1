from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    name = "shuzheng.foundation.workflow"
    label = "workflow"
    verbose_name = _("工作流引擎")

    def ready(self) -> None:
        from shuzheng.foundation.workflow import services
        from shuzheng.foundation.workflow.calendar.services import calendar_changed

        calendar_changed.connect(
            services.recompute_deadlines, dispatch_uid="workflow.recompute_deadlines"
        )
