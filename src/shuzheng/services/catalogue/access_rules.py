"""Capabilities of the service catalogue and how its rows are reached."""

from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.access import roles
from shuzheng.services.catalogue.models import ItemVersion, Material, ServiceItem

access.capability("catalogue.view", _("查看政务服务事项与办事指南"), public=True)
access.capability("catalogue.edit", _("编制政务服务事项（起草、导入）"))
access.capability("catalogue.review", _("审核发布政务服务事项"))

roles.extend_builtin_role("department-head", ["catalogue.edit", "catalogue.review"])
roles.builtin_role(
    "catalogue-editor",
    _("事项编制人员"),
    _("编制、修订与导入本部门的政务服务事项"),
    ["web.use_workbench", "identity.view_staff", "catalogue.edit"],
)

access.rule(ServiceItem, org="organisation")
access.rule(ItemVersion, org="item__organisation")
access.rule(Material, org="version__item__organisation")
