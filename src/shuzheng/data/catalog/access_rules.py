"""Capabilities of the data catalogue. Published entries are a city-wide reference: anyone
holding ``datacatalog.view`` reads them (selectors), while the working copy, the store and
the grading belong to the providing department (``provider``). The data authority reviews
with a grant on the city."""

from django.utils.translation import gettext_lazy as _

from shuzheng.data.catalog.models import (
    CatalogueEntry,
    Classification,
    DataItem,
    DatasetRecord,
    EntryVersion,
    GradingRecord,
)
from shuzheng.foundation import access
from shuzheng.foundation.access import roles

access.capability("datacatalog.view", _("查阅政务数据资源目录"))
access.capability("datacatalog.edit", _("编制维护本部门目录、信息项、分级建议与平台库数据"))
access.capability("datacatalog.review", _("审核发布目录"))
access.capability("datacatalog.review_grading", _("审核数据分级"))
access.capability("datacatalog.open", _("查阅开放目录（DCAT-AP）"), public=True)

WORKBENCH = ["web.use_workbench", "identity.view_staff"]
roles.builtin_role(
    "data-admin",
    _("部门数据管理员"),
    _("本部门目录编制与分级建议、共享申请与提供方审核、数据服务与接入应用、数据质量"),
    [*WORKBENCH, "datacatalog.view", "datacatalog.edit"],
)
roles.builtin_role(
    "data-authority",
    _("数据主管部门审核员"),
    _("目录审核发布、分级审核、共享合规审查与争议协调、授权撤销、交换存证（授权在市级）"),
    [*WORKBENCH, "datacatalog.view", "datacatalog.review", "datacatalog.review_grading"],
)
roles.builtin_role(
    "data-user",
    _("数据使用人员"),
    _("查阅目录、为本部门提出共享申请、查看本部门调用情况"),
    [*WORKBENCH, "datacatalog.view"],
)
roles.extend_builtin_role("department-head", ["datacatalog.view"])

access.rule(Classification, org=None)
access.rule(CatalogueEntry, org="provider")
access.rule(DataItem, org="entry__provider")
access.rule(EntryVersion, org="entry__provider")
access.rule(GradingRecord, org="entry__provider")
access.rule(DatasetRecord, org="entry__provider")
