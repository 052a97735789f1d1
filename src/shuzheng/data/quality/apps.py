from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "shuzheng.data.quality"
    label = "dataquality"
    verbose_name = _("数据质量")

    def ready(self) -> None:
        from shuzheng.data.quality import access_rules  # noqa: F401
