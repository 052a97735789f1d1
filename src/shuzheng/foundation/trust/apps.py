from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrustConfig(AppConfig):
    name = "shuzheng.foundation.trust"
    label = "trust"
    verbose_name = _("安全可信")

    def ready(self) -> None:
        from shuzheng.foundation import access
        from shuzheng.foundation.trust.models import AuditAnchor, AuditPurge, AuditRecord

        # Audit rows belong to no organisation: whoever holds "audit.view" (审计管理员)
        # reads all of them; nobody else reads any.
        access.rule(AuditRecord, org=None)
        access.rule(AuditAnchor, org=None)
        access.rule(AuditPurge, org=None)
