from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "shuzheng.data.quality"
    label = "dataquality"
    verbose_name = _("数据质量")

    def ready(self) -> None:
        from shuzheng.data.quality import access_rules, events, tasks  # noqa: F401
        from shuzheng.foundation.web import nav

        events.register()
        nav.workbench("dataquality:home", _("数据质量"), "dataquality.view", order=58)
        nav.workbench("dataquality:issues", _("质量问题"), "dataquality.manage", order=59)
