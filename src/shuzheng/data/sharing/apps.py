from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SharingConfig(AppConfig):
    name = "shuzheng.data.sharing"
    label = "datasharing"
    verbose_name = _("政务数据共享")

    def ready(self) -> None:
        from shuzheng.data.sharing import access_rules  # noqa: F401
