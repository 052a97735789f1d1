"""The foundation's own capabilities. Domain packages declare theirs in their apps."""

from django.utils.translation import gettext_lazy as _

from shuzheng.foundation.access.registry import capability


def register_all() -> None:
    capability("identity.view_organisation", _("查看组织机构"), public=True)
    capability("identity.manage_organisation", _("维护组织机构"))
    capability("identity.view_staff", _("查看工作人员"), self_service=True)
    capability("identity.manage_staff", _("管理工作人员"))
    capability("identity.view_person", _("查看自然人"), self_service=True)
    capability("identity.reveal_pii", _("查看完整证件号码与手机号码"), self_service=True)
    capability("identity.register_person", _("登记自然人"))
    capability("identity.view_enterprise", _("查看企业"), delegable=True)
    capability("identity.register_enterprise", _("登记企业"))
    capability("identity.authorise_agent", _("授权经办人"), delegable=True)
    capability("access.view_roles", _("查看角色目录"), public=True)
    capability("access.view_grants", _("查看角色授权"), self_service=True)
    capability("access.grant_role", _("授予与撤销角色"))
    capability("web.use_workbench", _("使用工作台"))
    capability("web.view_ops", _("查看运行中心大屏"))
    capability("system.configure", _("系统配置"))
    capability("audit.view", _("查看审计记录"))
