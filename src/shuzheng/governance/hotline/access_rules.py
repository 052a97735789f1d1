"""Capabilities of the 12345 hotline and how work orders are reached: staff through the unit
that holds the order now (``unit``: the 12345 centre, then the district, street or
department it was dispatched to), citizens and grid officers as the reporter."""

from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.access import roles
from shuzheng.governance.hotline.models import (
    Category,
    ClassifierModel,
    KnowledgeArticle,
    Open311Client,
    OrderPhoto,
    RoutingRule,
    Urge,
    WorkOrder,
)

access.capability("hotline.view", _("查看工单"), self_service=True)
access.capability("hotline.report", _("反映诉求（我要反映）"), self_service=True)
access.capability("hotline.register", _("登记工单、直接答复、合并重复工单"))
access.capability("hotline.dispatch", _("派单、下派、改派"))
access.capability("hotline.handle", _("签收、办理、退单、申请延期、回复"))
access.capability("hotline.approve_extension", _("审批延期申请"))
access.capability("hotline.review", _("审核办理结果"))
access.capability("hotline.callback", _("回访"))
access.capability("hotline.supervise", _("催办督办、工单统计"))
access.capability("hotline.manage", _("维护诉求分类、派单规则、知识库与分类模型"))
access.capability("hotline.knowledge", _("查阅知识库"), public=True)

OPERATOR = [
    "web.use_workbench",
    "identity.view_staff",
    "hotline.view",
    "hotline.register",
    "hotline.dispatch",
    "hotline.review",
    "hotline.callback",
    "hotline.approve_extension",
    "hotline.supervise",
    "grid.view",
]
roles.builtin_role(
    "hotline-operator",
    _("12345 热线话务员"),
    _("接听登记、直接答复、派单、审核、回访（授权在市级即全市工单）"),
    OPERATOR,
)
roles.builtin_role(
    "order-handler",
    _("工单承办人员"),
    _("本单位工单的签收、办理、退单、延期申请与回复；区级可下派到街道"),
    [
        "web.use_workbench",
        "identity.view_staff",
        "hotline.view",
        "hotline.handle",
        "hotline.dispatch",
        "grid.view",
    ],
)
roles.builtin_role(
    "hotline-admin",
    _("12345 热线管理员"),
    _("诉求分类、派单规则、知识库、分类模型与 Open311 应用"),
    ["web.use_workbench", "identity.view_staff", "hotline.view", "hotline.manage", "grid.view"],
)
roles.extend_builtin_role("grid-officer", ["hotline.view", "hotline.report", "grid.view"])
roles.extend_builtin_role(
    "department-head",
    [
        "hotline.view",
        "hotline.handle",
        "hotline.dispatch",
        "hotline.approve_extension",
        "hotline.supervise",
    ],
)
roles.extend_builtin_role("supervisor", ["hotline.view", "hotline.supervise"])
roles.extend_builtin_role("ops-operator", ["hotline.view", "hotline.supervise"])

access.rule(WorkOrder, org="unit", owner="reporter")
access.rule(OrderPhoto, org="order__unit", owner="order__reporter")
access.rule(Urge, org="order__unit")
# reference data of the whole city: any grant of the capability reaches it
access.rule(Category, org=None)
access.rule(RoutingRule, org=None)
access.rule(ClassifierModel, org=None)
access.rule(Open311Client, org=None)
access.rule(KnowledgeArticle, org="organisation")
