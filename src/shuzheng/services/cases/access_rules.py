"""Capabilities of 办件 and how cases are reached: staff through the accepting
organisation's subtree, applicants as the owner, enterprise agents through the enterprise."""

from django.utils.translation import gettext_lazy as _

from shuzheng.foundation import access
from shuzheng.foundation.access import roles
from shuzheng.services.cases.models import Case, CaseMaterial, SpecialProcedure

access.capability("cases.view", _("查看办件"), self_service=True, delegable=True)
access.capability("cases.apply", _("申报、补正与撤回办件"), self_service=True, delegable=True)
access.capability("cases.apply_on_behalf", _("窗口代办申报"))
access.capability("cases.accept", _("受理办件（受理、不予受理、补齐补正）"))
access.capability("cases.review", _("审查办件（审查环节、特别程序）"))
access.capability("cases.decide", _("作出决定并办结（准予、不予准予）"))
access.capability("cases.deliver", _("送达办理结果"))
access.capability("cases.supervise", _("电子监察（时效统计、超期督办）"))

roles.extend_builtin_role(
    "window-clerk", ["cases.view", "cases.apply_on_behalf", "cases.accept", "cases.deliver"]
)
roles.extend_builtin_role(
    "case-handler", ["cases.view", "cases.review", "cases.decide", "cases.deliver"]
)
roles.extend_builtin_role(
    "department-head", ["cases.view", "cases.review", "cases.decide", "cases.supervise"]
)
roles.builtin_role(
    "supervisor",
    _("电子监察人员"),
    _("办件时效统计、超期督办（只读）"),
    ["web.use_workbench", "identity.view_staff", "cases.view", "cases.supervise"],
)

access.rule(Case, org="organisation", owner="owner", enterprise="enterprise")
access.rule(
    CaseMaterial, org="case__organisation", owner="case__owner", enterprise="case__enterprise"
)
access.rule(
    SpecialProcedure, org="case__organisation", owner="case__owner", enterprise="case__enterprise"
)
