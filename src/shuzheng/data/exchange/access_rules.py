"""Capabilities of the exchange gateway's registry and evidence. A provider registers its
services; a consumer manages its applications' credentials; both sides read the log of the
calls they took part in and export its evidence."""

from django.utils.translation import gettext_lazy as _

from shuzheng.data.exchange.models import ClientApp, DataService, ExchangeLog, ExchangeSeal
from shuzheng.foundation import access
from shuzheng.foundation.access import roles

access.capability("exchange.manage_services", _("登记与维护本部门数据服务"))
access.capability("exchange.manage_clients", _("管理本部门接入应用与凭证"))
access.capability("exchange.view_logs", _("查看交换日志与调用统计"))
access.capability("exchange.evidence", _("导出与核验交换存证"))

roles.extend_builtin_role(
    "data-admin",
    [
        "exchange.manage_services",
        "exchange.manage_clients",
        "exchange.view_logs",
        "exchange.evidence",
    ],
)
roles.extend_builtin_role("data-authority", ["exchange.view_logs", "exchange.evidence"])
roles.extend_builtin_role("data-user", ["exchange.view_logs"])
roles.extend_builtin_role("audit-admin", ["exchange.view_logs", "exchange.evidence"])

access.rule(DataService, org="provider")
access.rule(ClientApp, org="organisation")
access.rule(ExchangeLog, org=("consumer_id", "provider_id"))
access.rule(ExchangeSeal, org=None)
