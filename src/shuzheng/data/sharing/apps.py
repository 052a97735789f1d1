from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "shuzheng.data.sharing"
    label = "datasharing"
    verbose_name = _("政务数据共享")

    def ready(self) -> None:
        from shuzheng.data.sharing import access_rules, events, tasks  # noqa: F401
        from shuzheng.foundation.web import nav

        events.register()
        nav.workbench("datasharing:queue", _("数据共享申请"), "datasharing.view", order=54)
        nav.workbench("datasharing:grants", _("数据共享授权"), "datasharing.view", order=55)
