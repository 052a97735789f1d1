"""Workbench and portal menu entries of the catalog pages (owned by the pages' author)."""

from django.utils.translation import gettext_lazy as _


def register() -> None:
    """Add this app's pages to the menus (``foundation.web.nav``)."""
    from shuzheng.foundation.web import nav

    nav.workbench("datacatalog:catalog", _("政务数据目录"), "datacatalog.view", order=50)
    nav.workbench("datacatalog:grading", _("数据分级审核"), "datacatalog.review_grading", order=51)
    nav.workbench("datacatalog:import", _("目录导入导出"), "datacatalog.edit", order=52)
    nav.portal("datacatalog:open-catalog", _("开放目录"), order=50)
