from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HotlineConfig(AppConfig):
    name = "shuzheng.governance.hotline"
    label = "hotline"
    verbose_name = _("12345 热线工单")

    def ready(self) -> None:
        from shuzheng.foundation.files.registry import JPEG, MB, PNG, register_use
        from shuzheng.foundation.web import nav
        from shuzheng.governance.hotline import access_rules, events, search, tasks  # noqa: F401

        register_use(
            "hotline.photo",
            label=_("诉求照片"),
            allowed_types={JPEG, PNG},
            max_bytes=10 * MB,
            retention_days=3 * 365,
        )
        events.register()
        search.register()  # the knowledge base in foundation.search
        nav.workbench("hotline:intake", _("12345 来电登记"), "hotline.register", order=30)
        nav.workbench("hotline:queue", _("12345 工单"), "hotline.view", order=31)
        nav.workbench("hotline:knowledge", _("知识库"), "hotline.manage", order=33)
        nav.workbench("hotline:stats", _("工单统计"), "hotline.supervise", order=34)
        nav.workbench("hotline:rules", _("派单规则与分类模型"), "hotline.manage", order=35)
        nav.workbench("hotline:open311-clients", _("Open311 应用"), "hotline.manage", order=36)
        nav.portal("hotline:report", _("我要反映"), order=40)
        nav.portal("hotline:my-orders", _("我的诉求"), login=True, order=41)
        nav.portal("hotline:kb-search", _("热线知识库"), order=42)
