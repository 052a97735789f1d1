"""Workbench menu entries of the exchange pages, each shown to those holding its capability
(the pages check again, and their rows are scoped to the user's departments)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    """Add this app's pages to the workbench menu (``foundation.web.nav``)."""
    from shuzheng.foundation.web import nav

    nav.workbench("exchange:services", _("数据服务"), "exchange.manage_services", order=54)
    nav.workbench("exchange:clients", _("接入应用"), "exchange.manage_clients", order=55)
    nav.workbench("exchange:dashboard", _("调用统计"), "exchange.view_logs", order=56)
    nav.workbench("exchange:logs", _("交换日志"), "exchange.view_logs", order=57)
    nav.workbench("exchange:evidence", _("交换存证"), "exchange.evidence", order=58)
