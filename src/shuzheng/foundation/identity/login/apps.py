from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoginConfig(AppConfig):
    name = "shuzheng.foundation.identity.login"
    label = "login"
    verbose_name = _("登录安全")

    def ready(self) -> None:
        from shuzheng.foundation.identity.login import checks, signals  # noqa: F401
