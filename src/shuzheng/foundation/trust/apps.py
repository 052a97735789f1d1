from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrustConfig(AppConfig):
    name = "shuzheng.foundation.trust"
    label = "trust"
    verbose_name = _("安全可信")
